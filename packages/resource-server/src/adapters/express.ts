/**
 * Express (4 and 5) middleware over the resource-server core.
 *
 * - {@link protectedResourceMetadata}: answers both well-known metadata paths (RFC 9728 §3), calls
 *   `next()` for anything else. Mount it app-wide.
 * - {@link requireAuth}: authenticates the request, sets `req.auth` (an `AuthInfo`), or answers the
 *   401/403/400/503 itself.
 *
 * The web `Request` given to the core is built from the method, URL and headers only. When
 * per-method or per-tool scopes are configured, the JSON body is taken from `req.body` (mount
 * `express.json()` first) or, if no body parser ran, read here and left in `req.body`.
 *
 * This module declares no global type augmentation of Express's `Request`: use
 * {@link AuthenticatedRequest} (`(req as AuthenticatedRequest).auth`).
 */
import type {
  Request as ExpressRequest,
  Response as ExpressResponse,
  NextFunction,
  RequestHandler,
} from 'express';
import type { AuthInfo } from '../auth-info.js';
import { internalErrorResponse } from '../challenge.js';
import type { ResourceServer } from '../resource-server.js';
import { bodyForScopes, toWebRequest, writeResponse } from './node.js';

/** An Express request after {@link requireAuth}. */
export type AuthenticatedRequest = ExpressRequest & { auth: AuthInfo };

function send(res: ExpressResponse, response: Response, next: NextFunction): void {
  writeResponse(res, response).catch(next);
}

/** Express middleware serving the Protected Resource Metadata document at both well-known paths. */
export function protectedResourceMetadata(server: ResourceServer): RequestHandler {
  return (req, res, next) => {
    const response = server.handleMetadataRequest(toWebRequest(req, { body: false }));
    if (response === undefined) return next();
    send(res, response, next);
  };
}

/**
 * Express middleware that lets only authenticated requests through and sets `req.auth`.
 *
 * @example
 * app.use(protectedResourceMetadata(rs));
 * app.post('/mcp', express.json(), requireAuth(rs), (req, res) => {
 *   const { auth } = req as AuthenticatedRequest;
 *   // …
 * });
 */
export function requireAuth(server: ResourceServer): RequestHandler {
  return (req, res, next) => {
    void (async () => {
      let response: Response;
      try {
        const request = toWebRequest(req, { body: false });
        const refused = server.checkOrigin(request);
        if (refused !== undefined) return send(res, refused, next);
        const body = await bodyForScopes(server, req);
        if (body instanceof Response) return send(res, body, next);
        const result = await server.authenticate(request, body.body);
        if (!(result instanceof Response)) {
          (req as AuthenticatedRequest).auth = result;
          return next();
        }
        response = result;
      } catch (error) {
        response = internalErrorResponse(error, 'express');
      }
      send(res, response, next);
    })();
  };
}
