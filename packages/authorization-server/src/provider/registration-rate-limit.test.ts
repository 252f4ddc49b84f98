import { describe, expect, it } from 'vitest';
import { createRateLimiter } from './registration-rate-limit.js';

describe('createRateLimiter', () => {
  it('allows a burst, then asks to wait, and refills at the configured rate', () => {
    let now = 0;
    const limiter = createRateLimiter({ burst: 2, perMinute: 6 }, () => now);
    expect(limiter.take('a')).toBe(0);
    expect(limiter.take('a')).toBe(0);
    expect(limiter.take('a')).toBe(10);
    now += 5_000;
    expect(limiter.take('a')).toBe(5);
    now += 5_000;
    expect(limiter.take('a')).toBe(0);
  });

  it('keeps one bucket per key', () => {
    const limiter = createRateLimiter({ burst: 1, perMinute: 1 }, () => 0);
    expect(limiter.take('a')).toBe(0);
    expect(limiter.take('a')).toBeGreaterThan(0);
    expect(limiter.take('b')).toBe(0);
  });
});
