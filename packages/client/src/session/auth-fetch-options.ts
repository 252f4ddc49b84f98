/**
 * The options of `authFetch` (issue 4 item 1): their types with each default, and their check at
 * creation (misuse → `TypeError`, STYLE.md practice 6: invalid configuration throws at construction).
 */
import { canonicalResourceUri, invalidArgument, type SafeFetchPolicy } from '@gatehouse/core';
import type { AuthorizeWithBrowserOptions } from '../authorize/authorize.js';
import type { AuthorizeWithDeviceOptions } from '../authorize/device-authorization.js';
import { splitScope } from '../discovery/bearer-challenge.js';
import { type ClientHttpOptions, rejectUnknownOptions } from '../http.js';
import type { ResolveClientRegistrationOptions } from '../registration/resolve-client-registration.js';
import type { PreRegisteredClient } from '../registration/types.js';
import { createMemoryStore } from '../store/memory-store.js';
import type { TokenStore } from '../store/types.js';
import { type AuthorizationFlow, checkAuthorizationFlow } from './interactive-authorization.js';
import { withIsolatedAbortSignals } from './isolated-abort-signal.js';

/** A `fetch`-compatible function, as the MCP SDK transports take in their `fetch` option. */
export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/**
 * The options of `authorizeWithBrowser` that `authFetch` passes through (the rest it supplies),
 * plus `onDeviceAuthorization` and `sleep` of `authorizeWithDevice` (which also gets `stderr`).
 */
export type AuthFetchAuthorizationOptions = Omit<
  AuthorizeWithBrowserOptions,
  'discovery' | 'registration' | 'scope' | 'fetch' | 'policy' | 'signal'
> &
  Pick<AuthorizeWithDeviceOptions, 'onDeviceAuthorization' | 'sleep'>;

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
  /**
   * The transport fetch for the MCP requests themselves. Default `globalThis.fetch`. Each request
   * gets its own abort signal, following the one passed in (`isolated-abort-signal.ts`).
   */
  readonly fetch?: FetchLike;
  /** The `safeFetch` policy for the peer-chosen URLs (discovery, registration, token endpoint). */
  readonly policy?: SafeFetchPolicy;
  /**
   * Passed to `authorizeWithBrowser` (`onAuthorizationUrl`, `headless`, `listener`, `stderr`, …) and
   * to `authorizeWithDevice` (`onDeviceAuthorization`, `sleep`, `stderr`); `env` and `platform` also
   * decide `flow: 'auto'`.
   */
  readonly authorization?: AuthFetchAuthorizationOptions;
  /**
   * The grant of an interactive authorization: `'browser'` (authorization code + PKCE), `'device'`
   * (RFC 8628 device authorization grant: a code to type in on another device) or `'auto'`: the
   * device grant when the authorization server offers it, the caller does not drive the browser
   * step (`authorization.onAuthorizationUrl` / `openBrowser`), and no browser can be opened here
   * (`authorization.headless: true`, an SSH session, Linux without a display; see
   * `chooseAuthorizationFlow`), else the browser. Default `'auto'`.
   */
  readonly flow?: AuthorizationFlow;
  /**
   * `false`: never start an interactive authorization; when one would be needed (no usable token,
   * a refused refresh, a step-up), throw `AuthorizationRequiredError` instead (background jobs,
   * scripts). Default `true`.
   */
  readonly interactive?: boolean;
  /**
   * Renew the access token when fewer seconds than this remain, at most half its lifetime (a 20 s
   * token is renewed in its last 10 s, not on every call). Default 60.
   */
  readonly refreshSkewSeconds?: number;
  /** Re-authorizations on 403 `insufficient_scope` per call. Default 3. */
  readonly maxStepUps?: number;
  /** Interactive authorizations allowed per rolling minute for this server. Default 3. */
  readonly maxAuthorizationsPerMinute?: number;
  /**
   * DPoP-bound tokens (RFC 9449; MCP extension `io.modelcontextprotocol/auth/dpop`): `true` asks for
   * them whenever the authorization server supports ES256 proofs (`dpop_signing_alg_values_supported`),
   * `false` never. Default (`undefined`): when the resource requires them
   * (`dpop_bound_access_tokens_required` in its metadata, or a 401 offering only the `DPoP` scheme)
   * and the authorization server supports ES256. A DPoP-bound token is sent as
   * `Authorization: DPoP …` with a fresh proof per request; its key (one per authorization) is kept
   * in the store with the tokens; `use_dpop_nonce` answers are retried once with the server's nonce.
   */
  readonly dpop?: boolean;
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
  'flow',
  'interactive',
  'dpop',
]);
const SUPPLIED = ['discovery', 'registration', 'scope', 'fetch', 'policy', 'signal'];

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

/** The checked options of one `authFetch`, with the defaults applied. */
export interface AuthFetchConfig {
  readonly flow: AuthorizationFlow;
  readonly interactive: boolean;
  /** The MCP server's canonical resource URI (RFC 8707; MCP § Canonical Server URI). */
  readonly resource: string;
  readonly store: TokenStore;
  readonly authorization: AuthFetchAuthorizationOptions;
  readonly scope: readonly string[] | undefined;
  readonly transport: FetchLike;
  /** The options of the authorization steps' own requests (the `safeFetch` policy). */
  readonly http: ClientHttpOptions;
  /** `refreshSkewSeconds`. */
  readonly skew: number;
  readonly maxStepUps: number;
  /** `maxAuthorizationsPerMinute`. */
  readonly perMinute: number;
}

/** Checks the options of `authFetch` and applies the defaults; misuse throws a `TypeError`. */
export function checkAuthFetchOptions(options: AuthFetchOptions): AuthFetchConfig {
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
  if (options.dpop !== undefined && typeof options.dpop !== 'boolean') {
    throw invalidArgument('"dpop" must be a boolean', 'ERR_INVALID_ARG_TYPE');
  }
  if (options.interactive !== undefined && typeof options.interactive !== 'boolean') {
    throw invalidArgument('"interactive" must be a boolean', 'ERR_INVALID_ARG_TYPE');
  }
  return {
    flow: checkAuthorizationFlow(options.flow),
    interactive: options.interactive ?? true,
    resource,
    store,
    authorization,
    scope: scopeList(options.scope),
    transport: withIsolatedAbortSignals(options.fetch ?? ((input, init) => globalThis.fetch(input, init))),
    http: (options.policy === undefined ? {} : { policy: options.policy }) as ClientHttpOptions,
    skew: count(options.refreshSkewSeconds, 'refreshSkewSeconds', 60, 0),
    maxStepUps: count(options.maxStepUps, 'maxStepUps', 3, 0),
    perMinute: count(options.maxAuthorizationsPerMinute, 'maxAuthorizationsPerMinute', 3, 1),
  };
}

/** The redirect URIs to register: the listener's fixed port when one is given, else any loopback port. */
function redirectUris(authorization: AuthFetchAuthorizationOptions): string[] {
  const listener = authorization.listener;
  const host = listener?.host ?? '127.0.0.1';
  const path = listener?.path ?? '/callback';
  const port = typeof listener?.port === 'number' ? `:${listener.port}` : '';
  return [`http://${host}${port}${path}`];
}

/** Who the client is to an authorization server: what registration needs from the options. */
export type ClientIdentity = Pick<
  ResolveClientRegistrationOptions,
  'redirectUris' | 'clientName' | 'preRegistered' | 'clientMetadataUrl'
>;

/**
 * The client identity of `options` (read when called): redirect URIs from `authorization.listener`,
 * `clientName` (default `'Gatehouse MCP client'`), and the pre-registered or CIMD identity if given.
 */
export function clientIdentity(
  options: AuthFetchOptions,
  authorization: AuthFetchAuthorizationOptions,
): ClientIdentity {
  return {
    redirectUris: redirectUris(authorization),
    clientName: options.clientName ?? 'Gatehouse MCP client',
    ...(options.preRegistered === undefined ? {} : { preRegistered: options.preRegistered }),
    ...(options.clientMetadataUrl === undefined ? {} : { clientMetadataUrl: options.clientMetadataUrl }),
  };
}

/**
 * The client id the options name (read when called): the pre-registered one, else `MCP_CLIENT_ID`,
 * else the CIMD URL; `undefined` when the identity comes from dynamic registration.
 */
export function configuredClientId(options: AuthFetchOptions): string | undefined {
  return (
    options.preRegistered?.clientId ?? (process.env.MCP_CLIENT_ID || undefined) ?? options.clientMetadataUrl
  );
}
