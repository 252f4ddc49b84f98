import type { InvalidToken, OAuthError, TemporarilyUnavailable } from '@gatehouse/core';
import { expect } from 'vitest';

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
