/**
 * Resource URIs and well-known metadata URLs.
 *
 * - {@link canonicalResourceUri}: the MCP server's canonical URI (RFC 8707 §2, MCP 2025-06-18
 *   § Canonical Server URI), used as `resource` in requests and as the token audience.
 * - {@link protectedResourceMetadataUrls}: where Protected Resource Metadata lives (RFC 9728 §3.1).
 * - {@link authorizationServerMetadataUrls}: where authorization server metadata lives, in the order
 *   MCP 2025-11-25 and 2026-07-28 require (RFC 8414 §3.1, OpenID Connect Discovery 1.0 §4).
 *
 * These functions only build strings. They do not fetch, and they do not decide whether a URL may be
 * fetched: that is `safe-fetch`'s policy.
 */

import { invalidArgument } from './errors.js';

const PRM_SUFFIX = '/.well-known/oauth-protected-resource';
const OAUTH_AS_SUFFIX = '/.well-known/oauth-authorization-server';
const OIDC_SUFFIX = '/.well-known/openid-configuration';

/** One decimal octet, 0-255, without leading zeros. */
const OCTET = '(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4_LOOPBACK = new RegExp(`^127\\.${OCTET}\\.${OCTET}\\.${OCTET}$`);

/**
 * Whether a hostname names the loopback interface: `localhost` (any case), an IPv4 address in
 * `127.0.0.0/8` written as a plain dotted quad (`127.0.0.1`), or the IPv6 loopback `::1` / `[::1]`.
 *
 * Pass `URL.hostname`, which is already normalized (`127.1` → `127.0.0.1`, `[0:0::1]` → `[::1]`).
 * Does NOT resolve names: `*.localhost` subdomains, names that merely resolve to 127.0.0.1, and
 * IPv4-mapped IPv6 addresses (`::ffff:127.0.0.1`) are not loopback here. Shorthand or octal/hex IPv4
 * forms (`127.1`, `0x7f.0.0.1`) are not recognized either: only the canonical form is.
 *
 * @example
 * isLoopbackHostname(new URL('http://[::1]:8080/').hostname); // true
 */
export function isLoopbackHostname(hostname: string): boolean {
  if (typeof hostname !== 'string') return false;
  const host = hostname.toLowerCase();
  return host === 'localhost' || host === '::1' || host === '[::1]' || IPV4_LOOPBACK.test(host);
}

function parseUrl(input: string | URL, what: string): URL {
  if (input instanceof URL) return new URL(input.href);
  if (typeof input !== 'string')
    throw invalidArgument(`${what} must be a string or a URL`, 'ERR_INVALID_ARG_TYPE');
  if (!URL.canParse(input)) throw invalidArgument(`${what} must be an absolute URL`);
  return new URL(input);
}

function requireHttpScheme(url: URL, what: string): void {
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw invalidArgument(`${what} must use the https scheme (or http for loopback development)`);
  }
}

function rejectUserinfo(url: URL, what: string): void {
  if (url.username !== '' || url.password !== '') {
    throw invalidArgument(`${what} must not contain a username or password`);
  }
}

/** `/a/b//` → `/a/b`; `/` and `//` → `` (the root). */
function stripTrailingSlashes(pathname: string): string {
  return pathname.replace(/\/+$/, '');
}

/**
 * Returns the canonical URI of an MCP server, for the RFC 8707 `resource` parameter and the token
 * audience (RFC 8707 §2; MCP 2025-06-18 and later, § Resource Parameter Implementation > Canonical
 * Server URI).
 *
 * - Absolute URL; scheme `https`, or `http` only when the host is loopback ({@link isLoopbackHostname}).
 * - Scheme and host lower-cased and the default port dropped (by the WHATWG URL parser).
 * - No fragment, no userinfo, no query: each throws. RFC 8707 §2 says a resource indicator SHOULD
 *   NOT include a query component; Gatehouse makes that a MUST, so the audience of a token never
 *   depends on query parameters.
 * - Trailing slashes of the path are removed (`/mcp/` → `/mcp`), and the root yields no slash at all
 *   (`https://a.example`, not `https://a.example/`), as the MCP examples show.
 *
 * Idempotent: `canonicalResourceUri(canonicalResourceUri(x)) === canonicalResourceUri(x)`.
 * Does NOT normalize percent-encoding or the case of the path (the parser already resolves `.`/`..`
 * segments), and does not check that the server exists.
 *
 * Throws `invalidArgument` (`ERR_INVALID_ARG_VALUE`) naming the problem.
 *
 * @example
 * canonicalResourceUri('HTTPS://MCP.Example.com:443/mcp/'); // 'https://mcp.example.com/mcp'
 */
export function canonicalResourceUri(input: string | URL): string {
  const url = parseUrl(input, 'the resource URI');
  requireHttpScheme(url, 'the resource URI');
  if (url.protocol === 'http:' && !isLoopbackHostname(url.hostname)) {
    throw invalidArgument('the resource URI must use https: http is only allowed for loopback hosts');
  }
  // `href` keeps a bare `#` or `?` even when `hash` / `search` are empty.
  if (url.href.includes('#'))
    throw invalidArgument('the resource URI must not have a fragment (RFC 8707 §2)');
  rejectUserinfo(url, 'the resource URI');
  if (url.href.includes('?')) {
    throw invalidArgument('the resource URI must not have a query component (RFC 8707 §2: SHOULD NOT)');
  }
  return `${url.protocol}//${url.host}${stripTrailingSlashes(url.pathname)}`;
}

/**
 * The Protected Resource Metadata URLs of a resource, in the order a client tries them
 * (RFC 9728 §3.1; MCP 2025-11-25 and later, § Protected Resource Metadata Discovery Requirements):
 *
 * 1. the well-known suffix inserted between the host and the path (and query):
 *    `https://h/mcp` → `https://h/.well-known/oauth-protected-resource/mcp`;
 * 2. the root: `https://h/.well-known/oauth-protected-resource`.
 *
 * A resource without a path (or with only `/`) and without a query has just the root URL.
 *
 * The resource is used as given, as RFC 9728 §3.1 requires: no canonicalization (pass the output of
 * {@link canonicalResourceUri} for that), a trailing slash after a non-empty path is kept, a query is
 * kept, a fragment is dropped. Does NOT enforce https (that is `safe-fetch`'s job), only an
 * `http`/`https` scheme and no userinfo; throws `invalidArgument` otherwise.
 *
 * @example
 * protectedResourceMetadataUrls('https://h/mcp');
 * // ['https://h/.well-known/oauth-protected-resource/mcp', 'https://h/.well-known/oauth-protected-resource']
 */
export function protectedResourceMetadataUrls(resource: string | URL): string[] {
  const url = parseUrl(resource, 'the resource');
  requireHttpScheme(url, 'the resource');
  rejectUserinfo(url, 'the resource');
  const origin = `${url.protocol}//${url.host}`;
  const root = `${origin}${PRM_SUFFIX}`;
  // RFC 9728 §3.1: a terminating "/" following the host is removed before insertion.
  const path = url.pathname === '/' ? '' : url.pathname;
  // A bare `?` is an empty query component, which `search` hides: look at the serialization.
  const query = (url.href.split('#')[0] ?? '').includes('?') ? `?${url.search.slice(1)}` : '';
  if (path === '' && query === '') return [root];
  return [`${root}${path}${query}`, root];
}

/**
 * The Protected Resource Metadata URL a resource server advertises in the `resource_metadata`
 * parameter of its challenges (RFC 9728 §5.1): the first of {@link protectedResourceMetadataUrls}.
 *
 * @example
 * protectedResourceMetadataUrl('https://h/mcp'); // 'https://h/.well-known/oauth-protected-resource/mcp'
 */
export function protectedResourceMetadataUrl(resource: string | URL): string {
  return protectedResourceMetadataUrls(resource)[0]!;
}

/** One candidate location of authorization server metadata. */
export interface AuthorizationServerMetadataUrl {
  readonly url: string;
  /** `oauth`: RFC 8414 metadata; `oidc`: OpenID Connect Discovery 1.0 metadata. */
  readonly kind: 'oauth' | 'oidc';
}

/**
 * The URLs of an authorization server's metadata, in the order MCP 2025-11-25 and 2026-07-28
 * require clients to try them (§ Authorization Server Metadata Discovery):
 *
 * Issuer with a path (`https://h/tenant1`):
 * 1. `https://h/.well-known/oauth-authorization-server/tenant1` (RFC 8414 §3.1, path insertion)
 * 2. `https://h/.well-known/openid-configuration/tenant1` (OIDC, path insertion)
 * 3. `https://h/tenant1/.well-known/openid-configuration` (OIDC Discovery §4, path appending)
 *
 * Issuer without a path (`https://h`): `https://h/.well-known/oauth-authorization-server`, then
 * `https://h/.well-known/openid-configuration`.
 *
 * Terminating slashes of the issuer's path are removed first (RFC 8414 §3.1, OIDC Discovery §4), so
 * `https://h/tenant1/` gives the same URLs as `https://h/tenant1`. The port is kept.
 *
 * Throws `invalidArgument` for an issuer that is not an absolute `http`/`https` URL or that has a
 * query, a fragment (RFC 8414 §2) or userinfo. Does NOT enforce https (`safe-fetch`'s job), and does
 * NOT check the fetched document: the caller must compare its `issuer` with the issuer exactly as given here
 * (RFC 8414 §3.3), e.g. with `validateAuthorizationServerMetadata`.
 *
 * The 2025-03-26 revision's rule (origin root only, MCP URL path dropped) is not this function: use
 * `new URL('/.well-known/oauth-authorization-server', mcpUrl)` for that legacy case.
 *
 * @example
 * authorizationServerMetadataUrls('https://auth.example.com/tenant1').map((c) => c.url);
 */
export function authorizationServerMetadataUrls(issuer: string | URL): AuthorizationServerMetadataUrl[] {
  const url = parseUrl(issuer, 'the issuer');
  requireHttpScheme(url, 'the issuer');
  if (url.href.includes('#')) throw invalidArgument('the issuer must not have a fragment (RFC 8414 §2)');
  if (url.href.includes('?'))
    throw invalidArgument('the issuer must not have a query component (RFC 8414 §2)');
  rejectUserinfo(url, 'the issuer');
  const origin = `${url.protocol}//${url.host}`;
  const path = stripTrailingSlashes(url.pathname);
  if (path === '') {
    return [
      { url: `${origin}${OAUTH_AS_SUFFIX}`, kind: 'oauth' },
      { url: `${origin}${OIDC_SUFFIX}`, kind: 'oidc' },
    ];
  }
  return [
    { url: `${origin}${OAUTH_AS_SUFFIX}${path}`, kind: 'oauth' },
    { url: `${origin}${OIDC_SUFFIX}${path}`, kind: 'oidc' },
    { url: `${origin}${path}${OIDC_SUFFIX}`, kind: 'oidc' },
  ];
}
