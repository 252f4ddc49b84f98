/**
 * CORS for the MCP endpoint, for browser-based MCP clients whose `Origin` the `Origin` check
 * already allowed (Fetch standard § CORS protocol). Without it a page on `http://localhost:5173`
 * could pass the `Origin` check but never read the answer, not even the 401 challenge.
 *
 * - Preflight (`OPTIONS` with `Access-Control-Request-Method`): 204, no authentication (browsers
 *   never send credentials on a preflight).
 * - Actual responses: `Access-Control-Allow-Origin: <that origin>`, `Vary: Origin`, and the MCP
 *   and OAuth headers exposed to scripts (`WWW-Authenticate` is how the client discovers the
 *   authorization server).
 *
 * Does NOT decide which origins are allowed (that is `origin.ts`), and never answers `*` or
 * `Access-Control-Allow-Credentials`: Gatehouse authenticates with bearer tokens, not cookies.
 */

/** Request headers a browser MCP client may send (MCP Streamable HTTP, all revisions, plus `Mcp-Param-*`). */
const ALLOWED_REQUEST_HEADERS: ReadonlySet<string> = new Set([
  'authorization',
  'content-type',
  'accept',
  'last-event-id',
  'mcp-protocol-version',
  'mcp-session-id',
  'mcp-method',
  'mcp-name',
]);

/** Response headers exposed to scripts. */
const EXPOSED_HEADERS = 'WWW-Authenticate, Mcp-Session-Id, MCP-Protocol-Version, Retry-After';

const ALLOWED_METHODS = 'GET, POST, DELETE, OPTIONS';

/** Whether `request` is a CORS preflight. */
export function isPreflight(request: Request): boolean {
  return (
    request.method === 'OPTIONS' &&
    request.headers.has('origin') &&
    request.headers.has('access-control-request-method')
  );
}

/**
 * The 204 answer to a preflight from an allowed `origin`. Requested headers are echoed only when
 * each is an MCP/OAuth header (or `Mcp-Param-*`); anything else is left out, and the browser then
 * refuses the actual request.
 */
export function preflightResponse(request: Request, origin: string): Response {
  const requested = (request.headers.get('access-control-request-headers') ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter(
      (name) => name !== '' && (ALLOWED_REQUEST_HEADERS.has(name) || /^mcp-param-[a-z0-9-]+$/.test(name)),
    );
  return new Response(null, {
    status: 204,
    headers: {
      'Access-Control-Allow-Origin': origin,
      'Access-Control-Allow-Methods': ALLOWED_METHODS,
      'Access-Control-Allow-Headers': requested.join(', '),
      'Access-Control-Max-Age': '600',
      Vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
    },
  });
}

/**
 * `response` with the CORS headers for an allowed `origin` added (a copy when its headers are
 * immutable). The body is passed through untouched, so streams keep streaming.
 */
export function withCorsHeaders(response: Response, origin: string): Response {
  const copy = new Response(response.body, response);
  copy.headers.set('Access-Control-Allow-Origin', origin);
  copy.headers.set('Access-Control-Expose-Headers', EXPOSED_HEADERS);
  copy.headers.append('Vary', 'Origin');
  return copy;
}
