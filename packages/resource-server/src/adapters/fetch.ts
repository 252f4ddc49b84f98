/**
 * The web-standard adapter: wraps any `(request, authInfo) => Response` handler so that it only runs
 * for authenticated requests, and answers the Protected Resource Metadata paths itself.
 * For Cloudflare Workers, Deno, Bun, Hono's `c.req.raw`, or `node.ts`'s `toNodeListener`.
 *
 * Does NOT parse the body for the handler: when per-method or per-tool scopes are configured, the
 * resource server reads a clone of the request, so the handler still gets an unread body.
 */
import type { AuthInfo } from '../auth-info.js';
import { internalErrorResponse } from '../challenge.js';
import type { ResourceServer } from '../resource-server.js';

/** A handler that runs only after authentication. */
export type ProtectedHandler = (request: Request, authInfo: AuthInfo) => Response | Promise<Response>;

/**
 * Protects `handler` with `server` (metadata paths → `authenticate` → handler). Errors thrown by the
 * handler become a generic 500 (details on the diagnostics channel), never a stack trace.
 *
 * @example
 * export default { fetch: protect(resourceServer, (request, authInfo) => Response.json({ sub: authInfo.subject })) };
 */
export function protect(
  server: ResourceServer,
  handler: ProtectedHandler,
): (request: Request) => Promise<Response> {
  return async (request) => {
    const metadata = server.handleMetadataRequest(request);
    if (metadata !== undefined) return metadata;
    const result = await server.authenticate(request);
    if (result instanceof Response) return result;
    try {
      return await handler(request, result);
    } catch (error) {
      return internalErrorResponse(error, 'handler');
    }
  };
}
