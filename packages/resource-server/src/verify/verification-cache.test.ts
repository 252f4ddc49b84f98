import { describe, expect, it } from 'vitest';
import { type AuthInfo, createAuthInfo } from '../auth-info.js';
import { VerificationCache } from './verification-cache.js';

const T0 = 1_800_000_000_000; // ms

function info(token: string, expiresAt?: number): AuthInfo {
  return createAuthInfo(token, {
    clientId: 'client-1',
    scopes: ['a', 'b'],
    subject: 'user-1',
    expiresAt,
    resource: new URL('https://mcp.example.com/mcp'),
    issuer: 'https://auth.example.com',
    audience: ['https://mcp.example.com/mcp'],
    claims: { sub: 'user-1' },
  });
}

function clock(start = T0) {
  const state = { now: start };
  return { state, now: () => state.now };
}

describe('VerificationCache', () => {
  it('returns an equal AuthInfo for the same token string, as a fresh copy with a hidden token', () => {
    const { now } = clock();
    const cache = new VerificationCache({ now });
    const original = info('tok-1', T0 / 1000 + 300);
    cache.set(original);

    const hit = cache.get('tok-1');
    expect(hit).toEqual(original);
    expect(hit).not.toBe(original);
    expect(hit?.token).toBe('tok-1');
    expect(JSON.stringify(hit)).not.toContain('tok-1');

    hit?.scopes.push('mutated');
    expect(cache.get('tok-1')?.scopes).toEqual(['a', 'b']);
  });

  it('serves nothing for another token string', () => {
    const cache = new VerificationCache({ now: clock().now });
    cache.set(info('tok-1', T0 / 1000 + 300));
    expect(cache.get('tok-1 ')).toBeUndefined();
    expect(cache.get('tok-2')).toBeUndefined();
  });

  it('never serves an entry at or after the token expiry', () => {
    const { state, now } = clock();
    const cache = new VerificationCache({ now });
    cache.set(info('tok-1', T0 / 1000 + 10));
    state.now = T0 + 9_999;
    expect(cache.get('tok-1')).toBeDefined();
    state.now = T0 + 10_000;
    expect(cache.get('tok-1')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('never serves an entry longer than maxTtlSeconds', () => {
    const { state, now } = clock();
    const cache = new VerificationCache({ now, maxTtlSeconds: 60 });
    cache.set(info('tok-1', T0 / 1000 + 3600));
    cache.set(info('no-exp'));
    state.now = T0 + 59_000;
    expect(cache.get('tok-1')).toBeDefined();
    expect(cache.get('no-exp')).toBeDefined();
    state.now = T0 + 60_000;
    expect(cache.get('tok-1')).toBeUndefined();
    expect(cache.get('no-exp')).toBeUndefined();
  });

  it('does not store a token that is not valid yet (nbf in the future) or already expired', () => {
    const { now } = clock();
    const cache = new VerificationCache({ now });
    cache.set(info('early', T0 / 1000 + 300), T0 / 1000 + 2);
    cache.set(info('expired', T0 / 1000 - 1));
    cache.set(info('valid-nbf', T0 / 1000 + 300), T0 / 1000);
    expect(cache.get('early')).toBeUndefined();
    expect(cache.get('expired')).toBeUndefined();
    expect(cache.get('valid-nbf')).toBeDefined();
  });

  it('is bounded and evicts the least recently used entry', () => {
    const cache = new VerificationCache({ now: clock().now, maxEntries: 3 });
    const exp = T0 / 1000 + 300;
    cache.set(info('a', exp));
    cache.set(info('b', exp));
    cache.set(info('c', exp));
    expect(cache.get('a')).toBeDefined(); // a is now the most recently used
    cache.set(info('d', exp));
    expect(cache.size).toBe(3);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBeDefined();
    expect(cache.get('c')).toBeDefined();
    expect(cache.get('d')).toBeDefined();
  });

  it('re-setting a token replaces its entry without growing', () => {
    const cache = new VerificationCache({ now: clock().now, maxEntries: 2 });
    cache.set(info('a', T0 / 1000 + 300));
    cache.set(info('a', T0 / 1000 + 300));
    expect(cache.size).toBe(1);
    cache.clear();
    expect(cache.size).toBe(0);
  });

  it.each([
    [{ maxEntries: 0 }],
    [{ maxEntries: 1.5 }],
    [{ maxTtlSeconds: 0 }],
    [{ maxTtlSeconds: Number.NaN }],
  ])('refuses invalid options %o at construction', (options) => {
    expect(() => new VerificationCache(options)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
    );
  });
});
