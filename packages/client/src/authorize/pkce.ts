/**
 * Proof Key for Code Exchange (RFC 7636), `S256` only: the one method MCP clients use (MCP
 * 2025-11-25 and 2026-07-28 § Authorization Code Protection; requirements §2.3).
 */
import { createHash, randomBytes } from 'node:crypto';
import { invalidArgument } from '@gatehouse/core';

/** RFC 7636 §4.1: 43 to 128 characters of `[A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~"`. */
const CODE_VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;

/**
 * A fresh `code_verifier` (RFC 7636 §4.1): 32 bytes from the operating system's CSPRNG, base64url
 * without padding, i.e. 43 unreserved characters (256 bits of entropy, RFC 7636 §7.1). Secret until
 * the token request: never log it.
 *
 * @example
 * const verifier = generateCodeVerifier(); // 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'-like
 */
export function generateCodeVerifier(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * The `S256` `code_challenge` of a verifier (RFC 7636 §4.2): `BASE64URL(SHA256(ASCII(verifier)))`.
 * A verifier that is not 43..128 unreserved characters is a `TypeError` (`ERR_INVALID_ARG_VALUE`),
 * its value never shown.
 *
 * @example
 * codeChallengeS256('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'); // 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'
 */
export function codeChallengeS256(codeVerifier: string): string {
  if (typeof codeVerifier !== 'string' || !CODE_VERIFIER.test(codeVerifier)) {
    throw invalidArgument(
      '"codeVerifier" must be 43 to 128 unreserved characters (RFC 7636 §4.1)',
      typeof codeVerifier === 'string' ? 'ERR_INVALID_ARG_VALUE' : 'ERR_INVALID_ARG_TYPE',
    );
  }
  return createHash('sha256').update(codeVerifier, 'ascii').digest('base64url');
}

/** A PKCE pair for one authorization request. `codeVerifier` is secret. */
export interface PkcePair {
  readonly codeVerifier: string;
  readonly codeChallenge: string;
  readonly codeChallengeMethod: 'S256';
}

/**
 * A fresh verifier with its `S256` challenge.
 *
 * @example
 * const { codeVerifier, codeChallenge } = generatePkce();
 */
export function generatePkce(): PkcePair {
  const codeVerifier = generateCodeVerifier();
  return Object.freeze({
    codeVerifier,
    codeChallenge: codeChallengeS256(codeVerifier),
    codeChallengeMethod: 'S256',
  });
}
