import { invalidArgument } from '@gatehouse/core';
import { createLocalJWKSet, type JSONWebKeySet } from 'jose';
import { ASYMMETRIC_ALGORITHMS, VERIFY_DEFAULTS } from './defaults.js';
import type { JwtVerifierOptions } from './jwt-verifier.js';
import {
  optionalBoolean,
  optionalSeconds,
  rejectUnknownOptions,
  requireAudience,
  requireEndpointUrl,
  requireIssuer,
} from './option-checks.js';

/** {@link JwtVerifierOptions} after validation, with defaults applied. */
export interface ResolvedJwtOptions {
  readonly issuer: string;
  readonly audience: string;
  readonly jwksUri: URL | undefined;
  readonly jwks: JSONWebKeySet | undefined;
  readonly algorithms: readonly string[];
  readonly clockToleranceSeconds: number;
  readonly acceptGenericJwt: boolean;
  readonly jwksCacheMaxAgeSeconds: number;
  readonly jwksCooldownSeconds: number;
}

const KNOWN_OPTIONS: ReadonlySet<string> = new Set([
  'issuer',
  'audience',
  'jwksUri',
  'jwks',
  'algorithms',
  'clockToleranceSeconds',
  'acceptGenericJwt',
  'jwksPolicy',
  'jwksCacheMaxAgeSeconds',
  'jwksCooldownSeconds',
  'cache',
  'now',
]);

/** RFC 8725 §3.1-3.2: only asymmetric algorithms; `none` and HMAC are refused with a reason. */
function resolveAlgorithms(value: unknown): readonly string[] {
  if (value === undefined) return VERIFY_DEFAULTS.algorithms;
  if (!Array.isArray(value) || value.length === 0) {
    throw invalidArgument(
      '"algorithms" must be a non-empty array of JWS algorithm names',
      'ERR_INVALID_ARG_TYPE',
    );
  }
  for (const alg of value) {
    if (typeof alg !== 'string')
      throw invalidArgument('"algorithms" must contain strings', 'ERR_INVALID_ARG_TYPE');
    if (alg.toLowerCase() === 'none') {
      throw invalidArgument('"algorithms" must not contain "none": unsigned tokens would be accepted');
    }
    if (/^HS\d+$/i.test(alg)) {
      throw invalidArgument(
        `"algorithms" must not contain "${alg}": with a symmetric algorithm anyone holding the key could mint tokens; ` +
          'a resource server verifies with public keys only',
      );
    }
    if (!ASYMMETRIC_ALGORITHMS.has(alg)) {
      throw invalidArgument(
        `"algorithms" contains an unsupported algorithm; supported: ${[...ASYMMETRIC_ALGORITHMS].join(', ')}`,
      );
    }
  }
  return Object.freeze([...new Set(value as string[])]);
}

/** A local key set: public keys only, and parsable by jose. */
function resolveLocalJwks(value: unknown): JSONWebKeySet {
  if (typeof value !== 'object' || value === null || !Array.isArray((value as { keys?: unknown }).keys)) {
    throw invalidArgument('"jwks" must be a JSON Web Key Set: { keys: [...] }', 'ERR_INVALID_ARG_TYPE');
  }
  const { keys } = value as { keys: unknown[] };
  for (const key of keys) {
    if (typeof key !== 'object' || key === null) throw invalidArgument('"jwks.keys" must contain objects');
    if ('d' in key || (key as { kty?: unknown }).kty === 'oct') {
      throw invalidArgument('"jwks" must contain public keys only (a private or symmetric key was given)');
    }
  }
  try {
    createLocalJWKSet(value as JSONWebKeySet);
  } catch (cause) {
    const error = invalidArgument('"jwks" is not a valid JSON Web Key Set');
    (error as Error).cause = cause;
    throw error;
  }
  return structuredClone(value as JSONWebKeySet);
}

/**
 * Validates {@link JwtVerifierOptions} and applies the defaults of `VERIFY_DEFAULTS`. Throws a
 * `TypeError` with a `code` (`ERR_MISSING_OPTION`, `ERR_INVALID_ARG_VALUE`, `ERR_INVALID_ARG_TYPE`)
 * and a hint for any missing, unknown or invalid option.
 */
export function resolveJwtOptions(options: JwtVerifierOptions): ResolvedJwtOptions {
  if (typeof options !== 'object' || options === null) {
    throw invalidArgument('JWT verifier options must be an object', 'ERR_INVALID_ARG_TYPE');
  }
  rejectUnknownOptions(options, KNOWN_OPTIONS, 'the JWT access token verifier');
  const issuer = requireIssuer(options.issuer);
  const audience = requireAudience(options.audience);

  const hasUri = options.jwksUri !== undefined;
  const hasSet = options.jwks !== undefined;
  if (hasUri === hasSet) {
    throw invalidArgument(
      hasUri
        ? 'give either "jwksUri" or "jwks", not both'
        : 'one of "jwksUri" (the issuer\'s jwks_uri) or "jwks" (a local key set) is required',
      hasUri ? 'ERR_INVALID_ARG_VALUE' : 'ERR_MISSING_OPTION',
    );
  }
  if (options.now !== undefined && typeof options.now !== 'function') {
    throw invalidArgument('"now" must be a function returning milliseconds', 'ERR_INVALID_ARG_TYPE');
  }
  if (
    options.cache !== undefined &&
    options.cache !== false &&
    (typeof options.cache !== 'object' || options.cache === null)
  ) {
    throw invalidArgument('"cache" must be an object or false', 'ERR_INVALID_ARG_TYPE');
  }

  return {
    issuer,
    audience,
    jwksUri: hasUri ? requireEndpointUrl(options.jwksUri, 'jwksUri') : undefined,
    jwks: hasSet ? resolveLocalJwks(options.jwks) : undefined,
    algorithms: resolveAlgorithms(options.algorithms),
    clockToleranceSeconds: optionalSeconds(
      options.clockToleranceSeconds,
      'clockToleranceSeconds',
      VERIFY_DEFAULTS.clockToleranceSeconds,
      0,
      VERIFY_DEFAULTS.maxClockToleranceSeconds,
    ),
    acceptGenericJwt: optionalBoolean(
      options.acceptGenericJwt,
      'acceptGenericJwt',
      VERIFY_DEFAULTS.acceptGenericJwt,
    ),
    jwksCacheMaxAgeSeconds: optionalSeconds(
      options.jwksCacheMaxAgeSeconds,
      'jwksCacheMaxAgeSeconds',
      VERIFY_DEFAULTS.jwksCacheMaxAgeSeconds,
      1,
      86_400,
    ),
    jwksCooldownSeconds: optionalSeconds(
      options.jwksCooldownSeconds,
      'jwksCooldownSeconds',
      VERIFY_DEFAULTS.jwksCooldownSeconds,
      0,
      3_600,
    ),
  };
}
