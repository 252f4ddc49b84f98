import { createSafeFetch, type SafeFetchPolicy } from '@gatehouse/core';
import {
  type CryptoKey,
  createLocalJWKSet,
  createRemoteJWKSet,
  customFetch,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
  type JWTVerifyResult,
  jwtVerify,
} from 'jose';
import { type AuthInfo, createAuthInfo } from '../auth-info.js';
import {
  invalidToken,
  readAudience,
  readClientId,
  readNumericDate,
  readScopes,
  readSubject,
} from './claims.js';
import { codeOf, mapJoseError, wrapKeyResolver } from './jose-errors.js';
import { resolveJwtOptions } from './jwt-options.js';
import type { AccessTokenVerifier } from './types.js';
import { VerificationCache } from './verification-cache.js';

/** Options of {@link createJwtVerifier}. Every default is in `VERIFY_DEFAULTS`. */
export interface JwtVerifierOptions {
  /** Required. The authorization server's issuer identifier; `iss` must equal it exactly (RFC 9068 §4). */
  issuer: string;
  /**
   * Required. This resource's canonical URI (RFC 8707 §2, MCP § Canonical Server URI), normalised
   * with `canonicalResourceUri`. The token's `aud` (a string or an array) must contain it exactly.
   */
  audience: string;
  /**
   * The issuer's JWKS URL (`jwks_uri`). Fetched through `createSafeFetch(jwksPolicy)`, cached for
   * `jwksCacheMaxAgeSeconds`, refetched on an unknown `kid` at most once per `jwksCooldownSeconds`.
   * Exactly one of `jwksUri` and `jwks` is required.
   */
  jwksUri?: string | URL;
  /** A local key set (public keys only), instead of `jwksUri`. */
  jwks?: JSONWebKeySet;
  /**
   * Accepted JWS `alg` values. Default `['ES256', 'ES384', 'RS256', 'PS256', 'EdDSA']`. Only
   * asymmetric algorithms may be listed: `none` and `HS*` throw at construction (RFC 8725 §3.1-2).
   */
  algorithms?: readonly string[];
  /** Seconds of clock skew tolerated on `exp` and `nbf`. Default 5, at most 300. */
  clockToleranceSeconds?: number;
  /**
   * RFC 9068 §4 asks resource servers to require `typ: at+jwt` (or `application/at+jwt`), which is
   * always accepted. Many identity providers (Auth0, Entra ID, Keycloak) sign access tokens with
   * `typ: JWT` or no `typ`; those are accepted too while this is `true` (the default, for interop).
   * Set `false` to require `at+jwt` strictly. Any other `typ` is always refused. Other token kinds
   * signed by the same keys (ID tokens) are still kept out by the audience check.
   */
  acceptGenericJwt?: boolean;
  /** The SSRF policy of the JWKS fetch (`createSafeFetch`). Tests pass `{ allowLoopback: true }`. */
  jwksPolicy?: SafeFetchPolicy;
  /** Seconds a fetched JWKS is used before being fetched again. Default 600. */
  jwksCacheMaxAgeSeconds?: number;
  /** Seconds after a JWKS fetch during which an unknown `kid` does not cause a refetch. Default 30. */
  jwksCooldownSeconds?: number;
  /**
   * The verification cache (see `VerificationCache`): defaults `{ maxEntries: 10_000,
   * maxTtlSeconds: 60 }`. `false` verifies every token every time.
   */
  cache?: { maxEntries?: number; maxTtlSeconds?: number } | false;
  /** The clock, in milliseconds since the epoch. Default `Date.now`; for tests. */
  now?: () => number;
}

/** Most keys tried for a token without `kid` that several keys of the JWKS could verify. */
const MAX_CANDIDATE_KEYS = 4;

/**
 * `jwtVerify`, and when the token has no `kid` and several keys of the set match its `alg` (jose
 * then throws `ERR_JWKS_MULTIPLE_MATCHING_KEYS`), a second try with each candidate (at most
 * {@link MAX_CANDIDATE_KEYS}). Only a signature failure moves on to the next key.
 */
async function verifyWithCandidates(
  token: string,
  getKey: JWTVerifyGetKey,
  options: JWTVerifyOptions,
): Promise<JWTVerifyResult> {
  try {
    return await jwtVerify(token, getKey, options);
  } catch (error) {
    if (codeOf(error) !== 'ERR_JWKS_MULTIPLE_MATCHING_KEYS' || !isAsyncIterable(error)) throw error;
    let lastFailure: unknown = error;
    let tried = 0;
    for await (const key of error) {
      try {
        return await jwtVerify(token, key as CryptoKey, options);
      } catch (failure) {
        if (codeOf(failure) !== 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') throw failure;
        lastFailure = failure;
      }
      tried += 1;
      if (tried >= MAX_CANDIDATE_KEYS) break;
    }
    throw lastFailure;
  }
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function'
  );
}

/** `typ` values of RFC 9068 §2.1 (after dropping `application/`, compared case-insensitively). */
function isAcceptedTyp(typ: unknown, acceptGenericJwt: boolean): boolean {
  if (typ === undefined) return acceptGenericJwt;
  if (typeof typ !== 'string') return false;
  const lower = typ.toLowerCase();
  const bare = lower.startsWith('application/') ? lower.slice('application/'.length) : lower;
  return bare === 'at+jwt' || (acceptGenericJwt && bare === 'jwt');
}

/**
 * Creates a verifier of JWT access tokens (RFC 9068), checked locally with jose against the
 * issuer's JWKS. Options are validated here, not on the first request: a missing `issuer` or
 * `audience`, `none`/`HS*` in `algorithms`, both or neither of `jwks`/`jwksUri` throw a
 * `TypeError` with a `code` and a hint.
 *
 * On every token it checks: the signature with a key from the JWKS, `alg` in the allow-list, `typ`
 * (see `acceptGenericJwt`), `iss` equal to `issuer`, `aud` containing `audience`, `exp` present and
 * not past, `nbf` not in the future (both with `clockToleranceSeconds`), and a client id present.
 * Successful results are cached (see `cache`).
 *
 * It does NOT check scopes (the caller does, per operation), `jti` replay, `iat`, `auth_time`,
 * `acr`, or revocation (a JWT stays valid until `exp`; use introspection when that matters).
 *
 * @example
 * const verifier = createJwtVerifier({
 *   issuer: 'https://auth.example.com',
 *   audience: 'https://mcp.example.com/mcp',
 *   jwksUri: 'https://auth.example.com/jwks.json',
 * });
 * const info = await verifier.verify(token);
 */
export function createJwtVerifier(options: JwtVerifierOptions): AccessTokenVerifier {
  const resolved = resolveJwtOptions(options);
  const now = options.now ?? Date.now;

  let keys: JWTVerifyGetKey;
  if (resolved.jwksUri === undefined) {
    keys = createLocalJWKSet(resolved.jwks as JSONWebKeySet);
  } else {
    keys = createRemoteJWKSet(resolved.jwksUri, {
      cacheMaxAge: resolved.jwksCacheMaxAgeSeconds * 1000,
      cooldownDuration: resolved.jwksCooldownSeconds * 1000,
      [customFetch]: createSafeFetch(options.jwksPolicy ?? {}),
    });
  }
  const getKey = wrapKeyResolver(keys);
  const cache =
    options.cache === false
      ? undefined
      : new VerificationCache({
          maxEntries: options.cache?.maxEntries,
          maxTtlSeconds: options.cache?.maxTtlSeconds,
          now,
        });

  const verifyOptions = {
    issuer: resolved.issuer,
    audience: resolved.audience,
    algorithms: [...resolved.algorithms],
    clockTolerance: resolved.clockToleranceSeconds,
    requiredClaims: ['exp'],
  };

  async function verifyUncached(token: string): Promise<{ info: AuthInfo; nbf: number | undefined }> {
    let payload: JWTPayload;
    let typ: unknown;
    try {
      const result = await verifyWithCandidates(token, getKey, {
        ...verifyOptions,
        currentDate: new Date(now()),
      });
      payload = result.payload;
      typ = result.protectedHeader.typ;
    } catch (error) {
      throw mapJoseError(error);
    }
    if (!isAcceptedTyp(typ, resolved.acceptGenericJwt))
      throw invalidToken('token type (typ) is not accepted');
    const claims: Readonly<Record<string, unknown>> = Object.freeze({ ...payload });
    const info = createAuthInfo(token, {
      clientId: readClientId(claims),
      scopes: readScopes(claims),
      subject: readSubject(claims),
      expiresAt: readNumericDate(claims, 'exp'),
      resource: new URL(resolved.audience),
      issuer: resolved.issuer,
      audience: Object.freeze(readAudience(claims, resolved.audience)),
      claims,
    });
    return { info, nbf: readNumericDate(claims, 'nbf') };
  }

  return {
    async verify(token: string): Promise<AuthInfo> {
      if (typeof token !== 'string' || token === '') throw invalidToken('token is malformed');
      const hit = cache?.get(token);
      if (hit !== undefined) return hit;
      const { info, nbf } = await verifyUncached(token);
      cache?.set(info, nbf);
      return info;
    },
  };
}
