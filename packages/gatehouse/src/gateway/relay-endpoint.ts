import {
  isPreflight,
  jsonRpcErrorResponse,
  preflightResponse,
  type ResourceServer,
  readBodyBytes,
  withCorsHeaders,
} from '@gatehouse/resource-server';
import type { HttpRelay } from './upstreams/http-relay.js';

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
      // Bounded by the SDK's default body size, like `createProtectedMcpHandler`.
      const read = await readBodyBytes(request);
      if (!read.ok) return jsonRpcErrorResponse(413, -32600, 'Request body too large');
      bytes = read.bytes;
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
      return jsonRpcErrorResponse(404, -32601, 'Not found: this server serves MCP at its resource path only');
    }
    const refused = resourceServer.checkOrigin(request);
    if (refused !== undefined) return refused;
    const origin = request.headers.get('origin');
    if (origin === null) return serve(request);
    if (isPreflight(request)) return preflightResponse(request, origin);
    return withCorsHeaders(await serve(request), origin);
  };
}
