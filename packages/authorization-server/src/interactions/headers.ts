/**
 * Response headers for every interaction page, and the helpers that write a page or a redirect
 * with them.
 *
 * - Content-Security-Policy (CSP Level 3): nothing loads but the constant style sheet (by hash) and
 *   same-origin or `data:` images; no script; no `<base>`; the page cannot be framed
 *   (`frame-ancestors 'none'`, plus `X-Frame-Options: DENY` for older browsers, RFC 7034).
 * - `form-action`: `'self'` plus the origin of the client's redirect URI, see {@link formActionSource}.
 * - `Referrer-Policy: no-referrer` (the interaction URL must not leak), `X-Content-Type-Options:
 *   nosniff`, `Cache-Control: no-store` (RFC 9111 §5.2.2.5: pages hold per-user data and CSRF tokens).
 */
import type { ServerResponse } from 'node:http';
import { STYLE_HASH } from './layout.js';

/**
 * The CSP `form-action` source that lets a form submission end at the client's redirect URI.
 *
 * Why it is needed: approving, denying or signing in POSTs to this server, which answers 303 to the
 * provider's resume endpoint, which answers 303 to the client's `redirect_uri` (another origin: a
 * loopback port or a custom scheme). Chromium applies `form-action` to every redirect that follows a
 * form submission (CSP Level 3 §6.3.1 "form-action" with redirects, checked in
 * test/browser/authorization-server.browser.test.ts) and blocks the final hop when only `'self'` is
 * allowed, leaving the user on a blank error page. Only the exact origin of the redirect URI of this
 * authorization request is added, never a wildcard; the redirect URI was already validated by the
 * provider against the client's registration before the interaction began.
 *
 * Returns `https://host:port` / `http://127.0.0.1:port` for http(s) URIs, `scheme:` for a private-use
 * URI scheme (RFC 8252 §7.1), and undefined for anything that is not an absolute URL.
 */
export function formActionSource(redirectUri: unknown): string | undefined {
  if (typeof redirectUri !== 'string') return undefined;
  let url: URL;
  try {
    url = new URL(redirectUri);
  } catch {
    return undefined;
  }
  if (url.protocol === 'http:' || url.protocol === 'https:') return url.origin;
  // A private-use scheme: only letters, digits, + . - (RFC 3986 §3.1), so it cannot break the policy.
  if (
    /^[a-z][a-z0-9+.-]*:$/.test(url.protocol) &&
    url.protocol !== 'javascript:' &&
    url.protocol !== 'data:'
  ) {
    return url.protocol;
  }
  return undefined;
}

/** Options of {@link securityHeaders}. */
export interface SecurityHeaderOptions {
  /** Extra `form-action` sources (see {@link formActionSource}); `'self'` is always allowed. */
  readonly formAction?: readonly string[];
}

/** The security headers of an interaction page (see the module comment). */
export function securityHeaders(options: SecurityHeaderOptions = {}): Record<string, string> {
  const formAction = ["'self'", ...(options.formAction ?? [])].join(' ');
  return {
    'Content-Security-Policy': [
      "default-src 'none'",
      `style-src ${STYLE_HASH}`,
      "img-src 'self' data:",
      `form-action ${formAction}`,
      "frame-ancestors 'none'",
      "base-uri 'none'",
    ].join('; '),
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-store',
    Pragma: 'no-cache',
  };
}

/** Writes an HTML page with {@link securityHeaders}. Extra headers (e.g. `Retry-After`) go last. */
export function sendHtml(
  res: ServerResponse,
  status: number,
  page: string,
  options: SecurityHeaderOptions & { readonly headers?: Record<string, string> } = {},
): void {
  const body = Buffer.from(page, 'utf8');
  res.statusCode = status;
  for (const [name, value] of Object.entries(securityHeaders(options))) res.setHeader(name, value);
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Content-Length', String(body.length));
  for (const [name, value] of Object.entries(options.headers ?? {})) res.setHeader(name, value);
  res.end(body);
}
