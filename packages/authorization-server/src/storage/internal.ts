/**
 * Pieces shared by the storage adapters (not exported from the package): argument checks, expiry
 * arithmetic and the payload copy that gives every adapter the same JSON semantics.
 */

import { invalidArgument } from '@gatehouse/core';
import type { AccountChanges, AccountRecord, KeyRecord, KeyUse, ModelPayload } from './contract.js';

/** Options every adapter accepts. */
export interface StorageClockOptions {
  /**
   * The clock, in epoch seconds, used for expiry on read, `consume` and the default of
   * `purgeExpired`. Default: `epochSeconds` (the system clock). Tests pass a fake one.
   */
  now?: () => number;
}

/** Checks an id-like string argument (model ids, uids, kids, setting names…). */
export function assertKey(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string' || value.length === 0) {
    throw invalidArgument(`"${name}" must be a non-empty string`, 'ERR_INVALID_ARG_TYPE');
  }
}

/** Checks an optional epoch-seconds (or seconds) number argument. */
export function assertOptionalSeconds(value: unknown, name: string): asserts value is number | undefined {
  if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value))) {
    throw invalidArgument(`"${name}" must be a finite number of seconds`, 'ERR_INVALID_ARG_TYPE');
  }
}

/** The absolute expiry for a TTL, or null for "never". */
export function expiresAtFrom(now: number, expiresInSeconds: number | undefined): number | null {
  return expiresInSeconds === undefined ? null : now + expiresInSeconds;
}

/** A record is live until its expiry instant: `expiresAt <= now` means expired. */
export function isLive(expiresAt: number | null, now: number): boolean {
  return expiresAt === null || expiresAt > now;
}

/**
 * Serialises a model payload to JSON text, the form every adapter stores. Throws a misuse error
 * naming the model (never the content) when the payload is not a JSON object.
 */
export function payloadToJson(model: string, payload: ModelPayload): string {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    throw invalidArgument(`"payload" of ${model} must be a JSON object`, 'ERR_INVALID_ARG_TYPE');
  }
  return JSON.stringify(payload);
}

/**
 * Reads a stored payload, overlaying `consumed` when the record was consumed. A stored text that
 * is not JSON is reported by model name only: the parser's message would quote the text (tokens).
 */
export function payloadFromJson(model: string, json: string, consumedAt: number | null): ModelPayload {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new Error(`a stored ${model} record is not valid JSON`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error(`a stored ${model} record is not a JSON object`);
  }
  const payload = parsed as Record<string, unknown>;
  if (consumedAt !== null) payload.consumed = consumedAt;
  return payload;
}

/** Checks a string value argument (may be empty). */
export function assertString(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string') throw invalidArgument(`"${name}" must be a string`, 'ERR_INVALID_ARG_TYPE');
}

/** The lookup form of a username: usernames are unique case-insensitively. */
export function usernameKey(username: string): string {
  return username.toLowerCase();
}

/** Checks an account record passed to `create` (shape only; policy is the account service's). */
export function assertAccountRecord(account: unknown): asserts account is AccountRecord {
  if (account === null || typeof account !== 'object') {
    throw invalidArgument('"account" must be an object', 'ERR_INVALID_ARG_TYPE');
  }
  const a = account as Record<string, unknown>;
  assertKey(a.id, 'account.id');
  assertKey(a.username, 'account.username');
  if (typeof a.passwordHash !== 'string') {
    throw invalidArgument('"account.passwordHash" must be a string', 'ERR_INVALID_ARG_TYPE');
  }
  for (const field of ['createdAt', 'updatedAt', 'failedAttempts'] as const) {
    if (typeof a[field] !== 'number' || !Number.isFinite(a[field])) {
      throw invalidArgument(`"account.${field}" must be a finite number`, 'ERR_INVALID_ARG_TYPE');
    }
  }
  if (a.lockedUntil === undefined) {
    throw invalidArgument('"account.lockedUntil" must be a number or null', 'ERR_INVALID_ARG_TYPE');
  }
  if (a.upstream === undefined) {
    throw invalidArgument('"account.upstream" must be an object or null', 'ERR_INVALID_ARG_TYPE');
  }
  assertChanges({ lockedUntil: a.lockedUntil, upstream: a.upstream } as AccountChanges, 'account');
}

/** Checks the fields of an account update. */
export function assertChanges(changes: AccountChanges, prefix = 'changes'): void {
  if (changes === null || typeof changes !== 'object') {
    throw invalidArgument(`"${prefix}" must be an object`, 'ERR_INVALID_ARG_TYPE');
  }
  if (changes.passwordHash !== undefined && typeof changes.passwordHash !== 'string') {
    throw invalidArgument(`"${prefix}.passwordHash" must be a string`, 'ERR_INVALID_ARG_TYPE');
  }
  if (
    changes.failedAttempts !== undefined &&
    (typeof changes.failedAttempts !== 'number' || !Number.isFinite(changes.failedAttempts))
  ) {
    throw invalidArgument(`"${prefix}.failedAttempts" must be a finite number`, 'ERR_INVALID_ARG_TYPE');
  }
  if (
    changes.lockedUntil !== undefined &&
    changes.lockedUntil !== null &&
    (typeof changes.lockedUntil !== 'number' || !Number.isFinite(changes.lockedUntil))
  ) {
    throw invalidArgument(`"${prefix}.lockedUntil" must be a finite number or null`, 'ERR_INVALID_ARG_TYPE');
  }
  const upstream: unknown = changes.upstream;
  if (upstream !== undefined && upstream !== null) {
    const u = upstream as Record<string, unknown>;
    if (typeof upstream !== 'object' || typeof u.issuer !== 'string' || typeof u.subject !== 'string') {
      throw invalidArgument(
        `"${prefix}.upstream" must be null or { issuer: string, subject: string }`,
        'ERR_INVALID_ARG_TYPE',
      );
    }
  }
}

/** The error every adapter raises when used after `close()`. */
export function storageClosed(kind: string): Error & { code: 'ERR_STORAGE_CLOSED' } {
  const error = new Error(`${kind} storage is closed`) as Error & { code: 'ERR_STORAGE_CLOSED' };
  error.code = 'ERR_STORAGE_CLOSED';
  return error;
}

/** Checks a key use argument. */
export function assertUse(use: unknown): asserts use is KeyUse {
  if (use !== 'signing' && use !== 'cookie') {
    throw invalidArgument('"use" must be "signing" or "cookie"', 'ERR_INVALID_ARG_VALUE');
  }
}

/** Checks a required epoch-seconds number argument. */
export function assertSeconds(value: unknown, name: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw invalidArgument(`"${name}" must be a finite number of seconds`, 'ERR_INVALID_ARG_TYPE');
  }
}

/** Checks a key record passed to `KeyStore.insert` (shape only). */
export function assertKeyRecord(key: unknown): asserts key is KeyRecord {
  if (key === null || typeof key !== 'object')
    throw invalidArgument('"key" must be an object', 'ERR_INVALID_ARG_TYPE');
  const k = key as Record<string, unknown>;
  assertKey(k.kid, 'key.kid');
  assertUse(k.use);
  assertKey(k.material, 'key.material');
  assertSeconds(k.createdAt, 'key.createdAt');
  if (k.retiredAt !== null) assertSeconds(k.retiredAt, 'key.retiredAt');
  if (k.expiresAt !== null) assertSeconds(k.expiresAt, 'key.expiresAt');
}
