/** Shared assertions of the metadata validator tests. */
import { expect } from 'vitest';
import { ProtocolError } from '../errors.js';

/** Runs `fn` and returns the `ProtocolError` it throws; fails the test if it throws anything else or nothing. */
export function thrown(fn: () => unknown): ProtocolError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ProtocolError);
    return error as ProtocolError;
  }
  throw new Error('expected a ProtocolError');
}

/** A copy of `document` with `field` set to `value`, or removed when `value` is `undefined` (a missing field). */
export function withField(
  document: Readonly<Record<string, unknown>>,
  field: string,
  value: unknown,
): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...document, [field]: value };
  if (value === undefined) delete copy[field];
  return copy;
}

/**
 * Expects `fn` to throw an `ERR_INVALID_METADATA` `ProtocolError` naming `field`, whose message
 * matches `message` and, when `documentName` is given, starts with `"<field>" in the <documentName>`.
 */
export function expectInvalidField(
  fn: () => unknown,
  field: string,
  message: RegExp,
  documentName?: string,
): ProtocolError {
  const error = thrown(fn);
  expect(error.code).toBe('ERR_INVALID_METADATA');
  expect(error.attribute).toBe(field);
  if (documentName !== undefined) {
    expect(error.message.startsWith(`"${field}" in the ${documentName}`)).toBe(true);
  }
  expect(error.message).toMatch(message);
  return error;
}
