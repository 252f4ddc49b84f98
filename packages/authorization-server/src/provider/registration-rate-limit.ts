/**
 * A small token-bucket rate limit for the dynamic registration endpoint (RFC 7591 §5 leaves abuse
 * protection to the server), keyed by remote address.
 */

/** A rate limiter; `take` answers whether one more request from `key` is allowed now. */
export interface RateLimiter {
  /** Takes a token for `key`: `0` when allowed, else the seconds to wait (for `Retry-After`). */
  take(key: string): number;
}

/** Most distinct keys remembered; the oldest are forgotten first. */
const MAX_KEYS = 10_000;

/**
 * Creates a token bucket per key: `burst` requests at once, refilled at `perMinute`. In-process
 * only (each instance of a scaled-out deployment counts alone). It does NOT look at proxies'
 * `X-Forwarded-For`: the key is whatever the caller passes.
 */
export function createRateLimiter(
  options: { burst: number; perMinute: number },
  now: () => number = Date.now,
): RateLimiter {
  const buckets = new Map<string, { tokens: number; at: number }>();
  const perMs = options.perMinute / 60_000;
  return {
    take(key) {
      const t = now();
      const bucket = buckets.get(key) ?? { tokens: options.burst, at: t };
      buckets.delete(key);
      bucket.tokens = Math.min(options.burst, bucket.tokens + (t - bucket.at) * perMs);
      bucket.at = t;
      buckets.set(key, bucket);
      if (buckets.size > MAX_KEYS) {
        const oldest = buckets.keys().next().value;
        if (oldest !== undefined) buckets.delete(oldest);
      }
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return 0;
      }
      return Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000));
    },
  };
}
