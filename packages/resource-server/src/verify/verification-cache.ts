import { invalidArgument } from '@gatehouse/core';
import { type AuthInfo, type AuthInfoFields, createAuthInfo } from '../auth-info.js';
import { VERIFY_DEFAULTS } from './defaults.js';

/** Options of {@link VerificationCache}. */
export interface VerificationCacheOptions {
  /** Most entries kept; the least recently used one is evicted beyond it. Default 10 000. */
  maxEntries?: number;
  /**
   * Longest time an entry is served, whatever the token's `exp`. Default 60 seconds: it bounds how
   * long a token stays accepted after its signing key was withdrawn from the JWKS, or after it was
   * revoked at the introspection endpoint.
   */
  maxTtlSeconds?: number;
  /** The clock, in milliseconds since the epoch. Default `Date.now`; tests inject their own. */
  now?: () => number;
}

interface Entry {
  readonly fields: AuthInfoFields;
  /** Milliseconds since the epoch after which the entry is never served. */
  readonly notAfter: number;
}

/**
 * A bounded LRU memo of successful verifications: token string → the {@link AuthInfo} it produced.
 * It exists so that a protected MCP server does not run a signature check (or an introspection
 * round trip) on every request for the same token.
 *
 * Rules:
 * - an entry is served only for the exact same token string (the token itself is the `Map` key:
 *   measured faster than hashing it with SHA-256, and the cached `AuthInfo` holds the token anyway);
 * - an entry is never served at or after the token's `expiresAt` (checked against `now()` on every
 *   hit, no clock tolerance), nor after `maxTtlSeconds` from insertion;
 * - a token whose `nbf` is still in the future is never stored;
 * - each hit returns a fresh `AuthInfo` copy, so a caller mutating one request's object
 *   (`resourceMetadataUrl`, `extra`, `scopes`) does not affect another request; `claims` and
 *   `audience` are frozen by the verifiers and shared, and `resource` is shared (treat it as
 *   read-only).
 *
 * Only successes are cached; failures are re-checked every time. The cache never logs anything.
 *
 * @example
 * const cache = new VerificationCache({ maxEntries: 1000 });
 * const hit = cache.get(token) ?? (await verifySlowly(token));
 */
export class VerificationCache {
  readonly maxEntries: number;
  readonly maxTtlSeconds: number;
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry>();

  constructor(options: VerificationCacheOptions = {}) {
    const {
      maxEntries = VERIFY_DEFAULTS.cacheMaxEntries,
      maxTtlSeconds = VERIFY_DEFAULTS.cacheMaxTtlSeconds,
    } = options;
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
      throw invalidArgument('"cache.maxEntries" must be a positive integer');
    }
    if (!Number.isFinite(maxTtlSeconds) || maxTtlSeconds <= 0) {
      throw invalidArgument('"cache.maxTtlSeconds" must be a positive number of seconds');
    }
    this.maxEntries = maxEntries;
    this.maxTtlSeconds = maxTtlSeconds;
    this.#now = options.now ?? Date.now;
  }

  /** Number of entries currently held (expired ones included until they are touched or evicted). */
  get size(): number {
    return this.#entries.size;
  }

  /** The cached verification of exactly this token string, or `undefined`. */
  get(token: string): AuthInfo | undefined {
    const entry = this.#entries.get(token);
    if (entry === undefined) return undefined;
    this.#entries.delete(token);
    if (this.#now() >= entry.notAfter) return undefined;
    this.#entries.set(token, entry); // most recently used goes last
    return createAuthInfo(token, { ...entry.fields, scopes: [...entry.fields.scopes] });
  }

  /**
   * Remembers a successful verification. `notBefore` (seconds since the epoch, the token's `nbf`)
   * keeps a token that is not valid yet out of the cache. A token without `expiresAt` is kept for
   * at most `maxTtlSeconds`.
   */
  set(info: AuthInfo, notBefore?: number): void {
    const now = this.#now();
    if (notBefore !== undefined && notBefore * 1000 > now) return;
    let notAfter = now + this.maxTtlSeconds * 1000;
    if (info.expiresAt !== undefined) notAfter = Math.min(notAfter, info.expiresAt * 1000);
    if (notAfter <= now) return;
    const { token, ...fields } = { ...info, token: info.token };
    this.#entries.delete(token);
    this.#entries.set(token, { fields, notAfter });
    if (this.#entries.size > this.maxEntries) {
      // Map iteration order is insertion order: the first key is the least recently used.
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
  }

  /** Forgets every entry. */
  clear(): void {
    this.#entries.clear();
  }
}
