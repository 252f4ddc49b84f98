/**
 * Serves the provider on plain node:http under its issuer's path, plus the RFC 8414 / OIDC
 * metadata documents at the host root with the issuer path inserted.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import { clientAddressOf } from './client-address.js';
import type { RateLimiter } from './registration-rate-limit.js';

/** A route handler that resolves `true` when it answered the request, `false` when it is not its path. */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

/** Inputs of {@link createMountedListener}. */
export interface MountOptions {
  provider: Provider;
  /** The issuer's path (`/oauth`), or `''` for a root issuer. */
  mountPath: string;
  /** Handlers tried first for paths under the mount path (the interaction pages). */
  routes?: readonly RouteHandler[];
  /** Rate limit of `POST <mountPath>/reg`; none when undefined. */
  registrationLimiter?: RateLimiter;
  /** Told of an error a route threw (the client gets a bare 500 JSON). */
  onError?: (error: unknown) => void;
  /** Count registrations per forwarded client address (see client-address.ts). Default false. */
  trustProxy?: boolean;
}

/** The provider's own discovery routes (relative to the mount path). */
const OAUTH_METADATA = '/.well-known/oauth-authorization-server';
const OIDC_METADATA = '/.well-known/openid-configuration';

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(text);
}

/** Where the provider should see the request: its path relative to the mount, or undefined when not ours. */
function providerPath(pathname: string, mountPath: string): string | undefined {
  // RFC 8414 §3.1 and OIDC Discovery path insertion: /.well-known/<name><issuer path>.
  if (mountPath !== '') {
    if (pathname === `${OAUTH_METADATA}${mountPath}`) return OAUTH_METADATA;
    if (pathname === `${OIDC_METADATA}${mountPath}`) return OIDC_METADATA;
  }
  if (mountPath === '') return pathname;
  if (pathname === mountPath) return '/';
  if (pathname.startsWith(`${mountPath}/`)) return pathname.slice(mountPath.length);
  return undefined;
}

/**
 * Creates the node:http listener: metadata at the root (both well-known forms), then under the
 * mount path the `routes` (interaction pages), the registration rate limit (429 with
 * `Retry-After`), and the provider, which sees `req.url` relative to the mount path and
 * `req.originalUrl` as sent (as an Express/Koa mount would set them; oidc-provider derives the
 * mount path of every URL it builds from the two). Anything else: 404 JSON.
 *
 * It does NOT validate `Host`: URLs in the provider's responses follow the request's `Host` (or,
 * when the provider trusts a proxy, `X-Forwarded-Host` and `X-Forwarded-Proto`).
 */
export function createMountedListener(
  options: MountOptions,
): (req: IncomingMessage, res: ServerResponse) => void {
  const { provider, mountPath, routes = [], registrationLimiter, onError, trustProxy = false } = options;
  const callback = provider.callback();
  const registrationPath = `${mountPath}/reg`;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const queryAt = url.indexOf('?');
    const pathname = queryAt === -1 ? url : url.slice(0, queryAt);
    const inner = providerPath(pathname, mountPath);
    if (inner === undefined || !url.startsWith('/')) {
      sendJson(res, 404, { error: 'not_found', error_description: 'no such endpoint' });
      return;
    }
    const isMetadata = !pathname.startsWith(`${mountPath}/`) && mountPath !== '';
    if (!isMetadata) {
      for (const route of routes) {
        if (await route(req, res)) return;
      }
    }
    if (registrationLimiter !== undefined && req.method === 'POST' && pathname === registrationPath) {
      const wait = registrationLimiter.take(clientAddressOf(req, trustProxy) ?? 'unknown');
      if (wait > 0) {
        sendJson(
          res,
          429,
          { error: 'too_many_requests', error_description: 'too many registrations; retry later' },
          { 'Retry-After': String(wait) },
        );
        return;
      }
    }
    const search = queryAt === -1 ? '' : url.slice(queryAt);
    const request = req as IncomingMessage & { originalUrl?: string };
    request.originalUrl = `${mountPath}${inner}${search}`;
    request.url = `${inner}${search}`;
    callback(req, res);
  }

  return (req, res) => {
    handle(req, res).catch((error: unknown) => {
      onError?.(error);
      if (!res.headersSent) sendJson(res, 500, { error: 'server_error' });
      else res.destroy();
    });
  };
}
