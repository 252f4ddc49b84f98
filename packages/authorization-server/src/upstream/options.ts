/**
 * The `upstream` option of `createAuthorizationServer`: sign-in delegated to an OpenID Connect
 * provider (MCP 2025-03-26 § Third-Party Authorization Flow; OpenID Connect Core 1.0 §3.1), its
 * defaults (in {@link UPSTREAM_DEFAULTS}) and its validation at construction.
 */
import { invalidArgument, isLoopbackHostname } from '@gatehouse/core';

/** Sign-in through an upstream OpenID Connect provider. */
export interface UpstreamOptions {
  /**
   * Required. The upstream's issuer identifier (OpenID Connect Discovery 1.0 §2), e.g.
   * `https://accounts.example.com`: `https`, no query, fragment or userinfo. Its metadata is fetched
   * from `<issuer>/.well-known/openid-configuration` (then the RFC 8414 path-inserted URL).
   * Register `<our issuer>/upstream/callback` as the redirect URI of the client at the upstream.
   */
  issuer: string;
  /** Required. The client ID this authorization server has at the upstream. */
  clientId: string;
  /**
   * The client secret (sent with `client_secret_basic`, or `client_secret_post` when the upstream
   * supports only that). Without it the upstream sees a public client (PKCE only).
   */
  clientSecret?: string;
  /** Scopes requested upstream; must include `openid`. Default `['openid', 'profile', 'email']`. */
  scopes?: string[];
  /** The button label: "Sign in with <name>". Default: the issuer's host. At most 64 characters. */
  name?: string;
  /** Whether the sign-in page still offers the local username and password form. Default `true`. */
  allowLocalPassword?: boolean;
  /**
   * DANGEROUS, for tests and local development: accept an `http://` loopback issuer and let the
   * outbound requests (discovery, token, JWKS) reach loopback addresses. Default `false`.
   */
  dangerouslyAllowLoopback?: boolean;
}

/** The upstream options after validation, defaults applied. */
export interface ResolvedUpstreamOptions {
  /** The issuer as configured (the exact string the upstream's metadata and ID tokens must carry). */
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string | undefined;
  readonly scopes: readonly string[];
  readonly name: string;
  readonly allowLocalPassword: boolean;
  readonly dangerouslyAllowLoopback: boolean;
}

/** Every default of the `upstream` option, in one place. */
export const UPSTREAM_DEFAULTS = Object.freeze({
  scopes: Object.freeze(['openid', 'profile', 'email']),
  allowLocalPassword: true,
  dangerouslyAllowLoopback: false,
  nameMaxLength: 64,
});

const KNOWN = new Set([
  'issuer',
  'clientId',
  'clientSecret',
  'scopes',
  'name',
  'allowLocalPassword',
  'dangerouslyAllowLoopback',
]);
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
const CONTROL = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;

function booleanOption(value: unknown, name: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw invalidArgument(`"upstream.${name}" must be a boolean`);
  return value;
}

function resolveIssuer(value: unknown, allowLoopback: boolean): string {
  if (typeof value !== 'string' || value === '') {
    throw invalidArgument(
      '"upstream.issuer" is required, e.g. "https://accounts.example.com"',
      'ERR_MISSING_OPTION',
    );
  }
  const url = URL.parse(value);
  if (url === null) throw invalidArgument('"upstream.issuer" must be an absolute URL');
  const loopbackHttp = url.protocol === 'http:' && isLoopbackHostname(url.hostname);
  if (url.protocol !== 'https:' && !(loopbackHttp && allowLoopback)) {
    throw invalidArgument(
      '"upstream.issuer" must use https (http only on a loopback host with "upstream.dangerouslyAllowLoopback")',
    );
  }
  if (url.username !== '' || url.password !== '' || url.search !== '' || value.includes('#')) {
    throw invalidArgument(
      '"upstream.issuer" must not have userinfo, a query or a fragment (OpenID Connect Discovery 1.0 §2)',
    );
  }
  return value;
}

function resolveScopes(value: unknown): readonly string[] {
  if (value === undefined) return UPSTREAM_DEFAULTS.scopes;
  if (!Array.isArray(value) || value.some((scope) => typeof scope !== 'string' || !SCOPE_TOKEN.test(scope))) {
    throw invalidArgument('"upstream.scopes" must be an array of scope names (RFC 6749 §3.3)');
  }
  if (!value.includes('openid')) {
    throw invalidArgument('"upstream.scopes" must include "openid": the upstream sign-in needs an ID token');
  }
  return Object.freeze([...new Set(value as string[])]);
}

function resolveName(value: unknown, issuer: string): string {
  if (value === undefined) return new URL(issuer).host;
  if (
    typeof value !== 'string' ||
    value.trim() === '' ||
    [...value].length > UPSTREAM_DEFAULTS.nameMaxLength ||
    CONTROL.test(value)
  ) {
    throw invalidArgument(
      `"upstream.name" must be 1 to ${UPSTREAM_DEFAULTS.nameMaxLength} characters without control characters`,
    );
  }
  return value.trim();
}

/**
 * Validates the `upstream` option and applies its defaults; `undefined` stays `undefined` (no
 * upstream sign-in). Throws a `TypeError` (`ERR_INVALID_ARG_VALUE`, `ERR_MISSING_OPTION`) naming the
 * field. It does NOT contact the upstream: discovery happens on the first sign-in.
 */
export function resolveUpstreamOptions(value: unknown): ResolvedUpstreamOptions | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidArgument('"upstream" must be an object: { issuer, clientId, clientSecret? }');
  }
  for (const key of Object.keys(value)) {
    if (!KNOWN.has(key)) throw invalidArgument(`"upstream.${key}" is not a known option`);
  }
  const options = value as Partial<Record<keyof UpstreamOptions, unknown>>;
  const dangerouslyAllowLoopback = booleanOption(
    options.dangerouslyAllowLoopback,
    'dangerouslyAllowLoopback',
    UPSTREAM_DEFAULTS.dangerouslyAllowLoopback,
  );
  const issuer = resolveIssuer(options.issuer, dangerouslyAllowLoopback);
  if (typeof options.clientId !== 'string' || options.clientId === '') {
    throw invalidArgument(
      '"upstream.clientId" is required: the client ID registered at the upstream',
      'ERR_MISSING_OPTION',
    );
  }
  if (
    options.clientSecret !== undefined &&
    (typeof options.clientSecret !== 'string' || options.clientSecret === '')
  ) {
    throw invalidArgument('"upstream.clientSecret" must be a non-empty string when given');
  }
  return Object.freeze({
    issuer,
    clientId: options.clientId,
    clientSecret: options.clientSecret as string | undefined,
    scopes: resolveScopes(options.scopes),
    name: resolveName(options.name, issuer),
    allowLocalPassword: booleanOption(
      options.allowLocalPassword,
      'allowLocalPassword',
      UPSTREAM_DEFAULTS.allowLocalPassword,
    ),
    dangerouslyAllowLoopback,
  });
}
