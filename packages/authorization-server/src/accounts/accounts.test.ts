import { describe, expect, it } from 'vitest';
import { AccountConflict } from '../storage/contract.js';
import { createMemoryStorage } from '../storage/memory.js';
import { ACCOUNT_DEFAULTS, createAccountService, lockoutSeconds } from './accounts.js';
import { parsePasswordHash } from './password-hash.js';

const FAST = { N: 2 ** 10 };
const PASSWORD = 'correct horse battery staple';

function setup(scrypt: { N?: number } = FAST) {
  let t = 1_800_000_000;
  const now = () => t;
  const clock = {
    now,
    advance(seconds: number): void {
      t += seconds;
    },
  };
  const storage = createMemoryStorage({ now });
  const accounts = createAccountService(storage, { now, scrypt });
  return { clock, storage, accounts };
}

async function misuse(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TypeError);
  return error as TypeError & { code: string };
}

describe('create', () => {
  it('stores a trimmed username, a random id and an scrypt hash (never the password)', async () => {
    const { accounts, storage, clock } = setup();
    const account = await accounts.create('  alice ', PASSWORD);
    expect(account).toMatchObject({
      username: 'alice',
      createdAt: clock.now(),
      updatedAt: clock.now(),
      failedAttempts: 0,
      lockedUntil: null,
      upstream: null,
    });
    expect(account.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(parsePasswordHash(account.passwordHash)).toMatchObject({ N: 1024, r: 8, p: 1 });
    expect(JSON.stringify(await storage.accounts.list())).not.toContain(PASSWORD);
    expect(await accounts.findById(account.id)).toEqual(account);
    const other = await accounts.create('bob', PASSWORD);
    expect(other.id).not.toBe(account.id);
    expect(await accounts.count()).toBe(2);
    expect((await accounts.list()).map((a) => a.username).sort()).toEqual(['alice', 'bob']);
  });

  it('hashes with the real default parameters when none are given', async () => {
    const storage = createMemoryStorage();
    const account = await createAccountService(storage).create('carol', PASSWORD);
    expect(account.passwordHash.startsWith('scrypt$65536$8$1$')).toBe(true);
  });

  it('refuses a username taken in another case', async () => {
    const { accounts } = setup();
    await accounts.create('Alice', PASSWORD);
    await expect(accounts.create('aLICE', `${PASSWORD}2`)).rejects.toBeInstanceOf(AccountConflict);
    expect(await accounts.count()).toBe(1);
  });

  it('applies the username rules, naming the rule', async () => {
    const { accounts } = setup();
    for (const username of [
      '',
      '   ',
      'a'.repeat(65),
      'al\u0000ice',
      'al\u200Bice',
      'al\nice',
      'bi\u202Edi',
    ]) {
      const error = await misuse(accounts.create(username, PASSWORD));
      expect(error.code).toBe('ERR_INVALID_ARG_VALUE');
      expect(error.message).toMatch(/"username" must/);
    }
    expect((await misuse(accounts.create(7 as unknown as string, PASSWORD))).code).toBe(
      'ERR_INVALID_ARG_TYPE',
    );
    // 64 characters counted as code points, not UTF-16 units.
    await expect(accounts.create('\u{1F600}'.repeat(64), PASSWORD)).resolves.toMatchObject({});
    await expect(accounts.create('Zoë Müller-Łukasz', PASSWORD)).resolves.toMatchObject({});
    expect(await accounts.count()).toBe(2);
  });

  it('applies the password rules, naming the rule and never echoing the password', async () => {
    const { accounts } = setup();
    const cases: Array<[string, string, RegExp]> = [
      ['alice', 'short-pass1', /at least 12 characters/],
      ['alice', 'x'.repeat(1025), /at most 1024 characters/],
      ['alice-in-wonderland', 'Alice-In-Wonderland', /same as the username/],
    ];
    for (const [username, password, rule] of cases) {
      const error = await misuse(accounts.create(username, password));
      expect(error.code).toBe('ERR_INVALID_ARG_VALUE');
      expect(error.message).toMatch(rule);
      expect(error.message).not.toContain(password);
    }
    // 12 code points is enough, even when they are outside the BMP.
    await expect(accounts.create('dave', '\u{1F511}'.repeat(12))).resolves.toMatchObject({
      username: 'dave',
    });
    expect((await misuse(accounts.create('erin', undefined as unknown as string))).code).toBe(
      'ERR_INVALID_ARG_TYPE',
    );
  });

  it('validates its options at construction', () => {
    const storage = createMemoryStorage();
    expect(() => createAccountService(storage, { scrypt: { N: 1000 } })).toThrow(TypeError);
    expect(() => createAccountService(storage, { now: 1 as unknown as () => number })).toThrow(TypeError);
    expect(() => createAccountService({} as never)).toThrow(TypeError);
  });
});

describe('authenticate', () => {
  it('accepts the right password, case-insensitively for the username', async () => {
    const { accounts } = setup();
    const account = await accounts.create('Alice', PASSWORD);
    expect(await accounts.authenticate(' alice', PASSWORD)).toEqual({ ok: true, account });
  });

  it('answers "invalid" alike for unknown users, wrong passwords and unusable input', async () => {
    const { accounts, storage, clock } = setup();
    await accounts.create('alice', PASSWORD);
    await storage.accounts.create({
      id: 'upstream-only',
      username: 'federated',
      passwordHash: '',
      createdAt: clock.now(),
      updatedAt: clock.now(),
      failedAttempts: 0,
      lockedUntil: null,
      upstream: { issuer: 'https://idp.example', subject: 's1' },
    });
    const invalid = { ok: false, reason: 'invalid' };
    expect(await accounts.authenticate('mallory', PASSWORD)).toEqual(invalid);
    expect(await accounts.authenticate('alice', 'wrong password here')).toEqual(invalid);
    expect(await accounts.authenticate('federated', '')).toEqual(invalid);
    expect(await accounts.authenticate('', PASSWORD)).toEqual(invalid);
    expect(await accounts.authenticate('x'.repeat(500), PASSWORD)).toEqual(invalid);
    expect(await accounts.authenticate(undefined as unknown as string, PASSWORD)).toEqual(invalid);
    expect(await accounts.authenticate('alice', null as unknown as string)).toEqual(invalid);
  });

  it('locks after 5 failures with exponential backoff, without checking the password while locked', async () => {
    const { accounts, clock } = setup();
    const { id } = await accounts.create('alice', PASSWORD);
    for (let i = 1; i <= 4; i++) {
      expect(await accounts.authenticate('alice', 'wrong password 1')).toEqual({
        ok: false,
        reason: 'invalid',
      });
      expect((await accounts.findById(id))?.failedAttempts).toBe(i);
    }
    expect(await accounts.authenticate('alice', 'wrong password 1')).toEqual({
      ok: false,
      reason: 'locked',
      retryAfterSeconds: 30,
    });
    expect(await accounts.findById(id)).toMatchObject({ failedAttempts: 5, lockedUntil: clock.now() + 30 });

    clock.advance(10);
    // Even the right password is refused during the lock, and the attempt is not counted.
    expect(await accounts.authenticate('ALICE', PASSWORD)).toEqual({
      ok: false,
      reason: 'locked',
      retryAfterSeconds: 20,
    });
    expect((await accounts.findById(id))?.failedAttempts).toBe(5);

    clock.advance(20);
    expect(await accounts.authenticate('alice', 'wrong password 1')).toEqual({
      ok: false,
      reason: 'locked',
      retryAfterSeconds: 60,
    });
    clock.advance(60);
    const success = await accounts.authenticate('alice', PASSWORD);
    expect(success).toMatchObject({ ok: true, account: { id, failedAttempts: 0, lockedUntil: null } });
    expect(await accounts.findById(id)).toMatchObject({ failedAttempts: 0, lockedUntil: null });
    expect(await accounts.authenticate('alice', 'wrong password 1')).toEqual({
      ok: false,
      reason: 'invalid',
    });
  });

  it('resets the failure count on success before the threshold', async () => {
    const { accounts } = setup();
    const { id } = await accounts.create('alice', PASSWORD);
    for (let i = 0; i < 4; i++) await accounts.authenticate('alice', 'wrong password 1');
    expect((await accounts.authenticate('alice', PASSWORD)).ok).toBe(true);
    expect((await accounts.findById(id))?.failedAttempts).toBe(0);
    for (let i = 0; i < 4; i++) {
      expect(await accounts.authenticate('alice', 'wrong password 1')).toMatchObject({ reason: 'invalid' });
    }
  });

  it('upgrades an outdated hash on success', async () => {
    const storage = createMemoryStorage();
    const weak = createAccountService(storage, { scrypt: { N: 2 ** 10 } });
    const { id, passwordHash } = await weak.create('alice', PASSWORD);
    const stronger = createAccountService(storage, { scrypt: { N: 2 ** 11 } });
    expect((await stronger.authenticate('alice', 'wrong password 1')).ok).toBe(false);
    expect((await storage.accounts.findById(id))?.passwordHash).toBe(passwordHash);
    const result = await stronger.authenticate('alice', PASSWORD);
    expect(result.ok).toBe(true);
    const upgraded = (await storage.accounts.findById(id))?.passwordHash ?? '';
    expect(parsePasswordHash(upgraded)).toMatchObject({ N: 2048 });
    expect(result.ok && result.account.passwordHash).toBe(upgraded);
    expect((await stronger.authenticate('alice', PASSWORD)).ok).toBe(true);
    expect((await storage.accounts.findById(id))?.passwordHash).toBe(upgraded);
  });
});

describe('lockoutSeconds', () => {
  it('doubles from 30 s at the fifth failure and stops at 15 minutes', () => {
    expect(ACCOUNT_DEFAULTS.lockout).toEqual({ threshold: 5, baseSeconds: 30, maxSeconds: 900 });
    expect([1, 4, 5, 6, 7, 8, 9, 10, 11, 1000].map(lockoutSeconds)).toEqual([
      0, 0, 30, 60, 120, 240, 480, 900, 900, 900,
    ]);
  });
});

describe('setPassword, remove', () => {
  it('changes the password under the same rules and clears a lockout', async () => {
    const { accounts } = setup();
    const { id } = await accounts.create('alice', PASSWORD);
    for (let i = 0; i < 5; i++) await accounts.authenticate('alice', 'wrong password 1');
    expect(await accounts.setPassword('unknown-id', 'another long password')).toBe(false);
    const error = await misuse(accounts.setPassword(id, 'Alice'));
    expect(error.message).toMatch(/at least 12/);
    expect(await accounts.setPassword(id, 'another long password')).toBe(true);
    expect(await accounts.findById(id)).toMatchObject({ failedAttempts: 0, lockedUntil: null });
    expect((await accounts.authenticate('alice', PASSWORD)).ok).toBe(false);
    expect((await accounts.authenticate('alice', 'another long password')).ok).toBe(true);
  });

  it('removes an account', async () => {
    const { accounts } = setup();
    const { id } = await accounts.create('alice', PASSWORD);
    expect(await accounts.remove(id)).toBe(true);
    expect(await accounts.remove(id)).toBe(false);
    expect(await accounts.authenticate('alice', PASSWORD)).toEqual({ ok: false, reason: 'invalid' });
    expect(await accounts.count()).toBe(0);
  });
});
