/**
 * Discovery of the upstream OpenID Connect provider (OpenID Connect Discovery 1.0 §4, then RFC 8414
 * §3 with path insertion), through `safeFetch`, with oauth4webapi's request / process pair, and a
 * small cache so that a sign-in does not fetch the metadata every time.
 */
import { createSafeFetch, isLoopbackHostname, type SafeFetch } from '@gatehouse/core';
import * as oauth from 'oauth4webapi';
import { classifyUpstreamError, UpstreamSignInError } from './errors.js';

/** The fetch the upstream requests go through (a `createSafeFetch` function, or a test stub). */
export type UpstreamFetch = (
  url: string,
  init: {
    method: 'GET' | 'POST';
    headers: Record<string, string>;
    body?: URLSearchParams | string | undefined;
    signal?: AbortSignal;
  },
) => Promise<Response>;

/** How oauth4webapi reaches the upstream: `safeFetch` under our policy, and the loopback opt-in. */
export interface UpstreamHttpOptions {
  readonly [oauth.customFetch]: (
    url: string,
    init: oauth.CustomFetchOptions<'GET' | 'POST', unknown>,
  ) => Promise<Response>;
  readonly [oauth.allowInsecureRequests]?: boolean;
}

/**
 * The HTTP options for every upstream request: `safeFetch` (no redirects, size and time limits,
 * private addresses refused; loopback only with `allowLoopback`), and oauth4webapi's http opt-in
 * only together with it. `fetcher` defaults to a new `createSafeFetch` (close it with the returned
 * `close`).
 */
export function createUpstreamHttp(options: {
  readonly allowLoopback: boolean;
  readonly fetcher?: UpstreamFetch;
}): { http: UpstreamHttpOptions; close(): Promise<void> } {
  let pool: SafeFetch | undefined;
  if (options.fetcher === undefined)
    pool = createSafeFetch({ allowLoopback: options.allowLoopback, timeoutMs: 10_000 });
  const fetcher: UpstreamFetch = options.fetcher ?? (pool as SafeFetch);
  const http: UpstreamHttpOptions = {
    [oauth.customFetch]: (url, init) =>
      fetcher(url, {
        method: init.method,
        headers: init.headers,
        body: init.body as URLSearchParams | string | undefined,
        ...(init.signal === undefined ? {} : { signal: init.signal }),
      }),
    ...(options.allowLoopback ? { [oauth.allowInsecureRequests]: true } : {}),
  };
  return { http, close: async () => pool?.close() };
}

function endpoint(metadata: oauth.AuthorizationServer, name: string, allowLoopback: boolean): void {
  const value = metadata[name];
  const url = typeof value === 'string' ? URL.parse(value) : null;
  const ok =
    url !== null &&
    url.username === '' &&
    url.password === '' &&
    (url.protocol === 'https:' ||
      (allowLoopback && url.protocol === 'http:' && isLoopbackHostname(url.hostname)));
  if (!ok) {
    throw new UpstreamSignInError(
      'invalid_response',
      `the upstream metadata "${name}" is missing or not an https URL`,
    );
  }
}

/**
 * Fetches and validates the upstream's metadata: OpenID Connect Discovery first, and on a 404 the
 * RFC 8414 URL. oauth4webapi checks that `issuer` equals the configured issuer (OpenID Connect
 * Discovery 1.0 §4.3, RFC 8414 §3.3); this adds that `authorization_endpoint`, `token_endpoint` and
 * `jwks_uri` are https URLs (http only on loopback with `allowLoopback`).
 *
 * Rejects with an {@link UpstreamSignInError}: `unreachable` (network, time limit, policy) or
 * `invalid_response`. It does NOT cache: see {@link createMetadataCache}.
 */
export async function discoverUpstream(
  issuer: string,
  http: UpstreamHttpOptions,
  allowLoopback: boolean,
): Promise<oauth.AuthorizationServer> {
  const expected = new URL(issuer);
  try {
    let response = await oauth.discoveryRequest(expected, { ...http, algorithm: 'oidc' });
    if (response.status === 404)
      response = await oauth.discoveryRequest(expected, { ...http, algorithm: 'oauth2' });
    const metadata = await oauth.processDiscoveryResponse(expected, response);
    for (const name of ['authorization_endpoint', 'token_endpoint', 'jwks_uri']) {
      endpoint(metadata, name, allowLoopback);
    }
    return metadata;
  } catch (error) {
    throw classifyUpstreamError(error);
  }
}

/** The upstream metadata, fetched on demand and kept for a while. */
export interface MetadataCache {
  /** The metadata: cached when fresh, else fetched (concurrent callers share one fetch). Rejects like {@link discoverUpstream}. */
  get(): Promise<oauth.AuthorizationServer>;
  /** The cached metadata, fresh or not, without fetching; undefined before the first success. */
  peek(): oauth.AuthorizationServer | undefined;
}

/** Metadata is kept this long after a successful discovery (seconds). Failures are not kept. */
export const METADATA_CACHE_SECONDS = 3600;

/**
 * Caches {@link discoverUpstream} for {@link METADATA_CACHE_SECONDS}. The same metadata object is
 * returned while fresh, so oauth4webapi's JWKS cache (kept per metadata object) is reused too.
 */
export function createMetadataCache(
  discover: () => Promise<oauth.AuthorizationServer>,
  now: () => number = () => Date.now() / 1000,
): MetadataCache {
  let entry: { metadata: oauth.AuthorizationServer; at: number } | undefined;
  let inFlight: Promise<oauth.AuthorizationServer> | undefined;
  return {
    get() {
      if (entry !== undefined && now() - entry.at < METADATA_CACHE_SECONDS)
        return Promise.resolve(entry.metadata);
      inFlight ??= discover()
        .then((metadata) => {
          entry = { metadata, at: now() };
          return metadata;
        })
        .finally(() => {
          inFlight = undefined;
        });
      return inFlight;
    },
    peek: () => entry?.metadata,
  };
}
