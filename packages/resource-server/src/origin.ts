/**
 * `Origin` and `Host` checks against DNS rebinding.
 *
 * MCP transports § Streamable HTTP > Security Warning (2025-03-26 post-release, 2025-06-18,
 * 2025-11-25; 2026-07-28 § Security & Endpoint): servers MUST validate `Origin` on all incoming
 * connections, and answer 403 when it is present and invalid (2025-11-25+), optionally with a
 * JSON-RPC error body without `id`. The spec leaves "valid" to the implementation (requirements
 * §9.1); Gatehouse decides:
 *
 * - `Origin` absent: allowed (non-browser clients do not send it; a browser always does on a POST).
 * - `Origin: null` (sandboxed frames, `file:` pages, some redirects), a list of origins, or an
 *   unparsable value: refused.
 * - Otherwise allowed only when it matches `allowedOrigins` or the resource's own origin.
 * - `Host`: when the resource itself is on a loopback host, only loopback `Host` values are accepted
 *   by default. This is the DNS-rebinding defence for local servers: a page on `http://evil.example`
 *   that re-points its name at 127.0.0.1 still sends `Host: evil.example`.
 *
 * Does NOT implement CORS (no `Access-Control-*` headers on the MCP endpoint) and does NOT
 * authenticate anyone: a request that passes still needs a valid token.
 */
import { invalidArgument, isLoopbackHostname } from '@gatehouse/core';
import { publish } from './diagnostics.js';

/** Options of {@link createOriginCheck}. */
export interface OriginOptions {
  /**
   * Browser origins allowed to call the endpoint, each `scheme://host[:port]` exactly as a browser
   * sends it (e.g. `https://app.example`), or with `:*` for any port (`http://localhost:*`).
   * The resource's own origin is always allowed.
   * Default {@link DEFAULT_ALLOWED_ORIGINS}: loopback origins on any port.
   */
  allowedOrigins?: readonly string[];
  /**
   * Accepted `Host` header values: `hostname` (any port) or `hostname:port`; IPv6 in brackets.
   * Default: loopback hostnames (`localhost`, `127.0.0.1`, `[::1]`, …) when the resource's own host
   * is loopback; no `Host` check otherwise (a public server behind a proxy sees many host names).
   */
  allowedHosts?: readonly string[];
}

/** The default `allowedOrigins`: web pages served from this machine, on any port, over http or https. */
export const DEFAULT_ALLOWED_ORIGINS: readonly string[] = Object.freeze([
  'http://localhost:*',
  'http://127.0.0.1:*',
  'http://[::1]:*',
  'https://localhost:*',
  'https://127.0.0.1:*',
  'https://[::1]:*',
]);

/** Checks one request; returns the 403 to answer, or `undefined` when the request may proceed. */
export type OriginCheck = (request: Request) => Response | undefined;

interface OriginMatcher {
  exact: Set<string>;
  anyPort: Set<string>; // `${protocol}//${hostname}`
}

interface HostMatcher {
  exact: Set<string>; // host:port
  anyPort: Set<string>; // hostname
  loopback: boolean;
}

const SCHEME_ORIGIN = /^[a-z][a-z0-9+.-]*:\/\/[^/?#\s@]+$/;

function isWebScheme(protocol: string): boolean {
  return protocol === 'http:' || protocol === 'https:';
}

/** Strips IPv6 brackets before asking core, which may or may not expect them. */
function isLoopback(hostname: string): boolean {
  const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  return isLoopbackHostname(bare) || isLoopbackHostname(hostname);
}

function addOriginPattern(matcher: OriginMatcher, entry: unknown, name: string): void {
  if (typeof entry !== 'string' || entry === '') {
    throw invalidArgument(
      `"${name}" must be a non-empty origin string such as "https://app.example"`,
      'ERR_INVALID_ARG_TYPE',
    );
  }
  if (entry === '*' || entry === 'null') {
    throw invalidArgument(
      `"${name}" must name an origin: "${entry}" would let any page (or sandboxed frames) reach the server, which is what the Origin check prevents`,
    );
  }
  const anyPort = entry.endsWith(':*');
  const text = anyPort ? entry.slice(0, -2) : entry;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalidArgument(`"${name}" is not an origin: use scheme://host[:port], e.g. "https://app.example"`);
  }
  if (isWebScheme(url.protocol)) {
    // `URL` accepts a trailing slash; an origin has none, and anything else (path, query,
    // credentials) means the entry is not an origin.
    if (
      url.origin !== text.toLowerCase().replace(/\/$/, '') ||
      text.endsWith('/') ||
      url.username ||
      url.password
    ) {
      throw invalidArgument(
        `"${name}" must be an origin (scheme://host[:port], no path, no trailing slash), e.g. "${url.origin}"`,
      );
    }
    if (anyPort) {
      if (url.port !== '') throw invalidArgument(`"${name}" gives both a port and ":*"`);
      matcher.anyPort.add(`${url.protocol}//${url.hostname}`);
    } else {
      matcher.exact.add(url.origin);
    }
    return;
  }
  // Non-web schemes (e.g. chrome-extension://id) have opaque origins in WHATWG URL terms:
  // compare the string the browser sends, case-insensitively.
  if (anyPort || !SCHEME_ORIGIN.test(entry.toLowerCase())) {
    throw invalidArgument(
      `"${name}" must be scheme://host without path or port wildcard for non-http schemes`,
    );
  }
  matcher.exact.add(entry.toLowerCase());
}

function parseHostValue(value: string): { hostname: string; host: string } | undefined {
  if (value === '' || /[\s/?#@\\]/.test(value)) return undefined;
  try {
    const url = new URL(`http://${value}`);
    return { hostname: url.hostname, host: url.port === '' ? url.hostname : `${url.hostname}:${url.port}` };
  } catch {
    return undefined;
  }
}

function buildHostMatcher(
  resourceUrl: URL,
  allowedHosts: readonly string[] | undefined,
): HostMatcher | undefined {
  if (allowedHosts === undefined) {
    return isLoopback(resourceUrl.hostname)
      ? { exact: new Set(), anyPort: new Set(), loopback: true }
      : undefined;
  }
  if (!Array.isArray(allowedHosts)) {
    throw invalidArgument('"origin.allowedHosts" must be an array of host names', 'ERR_INVALID_ARG_TYPE');
  }
  const matcher: HostMatcher = { exact: new Set(), anyPort: new Set(), loopback: false };
  for (const [index, entry] of allowedHosts.entries()) {
    const name = `origin.allowedHosts[${index}]`;
    if (typeof entry !== 'string')
      throw invalidArgument(`"${name}" must be a string`, 'ERR_INVALID_ARG_TYPE');
    const parsed = parseHostValue(entry);
    if (parsed === undefined) {
      throw invalidArgument(
        `"${name}" must be "hostname" or "hostname:port" (IPv6 in brackets), e.g. "mcp.example.com"`,
      );
    }
    if (parsed.host === parsed.hostname && !/:\d+$/.test(entry)) matcher.anyPort.add(parsed.hostname);
    else matcher.exact.add(parsed.host);
  }
  return matcher;
}

function forbidden(message: string, reason: string): Response {
  publish({ type: 'rejected', status: 403, error: 'forbidden', reason });
  return new Response(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }), {
    status: 403,
    headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' },
  });
}

function originAllowed(value: string, matcher: OriginMatcher): boolean {
  if (value === 'null' || value.includes(' ') || value.includes(',')) return false;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (isWebScheme(url.protocol)) {
    // The header must itself be a serialised origin: no path, no credentials.
    if (url.origin !== value.toLowerCase()) return false;
    return matcher.exact.has(url.origin) || matcher.anyPort.has(`${url.protocol}//${url.hostname}`);
  }
  return matcher.exact.has(value.toLowerCase());
}

function hostAllowed(request: Request, matcher: HostMatcher): boolean {
  const header = request.headers.get('host') ?? new URL(request.url).host;
  const parsed = parseHostValue(header);
  if (parsed === undefined) return false;
  if (matcher.loopback) return isLoopback(parsed.hostname);
  return matcher.anyPort.has(parsed.hostname) || matcher.exact.has(parsed.host);
}

/**
 * Creates the `Origin` / `Host` check for the resource at `resource` (its canonical URL, whose
 * origin is always allowed and whose host decides the `Host` default). Options are validated here.
 *
 * @throws TypeError (`ERR_INVALID_ARG_…`) naming the bad option.
 * @example
 * const check = createOriginCheck('http://127.0.0.1:8080/mcp', { allowedOrigins: ['https://app.example'] });
 * const refused = check(request); // Response (403) or undefined
 */
export function createOriginCheck(resource: string | URL, options: OriginOptions = {}): OriginCheck {
  const resourceUrl = new URL(resource);
  if (typeof options !== 'object' || options === null) {
    throw invalidArgument(
      '"origin" must be an object { allowedOrigins?, allowedHosts? }',
      'ERR_INVALID_ARG_TYPE',
    );
  }
  const origins: OriginMatcher = { exact: new Set([resourceUrl.origin]), anyPort: new Set() };
  const allowedOrigins = options.allowedOrigins ?? DEFAULT_ALLOWED_ORIGINS;
  if (!Array.isArray(allowedOrigins)) {
    throw invalidArgument('"origin.allowedOrigins" must be an array of origins', 'ERR_INVALID_ARG_TYPE');
  }
  for (const [index, entry] of allowedOrigins.entries()) {
    addOriginPattern(origins, entry, `origin.allowedOrigins[${index}]`);
  }
  const hosts = buildHostMatcher(resourceUrl, options.allowedHosts);

  return (request) => {
    if (hosts !== undefined && !hostAllowed(request, hosts)) {
      return forbidden('Forbidden: the Host header is not allowed for this server', 'host');
    }
    const origin = request.headers.get('origin');
    if (origin !== null && !originAllowed(origin, origins)) {
      return forbidden('Forbidden: the Origin header is not allowed for this server', 'origin');
    }
    return undefined;
  };
}
