/**
 * The one-time setup token: on first start with no account, the server prints a URL carrying a
 * random token; whoever opens it may create the first account. Only the token's SHA-256 hash is
 * stored (setting {@link SETUP_TOKEN_SETTING}), with its expiry; the token is used once.
 *
 * SHA-256 without a salt is enough here: the token has 256 bits of entropy, so the hash cannot be
 * reversed by guessing, and it lives only until it is used or expires.
 */

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { invalidArgument } from '@gatehouse/core';
import { epochSeconds, type SettingStore } from '../storage/contract.js';

/** The setting that holds the current setup token's hash and expiry. */
export const SETUP_TOKEN_SETTING = 'setup-token';

/** Default lifetime of a setup token: one hour. */
export const SETUP_TOKEN_TTL_SECONDS = 3600;

/** Bytes of randomness in a setup token (base64url: 43 characters). */
const TOKEN_BYTES = 32;
const TOKEN_FORMAT = /^[A-Za-z0-9_-]{43}$/;

/** Options with a clock. */
export interface SetupTokenClockOptions {
  /** The clock in epoch seconds. Default: the system clock. */
  now?: () => number;
}

/** Options of {@link issueSetupToken}. */
export interface IssueSetupTokenOptions extends SetupTokenClockOptions {
  /** Lifetime in seconds; default {@link SETUP_TOKEN_TTL_SECONDS}. */
  ttlSeconds?: number;
}

interface StoredSetupToken {
  sha256: Buffer;
  expiresAt: number;
}

function clockOf(options: SetupTokenClockOptions | undefined): () => number {
  const now = options?.now;
  if (now !== undefined && typeof now !== 'function') {
    throw invalidArgument('"now" must be a function returning epoch seconds', 'ERR_INVALID_ARG_TYPE');
  }
  return () => Math.floor((now ?? epochSeconds)());
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

function parseStored(value: string | undefined): StoredSetupToken | undefined {
  if (value === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(value);
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const { sha256, expiresAt } = parsed as Record<string, unknown>;
    if (typeof sha256 !== 'string' || typeof expiresAt !== 'number' || !Number.isFinite(expiresAt))
      return undefined;
    const hash = Buffer.from(sha256, 'base64url');
    return hash.length === 32 ? { sha256: hash, expiresAt } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Creates a new setup token, replacing any earlier one, and stores only its SHA-256 hash and
 * expiry. Returns the token (32 random bytes, base64url) for the setup URL; it is not kept.
 *
 * Does NOT check that no account exists yet (the caller decides when setup is allowed).
 *
 * @example
 * const token = await issueSetupToken(storage.settings);
 * const url = `${issuer}/setup?token=${token}`;
 */
export async function issueSetupToken(
  settings: SettingStore,
  options: IssueSetupTokenOptions = {},
): Promise<string> {
  const ttl = options.ttlSeconds ?? SETUP_TOKEN_TTL_SECONDS;
  if (typeof ttl !== 'number' || !Number.isSafeInteger(ttl) || ttl < 1) {
    throw invalidArgument('"ttlSeconds" must be a whole number of seconds >= 1');
  }
  const now = clockOf(options)();
  const token = randomBytes(TOKEN_BYTES).toString('base64url');
  const expiresAt = now + ttl;
  const value = JSON.stringify({ sha256: digest(token).toString('base64url'), expiresAt });
  await settings.set(SETUP_TOKEN_SETTING, value, expiresAt);
  return token;
}

/** Whether `token` matches the stored hash and has not expired (removing an expired one). */
async function matches(settings: SettingStore, token: unknown, now: number): Promise<boolean> {
  const stored = parseStored(await settings.get(SETUP_TOKEN_SETTING));
  if (!stored) return false;
  if (stored.expiresAt <= now) {
    await settings.delete(SETUP_TOKEN_SETTING);
    return false;
  }
  // Malformed input is compared against a fixed string, so every answer costs one hash and one compare.
  const candidate = typeof token === 'string' && TOKEN_FORMAT.test(token) ? token : '';
  return timingSafeEqual(digest(candidate), stored.sha256) && candidate !== '';
}

/**
 * Checks a setup token WITHOUT using it up: for showing the setup form before the account details
 * are submitted. Constant-time comparison of SHA-256 hashes; false when absent, wrong or expired.
 */
export async function verifySetupToken(
  settings: SettingStore,
  token: string,
  options: SetupTokenClockOptions = {},
): Promise<boolean> {
  return matches(settings, token, clockOf(options)());
}

/**
 * Uses up a setup token: true exactly once for the current token before it expires (constant-time
 * comparison of SHA-256 hashes). When two requests race with the right token, the store's delete
 * decides: only the one that removed the setting gets true.
 *
 * @example
 * if (!(await consumeSetupToken(storage.settings, token))) return showExpiredPage();
 */
export async function consumeSetupToken(
  settings: SettingStore,
  token: string,
  options: SetupTokenClockOptions = {},
): Promise<boolean> {
  if (!(await matches(settings, token, clockOf(options)()))) return false;
  return settings.delete(SETUP_TOKEN_SETTING);
}
