import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createMemoryStorage } from '../storage/memory.js';
import { consumeSetupToken, issueSetupToken, SETUP_TOKEN_SETTING, verifySetupToken } from './setup-token.js';

function setup() {
  let t = 1_800_000_000;
  const now = () => t;
  const clock = {
    now,
    advance(seconds: number): void {
      t += seconds;
    },
  };
  const storage = createMemoryStorage({ now });
  return { clock, settings: storage.settings };
}

describe('issueSetupToken', () => {
  it('returns 32 random bytes and stores only their SHA-256 hash, with the expiry', async () => {
    const { settings, clock } = setup();
    const token = await issueSetupToken(settings, { now: clock.now });
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    const stored = (await settings.get(SETUP_TOKEN_SETTING)) ?? '';
    expect(stored).not.toContain(token);
    expect(JSON.parse(stored)).toEqual({
      sha256: createHash('sha256').update(token).digest('base64url'),
      expiresAt: clock.now() + 3600,
    });
    expect(await issueSetupToken(settings, { now: clock.now })).not.toBe(token);
  });

  it('validates ttlSeconds', async () => {
    const { settings } = setup();
    for (const ttlSeconds of [0, -5, 1.5, Number.POSITIVE_INFINITY]) {
      await expect(issueSetupToken(settings, { ttlSeconds })).rejects.toMatchObject({
        name: 'TypeError',
        code: 'ERR_INVALID_ARG_VALUE',
      });
    }
  });
});

describe('consumeSetupToken', () => {
  it('accepts the token exactly once', async () => {
    const { settings, clock } = setup();
    const token = await issueSetupToken(settings, { now: clock.now });
    expect(await consumeSetupToken(settings, token, { now: clock.now })).toBe(true);
    expect(await consumeSetupToken(settings, token, { now: clock.now })).toBe(false);
    expect(await settings.get(SETUP_TOKEN_SETTING)).toBeUndefined();
  });

  it('refuses a wrong or malformed token without using up the real one', async () => {
    const { settings, clock } = setup();
    const token = await issueSetupToken(settings, { now: clock.now });
    const wrong = [
      `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`,
      '',
      'short',
      `${token}x`,
      token.toUpperCase() === token ? token.toLowerCase() : token.toUpperCase(),
      42 as unknown as string,
      undefined as unknown as string,
    ];
    for (const candidate of wrong) {
      expect(await consumeSetupToken(settings, candidate, { now: clock.now })).toBe(false);
    }
    expect(await consumeSetupToken(settings, token, { now: clock.now })).toBe(true);
  });

  it('refuses an expired token and forgets it', async () => {
    const { settings, clock } = setup();
    const token = await issueSetupToken(settings, { ttlSeconds: 600, now: clock.now });
    clock.advance(599);
    expect(await verifySetupToken(settings, token, { now: clock.now })).toBe(true);
    clock.advance(1);
    expect(await consumeSetupToken(settings, token, { now: clock.now })).toBe(false);
    expect(await settings.get(SETUP_TOKEN_SETTING)).toBeUndefined();
  });

  it('honours its own clock even when the store has not expired the setting yet', async () => {
    const storage = createMemoryStorage(); // real clock, far behind the fake one below
    const now = () => 1_900_000_000;
    const token = await issueSetupToken(storage.settings, { ttlSeconds: 60, now: () => now() - 61 });
    expect(await consumeSetupToken(storage.settings, token, { now })).toBe(false);
  });

  it('replaces an earlier token when a new one is issued', async () => {
    const { settings, clock } = setup();
    const first = await issueSetupToken(settings, { now: clock.now });
    const second = await issueSetupToken(settings, { now: clock.now });
    expect(await consumeSetupToken(settings, first, { now: clock.now })).toBe(false);
    expect(await consumeSetupToken(settings, second, { now: clock.now })).toBe(true);
  });

  it('lets only one of two racing requests use the token', async () => {
    const { settings, clock } = setup();
    const token = await issueSetupToken(settings, { now: clock.now });
    const results = await Promise.all([
      consumeSetupToken(settings, token, { now: clock.now }),
      consumeSetupToken(settings, token, { now: clock.now }),
      consumeSetupToken(settings, token, { now: clock.now }),
    ]);
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('answers false for a corrupted stored value', async () => {
    const { settings, clock } = setup();
    const token = await issueSetupToken(settings, { now: clock.now });
    await settings.set(SETUP_TOKEN_SETTING, 'not json');
    expect(await consumeSetupToken(settings, token, { now: clock.now })).toBe(false);
    await settings.set(SETUP_TOKEN_SETTING, JSON.stringify({ sha256: 'abc', expiresAt: clock.now() + 60 }));
    expect(await consumeSetupToken(settings, token, { now: clock.now })).toBe(false);
  });
});

describe('verifySetupToken', () => {
  it('checks without using the token up', async () => {
    const { settings, clock } = setup();
    expect(await verifySetupToken(settings, 'anything', { now: clock.now })).toBe(false);
    const token = await issueSetupToken(settings, { now: clock.now });
    expect(await verifySetupToken(settings, token, { now: clock.now })).toBe(true);
    expect(await verifySetupToken(settings, token, { now: clock.now })).toBe(true);
    expect(await verifySetupToken(settings, 'x'.repeat(43), { now: clock.now })).toBe(false);
    expect(await consumeSetupToken(settings, token, { now: clock.now })).toBe(true);
    expect(await verifySetupToken(settings, token, { now: clock.now })).toBe(false);
  });
});
