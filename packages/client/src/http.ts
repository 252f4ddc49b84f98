/**
 * The HTTP plumbing shared by the client's request functions: an injectable `fetch`, the default
 * (core's `safeFetch` with a policy), the `MCP-Protocol-Version` header, and small helpers that turn
 * network failures and unusable bodies into `ProtocolError`s naming the URL tried.
 *
 * Every URL the client fetches during discovery and registration was chosen by a peer (the MCP
 * server's challenge, its Protected Resource Metadata, the authorization server's metadata), so the
 * default fetch is `safeFetch` (DESIGN.md § Security baseline): https only (http only to loopback
 * with `allowLoopback`), no private addresses, no redirects, size and time limits.
 */
import {
  invalidArgument,
  isLoopbackHostname,
  ProtocolError,
  type SafeFetchPolicy,
  safeFetch,
} from '@gatehouse/core';

/** What the client passes to a {@link ClientFetch}: a subset of `RequestInit`. */
export interface ClientRequestInit {
  readonly method: 'GET' | 'POST';
  readonly headers: Record<string, string>;
  readonly body?: string;
  readonly signal?: AbortSignal;
  /** Always `'manual'`: the client never follows a redirect (a 3xx is an unusable answer). */
  readonly redirect: 'manual';
}

/**
 * A `fetch`-compatible function. The global `fetch`, a `createSafeFetch(policy)` function and test
 * doubles returning canned `Response`s all fit. Must resolve with the response (any status) or
 * reject on a network failure.
 */
export type ClientFetch = (url: string, init: ClientRequestInit) => Promise<Response>;

/** HTTP options shared by every request function of the client. Each default is stated on its field. */
export interface ClientHttpOptions {
  /**
   * The fetch to use. Default: core's `safeFetch` with {@link policy}. A custom fetch replaces the
   * SSRF protections of `safeFetch`: pass `createSafeFetch(policy)` unless you have your own.
   */
  readonly fetch?: ClientFetch;
  /**
   * The `safeFetch` policy of the default fetch, e.g. `{ allowLoopback: true }` for a development
   * server on 127.0.0.1. Default: `DEFAULT_SAFE_FETCH_POLICY` (https only, public addresses only).
   * Not allowed together with {@link fetch} (it would be ignored).
   */
  readonly policy?: SafeFetchPolicy;
  /** Aborting it rejects the pending request with `signal.reason`. Default: none. */
  readonly signal?: AbortSignal;
}

/** {@link ClientHttpOptions} plus the MCP protocol version header sent during discovery. */
export interface DiscoveryHttpOptions extends ClientHttpOptions {
  /**
   * Sent as `MCP-Protocol-Version` on every discovery request (MCP 2025-03-26 § Server Metadata
   * Discovery: SHOULD; harmless for later revisions), e.g. `'2025-11-25'`. Default: not sent.
   */
  readonly protocolVersion?: string;
}

/** A header value the client may send: visible ASCII, no spaces, at most 64 characters. */
const HEADER_TOKEN = /^[\x21-\x7e]{1,64}$/;

/**
 * Checks the HTTP options (misuse → `TypeError` with an `ERR_INVALID_ARG_…` code) and returns the
 * fetch to use.
 */
export function resolveFetch(options: ClientHttpOptions | undefined): ClientFetch {
  if (options === undefined) return defaultFetch(undefined);
  if (typeof options !== 'object' || options === null) {
    throw invalidArgument('the options must be an object', 'ERR_INVALID_ARG_TYPE');
  }
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    throw invalidArgument('"signal" must be an AbortSignal', 'ERR_INVALID_ARG_TYPE');
  }
  if (options.fetch !== undefined) {
    if (typeof options.fetch !== 'function') {
      throw invalidArgument('"fetch" must be a function', 'ERR_INVALID_ARG_TYPE');
    }
    if (options.policy !== undefined) {
      throw invalidArgument(
        '"policy" applies to the default safeFetch only: pass either "fetch" or "policy", not both',
      );
    }
    return options.fetch;
  }
  return defaultFetch(options.policy);
}

function defaultFetch(policy: SafeFetchPolicy | undefined): ClientFetch {
  return (url, init) =>
    safeFetch(url, {
      method: init.method,
      headers: init.headers,
      ...(init.body === undefined ? {} : { body: init.body }),
      ...(init.signal === undefined ? {} : { signal: init.signal }),
      ...(policy === undefined ? {} : { policy }),
    });
}

/** The request headers of a discovery request: `Accept` and, when given, `MCP-Protocol-Version`. */
export function discoveryHeaders(options: DiscoveryHttpOptions | undefined): Record<string, string> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const version = options?.protocolVersion;
  if (version !== undefined) {
    if (typeof version !== 'string' || !HEADER_TOKEN.test(version)) {
      throw invalidArgument('"protocolVersion" must be an MCP protocol version such as "2025-11-25"');
    }
    headers['mcp-protocol-version'] = version;
  }
  return headers;
}

/**
 * Whether the client may send credentials to `url`, or send a user there: https, or http on loopback
 * (development), and no userinfo.
 */
export function isSecureUrl(url: URL | null): url is URL {
  return (
    url !== null &&
    (url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHostname(url.hostname))) &&
    url.username === '' &&
    url.password === ''
  );
}

const MAX_PATH_IN_MESSAGES = 80;

/** Scheme, host and path of a URL, for messages: never userinfo, query or fragment. */
export function describeUrl(url: string): string {
  const parsed = URL.parse(url);
  if (parsed === null) return '(an invalid URL)';
  const { pathname } = parsed;
  const path =
    pathname.length > MAX_PATH_IN_MESSAGES ? `${pathname.slice(0, MAX_PATH_IN_MESSAGES)}…` : pathname;
  return `${parsed.protocol}//${parsed.host}${path}`;
}

/** A caller-misuse `TypeError` (e.g. a bad `safeFetch` policy option): passed through, never wrapped. */
function isMisuse(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return error instanceof TypeError && typeof code === 'string' && code.startsWith('ERR_');
}

/**
 * Throws a `TypeError` (`ERR_INVALID_ARG_VALUE`) naming the first key of `options` that is not in
 * `known`: a misspelt option is an error, not silently ignored (STYLE.md 6).
 */
export function rejectUnknownOptions(options: object, known: ReadonlySet<string>, where: string): void {
  for (const key of Object.keys(options)) {
    if (!known.has(key)) {
      throw invalidArgument(
        `unknown option ${JSON.stringify(key)} for ${where}; known: ${[...known].join(', ')}`,
      );
    }
  }
}

/** The option names of {@link DiscoveryHttpOptions}. */
export const DISCOVERY_HTTP_OPTIONS: readonly string[] = ['fetch', 'policy', 'signal', 'protocolVersion'];

/** The first `code` in a `cause` chain that looks like a system error code (`ECONNREFUSED`). */
function systemCode(error: unknown): string | undefined {
  let current = error;
  for (let depth = 0; depth < 8 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z0-9_]{2,39}$/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Sends one request through `fetchFn`. A rejection becomes a `ProtocolError` naming `what` and the
 * URL (scheme, host, path): `safeFetch`'s own codes are kept (`ERR_FETCH_REFUSED`,
 * `ERR_FETCH_TIMEOUT`, …), anything else is `ERR_FETCH_FAILED` with the system error code when one
 * exists. An abort through `signal` rejects with `signal.reason`, untouched.
 */
export async function send(
  fetchFn: ClientFetch,
  url: string,
  init: Omit<ClientRequestInit, 'redirect' | 'signal'>,
  what: string,
  signal: AbortSignal | undefined,
): Promise<Response> {
  signal?.throwIfAborted();
  try {
    const response = await fetchFn(url, {
      ...init,
      redirect: 'manual',
      ...(signal === undefined ? {} : { signal }),
    });
    if (response instanceof Response) requestUrls.set(response, url);
    return response;
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    if (isMisuse(error)) throw error;
    const where = describeUrl(url);
    if (error instanceof ProtocolError) {
      throw new ProtocolError(error.code, `could not fetch the ${what} at ${where}: ${error.message}`, {
        attribute: error.attribute,
        expected: error.expected,
        actual: error.actual,
        cause: error,
      });
    }
    const reason = systemCode(error) ?? 'network error';
    throw new ProtocolError('ERR_FETCH_FAILED', `could not fetch the ${what} at ${where}: ${reason}`, {
      cause: error,
    });
  }
}

/** The URL each response of {@link send} was requested from, for messages. */
const requestUrls = new WeakMap<Response, string>();

/** Whether a status means "not here" for metadata discovery: any 4xx. */
export function isClientErrorStatus(status: number): boolean {
  return status >= 400 && status < 500;
}

/** Releases the body of a response that is not used. */
export async function discard(response: Response): Promise<void> {
  if (!response.bodyUsed) await response.body?.cancel().catch(() => {});
}

/**
 * ` at <scheme://host/path>` for messages about a response: its `url`, or the URL {@link send}
 * requested (a `Response` rebuilt by `safeFetch` or made by a test has an empty `url`), else nothing.
 */
export function at(response: Response): string {
  const url = response.url === '' ? requestUrls.get(response) : response.url;
  return url === undefined ? '' : ` at ${describeUrl(url)}`;
}

/**
 * Reads a JSON body. Throws `ProtocolError` `ERR_INVALID_RESPONSE` naming `what` when the body is
 * not JSON. Does NOT check `Content-Type` (servers commonly mislabel JSON).
 */
export async function readJson(response: Response, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await response.text();
  } catch (cause) {
    throw new ProtocolError('ERR_INVALID_RESPONSE', `the ${what}${at(response)} could not be read`, {
      cause,
    });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ProtocolError('ERR_INVALID_RESPONSE', `the ${what}${at(response)} is not JSON`, {
      expected: 'a JSON body',
      actual: 'not JSON',
    });
  }
}

/**
 * The error for a response whose status cannot be used (a 3xx, which is never followed, a 5xx, or
 * any other status the step does not accept).
 */
export function unexpectedStatus(what: string, response: Response, expected: string): ProtocolError {
  return new ProtocolError(
    'ERR_INVALID_RESPONSE',
    `the ${what}${at(response)} answered HTTP ${response.status}, expected ${expected}`,
    { attribute: 'status', expected, actual: response.status },
  );
}
