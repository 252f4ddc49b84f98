/**
 * An in-process {@link TokenStore} (issue 4 item 6): for tests, short-lived programs and embedding
 * applications that persist tokens themselves. Nothing survives the process; nothing is shared with
 * other processes, so its lock is single-flight inside this process only.
 */
import type { ClientRegistration } from '../registration/types.js';
import { KeyedMutex } from './keyed-mutex.js';
import type { LockOptions, StoredTokens, StoreKey, StoreListing, TokenStore } from './types.js';
import {
  checkClientRegistration,
  checkIssuer,
  checkStoredTokens,
  checkStoreKey,
  keyId,
  lockTimeoutOf,
} from './validate.js';

/**
 * Creates an empty in-memory token store. `withLock` is a per-key asynchronous mutex (waiters in
 * arrival order, `TokenStoreLockTimeout` after `timeoutMs`, default 30 s). Values are frozen copies.
 *
 * Does NOT persist anything, and does NOT coordinate with other processes: use `createFileStore`
 * for that.
 *
 * @example
 * const store = createMemoryStore();
 * await store.set(key, tokens);
 * const again = await store.get(key);
 */
export function createMemoryStore(): TokenStore {
  const tokens = new Map<string, { key: StoreKey; tokens: StoredTokens }>();
  const clients = new Map<string, ClientRegistration>();
  const mutex = new KeyedMutex();

  return {
    async get(key: StoreKey): Promise<StoredTokens | undefined> {
      return tokens.get(keyId(checkStoreKey(key)))?.tokens;
    },
    async set(key: StoreKey, value: StoredTokens): Promise<void> {
      const checked = checkStoreKey(key);
      tokens.set(keyId(checked), { key: checked, tokens: checkStoredTokens(checked, value) });
    },
    async delete(key: StoreKey): Promise<void> {
      tokens.delete(keyId(checkStoreKey(key)));
    },
    async list(): Promise<StoreListing> {
      const entries = [...tokens.values()].map(({ key, tokens: t }) =>
        Object.freeze({
          key,
          ...(t.expires_at === undefined ? {} : { expires_at: t.expires_at }),
          ...(t.scope === undefined ? {} : { scope: t.scope }),
          hasRefreshToken: t.refresh_token !== undefined,
        }),
      );
      return Object.freeze({ entries: Object.freeze(entries), problems: Object.freeze([]) });
    },
    async withLock<T>(key: StoreKey, fn: () => Promise<T>, options?: LockOptions): Promise<T> {
      const id = keyId(checkStoreKey(key));
      const release = await mutex.acquire(id, lockTimeoutOf(options));
      try {
        return await fn();
      } finally {
        release();
      }
    },
    async getClient(issuer: string): Promise<ClientRegistration | undefined> {
      return clients.get(checkIssuer(issuer));
    },
    async setClient(issuer: string, registration: ClientRegistration): Promise<void> {
      const checked = checkIssuer(issuer);
      clients.set(checked, checkClientRegistration(checked, registration));
    },
    async deleteClient(issuer: string): Promise<void> {
      clients.delete(checkIssuer(issuer));
    },
  };
}
