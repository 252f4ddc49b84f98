/**
 * The options of `createAuthorizationServer`, their defaults (all in {@link AUTHORIZATION_SERVER_DEFAULTS})
 * and their validation at construction: an invalid option throws a `TypeError` with a stable `code`
 * and a hint, never later at request time.
 */
import { canonicalResourceUri, invalidArgument, isLoopbackHostname } from '@gatehouse/core';
import { type CimdOptions, type ResolvedCimdOptions, resolveCimdOptions } from '../cimd/policy.js';
import type { Storage } from '../storage/contract.js';
import {
  type ResolvedUpstreamOptions,
  resolveUpstreamOptions,
  type UpstreamOptions,
} from '../upstream/options.js';

/** One protected resource (an MCP server) the authorization server issues tokens for (RFC 8707). */
export interface ResourceOptions {
  /** The canonical resource URI (the token `aud`), e.g. `https://mcp.example.com/mcp`. */
  resource: string;
  /** Scope name → human description shown on the consent page. `offline_access` and `openid` are reserved. */
  scopes: Record<string, string>;
  /** A display name for the consent page. */
  name?: string;
  /** Lifetime of access tokens for this resource. Default 600 (10 minutes), 60…86400. */
  accessTokenTtlSeconds?: number;
}

/** Lifetimes of the provider's artifacts, in seconds. Each default is in {@link AUTHORIZATION_SERVER_DEFAULTS}. */
export interface TtlOptions {
  /** Authorization codes. Default 60, 10…600 (OAuth 2.1 §4.1.2: short-lived). */
  authorizationCodeSeconds?: number;
  /**
   * Refresh tokens, counted from each issue (a rotated token gets a fresh lifetime; the grant's
   * lifetime still bounds the family). Default 1,209,600 (14 days), 60…1 year.
   */
  refreshTokenSeconds?: number;
  /** The browser sign-in session at the authorization server. Default 1,209,600 (14 days), 60…1 year. */
  sessionSeconds?: number;
  /** One sign-in/consent interaction. Default 3600 (1 hour), 60…86400. */
  interactionSeconds?: number;
  /**
   * A grant (the user's consent to one client), from its creation: no refresh works past it;
   * the user then signs in again. Default 1,209,600 (14 days), 60…1 year.
   */
  grantSeconds?: number;
  /** ID tokens. Default 3600, 60…86400. */
  idTokenSeconds?: number;
  /**
   * Device codes and their user codes (RFC 8628 §3.2 `expires_in`): how long the user has to enter
   * the code and approve. Default 600 (10 minutes), 60…3600.
   */
  deviceCodeSeconds?: number;
}

/** The registration rate limit: a token bucket per remote address. */
export interface RegistrationRateLimitOptions {
  /** Registrations allowed in a burst. Default 20. */
  burst?: number;
  /** Registrations added back to the bucket per minute. Default 10. */
  perMinute?: number;
}

/** Dynamic client registration mode (RFC 7591). */
export type RegistrationMode = 'open' | 'initial-access-token' | 'off';

/** Options of `createAuthorizationServer`. */
export interface AuthorizationServerOptions {
  /**
   * Required. The issuer identifier (RFC 8414 §2), e.g. `http://127.0.0.1:8080/oauth`: `https`, or
   * `http` on a loopback host; no query, fragment or userinfo. Its path is the mount path.
   */
  issuer: string;
  /** Required. Where everything is kept (`createMemoryStorage()`, `openSqliteStorage()`). */
  storage: Storage;
  /** Required, at least one. The resources tokens are issued for. */
  resources: ResourceOptions[];
  /**
   * Dynamic client registration (RFC 7591, with RFC 7592 management): `'open'` (anyone may
   * register, rate-limited), `'initial-access-token'` (a Bearer token from
   * `server.issueInitialAccessToken()` is required), or `'off'` (no endpoint, no metadata entry).
   * Default: `'open'` when the issuer host is loopback, else `'initial-access-token'`.
   */
  registration?: RegistrationMode;
  /** Rate limit of the registration endpoint; `false` turns it off. Default `{ burst: 20, perMinute: 10 }`. */
  registrationRateLimit?: RegistrationRateLimitOptions | false;
  /** Seconds during which a just-rotated refresh token may be presented again. Default 30, 0…300. */
  refreshTokenReuseWindowSeconds?: number;
  ttl?: TtlOptions;
  /**
   * Client ID Metadata Documents (https URLs as `client_id`): on by default, any host; see
   * {@link CimdOptions} for the trust policy and limits.
   */
  cimd?: CimdOptions;
  /**
   * Sign-in delegated to an OpenID Connect provider (MCP § Third-Party Authorization Flow): the
   * sign-in page gets a "Sign in with <name>" button; the upstream subject maps to a local account.
   * Off when absent; see {@link UpstreamOptions}.
   */
  upstream?: UpstreamOptions;
  /**
   * Seconds between two reads of the signing and cookie keys from the storage, so that a rotation
   * made elsewhere (`gatehouse keys rotate`, another instance on the same database) is picked up:
   * when the stored keys differ from those in use, the provider is rebuilt with them and replaces
   * the running one (see `AuthorizationServer.reloadKeys`). `0` turns the timer off (reload on
   * demand only). Default 30, at most 3600.
   */
  keyReloadIntervalSeconds?: number;
  /**
   * Trust `X-Forwarded-Host`, `X-Forwarded-Proto` and `X-Forwarded-For` (Koa's `proxy` on the
   * provider): URLs in responses and the `Secure` cookie flag follow the forwarded host and
   * scheme, and rate limits count the client address the proxy appended last. Only safe behind a
   * reverse proxy that overwrites these headers and without any other way to reach this server: a
   * client that sends its own could otherwise make the server announce endpoints at a host of its
   * choosing. Default `false`.
   */
  trustProxy?: boolean;
}

/** Every default of the authorization server, in one place. */
export const AUTHORIZATION_SERVER_DEFAULTS = Object.freeze({
  accessTokenTtlSeconds: 600,
  refreshTokenReuseWindowSeconds: 30,
  keyReloadIntervalSeconds: 30,
  trustProxy: false,
  registrationRateLimit: Object.freeze({ burst: 20, perMinute: 10 }),
  ttl: Object.freeze({
    authorizationCodeSeconds: 60,
    refreshTokenSeconds: 14 * 24 * 3600,
    sessionSeconds: 14 * 24 * 3600,
    interactionSeconds: 3600,
    grantSeconds: 14 * 24 * 3600,
    idTokenSeconds: 3600,
    deviceCodeSeconds: 600,
  }),
});

/** A configured resource after validation. */
export interface ResolvedResource {
  readonly resource: string;
  readonly scopes: Readonly<Record<string, string>>;
  readonly name: string | undefined;
  readonly accessTokenTtlSeconds: number;
}

/** The options after validation, with every default applied. */
export interface ResolvedOptions {
  readonly issuer: string;
  /** The issuer's path without a trailing slash (`/oauth`), or `''` for a root issuer. */
  readonly mountPath: string;
  readonly storage: Storage;
  readonly resources: ReadonlyMap<string, ResolvedResource>;
  readonly registration: RegistrationMode;
  readonly registrationRateLimit: Required<RegistrationRateLimitOptions> | false;
  readonly refreshTokenReuseWindowSeconds: number;
  readonly ttl: Readonly<Required<TtlOptions>>;
  readonly cimd: ResolvedCimdOptions;
  /** Upstream sign-in, or undefined when not configured. */
  readonly upstream: ResolvedUpstreamOptions | undefined;
  readonly keyReloadIntervalSeconds: number;
  readonly trustProxy: boolean;
}

const RESERVED_SCOPES = new Set(['openid', 'offline_access']);
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
const KNOWN_OPTIONS = new Set([
  'issuer',
  'storage',
  'resources',
  'registration',
  'registrationRateLimit',
  'refreshTokenReuseWindowSeconds',
  'ttl',
  'cimd',
  'upstream',
  'keyReloadIntervalSeconds',
  'trustProxy',
]);

function integerIn(value: unknown, name: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw invalidArgument(`"${name}" must be an integer from ${min} to ${max} (seconds unless stated)`);
  }
  return value;
}

function resolveIssuer(value: unknown): { issuer: string; mountPath: string } {
  if (typeof value !== 'string' || value === '') {
    throw invalidArgument('"issuer" is required, e.g. "http://127.0.0.1:8080/oauth"', 'ERR_MISSING_OPTION');
  }
  const url = URL.parse(value);
  if (url === null)
    throw invalidArgument('"issuer" must be an absolute URL, e.g. "https://auth.example.com/oauth"');
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHostname(url.hostname))) {
    throw invalidArgument('"issuer" must use https (http is allowed only on a loopback host)');
  }
  if (
    url.username !== '' ||
    url.password !== '' ||
    url.search !== '' ||
    url.hash !== '' ||
    value.includes('#')
  ) {
    throw invalidArgument('"issuer" must not have userinfo, a query or a fragment (RFC 8414 §2)');
  }
  if (url.pathname.endsWith('/') && url.pathname !== '/') {
    throw invalidArgument('"issuer" must not end with a slash (e.g. ".../oauth", not ".../oauth/")');
  }
  const mountPath = url.pathname === '/' ? '' : url.pathname;
  return { issuer: `${url.origin}${mountPath}`, mountPath };
}

function resolveResource(value: unknown, index: number): ResolvedResource {
  const where = `"resources[${index}]"`;
  if (typeof value !== 'object' || value === null) throw invalidArgument(`${where} must be an object`);
  const entry = value as Partial<Record<keyof ResourceOptions, unknown>>;
  if (typeof entry.resource !== 'string') throw invalidArgument(`${where}.resource must be a URI string`);
  let resource: string;
  try {
    resource = canonicalResourceUri(entry.resource);
  } catch (cause) {
    throw invalidArgument(`${where}.resource is not a valid resource URI: ${(cause as Error).message}`);
  }
  if (typeof entry.scopes !== 'object' || entry.scopes === null || Array.isArray(entry.scopes)) {
    throw invalidArgument(`${where}.scopes must be an object of scope name → description`);
  }
  const scopes: Record<string, string> = {};
  for (const [scope, description] of Object.entries(entry.scopes)) {
    if (!SCOPE_TOKEN.test(scope))
      throw invalidArgument(`${where}.scopes has an invalid scope name (RFC 6749 §3.3)`);
    if (RESERVED_SCOPES.has(scope)) {
      throw invalidArgument(
        `${where}.scopes must not contain "${scope}": it is not a resource scope (it is always offered)`,
      );
    }
    if (typeof description !== 'string')
      throw invalidArgument(`${where}.scopes.${scope} must be a description string`);
    scopes[scope] = description;
  }
  if (Object.keys(scopes).length === 0) throw invalidArgument(`${where}.scopes must name at least one scope`);
  if (entry.name !== undefined && typeof entry.name !== 'string')
    throw invalidArgument(`${where}.name must be a string`);
  const accessTokenTtlSeconds = integerIn(
    entry.accessTokenTtlSeconds,
    `resources[${index}].accessTokenTtlSeconds`,
    60,
    86_400,
    AUTHORIZATION_SERVER_DEFAULTS.accessTokenTtlSeconds,
  );
  return Object.freeze({ resource, scopes: Object.freeze(scopes), name: entry.name, accessTokenTtlSeconds });
}

function resolveTtl(value: unknown): Readonly<Required<TtlOptions>> {
  if (value !== undefined && (typeof value !== 'object' || value === null))
    throw invalidArgument('"ttl" must be an object');
  const ttl = (value ?? {}) as Partial<Record<keyof TtlOptions, unknown>>;
  const defaults = AUTHORIZATION_SERVER_DEFAULTS.ttl;
  const year = 366 * 24 * 3600;
  for (const key of Object.keys(ttl)) {
    if (!(key in defaults)) throw invalidArgument(`"ttl.${key}" is not a known option`);
  }
  return Object.freeze({
    authorizationCodeSeconds: integerIn(
      ttl.authorizationCodeSeconds,
      'ttl.authorizationCodeSeconds',
      10,
      600,
      defaults.authorizationCodeSeconds,
    ),
    refreshTokenSeconds: integerIn(
      ttl.refreshTokenSeconds,
      'ttl.refreshTokenSeconds',
      60,
      year,
      defaults.refreshTokenSeconds,
    ),
    sessionSeconds: integerIn(ttl.sessionSeconds, 'ttl.sessionSeconds', 60, year, defaults.sessionSeconds),
    interactionSeconds: integerIn(
      ttl.interactionSeconds,
      'ttl.interactionSeconds',
      60,
      86_400,
      defaults.interactionSeconds,
    ),
    grantSeconds: integerIn(ttl.grantSeconds, 'ttl.grantSeconds', 60, year, defaults.grantSeconds),
    idTokenSeconds: integerIn(ttl.idTokenSeconds, 'ttl.idTokenSeconds', 60, 86_400, defaults.idTokenSeconds),
    deviceCodeSeconds: integerIn(
      ttl.deviceCodeSeconds,
      'ttl.deviceCodeSeconds',
      60,
      3600,
      defaults.deviceCodeSeconds,
    ),
  });
}

function resolveRateLimit(value: unknown): Required<RegistrationRateLimitOptions> | false {
  if (value === false) return false;
  if (value !== undefined && (typeof value !== 'object' || value === null)) {
    throw invalidArgument('"registrationRateLimit" must be an object or false');
  }
  const limit = (value ?? {}) as Partial<Record<keyof RegistrationRateLimitOptions, unknown>>;
  const defaults = AUTHORIZATION_SERVER_DEFAULTS.registrationRateLimit;
  return {
    burst: integerIn(limit.burst, 'registrationRateLimit.burst', 1, 10_000, defaults.burst),
    perMinute: integerIn(limit.perMinute, 'registrationRateLimit.perMinute', 1, 10_000, defaults.perMinute),
  };
}

/**
 * Validates the options of `createAuthorizationServer` and applies the defaults. Throws a
 * `TypeError` (`ERR_INVALID_ARG_VALUE`, `ERR_MISSING_OPTION`) naming the option, with a hint.
 * It does NOT check that the storage works or that the resources exist.
 */
export function resolveOptions(options: AuthorizationServerOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null)
    throw invalidArgument('options must be an object', 'ERR_INVALID_ARG_TYPE');
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key))
      throw invalidArgument(`"${key}" is not a known option of createAuthorizationServer`);
  }
  const { issuer, mountPath } = resolveIssuer(options.issuer);
  const storage: unknown = options.storage;
  if (typeof storage !== 'object' || storage === null || typeof (storage as Storage).model !== 'function') {
    throw invalidArgument(
      '"storage" is required: createMemoryStorage() or openSqliteStorage({ path })',
      'ERR_MISSING_OPTION',
    );
  }
  if (!Array.isArray(options.resources) || options.resources.length === 0) {
    throw invalidArgument(
      '"resources" must list at least one resource: [{ resource, scopes }]',
      'ERR_MISSING_OPTION',
    );
  }
  const resources = new Map<string, ResolvedResource>();
  options.resources.forEach((entry, index) => {
    const resolved = resolveResource(entry, index);
    if (resources.has(resolved.resource))
      throw invalidArgument(`"resources[${index}].resource" is listed twice`);
    resources.set(resolved.resource, resolved);
  });
  const registration =
    options.registration ?? (isLoopbackHostname(new URL(issuer).hostname) ? 'open' : 'initial-access-token');
  if (!['open', 'initial-access-token', 'off'].includes(registration)) {
    throw invalidArgument('"registration" must be "open", "initial-access-token" or "off"');
  }
  return Object.freeze({
    issuer,
    mountPath,
    storage: storage as Storage,
    resources,
    registration,
    registrationRateLimit: resolveRateLimit(options.registrationRateLimit),
    refreshTokenReuseWindowSeconds: integerIn(
      options.refreshTokenReuseWindowSeconds,
      'refreshTokenReuseWindowSeconds',
      0,
      300,
      AUTHORIZATION_SERVER_DEFAULTS.refreshTokenReuseWindowSeconds,
    ),
    ttl: resolveTtl(options.ttl),
    cimd: resolveCimdOptions(options.cimd),
    upstream: resolveUpstreamOptions(options.upstream),
    keyReloadIntervalSeconds: integerIn(
      options.keyReloadIntervalSeconds,
      'keyReloadIntervalSeconds',
      0,
      3600,
      AUTHORIZATION_SERVER_DEFAULTS.keyReloadIntervalSeconds,
    ),
    trustProxy: resolveTrustProxy(options.trustProxy),
  });
}

function resolveTrustProxy(value: unknown): boolean {
  if (value === undefined) return AUTHORIZATION_SERVER_DEFAULTS.trustProxy;
  if (typeof value !== 'boolean')
    throw invalidArgument('"trustProxy" must be true or false', 'ERR_INVALID_ARG_TYPE');
  return value;
}
