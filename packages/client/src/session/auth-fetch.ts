/**
 * `authFetch`: a `fetch` for one MCP server that gets, keeps and renews its OAuth tokens (issue 4
 * item 1; MCP 2025-11-25 / 2026-07-28 § Authorization). It only composes the client's steps:
 *
 * ```
 * stored token? ─expiring─▶ refreshSingleFlight (scope re-sent) ─▶ request with Bearer
 *   401 ─▶ discover(challenge) ─▶ resolveClientRegistration(store) ─▶ authorizeWithBrowser ─▶ store ─▶ retry once
 *   403 insufficient_scope ─▶ the same with held ∪ challenged scopes (≤ maxStepUps per call)
 * ```
 */
import { canonicalResourceUri, invalidArgument, OAuthError, type SafeFetchPolicy } from '@gatehouse/core';
import { type AuthorizeWithBrowserOptions, authorizeWithBrowser } from '../authorize/authorize.js';
import { type BearerChallenge, readBearerChallenge, splitScope } from '../discovery/bearer-challenge.js';
import { type Discovery, discover } from '../discovery/discover.js';
import { refreshTokenGrantRequest } from '../grants/token-request.js';
import { processTokenResponse, type TokenSet } from '../grants/token-response.js';
import { type ClientHttpOptions, discard, rejectUnknownOptions } from '../http.js';
import { resolveClientRegistration } from '../registration/resolve-client-registration.js';
import type { ClientRegistration, PreRegisteredClient } from '../registration/types.js';
import { createMemoryStore } from '../store/memory-store.js';
import { refreshSingleFlight } from '../store/refresh-single-flight.js';
import { clientRegistrationStore } from '../store/registration-store.js';
import type { StoredTokens, StoreKey, TokenStore } from '../store/types.js';
import { AuthorizationRejectedError, StepUpLimitError } from './errors.js';
import { attemptInit, type ReplayableRequest, toReplayable } from './replayable-request.js';
import { createStormBrake } from './storm-brake.js';

/** A `fetch`-compatible function, as the MCP SDK transports take in their `fetch` option. */
export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** The options of `authorizeWithBrowser` that `authFetch` passes through (the rest it supplies). */
export type AuthFetchAuthorizationOptions = Omit<
  AuthorizeWithBrowserOptions,
  'discovery' | 'registration' | 'scope' | 'fetch' | 'policy' | 'signal'
>;

/** Options of {@link authFetch}. Each default is stated on its field. */
export interface AuthFetchOptions {
  /** Required. The MCP server's URL; tokens are only ever sent to its origin. */
  readonly serverUrl: string | URL;
  /** Where tokens and registrations are kept. Default: a new memory store (`createMemoryStore()`). */
  readonly store?: TokenStore;
  /** The client name shown on consent pages (DCR `client_name`). Default `'Gatehouse MCP client'`. */
  readonly clientName?: string;
  /** Credentials registered out of band. Default: `MCP_CLIENT_ID` / `MCP_CLIENT_SECRET`, else none. */
  readonly preRegistered?: PreRegisteredClient;
  /** This client's Client ID Metadata Document URL. Default: none. */
  readonly clientMetadataUrl?: string;
  /** The scopes of the first authorization. Default: the challenge's, see `selectScopes`. */
  readonly scope?: string | readonly string[];
  /** The transport fetch for the MCP requests themselves. Default `globalThis.fetch`. */
  readonly fetch?: FetchLike;
  /** The `safeFetch` policy for the peer-chosen URLs (discovery, registration, token endpoint). */
  readonly policy?: SafeFetchPolicy;
  /** Passed to `authorizeWithBrowser`: `onAuthorizationUrl`, `headless`, `listener`, `stderr`, … */
  readonly authorization?: AuthFetchAuthorizationOptions;
  /** Renew the access token when fewer seconds than this remain. Default 60. */
  readonly refreshSkewSeconds?: number;
  /** Re-authorizations on 403 `insufficient_scope` per call. Default 3. */
  readonly maxStepUps?: number;
  /** Interactive authorizations allowed per rolling minute for this server. Default 3. */
  readonly maxAuthorizationsPerMinute?: number;
}

const KNOWN_OPTIONS: ReadonlySet<string> = new Set([
  'serverUrl',
  'store',
  'clientName',
  'preRegistered',
  'clientMetadataUrl',
  'scope',
  'fetch',
  'policy',
  'authorization',
  'refreshSkewSeconds',
  'maxStepUps',
  'maxAuthorizationsPerMinute',
]);
const SUPPLIED = ['discovery', 'registration', 'scope', 'fetch', 'policy', 'signal'];

/** What an authorization or a store lookup established: where tokens come from, and for whom. */
interface Binding {
  readonly key: StoreKey;
  discovery?: Discovery;
  registration?: ClientRegistration;
}

function count(value: unknown, name: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw invalidArgument(`"${name}" must be an integer of at least ${min}`, 'ERR_INVALID_ARG_TYPE');
  }
  return value;
}

function scopeList(value: AuthFetchOptions['scope']): readonly string[] | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return splitScope(value);
  if (Array.isArray(value) && value.every((entry) => typeof entry === 'string')) return [...value];
  throw invalidArgument('"scope" must be a string or an array of strings', 'ERR_INVALID_ARG_TYPE');
}

function checkOptions(options: AuthFetchOptions) {
  if (typeof options !== 'object' || options === null) {
    throw invalidArgument('the options of authFetch() must be an object', 'ERR_INVALID_ARG_TYPE');
  }
  rejectUnknownOptions(options, KNOWN_OPTIONS, 'authFetch()');
  if (typeof options.serverUrl !== 'string' && !(options.serverUrl instanceof URL)) {
    throw invalidArgument('"serverUrl" is required: the MCP server URL', 'ERR_MISSING_OPTION');
  }
  const resource = canonicalResourceUri(String(options.serverUrl));
  if (options.fetch !== undefined && typeof options.fetch !== 'function') {
    throw invalidArgument('"fetch" must be a function', 'ERR_INVALID_ARG_TYPE');
  }
  const store = options.store ?? createMemoryStore();
  if (typeof store?.withLock !== 'function' || typeof store.getClient !== 'function') {
    throw invalidArgument('"store" must be a TokenStore', 'ERR_INVALID_ARG_TYPE');
  }
  const authorization = options.authorization ?? {};
  if (typeof authorization !== 'object' || authorization === null) {
    throw invalidArgument('"authorization" must be an object', 'ERR_INVALID_ARG_TYPE');
  }
  for (const name of SUPPLIED) {
    if (name in authorization) {
      throw invalidArgument(
        `"authorization.${name}" is supplied by authFetch; pass "scope", "fetch" or "policy" at the top level`,
      );
    }
  }
  if (options.clientName !== undefined && typeof options.clientName !== 'string') {
    throw invalidArgument('"clientName" must be a string', 'ERR_INVALID_ARG_TYPE');
  }
  return {
    resource,
    store,
    authorization,
    scope: scopeList(options.scope),
    transport: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    http: (options.policy === undefined ? {} : { policy: options.policy }) as ClientHttpOptions,
    skew: count(options.refreshSkewSeconds, 'refreshSkewSeconds', 60, 0),
    maxStepUps: count(options.maxStepUps, 'maxStepUps', 3, 0),
    perMinute: count(options.maxAuthorizationsPerMinute, 'maxAuthorizationsPerMinute', 3, 1),
  } satisfies Record<string, unknown> & { transport: FetchLike };
}

/** The redirect URIs to register: the listener's fixed port when one is given, else any loopback port. */
function redirectUris(authorization: AuthFetchAuthorizationOptions): string[] {
  const listener = authorization.listener;
  const host = listener?.host ?? '127.0.0.1';
  const path = listener?.path ?? '/callback';
  const port = typeof listener?.port === 'number' ? `:${listener.port}` : '';
  return [`http://${host}${port}${path}`];
}

function toStored(
  tokens: Readonly<TokenSet>,
  key: StoreKey,
  fallbackScope: string | undefined,
): StoredTokens {
  const scope = tokens.scope ?? fallbackScope;
  return {
    access_token: tokens.access_token,
    token_type: 'Bearer',
    ...(tokens.expiresAt === undefined ? {} : { expires_at: tokens.expiresAt }),
    ...(tokens.refresh_token === undefined ? {} : { refresh_token: tokens.refresh_token }),
    ...(scope === undefined || scope === '' ? {} : { scope }),
    resource: key.resource,
    issuer: key.issuer,
    client_id: key.clientId,
  };
}

/**
 * Returns a `fetch` for the MCP server at `options.serverUrl` that handles OAuth on its own; pass it
 * as the `fetch` option of the SDK's `StreamableHTTPClientTransport` (v1 or v2). Per call:
 *
 * 1. the stored token (store key: issuer + canonical resource + client id; a new instance finds it
 *    with `store.list()`, without any network round trip) is attached as `Authorization: Bearer`,
 *    to the server's origin only; when it expires within `refreshSkewSeconds` it is renewed first
 *    through `refreshSingleFlight` (one redemption across concurrent calls and processes; the held
 *    `scope` re-sent). A failed refresh (`OAuthError`, e.g. `invalid_grant`) falls back to step 2;
 * 2. on 401: `discover` with the challenge, `resolveClientRegistration` kept in the store,
 *    `authorizeWithBrowser` with `options.authorization`, tokens stored, and the request retried
 *    once; a second 401 is {@link AuthorizationRejectedError}. Concurrent 401s share one
 *    authorization;
 * 3. on 403 `insufficient_scope`: the same with the union of the held and challenged scopes, at
 *    most `maxStepUps` times per call, then {@link StepUpLimitError};
 * 4. more than `maxAuthorizationsPerMinute` interactive authorizations of this instance within a
 *    minute: `AuthorizationStormError` (the count is per `authFetch` instance, i.e. per server).
 *
 * Bodies are buffered so a request can be retried; a `ReadableStream` `init.body` is refused with a
 * `TypeError`. Errors of the composed steps are passed through unchanged; none carries a token.
 * Misuse (unknown option, bad types) is a `TypeError` thrown here.
 *
 * Does NOT revoke tokens, use the device grant, or follow a server to another authorization server
 * without a new 401 (a stored token of another issuer is used until the server refuses it).
 *
 * @example
 * const fetch = authFetch({ serverUrl: 'https://mcp.example.com/mcp', store: createFileStore() });
 * await client.connect(new StreamableHTTPClientTransport(new URL('https://mcp.example.com/mcp'), { fetch }));
 */
export function authFetch(options: AuthFetchOptions): FetchLike {
  const config = checkOptions(options);
  const { resource, store, http, transport, authorization } = config;
  const origin = new URL(resource).origin;
  const brake = createStormBrake(resource, config.perMinute);
  let binding: Binding | undefined;
  let pending: Promise<StoredTokens> | undefined;

  async function findBinding(): Promise<Binding | undefined> {
    if (binding !== undefined) return binding;
    const { entries } = await store.list();
    const wanted = options.preRegistered?.clientId;
    const found =
      entries.find((entry) => entry.key.resource === resource && entry.key.clientId === wanted) ??
      entries.find((entry) => entry.key.resource === resource);
    if (found !== undefined) binding = { key: found.key };
    return binding;
  }

  const isFresh = (tokens: StoredTokens) =>
    tokens.expires_at === undefined || tokens.expires_at - Date.now() / 1000 > config.skew;

  /** The AS metadata and registration needed to refresh: from the last authorization, else discovered. */
  async function refreshContext(current: Binding) {
    if (current.discovery === undefined) {
      const discovery = await discover(resource, http);
      if (discovery.authorizationServer.issuer !== current.key.issuer) return undefined;
      current.discovery = discovery;
    }
    if (current.registration === undefined) {
      const registration = await store.getClient(current.key.issuer);
      if (registration?.clientId !== current.key.clientId) return undefined;
      current.registration = registration;
    }
    return { metadata: current.discovery.authorizationServer.metadata, registration: current.registration };
  }

  /** The token to send now: the stored one, renewed first when it expires soon; `undefined` if none usable. */
  async function currentToken(): Promise<StoredTokens | undefined> {
    const current = await findBinding();
    if (current === undefined) return undefined;
    const stored = await store.get(current.key);
    if (stored === undefined || isFresh(stored)) return stored;
    const usable =
      stored.expires_at !== undefined && stored.expires_at > Date.now() / 1000 ? stored : undefined;
    if (stored.refresh_token === undefined) return usable;
    try {
      const context = await refreshContext(current);
      if (context === undefined) return usable;
      return await refreshSingleFlight(
        store,
        current.key,
        async (latest) => {
          const response = await refreshTokenGrantRequest(
            context.metadata,
            context.registration,
            {
              refreshToken: latest.refresh_token ?? '',
              resource,
              ...(latest.scope === undefined ? {} : { scope: splitScope(latest.scope) }),
            },
            http,
          );
          const tokens = await processTokenResponse(response, { expectedResource: resource });
          return toStored(tokens, current.key, latest.scope);
        },
        { isFresh },
      );
    } catch (error) {
      if (error instanceof OAuthError) return usable; // refused refresh: authorize again on the 401
      throw error;
    }
  }

  async function authorizeNow(challenge: BearerChallenge | undefined, scope: readonly string[] | undefined) {
    brake.take();
    const discovery = await discover(resource, {
      ...http,
      ...(challenge === undefined ? {} : { challenge }),
    });
    const registration = await resolveClientRegistration({
      ...http,
      metadata: discovery.authorizationServer.metadata,
      redirectUris: redirectUris(authorization),
      clientName: options.clientName ?? 'Gatehouse MCP client',
      ...(options.preRegistered === undefined ? {} : { preRegistered: options.preRegistered }),
      ...(options.clientMetadataUrl === undefined ? {} : { clientMetadataUrl: options.clientMetadataUrl }),
      store: clientRegistrationStore(store),
    });
    const result = await authorizeWithBrowser({
      ...authorization,
      ...http,
      discovery,
      registration,
      ...(scope === undefined ? {} : { scope }),
    });
    const key = { issuer: discovery.authorizationServer.issuer, resource, clientId: registration.clientId };
    const stored = toStored(result.tokens, key, result.requestedScopes?.join(' '));
    await store.set(key, stored);
    binding = { key, discovery, registration };
    return stored;
  }

  /** One interactive authorization at a time: concurrent callers share the one under way. */
  function authorize(challenge: BearerChallenge | undefined, scope: readonly string[] | undefined) {
    if (pending === undefined) {
      pending = authorizeNow(challenge, scope).finally(() => {
        pending = undefined;
      });
    }
    return pending;
  }

  async function send(request: ReplayableRequest, token: StoredTokens | undefined): Promise<Response> {
    const sameOrigin = new URL(request.url).origin === origin;
    return transport(request.url, attemptInit(request, sameOrigin ? token?.access_token : undefined));
  }

  return async function fetchWithAuthorization(input, init) {
    const request = await toReplayable(input, init);
    if (new URL(request.url).origin !== origin) return send(request, undefined);
    let token = await currentToken();
    let response = await send(request, token);
    let reauthorized = false;
    let stepUps = 0;
    for (;;) {
      if (response.status === 401) {
        if (reauthorized) {
          await discard(response);
          throw new AuthorizationRejectedError(resource);
        }
        const challenge = readBearerChallenge(response);
        await discard(response);
        const shared = pending;
        token = await authorize(challenge, config.scope);
        // A joined authorization may be older than this 401: one more own attempt is allowed.
        reauthorized = shared === undefined;
      } else if (response.status === 403) {
        const challenge = readBearerChallenge(response);
        if (challenge?.error !== 'insufficient_scope') return response;
        await discard(response);
        const union = [...new Set([...splitScope(token?.scope), ...splitScope(challenge.scope)])];
        if (stepUps >= config.maxStepUps) throw new StepUpLimitError(resource, stepUps, union);
        stepUps += 1;
        token = await authorize(challenge, union);
        reauthorized = true;
      } else {
        return response;
      }
      response = await send(request, token);
    }
  };
}
