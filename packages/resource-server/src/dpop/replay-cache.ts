/**
 * The `jti` replay cache of DPoP proofs (RFC 9449 §11.1): bounded in time (each entry lives as long
 * as a proof with its `iat` can be accepted) and in size (the oldest entry goes first).
 */

/** Remembers keys for a fixed time; `add` says whether a key is new. */
export interface ReplayCache {
  /** `true` when `key` was not seen within the lifetime, and remembers it; `false` for a replay. */
  add(key: string): boolean;
  readonly size: number;
}

/**
 * A replay cache whose entries live `lifetimeSeconds` and of which at most `maxEntries` are kept.
 * Entries expire in insertion order (one lifetime for all), so pruning looks only at the oldest.
 * When full of live entries the oldest is forgotten: replays are then caught only within the last
 * `maxEntries` proofs (size it above the proofs expected per lifetime).
 *
 * @example
 * const cache = createReplayCache(600, 100_000);
 * if (!cache.add(`${jkt}.${jti}`)) throw new InvalidDpopProof({ description: 'the DPoP proof was already used' });
 */
export function createReplayCache(
  lifetimeSeconds: number,
  maxEntries: number,
  now: () => number = Date.now,
): ReplayCache {
  const expiries = new Map<string, number>();
  const prune = (at: number) => {
    for (const [key, expiry] of expiries) {
      if (expiry > at) break;
      expiries.delete(key);
    }
  };
  return {
    add(key) {
      const at = now();
      prune(at);
      if (expiries.has(key)) return false;
      if (expiries.size >= maxEntries) expiries.delete(expiries.keys().next().value as string);
      expiries.set(key, at + lifetimeSeconds * 1000);
      return true;
    },
    get size() {
      return expiries.size;
    },
  };
}
