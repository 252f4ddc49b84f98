/**
 * A protected MCP endpoint as one web-standard handler: Protected Resource Metadata, `Origin`/`Host`
 * checks, bearer authentication and scope checks in front of the MCP SDK v2's `createMcpHandler`.
 *
 * Request flow (first failure answers):
 *
 * 1. A well-known metadata path → the RFC 9728 document (no token needed).
 * 2. Any path other than the resource's → 404.
 * 3. `Origin` / `Host` → 403 (MCP transports § Security Warning).
 * 4. `POST`: the body is read once (413 over `maxRequestBodySize`) and parsed once; the same value
 *    goes to the scope check and to the SDK as `parsedBody`, so the operation whose scopes were
 *    checked is exactly the one that runs.
 * 5. Token and scopes (`ResourceServer.authenticate`) → 401 / 400 / 403 / 503.
 * 6. Body not JSON → 400 JSON-RPC parse error; `Content-Type` not `application/json` → 415. Both
 *    only after authentication, so an anonymous caller learns nothing but the 401.
 * 7. The SDK serves the request with `authInfo`; tool handlers read it as `ctx.http?.authInfo`.
 *
 * Requests from an allowed browser `Origin` get CORS headers, and their preflights a 204
 * (`cors.ts`); requests without `Origin` get none.
 *
 * Both protocol eras are served: 2026-07-28 requests on the SDK's modern path and 2025-era
 * requests through its stateless legacy fallback (`legacy: 'stateless'`, the SDK default).
 *
 * Does NOT forward the token anywhere.
 */

import { invalidArgument } from '@gatehouse/core';
import {
  type CreateMcpHandlerOptions,
  createMcpHandler,
  isJsonContentType,
  type McpHttpHandler,
  type McpServerFactory,
} from '@modelcontextprotocol/server';
import { internalErrorResponse } from './challenge.js';
import { isPreflight, preflightResponse, withCorsHeaders } from './cors.js';
import {
  BODY_DEFAULTS,
  bodyTooLargeResponse,
  discard,
  jsonRpcErrorResponse,
  parseErrorResponse,
  readJsonBody,
} from './json-body.js';
import type { ResourceServer } from './resource-server.js';

/** Options of {@link createProtectedMcpHandler}: the resource server, the SDK server factory, and `createMcpHandler` options. */
export interface ProtectedMcpHandlerOptions extends CreateMcpHandlerOptions {
  /** Required. The resource server made with `createResourceServer`. */
  resourceServer: ResourceServer;
  /** Required. Builds the SDK `McpServer` for each request (same factory for both eras). */
  server: McpServerFactory;
}

/** The handler: `(request) => Promise<Response>`, plus the SDK handler's `close` and the handler itself. */
export interface ProtectedMcpHandler {
  (request: Request): Promise<Response>;
  /** Aborts in-flight modern exchanges (see the SDK's `McpHttpHandler.close`). */
  close(): Promise<void>;
  /** The wrapped SDK handler (for `notify` and `bus`). Never call its `fetch` directly: it checks nothing. */
  readonly mcp: McpHttpHandler;
}

function trimSlashes(path: string): string {
  return path.replace(/\/+$/, '');
}

/**
 * Creates the protected MCP endpoint. Options are checked here.
 *
 * @example
 * const handler = createProtectedMcpHandler({
 *   resourceServer: createResourceServer({ resource: 'http://127.0.0.1:8080/mcp', authorizationServers: [issuer], verify: { issuer, jwksUri } }),
 *   server: () => {
 *     const server = new McpServer({ name: 'files', version: '1.0.0' });
 *     server.registerTool('whoami', {}, async (ctx) => ({ content: [{ type: 'text', text: ctx.http?.authInfo?.clientId ?? '' }] }));
 *     return server;
 *   },
 * });
 * // Hono: app.all('*', (c) => handler(c.req.raw)); node:http: createServer(toNodeListener(handler))
 */
export function createProtectedMcpHandler(options: ProtectedMcpHandlerOptions): ProtectedMcpHandler {
  if (typeof options !== 'object' || options === null) {
    throw invalidArgument('createProtectedMcpHandler() needs an options object', 'ERR_INVALID_ARG_TYPE');
  }
  const { resourceServer, server, ...mcpOptions } = options;
  if (typeof resourceServer?.authenticate !== 'function') {
    throw invalidArgument(
      '"resourceServer" is required: create it with createResourceServer()',
      'ERR_MISSING_OPTION',
    );
  }
  if (typeof server !== 'function') {
    throw invalidArgument(
      '"server" is required: a function returning a new McpServer for each request',
      'ERR_MISSING_OPTION',
    );
  }
  const maxBodyBytes = mcpOptions.maxRequestBodySize ?? BODY_DEFAULTS.maxBodyBytes;
  const mcp = createMcpHandler(server, mcpOptions);
  const endpointPath = trimSlashes(new URL(resourceServer.resource).pathname);

  async function handle(request: Request): Promise<Response> {
    try {
      const metadata = resourceServer.handleMetadataRequest(request);
      if (metadata !== undefined) return metadata;
      if (trimSlashes(new URL(request.url).pathname) !== endpointPath) {
        return jsonRpcErrorResponse(
          404,
          -32601,
          'Not found: this server serves MCP at its resource path only',
        );
      }
      const refused = resourceServer.checkOrigin(request);
      if (refused !== undefined) return refused;
      const origin = request.headers.get('origin');
      if (origin === null) return await serve(request);
      // The Origin check passed: let the browser page read the answer (see cors.ts).
      if (isPreflight(request)) return preflightResponse(request, origin);
      return withCorsHeaders(await serve(request), origin);
    } catch (error) {
      return internalErrorResponse(error, 'mcp-endpoint');
    }
  }

  /** Steps 4-7 for a request that passed the path and Origin checks. */
  async function serve(request: Request): Promise<Response> {
    if (request.method !== 'POST') {
      const result = await resourceServer.authenticate(request, null);
      if (result instanceof Response) return result;
      return await mcp.fetch(request, { authInfo: result });
    }

    const json = isJsonContentType(request.headers.get('content-type'));
    let body: unknown = null;
    let parseError = false;
    if (json) {
      const read = await readJsonBody(request, maxBodyBytes);
      if (!read.ok) return bodyTooLargeResponse();
      body = read.value;
      parseError = read.parseError || read.value === null;
    } else {
      discard(request.body);
    }
    const result = await resourceServer.authenticate(request, body);
    if (result instanceof Response) return result;
    if (!json) {
      return jsonRpcErrorResponse(415, -32600, 'Unsupported Media Type: the body must be application/json');
    }
    if (parseError) return parseErrorResponse();
    return await mcp.fetch(request, { authInfo: result, parsedBody: body });
  }

  return Object.assign(handle, { close: () => mcp.close(), mcp });
}
