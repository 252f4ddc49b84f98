/**
 * Hono middleware over the resource-server core.
 *
 * - {@link protectedResourceMetadata}: answers both well-known metadata paths, passes everything
 *   else on. Mount it app-wide: `app.use(protectedResourceMetadata(rs))`.
 * - {@link requireAuth}: authenticates the request and sets the typed variable `authInfo`
 *   (`c.get('authInfo')`), or answers the 401/403/400/503 itself.
 *
 * The body: when per-method or per-tool scopes are configured, the core reads a clone of
 * `c.req.raw`, so later handlers can still read it (and `c.req.raw` can be passed to the MCP SDK).
 * If an earlier middleware already consumed `c.req.raw`, the body is taken from Hono's body cache.
 */
import type { MiddlewareHandler } from 'hono';
import type { AuthInfo } from '../auth-info.js';
import type { ResourceServer } from '../resource-server.js';

/** The variables {@link requireAuth} sets: `c.get('authInfo')`. */
export type ResourceServerVariables = { authInfo: AuthInfo };

/** The Hono environment of routes behind {@link requireAuth}. */
export type ResourceServerEnv = { Variables: ResourceServerVariables };

/**
 * Middleware answering `GET`/`HEAD`/`OPTIONS` on `/.well-known/oauth-protected-resource<path>` and
 * `/.well-known/oauth-protected-resource` (RFC 9728 §3), and calling `next()` for any other path.
 */
export function protectedResourceMetadata(server: ResourceServer): MiddlewareHandler {
  return async (c, next) => {
    const response = server.handleMetadataRequest(c.req.raw);
    if (response !== undefined) return response;
    await next();
  };
}

/**
 * Middleware that lets only authenticated requests through and exposes the verified token as
 * `c.get('authInfo')`.
 *
 * @example
 * const app = new Hono<ResourceServerEnv>();
 * app.use(protectedResourceMetadata(rs));
 * app.use('/mcp', requireAuth(rs));
 * app.post('/mcp', (c) => mcpHandler.fetch(c.req.raw, { authInfo: c.get('authInfo') }));
 */
export function requireAuth(server: ResourceServer): MiddlewareHandler<ResourceServerEnv> {
  return async (c, next) => {
    let body: unknown;
    if (server.needsBody && c.req.raw.bodyUsed) {
      // Invalid JSON runs nothing (null); a body Hono did not cache stays unknown (undefined), and
      // the core then refuses rather than guess the operation's scopes.
      body = await c.req.json().catch((error: unknown) => (error instanceof SyntaxError ? null : undefined));
    }
    const result = await server.authenticate(c.req.raw, body);
    if (result instanceof Response) return result;
    c.set('authInfo', result);
    await next();
  };
}
