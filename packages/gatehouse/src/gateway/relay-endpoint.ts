import {
  isPreflight,
  preflightResponse,
  type ResourceServer,
  withCorsHeaders,
} from '@gatehouse/resource-server';
import type { HttpRelay } from './upstreams/http-relay.js';

/** The largest request body relayed (the SDK's default bound). */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

/**
 * The MCP endpoint for a relayed upstream, with the same checks, in the same order, as
 * `createProtectedMcpHandler`: metadata routes, the resource path, `Origin`/`Host`, CORS, body
 * bound, bearer token and scopes — then the relay instead of an SDK server. `onPrincipal` learns
 * who each authenticated request came from (for the request log).
 */
export function createRelayEndpoint(
  resourceServer: ResourceServer,
  relay: HttpRelay,
  onPrincipal: (request: Request, subject: string | undefined) => void,
): (request: Request) => Promise<Response> {
  const endpointPath = new URL(resourceServer.resource).pathname.replace(/\/+$/, '');

  async function serve(request: Request): Promise<Response> {
    let bytes: Uint8Array | undefined;
    let body: unknown = null;
    if (request.method === 'POST') {
      bytes = await readBounded(request);
      if (bytes === undefined) return jsonRpcError(413, -32600, 'Request body too large');
      try {
        body = JSON.parse(new TextDecoder().decode(bytes));
      } catch {
        body = null; // the upstream answers the parse error, after authentication
      }
    }
    const auth = await resourceServer.authenticate(request, body);
    if (auth instanceof Response) return auth;
    onPrincipal(request, auth.subject);
    return relay.forward(request, auth, bytes);
  }

  return async (request) => {
    const metadata = resourceServer.handleMetadataRequest(request);
    if (metadata !== undefined) return metadata;
    if (new URL(request.url).pathname.replace(/\/+$/, '') !== endpointPath) {
      return jsonRpcError(404, -32601, 'Not found: this server serves MCP at its resource path only');
    }
    const refused = resourceServer.checkOrigin(request);
    if (refused !== undefined) return refused;
    const origin = request.headers.get('origin');
    if (origin === null) return serve(request);
    if (isPreflight(request)) return preflightResponse(request, origin);
    return withCorsHeaders(await serve(request), origin);
  };
}

async function readBounded(request: Request): Promise<Uint8Array | undefined> {
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > MAX_BODY_BYTES) return undefined;
  const reader = request.body?.getReader();
  if (reader === undefined) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

function jsonRpcError(status: number, code: number, message: string): Response {
  return Response.json({ jsonrpc: '2.0', id: null, error: { code, message } }, { status });
}
