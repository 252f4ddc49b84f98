/**
 * The cache of Client ID Metadata Documents (CIMD draft §4.3; MCP 2025-11-25 § Client ID Metadata
 * Documents > Implementation Requirements: "SHOULD cache … respecting HTTP cache headers").
 *
 * The lifetime of a document comes from its response headers, within fixed bounds (see
 * {@link cacheLifetimeSeconds}). The cache is in memory, per process, bounded in size; it is not a
 * general HTTP cache: no revalidation (`ETag`, `Last-Modified`), no `Vary`.
 */

/** Bounds of a cache lifetime, in seconds. */
export interface CacheBounds {
  /** Floor: a response that may be cached is kept at least this long. */
  readonly minSeconds: number;
  /** Ceiling: nothing is kept longer. */
  readonly maxSeconds: number;
}

/** The `max-age` (or `s-maxage`) value of a `Cache-Control` header, or undefined. */
function directiveSeconds(directives: readonly string[], name: string): number | undefined {
  for (const directive of directives) {
    const [key = '', value = ''] = directive.split('=', 2);
    if (key.trim() !== name) continue;
    const text = value.trim().replace(/^"(.*)"$/, '$1');
    if (/^\d{1,10}$/.test(text)) return Number(text);
  }
  return undefined;
}

/**
 * How long a fetched document may be reused, in seconds, from its response headers (RFC 9111 §5.2,
 * §5.3), clamped to `bounds`:
 * - `Cache-Control: no-store` or `no-cache` → 0: not cached, fetched again on every use;
 * - else `s-maxage` (the authorization server is a shared cache, RFC 9111 §5.2.2.10), else
 *   `max-age`, else `Expires` minus `Date` (or now) → clamped to `[minSeconds, maxSeconds]`;
 * - no usable header → `minSeconds`.
 *
 * It does NOT honour `private`, `must-revalidate`, `Age` or `Vary`.
 */
export function cacheLifetimeSeconds(headers: Headers, bounds: CacheBounds, nowMs = Date.now()): number {
  const directives = (headers.get('cache-control') ?? '')
    .toLowerCase()
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
  const names = new Set(directives.map((directive) => directive.split('=', 1)[0]?.trim()));
  if (names.has('no-store') || names.has('no-cache')) return 0;
  let seconds = directiveSeconds(directives, 's-maxage') ?? directiveSeconds(directives, 'max-age');
  if (seconds === undefined) {
    const expires = Date.parse(headers.get('expires') ?? '');
    const date = Date.parse(headers.get('date') ?? '');
    if (!Number.isNaN(expires)) seconds = Math.floor((expires - (Number.isNaN(date) ? nowMs : date)) / 1000);
  }
  if (seconds === undefined) return bounds.minSeconds;
  return Math.min(bounds.maxSeconds, Math.max(bounds.minSeconds, seconds));
}

/** Options of {@link createTtlCache}. */
export interface TtlCacheOptions {
  /** Entries kept at most; when full, the oldest entry is dropped. */
  readonly maxEntries: number;
  /** Now, in milliseconds. Default `Date.now`. For tests. */
  readonly now?: () => number;
}

/** A bounded map whose entries expire. */
export interface TtlCache<V> {
  /** The value stored under `key`, unless it has expired. */
  get(key: string): V | undefined;
  /** Stores `value` for `seconds`; `seconds <= 0` removes the key instead. */
  set(key: string, value: V, seconds: number): void;
  delete(key: string): void;
  readonly size: number;
}

/**
 * Creates an in-memory cache with a lifetime per entry and a size bound (oldest inserted entry
 * dropped first). Expired entries are dropped when read or when room is needed.
 */
export function createTtlCache<V>(options: TtlCacheOptions): TtlCache<V> {
  const now = options.now ?? Date.now;
  const entries = new Map<string, { value: V; expiresAt: number }>();
  return {
    get(key) {
      const entry = entries.get(key);
      if (entry === undefined) return undefined;
      if (entry.expiresAt <= now()) {
        entries.delete(key);
        return undefined;
      }
      return entry.value;
    },
    set(key, value, seconds) {
      entries.delete(key);
      if (seconds <= 0) return;
      const at = now();
      if (entries.size >= options.maxEntries) {
        for (const [k, entry] of entries) if (entry.expiresAt <= at) entries.delete(k);
      }
      while (entries.size >= options.maxEntries) {
        const oldest = entries.keys().next();
        if (oldest.done === true) break;
        entries.delete(oldest.value);
      }
      entries.set(key, { value, expiresAt: at + seconds * 1000 });
    },
    delete(key) {
      entries.delete(key);
    },
    get size() {
      return entries.size;
    },
  };
}
