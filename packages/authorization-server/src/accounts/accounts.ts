/**
 * Local user accounts: creation with username and password rules, sign-in with constant-work
 * checks and lockout with exponential backoff, password changes. Records live in
 * {@link Storage.accounts}; passwords only ever as scrypt hashes (see `password-hash.ts`).
 */

import { randomBytes } from 'node:crypto';
import { invalidArgument } from '@gatehouse/core';
import { AccountConflict, type AccountRecord, epochSeconds, type Storage } from '../storage/contract.js';
import {
  assertScryptParameters,
  DEFAULT_SCRYPT_PARAMETERS,
  hashPassword,
  needsRehash,
  parsePasswordHash,
  type ScryptParameters,
  verifyPassword,
} from './password-hash.js';

/**
 * Every account policy number, in one place.
 *
 * - usernames: trimmed, NFC-normalised, 1..64 characters (code points), no control, format,
 *   surrogate, private-use or line/paragraph separator characters; unique case-insensitively;
 * - passwords: 12..1024 characters (code points, after NFKC), not equal to the username
 *   (case-insensitively); no composition rules (NIST SP 800-63B §5.1.1.2);
 * - lockout: after `threshold` (5) consecutive failures, each further failure locks sign-in for
 *   `baseSeconds` (30) doubled per failure beyond the threshold, capped at `maxSeconds` (900 = 15
 *   min): 30 s, 60 s, 2 min, 4 min, 8 min, 15 min, 15 min…; a success resets the count.
 */
export const ACCOUNT_DEFAULTS = Object.freeze({
  usernameMaxLength: 64,
  passwordMinLength: 12,
  passwordMaxLength: 1024,
  lockout: Object.freeze({ threshold: 5, baseSeconds: 30, maxSeconds: 15 * 60 }),
  scrypt: DEFAULT_SCRYPT_PARAMETERS,
});

/** The result of {@link AccountService.authenticate}. */
export type AuthenticationResult =
  | { ok: true; account: AccountRecord }
  | { ok: false; reason: 'invalid' | 'locked'; retryAfterSeconds?: number };

/** Local accounts of the authorization server. */
export interface AccountService {
  /**
   * Creates an account. Throws a `TypeError` (`ERR_INVALID_ARG_VALUE` / `_TYPE`) naming the rule a
   * username or password breaks (never echoing the password), and {@link AccountConflict} when the
   * username is taken (case-insensitively).
   */
  create(username: string, password: string): Promise<AccountRecord>;
  /**
   * Checks a username and password. Unknown usernames cost the same hash work as known ones; a
   * locked account answers `locked` with `retryAfterSeconds` without checking the password.
   */
  authenticate(username: string, password: string): Promise<AuthenticationResult>;
  findById(id: string): Promise<AccountRecord | undefined>;
  /** Sets a new password (same rules as `create`) and clears any lockout; false for an unknown id. */
  setPassword(id: string, password: string): Promise<boolean>;
  remove(id: string): Promise<boolean>;
  list(): Promise<AccountRecord[]>;
  count(): Promise<number>;
}

/** Options of {@link createAccountService}. */
export interface AccountServiceOptions {
  /** The clock in epoch seconds. Default: the system clock. */
  now?: () => number;
  /** scrypt cost for new hashes; default {@link DEFAULT_SCRYPT_PARAMETERS}. Tests may lower `N`. */
  scrypt?: { N?: number; r?: number; p?: number };
}

// Cc control, Cf format (zero-width and bidi controls), Cs surrogates, Co private use, Zl/Zp separators.
const FORBIDDEN_IN_USERNAME = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Zl}\p{Zp}]/u;

function codePoints(value: string): number {
  let count = 0;
  for (const _ of value) count++;
  return count;
}

/** The stored form of a username, or a TypeError naming the rule it breaks. */
function normalizeUsername(username: unknown): string {
  if (typeof username !== 'string')
    throw invalidArgument('"username" must be a string', 'ERR_INVALID_ARG_TYPE');
  const value = username.normalize('NFC').trim();
  const length = codePoints(value);
  if (length < 1 || length > ACCOUNT_DEFAULTS.usernameMaxLength) {
    throw invalidArgument(
      `"username" must be 1 to ${ACCOUNT_DEFAULTS.usernameMaxLength} characters long (leading and trailing spaces are removed)`,
    );
  }
  if (FORBIDDEN_IN_USERNAME.test(value)) {
    throw invalidArgument('"username" must not contain control or invisible formatting characters');
  }
  return value;
}

/** Throws a TypeError naming the password rule broken; the message never contains the password. */
function assertPasswordRules(password: unknown, username: string): asserts password is string {
  if (typeof password !== 'string')
    throw invalidArgument('"password" must be a string', 'ERR_INVALID_ARG_TYPE');
  const normalized = password.normalize('NFKC');
  const length = codePoints(normalized);
  if (length < ACCOUNT_DEFAULTS.passwordMinLength) {
    throw invalidArgument(
      `"password" must be at least ${ACCOUNT_DEFAULTS.passwordMinLength} characters long`,
    );
  }
  if (length > ACCOUNT_DEFAULTS.passwordMaxLength) {
    throw invalidArgument(`"password" must be at most ${ACCOUNT_DEFAULTS.passwordMaxLength} characters long`);
  }
  if (normalized.toLowerCase() === username.normalize('NFKC').toLowerCase()) {
    throw invalidArgument('"password" must not be the same as the username');
  }
}

/** Seconds of lockout after `failures` consecutive failures (0 below the threshold). */
export function lockoutSeconds(failures: number): number {
  const { threshold, baseSeconds, maxSeconds } = ACCOUNT_DEFAULTS.lockout;
  if (failures < threshold) return 0;
  const exponent = Math.min(failures - threshold, 30);
  return Math.min(baseSeconds * 2 ** exponent, maxSeconds);
}

function assertStorage(storage: unknown): asserts storage is Storage {
  const accounts = (storage as Partial<Storage> | null)?.accounts;
  if (typeof accounts !== 'object' || accounts === null || typeof accounts.findByUsername !== 'function') {
    throw invalidArgument('"storage" must be a Storage with an accounts store', 'ERR_INVALID_ARG_TYPE');
  }
}

/**
 * Creates the account service over `storage.accounts`.
 *
 * Sign-in (`authenticate`) follows OWASP's authentication guidance: the same answer (`invalid`)
 * and the same scrypt work for an unknown username, a wrong password and an account without a
 * local password; after repeated failures a lockout with exponential backoff (see
 * {@link ACCOUNT_DEFAULTS}); hashes made with weaker parameters are upgraded on the next success.
 *
 * Does NOT: rate-limit by client address (the interaction routes' job), hide whether an account is
 * locked (a `locked` answer reveals that the username exists, by design: people need to know), or
 * count failures atomically across concurrent requests (the store has no increment; two racing
 * failures may count as one).
 *
 * @example
 * const accounts = createAccountService(storage);
 * await accounts.create('alice', 'correct horse battery staple');
 * const result = await accounts.authenticate('Alice', 'correct horse battery staple'); // ok: true
 */
export function createAccountService(storage: Storage, options: AccountServiceOptions = {}): AccountService {
  assertStorage(storage);
  if (options.now !== undefined && typeof options.now !== 'function') {
    throw invalidArgument('"now" must be a function returning epoch seconds', 'ERR_INVALID_ARG_TYPE');
  }
  const params: ScryptParameters = { ...DEFAULT_SCRYPT_PARAMETERS, ...options.scrypt };
  assertScryptParameters(params, 'scrypt');
  const clock = options.now ?? epochSeconds;
  const now = (): number => Math.floor(clock());
  const store = storage.accounts;

  // A hash of a random password with the same parameters, made now so that even the first unknown
  // username costs exactly one verification. A failure surfaces at the first use.
  const dummyHash = hashPassword(randomBytes(24).toString('base64url'), params);
  dummyHash.catch(() => undefined);

  async function burnVerification(password: string): Promise<void> {
    await verifyPassword(password, await dummyHash);
  }

  async function create(username: string, password: string): Promise<AccountRecord> {
    const name = normalizeUsername(username);
    assertPasswordRules(password, name);
    if (await store.findByUsername(name)) throw new AccountConflict('the username is already taken');
    const t = now();
    const account: AccountRecord = {
      id: randomBytes(16).toString('base64url'),
      username: name,
      passwordHash: await hashPassword(password, params),
      createdAt: t,
      updatedAt: t,
      failedAttempts: 0,
      lockedUntil: null,
      upstream: null,
    };
    await store.create(account); // AccountConflict if another request took the name meanwhile
    return account;
  }

  async function authenticate(username: string, password: string): Promise<AuthenticationResult> {
    const candidate = typeof password === 'string' ? password : '';
    let name: string | undefined;
    try {
      name = normalizeUsername(username);
    } catch {
      name = undefined;
    }
    const account = name === undefined ? undefined : await store.findByUsername(name);
    if (!account || !parsePasswordHash(account.passwordHash) || typeof password !== 'string') {
      await burnVerification(candidate);
      return { ok: false, reason: 'invalid' };
    }
    const t = now();
    if (account.lockedUntil !== null && account.lockedUntil > t) {
      return {
        ok: false,
        reason: 'locked',
        retryAfterSeconds: Math.max(1, Math.ceil(account.lockedUntil - t)),
      };
    }
    if (!(await verifyPassword(password, account.passwordHash))) {
      const failedAttempts = account.failedAttempts + 1;
      const lock = lockoutSeconds(failedAttempts);
      const at = now();
      await store.update(account.id, { failedAttempts, lockedUntil: lock > 0 ? at + lock : null }, at);
      return lock > 0
        ? { ok: false, reason: 'locked', retryAfterSeconds: lock }
        : { ok: false, reason: 'invalid' };
    }
    const at = now();
    const changes: { failedAttempts?: number; lockedUntil?: null; passwordHash?: string } = {};
    if (account.failedAttempts !== 0 || account.lockedUntil !== null) {
      changes.failedAttempts = 0;
      changes.lockedUntil = null;
    }
    if (needsRehash(account.passwordHash, params))
      changes.passwordHash = await hashPassword(password, params);
    if (Object.keys(changes).length === 0) return { ok: true, account };
    await store.update(account.id, changes, at);
    return { ok: true, account: (await store.findById(account.id)) ?? account };
  }

  async function setPassword(id: string, password: string): Promise<boolean> {
    if (typeof id !== 'string' || id.length === 0) {
      throw invalidArgument('"id" must be a non-empty string', 'ERR_INVALID_ARG_TYPE');
    }
    const account = await store.findById(id);
    if (!account) return false;
    assertPasswordRules(password, account.username);
    const passwordHash = await hashPassword(password, params);
    return store.update(id, { passwordHash, failedAttempts: 0, lockedUntil: null }, now());
  }

  return {
    create,
    authenticate,
    findById: (id) => store.findById(id),
    setPassword,
    remove: (id) => store.remove(id),
    list: () => store.list(),
    count: () => store.count(),
  };
}
