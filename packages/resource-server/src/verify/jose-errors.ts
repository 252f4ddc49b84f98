import { InvalidToken, TemporarilyUnavailable } from '@gatehouse/core';
import type { JWTVerifyGetKey } from 'jose';
import { invalidToken } from './claims.js';

/** Marks a failure to obtain the key set itself (network, HTTP status, malformed JWKS). */
class JwksUnavailable extends Error {
  constructor(cause: unknown) {
    super('the JWKS could not be obtained', { cause });
  }
}

/** jose error codes that mean "the key set is fine, but holds no usable key for this token". */
const KEY_SELECTION_CODES: ReadonlySet<string> = new Set([
  'ERR_JWKS_NO_MATCHING_KEY',
  'ERR_JWKS_MULTIPLE_MATCHING_KEYS',
  'ERR_JOSE_NOT_SUPPORTED',
]);

/** The string `code` of a jose (or any) error, if it has one. */
export function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code } = error as { code?: unknown };
  return typeof code === 'string' ? code : undefined;
}

/**
 * Wraps a jose key resolver so that a failure to fetch or parse the JWKS (connection refused,
 * timeout, non-200, invalid JSON, refused by the SSRF policy) can be told apart from a token whose
 * `kid`/`alg` matches no key: the first becomes 503, the second 401.
 */
export function wrapKeyResolver(keys: JWTVerifyGetKey): JWTVerifyGetKey {
  return async (header, token) => {
    try {
      return await keys(header, token);
    } catch (error) {
      const code = codeOf(error);
      if (code !== undefined && KEY_SELECTION_CODES.has(code)) throw error;
      throw new JwksUnavailable(error);
    }
  };
}

/** Claims whose name may appear in a description (jose reports only these; never a value). */
const NAMED_CLAIMS: ReadonlySet<string> = new Set(['iss', 'aud', 'exp', 'nbf', 'iat', 'sub', 'jti']);

function describeClaimFailure(claim: unknown, reason: unknown): string {
  if (claim === 'iss' && reason === 'check_failed') return 'token issuer is not accepted';
  if (claim === 'aud' && reason === 'check_failed') return 'token audience does not include this resource';
  if (claim === 'nbf' && reason === 'check_failed') return 'token is not yet valid';
  if (typeof claim === 'string' && NAMED_CLAIMS.has(claim)) {
    return reason === 'missing' ? `token has no "${claim}" claim` : `token "${claim}" claim is invalid`;
  }
  return 'token claims are invalid';
}

/**
 * Turns whatever `jwtVerify` threw into the verifier contract: `TemporarilyUnavailable` (503) when
 * the JWKS could not be obtained, otherwise `InvalidToken` (401) with a short fixed description.
 * jose messages and payloads are not copied: they may carry attacker-chosen claim values.
 */
export function mapJoseError(error: unknown): InvalidToken | TemporarilyUnavailable {
  if (error instanceof InvalidToken) return error;
  if (error instanceof JwksUnavailable) {
    return new TemporarilyUnavailable({
      description: "the issuer's JWKS could not be fetched",
      cause: error.cause,
    });
  }
  switch (codeOf(error)) {
    case 'ERR_JWT_EXPIRED':
      return invalidToken('token expired');
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED': {
      const { claim, reason } = error as { claim?: unknown; reason?: unknown };
      return invalidToken(describeClaimFailure(claim, reason));
    }
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return invalidToken('algorithm not allowed');
    case 'ERR_JOSE_NOT_SUPPORTED': // an unrecognised `crit` parameter, or an algorithm jose lacks
      return invalidToken('token uses an unsupported JOSE feature');
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return invalidToken('unknown signing key');
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return invalidToken('token signature invalid');
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
      return invalidToken('token is malformed');
    default:
      return invalidToken('token could not be verified');
  }
}
