/**
 * Test helper: makes the only token entry of `store` due for renewal, as if most of its lifetime
 * had passed: `expires_at` set `secondsLeft` (default 5) from now. A token is renewed within
 * `refreshSkewSeconds` of its expiry, at most in the last half of its lifetime (`isTokenFresh`), so
 * 5 s left is due for any lifetime of 10 s or more. The server still accepts the token until its
 * own expiry. Resolves with the entry as it was before.
 */
import type { StoredTokens, StoreKey, TokenStore } from './types.js';

export async function makeRenewalDue(
  store: TokenStore,
  secondsLeft = 5,
): Promise<{ key: StoreKey; tokens: StoredTokens }> {
  const { entries } = await store.list();
  const key = entries.length === 1 ? entries[0]?.key : undefined;
  const tokens = key === undefined ? undefined : await store.get(key);
  if (key === undefined || tokens === undefined) {
    throw new Error(`test: expected one token entry, found ${entries.length}`);
  }
  await store.set(key, { ...tokens, expires_at: Math.floor(Date.now() / 1000) + secondsLeft });
  return { key, tokens };
}
