/**
 * Single-flight refresh over a {@link TokenStore} (issue 4 item 6; pain point 7: concurrent
 * refreshes racing against a rotating refresh token). With the file store this holds across
 * processes: of several processes that find the same expiring token, one redeems the refresh token
 * and the others, once they get the lock, re-read the store and use its result.
 */
import { invalidArgument } from '@gatehouse/core';
import type { LockOptions, StoredTokens, StoreKey, TokenStore } from './types.js';
import { checkStoredTokens, checkStoreKey } from './validate.js';

/** Options of {@link refreshSingleFlight}. */
export interface RefreshSingleFlightOptions extends LockOptions {
  /**
   * Required. Whether the tokens re-read under the lock are good enough to use without refreshing,
   * e.g. `(t) => t.expires_at === undefined || t.expires_at - now() / 1000 > 60`. When another
   * process refreshed meanwhile, this sees its result and says `true`.
   */
  readonly isFresh: (tokens: StoredTokens) => boolean;
}

/**
 * Takes the store's lock for `key`, re-reads the tokens, and returns them if `isFresh` accepts them
 * (another holder already refreshed); otherwise calls `refresh(current)`, stores its result and
 * returns it, all before releasing the lock, so a rotated refresh token is never redeemed twice.
 *
 * When `refresh` returns no `refresh_token`, the current one is kept (RFC 6749 §6: the server MAY
 * issue a new one; the old one stays valid when it does not).
 *
 * Resolves `undefined` when nothing is stored under `key` (signed out meanwhile): run the
 * authorization flow instead. An error from `refresh` is passed through and the stored tokens are
 * left as they were: do NOT delete them on `invalid_grant` without re-reading under the lock, or a
 * process that lost the race may wipe the winner's fresh tokens.
 *
 * Does NOT check the tokens `refresh` returns beyond their shape and key (`issuer`, `resource`,
 * `client_id` must be the key's): validate the token response first (`processTokenResponse`).
 *
 * @example
 * const tokens = await refreshSingleFlight(store, key, async (current) => toStored(await redeem(current)), {
 *   isFresh: (t) => t.expires_at === undefined || t.expires_at > Date.now() / 1000 + 60,
 * });
 */
export async function refreshSingleFlight(
  store: TokenStore,
  key: StoreKey,
  refresh: (current: StoredTokens) => Promise<StoredTokens>,
  options: RefreshSingleFlightOptions,
): Promise<StoredTokens | undefined> {
  const checked = checkStoreKey(key);
  if (typeof refresh !== 'function') throw invalidArgument('"refresh" must be a function');
  if (typeof options !== 'object' || options === null || typeof options.isFresh !== 'function') {
    throw invalidArgument(
      '"isFresh" is required: it says when re-read tokens need no refresh',
      'ERR_MISSING_OPTION',
    );
  }
  const { isFresh } = options;
  const lockOptions = options.timeoutMs === undefined ? undefined : { timeoutMs: options.timeoutMs };
  return store.withLock(
    checked,
    async () => {
      const current = await store.get(checked);
      if (current === undefined) return undefined;
      if (isFresh(current)) return current;
      const next = await refresh(current);
      const merged =
        typeof next === 'object' &&
        next !== null &&
        next.refresh_token === undefined &&
        current.refresh_token !== undefined
          ? { ...next, refresh_token: current.refresh_token }
          : next;
      const stored = checkStoredTokens(checked, merged);
      await store.set(checked, stored);
      return stored;
    },
    lockOptions,
  );
}
