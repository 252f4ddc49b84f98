/**
 * The in-memory storage adapter: for tests and throw-away demos. Everything is lost when the
 * process exits; use `openSqliteStorage` for anything that must survive a restart.
 */

import { invalidArgument } from '@gatehouse/core';
import { epochSeconds, type ModelStore, type Storage } from './contract.js';
import { assertKey, assertOptionalSeconds, type StorageClockOptions, storageClosed } from './internal.js';
import { MemoryModelStore } from './memory-models.js';
import { MemoryAccountStore, MemoryKeyStore, MemorySettingStore } from './memory-stores.js';

/** Options of {@link createMemoryStorage}. */
export type MemoryStorageOptions = StorageClockOptions;

/**
 * Creates an empty in-memory {@link Storage}: plain Maps with indexes for `uid`, `userCode` and
 * `grantId`, expiry honoured on every read, payloads copied through JSON on the way in and out
 * (so they behave exactly as in the SQL adapters: `undefined` members vanish, callers cannot
 * mutate what is stored).
 *
 * Does NOT persist anything, share state between processes, or purge on a timer (expired rows are
 * invisible at once and freed by `purgeExpired`). After `close()` every method rejects with
 * `ERR_STORAGE_CLOSED`.
 *
 * @example
 * const storage = createMemoryStorage();
 * await storage.model('Session').upsert('id', { uid: 'u1' }, 3600);
 */
export function createMemoryStorage(options: MemoryStorageOptions = {}): Storage {
  if (options.now !== undefined && typeof options.now !== 'function') {
    throw invalidArgument('"now" must be a function returning epoch seconds', 'ERR_INVALID_ARG_TYPE');
  }
  const now = options.now ?? epochSeconds;
  let closed = false;
  const check = (): void => {
    if (closed) throw storageClosed('memory');
  };
  const models = new Map<string, MemoryModelStore>();
  const keys = new MemoryKeyStore(now, check);
  const settings = new MemorySettingStore(now, check);
  return {
    kind: 'memory',
    model(name: string): ModelStore {
      check();
      assertKey(name, 'name');
      let store = models.get(name);
      if (!store) {
        store = new MemoryModelStore(name, now, check);
        models.set(name, store);
      }
      return store;
    },
    accounts: new MemoryAccountStore(check),
    keys,
    settings,
    async purgeExpired(at?: number): Promise<number> {
      check();
      assertOptionalSeconds(at, 'now');
      const t = at ?? now();
      let count = keys.purge(t) + settings.purge(t);
      for (const store of models.values()) count += store.purge(t);
      return count;
    },
    async close(): Promise<void> {
      closed = true;
      models.clear();
    },
  };
}
