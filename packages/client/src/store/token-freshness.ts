/**
 * When a stored access token is due for renewal (issue 4 item 1: renew before expiry, pain point 6).
 * A fixed margin alone fails for tokens shorter-lived than the margin: a 20 s token against a 60 s
 * margin would be "expiring" from the moment it is issued, and every call would refresh it. The
 * margin is therefore capped at half the token's lifetime (`expires_in`, RFC 6749 §5.1).
 */
import type { StoredTokens } from './types.js';

/**
 * The renewal margin of `tokens` in seconds: `skewSeconds`, but at most half the token's lifetime
 * when `expires_in` is known (a 20 s token is renewed in its last 10 s, a 1 h token in its last
 * `skewSeconds`).
 */
export function renewalMarginSeconds(tokens: StoredTokens, skewSeconds: number): number {
  return tokens.expires_in === undefined ? skewSeconds : Math.min(skewSeconds, tokens.expires_in / 2);
}

/**
 * Whether `tokens` can be used without renewing them first: no known expiry, or more than
 * {@link renewalMarginSeconds} left at `nowMs` (milliseconds since the epoch, default `Date.now()`).
 *
 * Does NOT say whether the server still accepts the token (it may have been revoked).
 *
 * @example
 * await refreshSingleFlight(store, key, refresh, { isFresh: (t) => isTokenFresh(t, 60) });
 */
export function isTokenFresh(tokens: StoredTokens, skewSeconds: number, nowMs: number = Date.now()): boolean {
  if (tokens.expires_at === undefined) return true;
  return tokens.expires_at - nowMs / 1000 > renewalMarginSeconds(tokens, skewSeconds);
}
