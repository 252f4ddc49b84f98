/**
 * `safeFetch`: the outbound fetch for URLs that a peer chose (Protected Resource Metadata, RFC 8414
 * authorization server metadata, Client ID Metadata Documents, JWKS, introspection endpoints).
 * It applies the SSRF policy of DESIGN.md § Security baseline:
 *
 * - `https:` only; plain `http:` only to a loopback host, and only with `allowLoopback: true`.
 *   URLs with userinfo (`https://user:pass@host/`) are refused outright.
 * - The destination address is checked AFTER name resolution, and the connection goes to the
 *   address that was checked (see `safe-fetch/dispatcher.ts`). Loopback, private, CGNAT,
 *   link-local / cloud metadata, multicast, broadcast, documentation and reserved addresses are
 *   refused, including their IPv4-mapped, NAT64 and 6to4 IPv6 forms (see `isForbiddenAddress`).
 * - Redirects are never followed: a 301/302/303/307/308 answer is an error, not a response, so a
 *   caller cannot follow it by accident (MCP 2025-11-25 § Security Considerations, SSRF).
 * - The whole exchange, body included, has a time limit; the body has a size limit.
 *
 * Errors: a policy refusal (before any connection, or on redirect) is a `ProtocolError` with code
 * `ERR_FETCH_REFUSED` whose message names the option that would widen the policy, if any;
 * `ERR_FETCH_TIMEOUT`, `ERR_RESPONSE_TOO_LARGE`, `ERR_FETCH_FAILED` (network; `cause` set) and
 * `ERR_INVALID_RESPONSE` (unusable status) complete the list. A caller's `signal` rejects with its
 * own `reason`, as `fetch` does. Messages carry scheme, host and path, never a query, fragment or
 * credentials. Misuse (bad option types) throws a `TypeError` with an `ERR_INVALID_ARG_…` code.
 *
 * NOT done: proxies (HTTP(S)_PROXY is not used), port restrictions, response content checks
 * (status, media type, JSON: the caller's job), cookies, caching.
 */
import { type Agent, fetch as undiciFetch } from 'undici';
import { invalidArgument, ProtocolError } from './errors.js';
import { checkUrl, describeUrl } from './safe-fetch/check-url.js';
import { createCheckedAgent, type ResolveHost } from './safe-fetch/dispatcher.js';
import { resolveSafeFetchPolicy, type SafeFetchPolicy } from './safe-fetch/policy.js';
import { readResponse } from './safe-fetch/read-response.js';

export type { ResolvedAddress, ResolveHost } from './safe-fetch/dispatcher.js';
export { type AddressPolicy, isForbiddenAddress } from './safe-fetch/ip-ranges.js';
export { DEFAULT_SAFE_FETCH_POLICY, type SafeFetchPolicy } from './safe-fetch/policy.js';

/**
 * The request options of {@link safeFetch}. Shaped like a subset of `RequestInit`, so a
 * {@link createSafeFetch} function can stand in for `fetch` (e.g. jose's `customFetch`). Other
 * `RequestInit` members are ignored; in particular a `dispatcher` cannot replace the checked one.
 */
export interface SafeFetchInit {
  /** Default `'GET'`. */
  method?: 'GET' | 'POST';
  headers?: HeadersInit;
  /** Only with `POST`. A `URLSearchParams` body is sent as `application/x-www-form-urlencoded`. */
  body?: string | URLSearchParams | null;
  /** Aborting it rejects with `signal.reason`, as `fetch` does. */
  signal?: AbortSignal | null;
  /** Accepted for `fetch` compatibility and ignored: redirects are never followed. */
  redirect?: RequestRedirect;
  /** Widen or tighten the defaults ({@link DEFAULT_SAFE_FETCH_POLICY}). */
  policy?: SafeFetchPolicy;
}

/** The request options of a {@link createSafeFetch} function: the policy is fixed at creation. */
export type SafeFetchRequestInit = Omit<SafeFetchInit, 'policy'>;

/** A `fetch`-compatible function bound to one policy and one connection pool; see {@link createSafeFetch}. */
export interface SafeFetch {
  (url: string | URL, init?: SafeFetchRequestInit): Promise<Response>;
  /** Closes the connection pool once requests in flight are done. Later calls fail with `ERR_FETCH_FAILED`. */
  close(): Promise<void>;
}

/**
 * @internal Test seam, not part of the documented API: replaces name resolution so tests can make
 * a name resolve to any address without a DNS query.
 */
export interface SafeFetchInternals {
  lookup?: ResolveHost;
}

type ResolvedPolicy = Readonly<Required<SafeFetchPolicy>>;

interface RequestParts {
  method: 'GET' | 'POST';
  headers: [string, string][];
  body: string | URLSearchParams | undefined;
  signal: AbortSignal | undefined;
}

function readInit(init: unknown): RequestParts {
  if (init === undefined || init === null) {
    return { method: 'GET', headers: [], body: undefined, signal: undefined };
  }
  if (typeof init !== 'object') {
    throw invalidArgument('safeFetch "init" must be an object', 'ERR_INVALID_ARG_TYPE');
  }
  const { method = 'GET', headers, body, signal } = init as Record<string, unknown>;
  if (method !== 'GET' && method !== 'POST') {
    throw invalidArgument('safeFetch "method" must be "GET" or "POST"');
  }
  if (body !== undefined && body !== null && typeof body !== 'string' && !(body instanceof URLSearchParams)) {
    throw invalidArgument('safeFetch "body" must be a string or URLSearchParams', 'ERR_INVALID_ARG_TYPE');
  }
  if (method === 'GET' && body !== undefined && body !== null) {
    throw invalidArgument('safeFetch "body" is only allowed with method "POST"');
  }
  if (signal !== undefined && signal !== null && !(signal instanceof AbortSignal)) {
    throw invalidArgument('safeFetch "signal" must be an AbortSignal', 'ERR_INVALID_ARG_TYPE');
  }
  let headerList: [string, string][];
  try {
    headerList = [...new Headers(headers as HeadersInit | undefined)];
  } catch {
    throw invalidArgument('safeFetch "headers" is not a valid HeadersInit', 'ERR_INVALID_ARG_TYPE');
  }
  return { method, headers: headerList, body: body ?? undefined, signal: signal ?? undefined };
}

/** Walks the `cause` chain (bounded) and returns the first value `pick` accepts. */
function inCauses<T>(error: unknown, pick: (value: object) => T | undefined): T | undefined {
  let current = error;
  for (let depth = 0; depth < 8 && typeof current === 'object' && current !== null; depth++) {
    const picked = pick(current);
    if (picked !== undefined) return picked;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** A short, safe reason for a network failure: the first error `code` in the chain, e.g. `ECONNREFUSED`. */
function failureReason(error: unknown): string {
  const code = inCauses(error, (value) => {
    const candidate = (value as { code?: unknown }).code;
    return typeof candidate === 'string' && /^[A-Z][A-Z0-9_]{1,39}$/.test(candidate) ? candidate : undefined;
  });
  return code ?? 'network error';
}

async function fetchWithPolicy(
  input: unknown,
  init: unknown,
  policy: ResolvedPolicy,
  agent: Agent,
): Promise<Response> {
  const request = readInit(init);
  request.signal?.throwIfAborted();
  const url = checkUrl(input, policy);

  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), policy.timeoutMs);
  const signal = request.signal ? AbortSignal.any([request.signal, deadline.signal]) : deadline.signal;
  try {
    const response = await undiciFetch(url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      redirect: 'manual',
      signal,
      dispatcher: agent,
    });
    return await readResponse(response, url, policy.maxResponseBytes);
  } catch (error) {
    if (request.signal?.aborted) throw request.signal.reason;
    if (deadline.signal.aborted) {
      throw new ProtocolError(
        'ERR_FETCH_TIMEOUT',
        `${describeUrl(url)} did not answer in full within ${policy.timeoutMs} ms (safeFetch policy "timeoutMs")`,
        {
          attribute: 'timeoutMs',
          expected: `a complete response within ${policy.timeoutMs} ms`,
          cause: error,
        },
      );
    }
    // Refusals raised inside undici (by the checked lookup or connector) arrive as a cause.
    const own = inCauses(error, (value) => (value instanceof ProtocolError ? value : undefined));
    if (own !== undefined) throw own;
    const reason = failureReason(error);
    throw new ProtocolError('ERR_FETCH_FAILED', `safeFetch could not fetch ${describeUrl(url)}: ${reason}`, {
      cause: error,
    });
  } finally {
    clearTimeout(timer);
  }
}

/** One Agent per address policy for {@link safeFetch}, so pooled connections never cross policies. */
const sharedAgents = new Map<string, Agent>();

function sharedAgent(policy: ResolvedPolicy): Agent {
  const key = `${policy.allowLoopback}/${policy.dangerouslyAllowPrivateNetworks}`;
  let agent = sharedAgents.get(key);
  if (agent === undefined) {
    agent = createCheckedAgent(policy);
    sharedAgents.set(key, agent);
  }
  return agent;
}

/**
 * Fetches a URL that a peer chose, under the SSRF policy described at the top of this module, and
 * returns a web `Response` whose body has been read in full (so `.json()` / `.text()` cannot hang
 * or exceed the limit). Non-2xx statuses other than redirects are returned, not thrown.
 *
 * Implements the outbound-request rules of DESIGN.md § Security baseline and the SSRF advice of
 * MCP 2025-11-25 § Security Considerations. It does NOT check the status, media type or content of
 * the response. Options are validated on every call; prefer {@link createSafeFetch} for a fixed policy.
 *
 * @example
 * const response = await safeFetch('https://as.example.com/.well-known/oauth-authorization-server');
 * const metadata: unknown = await response.json();
 *
 * @throws {ProtocolError} `ERR_FETCH_REFUSED`, `ERR_FETCH_TIMEOUT`, `ERR_RESPONSE_TOO_LARGE`,
 *   `ERR_FETCH_FAILED`, `ERR_INVALID_RESPONSE`; the caller's `signal.reason` when it aborts.
 */
export async function safeFetch(url: string | URL, init?: SafeFetchInit): Promise<Response> {
  if (init !== undefined && (typeof init !== 'object' || init === null)) {
    throw invalidArgument('safeFetch "init" must be an object', 'ERR_INVALID_ARG_TYPE');
  }
  const { policy, ...rest } = init ?? {};
  const resolved = resolveSafeFetchPolicy(policy);
  return fetchWithPolicy(url, rest, resolved, sharedAgent(resolved));
}

/**
 * Creates a {@link safeFetch} bound to `policy`, validated now (a bad option throws a `TypeError`
 * with an `ERR_INVALID_ARG_…` code), with its own connection pool. The result is `fetch`-compatible
 * for GET/POST: it accepts a `RequestInit`-like object and ignores `redirect`, so it can be given to
 * jose's `createRemoteJWKSet(url, { [customFetch]: createSafeFetch(policy) })`.
 *
 * @example
 * const fetchPeer = createSafeFetch({ timeoutMs: 2000 });
 * const jwks = createRemoteJWKSet(new URL(jwksUri), { [customFetch]: fetchPeer });
 */
export function createSafeFetch(policy: SafeFetchPolicy, internals: SafeFetchInternals = {}): SafeFetch {
  const resolved = resolveSafeFetchPolicy(policy);
  if (internals.lookup !== undefined && typeof internals.lookup !== 'function') {
    throw invalidArgument('createSafeFetch internals "lookup" must be a function', 'ERR_INVALID_ARG_TYPE');
  }
  const agent = createCheckedAgent(resolved, internals.lookup);
  const fetchWithAgent = async (url: string | URL, init?: SafeFetchRequestInit): Promise<Response> => {
    if (typeof init === 'object' && init !== null && 'policy' in init) {
      throw invalidArgument('the policy of a createSafeFetch function is fixed at creation: remove "policy"');
    }
    return fetchWithPolicy(url, init, resolved, agent);
  };
  return Object.assign(fetchWithAgent, { close: () => agent.close() });
}
