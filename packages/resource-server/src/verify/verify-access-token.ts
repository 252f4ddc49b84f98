import { invalidArgument } from '@gatehouse/core';
import type { AuthInfo } from '../auth-info.js';
import { extractBearerToken } from '../bearer.js';
import { refuseBoundBearerToken } from '../dpop/token-binding.js';
import { createIntrospectionVerifier, type IntrospectionVerifierOptions } from './introspection-verifier.js';
import { createJwtVerifier, type JwtVerifierOptions } from './jwt-verifier.js';
import type { AccessTokenVerifier } from './types.js';

/**
 * How to verify access tokens: JWT options (`jwks` / `jwksUri`), introspection options
 * (`introspectionEndpoint`), or a ready-made verifier.
 */
export type VerifyAccessTokenOptions =
  | JwtVerifierOptions
  | IntrospectionVerifierOptions
  | { verifier: AccessTokenVerifier };

function isVerifier(value: unknown): value is AccessTokenVerifier {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { verify?: unknown }).verify === 'function'
  );
}

/**
 * Builds the {@link AccessTokenVerifier} described by `options`:
 * - `{ verifier }`: that verifier, as is;
 * - `introspectionEndpoint` present: `createIntrospectionVerifier` (RFC 7662);
 * - otherwise: `createJwtVerifier` (RFC 9068).
 *
 * Options are validated now (a `TypeError` with a `code` on misuse), not on the first request.
 *
 * @example
 * const verifier = createAccessTokenVerifier({ issuer, audience, jwksUri });
 */
export function createAccessTokenVerifier(options: VerifyAccessTokenOptions): AccessTokenVerifier {
  if (typeof options !== 'object' || options === null) {
    throw invalidArgument('access token verification options must be an object', 'ERR_INVALID_ARG_TYPE');
  }
  if ('verifier' in options) {
    if (!isVerifier(options.verifier)) {
      throw invalidArgument('"verifier" must have a verify(token) method', 'ERR_INVALID_ARG_TYPE');
    }
    if (Object.keys(options).length !== 1) {
      throw invalidArgument('"verifier" cannot be combined with other verification options');
    }
    return options.verifier;
  }
  if ('introspectionEndpoint' in options) return createIntrospectionVerifier(options);
  return createJwtVerifier(options);
}

/** Verifiers built by {@link verifyAccessToken}, per options object, so JWKS and caches are reused. */
const verifiers = new WeakMap<object, AccessTokenVerifier>();

/**
 * Checks the request's access token and says what it grants: {@link extractBearerToken}
 * (RFC 6750 §2.1) then `verify` (OAuth 2.1 §5.2; MCP § Token Handling).
 *
 * `options` may be a verifier or options for {@link createAccessTokenVerifier}. The verifier made
 * from an options object is kept in a `WeakMap` keyed by that object, so pass the same object on
 * every call (define it once, outside the handler) to keep the JWKS and verification caches warm.
 *
 * Rejects with `InvalidToken` (401; `tokenPresent: false` when there was no token),
 * `InvalidRequest` (400: malformed header, token in the query string) or `TemporarilyUnavailable`
 * (503); a DPoP-bound token (`cnf.jkt`) is an `InvalidToken` here, never accepted as a bearer
 * token (RFC 9449 §7.2; `createResourceServer` with `dpop` checks DPoP proofs). Does NOT check
 * scopes or the `Origin` header.
 *
 * @example
 * const options = { issuer, audience: 'https://mcp.example.com/mcp', jwksUri };
 * const authInfo = await verifyAccessToken(request, options);
 */
export async function verifyAccessToken(
  request: Request,
  options: VerifyAccessTokenOptions | AccessTokenVerifier,
): Promise<AuthInfo> {
  let verifier: AccessTokenVerifier | undefined;
  if (isVerifier(options)) {
    verifier = options;
  } else {
    verifier = verifiers.get(options);
    if (verifier === undefined) {
      verifier = createAccessTokenVerifier(options);
      verifiers.set(options, verifier);
    }
  }
  const token = extractBearerToken(request);
  const info = await verifier.verify(token);
  refuseBoundBearerToken(info);
  return info;
}
