import type { InvalidToken, OAuthError, TemporarilyUnavailable } from '@gatehouse/core';
import { expect } from 'vitest';
import type { TestIssuer } from '../../../../test/support/test-issuer.js';
import type { AuthInfo } from '../auth-info.js';
import type { IntrospectionVerifierOptions } from './introspection-verifier.js';
import type { JwtVerifierOptions } from './jwt-verifier.js';

/** A fixed "now" (seconds) shared by minted tokens and the verifier clock: no timing dependence. */
export const NOW = Math.floor(Date.now() / 1000);

/** JWT verifier options trusting `issuer` for its default audience, its JWKS fetched over loopback. */
export function jwtOptionsFor(
  issuer: TestIssuer,
  overrides: Partial<JwtVerifierOptions> = {},
): JwtVerifierOptions {
  return {
    issuer: issuer.issuer,
    audience: issuer.audience,
    jwksUri: issuer.jwksUri,
    jwksPolicy: { allowLoopback: true },
    ...overrides,
  };
}

/** Introspection verifier options for `issuer`'s RFC 7662 endpoint and client, over loopback. */
export function introspectionOptionsFor(
  issuer: TestIssuer,
  overrides: Partial<IntrospectionVerifierOptions> = {},
): IntrospectionVerifierOptions {
  return {
    introspectionEndpoint: issuer.introspectionEndpoint,
    issuer: issuer.issuer,
    audience: issuer.audience,
    clientId: issuer.introspectionClient.clientId,
    clientSecret: issuer.introspectionClient.clientSecret,
    fetchPolicy: { allowLoopback: true },
    ...overrides,
  };
}

/**
 * Expects `info` to carry what `issuer`'s default claims hold for a token issued at {@link NOW}
 * (client, scopes, subject, exp, resource, issuer, audience), and `token` not to serialize with it.
 * Checks nothing about `info.claims`.
 */
export function expectDefaultAuthInfo(info: AuthInfo, token: string, issuer: TestIssuer): void {
  expect(info.token).toBe(token);
  expect(info.clientId).toBe('client-1');
  expect(info.scopes).toEqual(['mcp:tools', 'mcp:resources']);
  expect(info.subject).toBe('user-1');
  expect(info.expiresAt).toBe(NOW + 300);
  expect(info.resource?.href).toBe(new URL(issuer.audience).href);
  expect(info.issuer).toBe(issuer.issuer);
  expect(info.audience).toEqual([issuer.audience]);
  expect(JSON.stringify(info)).not.toContain(token);
}

/** Every string form of an error that could reach a log or the wire. */
function renderings(error: OAuthError): string[] {
  return [
    error.message,
    String(error),
    error.stack ?? '',
    error.error_description ?? '',
    JSON.stringify(error.toJSON()),
  ];
}

/**
 * Awaits a rejection of the given class (and description, when given) and asserts that no
 * rendering of the error contains any of `secrets` (the token, its signature).
 */
export async function expectRejected(
  promise: Promise<unknown>,
  errorClass: typeof InvalidToken | typeof TemporarilyUnavailable,
  description: string | RegExp | undefined,
  secrets: readonly string[] = [],
): Promise<OAuthError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  expect(caught, 'expected a rejection').toBeInstanceOf(errorClass);
  const error = caught as OAuthError;
  if (typeof description === 'string') expect(error.error_description).toBe(description);
  else if (description !== undefined) expect(error.error_description).toMatch(description);
  for (const secret of secrets) {
    for (const text of renderings(error)) expect(text).not.toContain(secret);
  }
  return error;
}

/** The parts of a compact JWS that must never be echoed: the whole token, its payload and signature. */
export function secretsOf(token: string): string[] {
  const [, payload, signature] = token.split('.');
  return [token, payload, signature].filter((part): part is string => part !== undefined && part.length > 8);
}
