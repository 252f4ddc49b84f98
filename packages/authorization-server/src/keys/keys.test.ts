import { createLocalJWKSet, errors, importJWK, jwtVerify, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import type { KeyRecord, KeyStore, KeyUse } from '../storage/contract.js';
import { createMemoryStorage } from '../storage/memory.js';
import { KeyMaterialError } from './key-material.js';
import { type KeySet, loadOrCreateKeys, rotateCookieKey, rotateSigningKey, toPublicJwks } from './keys.js';

function fakeClock(start = 1_800_000_000) {
  let t = start;
  return {
    now: () => t,
    advance(seconds: number): void {
      t += seconds;
    },
  };
}

function setup() {
  const clock = fakeClock();
  const storage = createMemoryStorage({ now: clock.now });
  return { clock, storage, store: storage.keys };
}

/** A KeyStore wrapper counting insert attempts and successes per use. */
function counting(store: KeyStore) {
  const attempts: Record<KeyUse, number> = { signing: 0, cookie: 0 };
  const inserted: Record<KeyUse, number> = { signing: 0, cookie: 0 };
  const wrapped: KeyStore = {
    list: (use) => store.list(use),
    retire: (kid, retiredAt, expiresAt) => store.retire(kid, retiredAt, expiresAt),
    async insert(key) {
      attempts[key.use]++;
      const ok = await store.insert(key);
      if (ok) inserted[key.use]++;
      return ok;
    },
  };
  return { wrapped, attempts, inserted };
}

async function signWith(keys: KeySet, index: number): Promise<string> {
  const jwk = keys.signing.keys[index];
  if (!jwk) throw new Error(`no signing key at ${index}`);
  return new SignJWT({ sub: 'alice' })
    .setProtectedHeader({ alg: 'ES256', kid: jwk.kid ?? '' })
    .sign(await importJWK(jwk, 'ES256'));
}

describe('loadOrCreateKeys', () => {
  it('creates exactly one ES256 signing key and one 32-byte cookie key on first start', async () => {
    const { store, clock } = setup();
    const keys = await loadOrCreateKeys(store, { now: clock.now });
    expect(keys.signing.keys).toHaveLength(1);
    expect(keys.cookieKeys).toHaveLength(1);
    const [jwk] = keys.signing.keys;
    expect(jwk).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(jwk?.d).toEqual(expect.any(String));
    expect(jwk?.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(keys.cookieKeys[0] ?? '', 'base64url')).toHaveLength(32);
    const signing = await store.list('signing');
    const cookie = await store.list('cookie');
    expect(signing.map((k) => [k.kid, k.retiredAt, k.expiresAt, k.createdAt])).toEqual([
      ['signing-1', null, null, clock.now()],
    ]);
    expect(cookie.map((k) => k.kid)).toEqual(['cookie-1']);
  });

  it('returns the same keys on the next start', async () => {
    const { store, clock } = setup();
    const first = await loadOrCreateKeys(store, { now: clock.now });
    clock.advance(86_400);
    const second = await loadOrCreateKeys(store, { now: clock.now });
    expect(second).toEqual(first);
    expect(await store.list('signing')).toHaveLength(1);
  });

  it('ends with one active key of each kind when several processes start at once', async () => {
    const { store, clock } = setup();
    const { wrapped, attempts, inserted } = counting(store);
    const results = await Promise.all(
      Array.from({ length: 4 }, () => loadOrCreateKeys(wrapped, { now: clock.now })),
    );
    // The race really happened: several processes tried to create the first key.
    expect(attempts.signing).toBeGreaterThan(1);
    expect(attempts.cookie).toBeGreaterThan(1);
    expect(inserted).toEqual({ signing: 1, cookie: 1 });
    for (const result of results) expect(result).toEqual(results[0]);
    expect(await store.list('signing')).toHaveLength(1);
    expect(await store.list('cookie')).toHaveLength(1);
  });

  it('creates the next key when no active key is left (a rotation elsewhere in progress)', async () => {
    const { store, clock } = setup();
    const first = await loadOrCreateKeys(store, { now: clock.now });
    await store.retire('signing-1', clock.now(), clock.now() + 600);
    const keys = await loadOrCreateKeys(store, { now: clock.now });
    expect(keys.signing.keys).toHaveLength(2);
    expect(keys.signing.keys[1]).toEqual(first.signing.keys[0]);
    expect((await store.list('signing')).map((k) => k.kid)).toContain('signing-2');
  });

  it('skips slots still held by expired rows the store has not purged', async () => {
    const { store, clock, storage } = setup();
    await loadOrCreateKeys(store, { now: clock.now });
    await rotateSigningKey(store, { retainSeconds: 0, now: clock.now });
    // Retire the active key too, with no retention: every signing row is now expired but present.
    await store.retire('signing-2', clock.now(), clock.now());
    const keys = await loadOrCreateKeys(store, { now: clock.now });
    expect(keys.signing.keys).toHaveLength(1);
    expect((await store.list('signing')).map((k) => k.kid)).toEqual(['signing-3']);
    expect(await storage.purgeExpired()).toBe(2);
  });

  it('rejects a store that is not a KeyStore and a bad clock', async () => {
    await expect(loadOrCreateKeys({} as KeyStore)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    const { store } = setup();
    await expect(loadOrCreateKeys(store, { now: 5 as unknown as () => number })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARG_TYPE',
    });
  });
});

describe('corrupted key rows', () => {
  async function storeWith(record: Partial<KeyRecord> & Pick<KeyRecord, 'kid' | 'use' | 'material'>) {
    const { store, clock } = setup();
    await store.insert({ createdAt: clock.now(), retiredAt: null, expiresAt: null, ...record });
    return { store, clock };
  }

  it('refuses a signing key whose material is not JSON, naming the kid but not the material', async () => {
    const secret = 'not-json-SECRET-MATERIAL';
    const { store, clock } = await storeWith({ kid: 'signing-1', use: 'signing', material: secret });
    const error = await loadOrCreateKeys(store, { now: clock.now }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeyMaterialError);
    expect(error).toMatchObject({ code: 'ERR_KEY_MATERIAL_INVALID', kid: 'signing-1' });
    expect((error as Error).message).toContain('"signing-1"');
    expect((error as Error).message).not.toContain('SECRET');
    expect((error as Error).cause).toBeUndefined();
    // Nothing was regenerated behind the operator's back.
    expect(await store.list('signing')).toHaveLength(1);
    expect(await store.list('cookie')).toHaveLength(0);
  });

  it('refuses a signing key whose private part belongs to another key, without echoing it', async () => {
    const { store: a, clock } = setup();
    const one = (await loadOrCreateKeys(a, { now: clock.now })).signing.keys[0];
    const { store: b } = setup();
    const two = (await loadOrCreateKeys(b, { now: clock.now })).signing.keys[0];
    const spliced = { ...one, d: two?.d };
    const { store } = await storeWith({
      kid: 'signing-1',
      use: 'signing',
      material: JSON.stringify(spliced),
    });
    const error = await loadOrCreateKeys(store, { now: clock.now }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeyMaterialError);
    expect((error as Error).message).toMatch(/private part does not match/);
    expect((error as Error).message).not.toContain(two?.d ?? 'unreachable');
    expect((error as Error).message).not.toContain(one?.d ?? 'unreachable');
  });

  it('refuses a signing key whose kid is not its thumbprint', async () => {
    const { store: a, clock } = setup();
    const one = (await loadOrCreateKeys(a, { now: clock.now })).signing.keys[0];
    const material = JSON.stringify({ ...one, kid: 'chosen-by-someone' });
    const { store } = await storeWith({ kid: 'signing-1', use: 'signing', material });
    await expect(loadOrCreateKeys(store, { now: clock.now })).rejects.toThrow(/thumbprint/);
  });

  it('refuses a cookie key of the wrong length', async () => {
    const material = Buffer.alloc(16, 7).toString('base64url');
    const { store, clock } = await storeWith({ kid: 'cookie-1', use: 'cookie', material });
    const error = await loadOrCreateKeys(store, { now: clock.now }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'KeyMaterialError', kid: 'cookie-1' });
    expect((error as Error).message).not.toContain(material);
  });

  it('refuses a row whose kid is not a slot kid', async () => {
    const { store, clock } = await storeWith({ kid: 'k1', use: 'cookie', material: 'x'.repeat(43) });
    await expect(loadOrCreateKeys(store, { now: clock.now })).rejects.toMatchObject({ kid: 'k1' });
  });

  it('refuses to rotate a corrupted store', async () => {
    const { store, clock } = await storeWith({ kid: 'cookie-1', use: 'cookie', material: 'short' });
    await expect(rotateCookieKey(store, { retainSeconds: 60, now: clock.now })).rejects.toBeInstanceOf(
      KeyMaterialError,
    );
    expect((await store.list('cookie')).map((k) => k.kid)).toEqual(['cookie-1']);
  });
});

describe('rotation', () => {
  it('puts the new signing key first and keeps the old one until it expires', async () => {
    const { store, clock } = setup();
    const before = await loadOrCreateKeys(store, { now: clock.now });
    clock.advance(10);
    const after = await rotateSigningKey(store, { retainSeconds: 600, now: clock.now });
    expect(after.signing.keys).toHaveLength(2);
    expect(after.signing.keys[1]).toEqual(before.signing.keys[0]);
    expect(after.signing.keys[0]?.kid).not.toBe(before.signing.keys[0]?.kid);
    expect(after.cookieKeys).toEqual(before.cookieKeys);
    const rows = await store.list('signing');
    const old = rows.find((k) => k.kid === 'signing-1');
    expect(old).toMatchObject({ retiredAt: clock.now(), expiresAt: clock.now() + 600 });
    expect(rows.find((k) => k.kid === 'signing-2')).toMatchObject({ retiredAt: null, expiresAt: null });
    // A restart sees the same order.
    expect(await loadOrCreateKeys(store, { now: clock.now })).toEqual(after);

    clock.advance(599);
    expect((await loadOrCreateKeys(store, { now: clock.now })).signing.keys).toHaveLength(2);
    clock.advance(1);
    const expired = await loadOrCreateKeys(store, { now: clock.now });
    expect(expired.signing.keys).toEqual([after.signing.keys[0]]);
  });

  it('drops expired keys by the given clock even when the store has not purged them', async () => {
    const clock = fakeClock();
    const storage = createMemoryStorage(); // the store's own clock is the real one, far behind
    await loadOrCreateKeys(storage.keys, { now: clock.now });
    await rotateSigningKey(storage.keys, { retainSeconds: 60, now: clock.now });
    clock.advance(61);
    expect((await loadOrCreateKeys(storage.keys, { now: clock.now })).signing.keys).toHaveLength(1);
  });

  it('rotates cookie keys the same way', async () => {
    const { store, clock } = setup();
    const before = await loadOrCreateKeys(store, { now: clock.now });
    const after = await rotateCookieKey(store, { retainSeconds: 3600, now: clock.now });
    expect(after.cookieKeys).toHaveLength(2);
    expect(after.cookieKeys[1]).toBe(before.cookieKeys[0]);
    expect(after.signing).toEqual(before.signing);
    clock.advance(3600);
    expect((await loadOrCreateKeys(store, { now: clock.now })).cookieKeys).toEqual([after.cookieKeys[0]]);
  });

  it('signs cookies with a new cookie key only cookieKeyDelaySeconds after its creation', async () => {
    const { store, clock } = setup();
    const [first] = (await loadOrCreateKeys(store, { now: clock.now })).cookieKeys;
    const [second] = (await rotateCookieKey(store, { retainSeconds: 3600, now: clock.now })).cookieKeys;
    const load = () => loadOrCreateKeys(store, { now: clock.now, cookieKeyDelaySeconds: 30 });
    expect((await load()).cookieKeys).toEqual([first, second]);
    clock.advance(29);
    expect((await load()).cookieKeys).toEqual([first, second]);
    clock.advance(1);
    expect((await load()).cookieKeys).toEqual([second, first]);
    // Without an older live key, the new one signs at once.
    clock.advance(3600);
    await rotateCookieKey(store, { retainSeconds: 0, now: clock.now });
    const [third] = (await load()).cookieKeys;
    expect(third).not.toBe(second);
    expect((await load()).cookieKeys).toEqual([third]);
    await expect(loadOrCreateKeys(store, { cookieKeyDelaySeconds: -1 })).rejects.toThrow(
      /cookieKeyDelaySeconds/,
    );
  });

  it('keeps one active key when two processes rotate at once', async () => {
    const { store, clock } = setup();
    await loadOrCreateKeys(store, { now: clock.now });
    const { wrapped, inserted } = counting(store);
    const [a, b] = await Promise.all([
      rotateSigningKey(wrapped, { retainSeconds: 300, now: clock.now }),
      rotateSigningKey(wrapped, { retainSeconds: 300, now: clock.now }),
    ]);
    expect(inserted.signing).toBe(1);
    expect(a).toEqual(b);
    const active = (await store.list('signing')).filter((k) => k.retiredAt === null);
    expect(active.map((k) => k.kid)).toEqual(['signing-2']);
  });

  it('validates retainSeconds', async () => {
    const { store } = setup();
    for (const retainSeconds of [-1, 1.5, Number.NaN, '60' as unknown as number]) {
      await expect(rotateSigningKey(store, { retainSeconds })).rejects.toMatchObject({
        name: 'TypeError',
        code: 'ERR_INVALID_ARG_VALUE',
      });
    }
    expect(await store.list('signing')).toHaveLength(0);
  });
});

describe('the public JWKS', () => {
  it('never contains private material', async () => {
    const { store, clock } = setup();
    await loadOrCreateKeys(store, { now: clock.now });
    const keys = await rotateSigningKey(store, { retainSeconds: 60, now: clock.now });
    const jwks = toPublicJwks(keys);
    expect(jwks.keys).toHaveLength(2);
    for (const jwk of jwks.keys) {
      expect(Object.keys(jwk).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
    }
    for (const jwk of keys.signing.keys) expect(JSON.stringify(jwks)).not.toContain(jwk.d ?? 'unreachable');
  });

  it('verifies a token signed with a retired key until the key expires', async () => {
    const { store, clock } = setup();
    const original = await loadOrCreateKeys(store, { now: clock.now });
    const oldToken = await signWith(original, 0);
    const rotated = await rotateSigningKey(store, { retainSeconds: 600, now: clock.now });
    const newToken = await signWith(rotated, 0);

    const verifyAgainst = async (token: string) => {
      const keys = await loadOrCreateKeys(store, { now: clock.now });
      return jwtVerify(token, createLocalJWKSet(toPublicJwks(keys)), { algorithms: ['ES256'] });
    };
    await expect(verifyAgainst(oldToken)).resolves.toMatchObject({ payload: { sub: 'alice' } });
    await expect(verifyAgainst(newToken)).resolves.toMatchObject({ payload: { sub: 'alice' } });

    clock.advance(600);
    await expect(verifyAgainst(oldToken)).rejects.toBeInstanceOf(errors.JWKSNoMatchingKey);
    await expect(verifyAgainst(newToken)).resolves.toMatchObject({ payload: { sub: 'alice' } });
  });
});
