/**
 * Fixtures shared by the parts of the storage contract suite (see `contract-suite.test-helpers.ts`).
 */

import type { AccountRecord, KeyRecord, Storage } from './contract.js';

/** What a factory returns: the storage, optionally a way to reopen the same data, and cleanup. */
export interface OpenedStorage {
  storage: Storage;
  /** Opens the same data again after the suite closed `storage` (persistent adapters only). */
  reopen?: () => Promise<Storage>;
  /** Closes every storage it opened (close is idempotent) and removes any files. */
  cleanup: () => Promise<void>;
}

/** The state of the running test: the storage under test and the fake clock's time. */
export interface ContractContext {
  storage: Storage;
  opened: OpenedStorage;
  /** The fake clock (epoch seconds); tests move it forward. */
  now: number;
}

/** The fake clock's start. */
export const T0 = 1_800_000_000;

/** An account record with defaults. */
export function account(id: string, username: string, overrides: Partial<AccountRecord> = {}): AccountRecord {
  return {
    id,
    username,
    passwordHash: `scrypt$hash-of-${id}`,
    createdAt: T0,
    updatedAt: T0,
    failedAttempts: 0,
    lockedUntil: null,
    upstream: null,
    ...overrides,
  };
}

/** A signing key record with defaults. */
export function key(kid: string, overrides: Partial<KeyRecord> = {}): KeyRecord {
  return {
    kid,
    use: 'signing',
    material: `{"kid":"${kid}"}`,
    createdAt: T0,
    retiredAt: null,
    expiresAt: null,
    ...overrides,
  };
}
