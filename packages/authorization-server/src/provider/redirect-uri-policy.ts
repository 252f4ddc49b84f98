/**
 * Gatehouse's redirect URI rules at registration, on top of oidc-provider's own (which already
 * refuse fragments, `javascript:`/`data:`/… schemes, and http on non-loopback hosts for native
 * clients, and which let a native client's loopback redirect URI match any port: RFC 8252 §7.3).
 */
import { isLoopbackHostname } from '@gatehouse/core';

/** Why a redirect URI is refused, or `undefined` when it is acceptable. */
export type RedirectUriProblem = string | undefined;

const FORBIDDEN_SCHEMES = new Set(['javascript:', 'vbscript:', 'data:', 'blob:', 'file:', 'about:']);

/**
 * Checks one redirect URI on a parsed URL (OAuth 2.1 §2.3.1, RFC 8252 §7.3 and §8.4, RFC 9700
 * §4.1): absolute; no userinfo (`http://localhost:1@evil.example/cb` has host `evil.example`); no
 * fragment; no script-like scheme; `http` only on a loopback host (`127.0.0.1`, `[::1]`,
 * `localhost`). Returns a description of the problem (naming no part of the input) or `undefined`.
 *
 * It does NOT check that the host exists or that a private-use scheme belongs to the client.
 */
export function checkRedirectUri(value: unknown): RedirectUriProblem {
  if (typeof value !== 'string') return 'redirect_uris must be strings';
  const url = URL.parse(value);
  if (url === null) return 'redirect_uris must be absolute URIs';
  if (url.username !== '' || url.password !== '' || /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(value)) {
    return 'redirect_uris must not contain userinfo';
  }
  if (value.includes('#')) return 'redirect_uris must not contain fragments';
  if (FORBIDDEN_SCHEMES.has(url.protocol))
    return `redirect_uris must not use the ${url.protocol.slice(0, -1)} scheme`;
  if (url.protocol === 'http:' && !isLoopbackHostname(url.hostname)) {
    return 'redirect_uris may use http only on a loopback host (127.0.0.1, [::1] or localhost)';
  }
  return undefined;
}

/** Checks every member of a `redirect_uris` value; non-arrays are left to the provider's schema. */
export function checkRedirectUris(value: unknown): RedirectUriProblem {
  if (!Array.isArray(value)) return undefined;
  for (const uri of value) {
    const problem = checkRedirectUri(uri);
    if (problem !== undefined) return problem;
  }
  return undefined;
}
