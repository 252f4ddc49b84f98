import { describe, expect, it } from 'vitest';
import { cacheLifetimeSeconds, createTtlCache } from './cache.js';

const bounds = { minSeconds: 60, maxSeconds: 86_400 };

function lifetime(headers: Record<string, string>, now?: number): number {
  return cacheLifetimeSeconds(new Headers(headers), bounds, now);
}

describe('cacheLifetimeSeconds (RFC 9111 §5.2, within the floor and ceiling)', () => {
  it('uses max-age within the bounds', () => {
    expect(lifetime({ 'cache-control': 'max-age=600' })).toBe(600);
    expect(lifetime({ 'cache-control': 'public, max-age="3600"' })).toBe(3600);
  });

  it('raises a short max-age to the floor and lowers a long one to the ceiling', () => {
    expect(lifetime({ 'cache-control': 'max-age=5' })).toBe(60);
    expect(lifetime({ 'cache-control': 'max-age=0' })).toBe(60);
    expect(lifetime({ 'cache-control': 'max-age=31536000' })).toBe(86_400);
  });

  it('prefers s-maxage (the server is a shared cache)', () => {
    expect(lifetime({ 'cache-control': 'max-age=100, s-maxage=900' })).toBe(900);
  });

  it('does not cache no-store or no-cache responses', () => {
    expect(lifetime({ 'cache-control': 'no-store' })).toBe(0);
    expect(lifetime({ 'cache-control': 'max-age=600, No-Cache' })).toBe(0);
  });

  it('falls back to Expires minus Date, then to the floor', () => {
    const date = 'Fri, 27 Nov 2026 12:00:00 GMT';
    expect(lifetime({ date, expires: 'Fri, 27 Nov 2026 13:00:00 GMT' })).toBe(3600);
    expect(lifetime({ expires: 'Fri, 27 Nov 2026 13:00:00 GMT' }, Date.parse(date))).toBe(3600);
    expect(lifetime({ expires: 'Fri, 27 Nov 2026 11:00:00 GMT' }, Date.parse(date))).toBe(60);
    expect(lifetime({})).toBe(60);
    expect(lifetime({ 'cache-control': 'max-age=banana' })).toBe(60);
  });
});

describe('createTtlCache', () => {
  it('expires entries after their lifetime', () => {
    let now = 1_000_000;
    const cache = createTtlCache<string>({ maxEntries: 10, now: () => now });
    cache.set('a', 'A', 60);
    now += 59_999;
    expect(cache.get('a')).toBe('A');
    now += 1;
    expect(cache.get('a')).toBeUndefined();
  });

  it('does not store a value with a lifetime of 0, and removes the old one', () => {
    const cache = createTtlCache<string>({ maxEntries: 10 });
    cache.set('a', 'A', 60);
    cache.set('a', 'B', 0);
    expect(cache.get('a')).toBeUndefined();
  });

  it('drops the oldest entry when full', () => {
    const cache = createTtlCache<number>({ maxEntries: 2 });
    cache.set('a', 1, 60);
    cache.set('b', 2, 60);
    cache.set('c', 3, 60);
    expect(cache.size).toBe(2);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('c')).toBe(3);
  });
});
