import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SCRYPT_PARAMETERS,
  hashPassword,
  needsRehash,
  parsePasswordHash,
  verifyPassword,
} from './password-hash.js';

const FAST = { N: 2 ** 10, r: 8, p: 1 };
const PASSWORD = 'correct horse battery staple';

describe('hashPassword with the real defaults', () => {
  it('encodes scrypt N=2^16, r=8, p=1 with a 16-byte salt and a 32-byte hash, and verifies', async () => {
    expect(DEFAULT_SCRYPT_PARAMETERS).toEqual({ N: 65536, r: 8, p: 1 });
    const encoded = await hashPassword(PASSWORD);
    const [scheme, N, r, p, salt, hash, ...rest] = encoded.split('$');
    expect([scheme, N, r, p]).toEqual(['scrypt', '65536', '8', '1']);
    expect(Buffer.from(salt ?? '', 'base64url')).toHaveLength(16);
    expect(Buffer.from(hash ?? '', 'base64url')).toHaveLength(32);
    expect(rest).toEqual([]);
    expect(encoded).not.toContain(PASSWORD);
    expect(await verifyPassword(PASSWORD, encoded)).toBe(true);
    expect(needsRehash(encoded)).toBe(false);
  });
});

describe('hashPassword / verifyPassword', () => {
  it('rejects a wrong password and salts every hash', async () => {
    const a = await hashPassword(PASSWORD, FAST);
    const b = await hashPassword(PASSWORD, FAST);
    expect(a).not.toBe(b);
    expect(a.startsWith('scrypt$1024$8$1$')).toBe(true);
    expect(await verifyPassword(PASSWORD, b)).toBe(true);
    expect(await verifyPassword(`${PASSWORD}!`, a)).toBe(false);
    expect(await verifyPassword('', a)).toBe(false);
  });

  it('reads the parameters from the hash, not from the caller', async () => {
    const encoded = await hashPassword(PASSWORD, { N: 2 ** 11, r: 4, p: 2 });
    expect(parsePasswordHash(encoded)).toMatchObject({ N: 2048, r: 4, p: 2 });
    expect(await verifyPassword(PASSWORD, encoded)).toBe(true);
  });

  it('treats NFKC-equivalent passwords as equal', async () => {
    const encoded = await hashPassword('\uFB01ve boxing wizards', FAST); // "ﬁ" ligature
    expect(await verifyPassword('five boxing wizards', encoded)).toBe(true);
  });

  it('refuses malformed or out-of-bounds hashes without echoing them', async () => {
    const good = await hashPassword(PASSWORD, FAST);
    const salt = good.split('$')[4];
    const hash = good.split('$')[5];
    const bad = [
      '',
      'plaintext-password',
      `bcrypt$1024$8$1$${salt}$${hash}`,
      `scrypt$1000$8$1$${salt}$${hash}`, // N not a power of two
      `scrypt$${2 ** 30}$8$1$${salt}$${hash}`, // N past the bound: would take gigabytes
      `scrypt$1024$8$1$${salt}`,
      `scrypt$1024$8$1$short$${hash}`,
      `scrypt$1024$8$1$${salt}$${hash}$extra`,
    ];
    for (const encoded of bad) {
      expect(parsePasswordHash(encoded)).toBeUndefined();
      const error = await verifyPassword(PASSWORD, encoded).catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' });
      expect((error as Error).message).not.toContain(PASSWORD);
      if (encoded) expect((error as Error).message).not.toContain(encoded);
    }
  });

  it('refuses invalid parameters and non-string passwords', async () => {
    await expect(hashPassword(PASSWORD, { N: 1000, r: 8, p: 1 })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARG_VALUE',
    });
    await expect(hashPassword(PASSWORD, { N: 1024, r: 0, p: 1 })).rejects.toThrow(/"scrypt.r"/);
    await expect(hashPassword(42 as unknown as string, FAST)).rejects.toMatchObject({
      code: 'ERR_INVALID_ARG_TYPE',
    });
  });
});

describe('needsRehash', () => {
  it('is true when any stored parameter is below the wanted ones, or the hash is unreadable', async () => {
    const weak = await hashPassword(PASSWORD, FAST);
    expect(needsRehash(weak, FAST)).toBe(false);
    expect(needsRehash(weak, { ...FAST, N: 2 ** 11 })).toBe(true);
    expect(needsRehash(weak, { ...FAST, p: 2 })).toBe(true);
    expect(needsRehash(weak)).toBe(true);
    expect(needsRehash(weak, { N: 2 ** 9, r: 8, p: 1 })).toBe(false);
    expect(needsRehash('not a hash', FAST)).toBe(true);
  });
});
