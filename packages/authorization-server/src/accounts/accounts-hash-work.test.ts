/**
 * No user enumeration by timing: every "invalid" answer costs exactly one scrypt derivation, as a
 * wrong password does. Counted by wrapping node:crypto's scrypt (no timing assertions).
 */
import * as crypto from 'node:crypto';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createMemoryStorage } from '../storage/memory.js';
import { createAccountService } from './accounts.js';

vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  return { ...actual, scrypt: vi.fn(actual.scrypt) };
});

const scrypt = vi.mocked(crypto.scrypt);
const PASSWORD = 'correct horse battery staple';

async function service() {
  const storage = createMemoryStorage();
  const accounts = createAccountService(storage, { scrypt: { N: 2 ** 10 } });
  await accounts.create('alice', PASSWORD);
  await storage.accounts.create({
    id: 'upstream-only',
    username: 'federated',
    passwordHash: '',
    createdAt: 1,
    updatedAt: 1,
    failedAttempts: 0,
    lockedUntil: null,
    upstream: { issuer: 'https://idp.example', subject: 's1' },
  });
  // Let the dummy hash made at construction finish before counting.
  await accounts.authenticate('nobody', PASSWORD);
  scrypt.mockClear();
  return accounts;
}

describe('authenticate does the same hash work for every answer', () => {
  beforeEach(() => {
    scrypt.mockClear();
  });

  it('derives once for a wrong password of a known user', async () => {
    const accounts = await service();
    await accounts.authenticate('alice', 'wrong password 1');
    expect(scrypt).toHaveBeenCalledTimes(1);
  });

  it.each([
    ['an unknown username', 'mallory'],
    ['an account without a local password', 'federated'],
    ['a username that breaks the rules', 'x'.repeat(100)],
  ])('derives once for %s', async (_label, username) => {
    const accounts = await service();
    expect(await accounts.authenticate(username, PASSWORD)).toEqual({ ok: false, reason: 'invalid' });
    expect(scrypt).toHaveBeenCalledTimes(1);
  });

  it('does not derive at all while the account is locked', async () => {
    const accounts = await service();
    for (let i = 0; i < 5; i++) await accounts.authenticate('alice', 'wrong password 1');
    scrypt.mockClear();
    expect(await accounts.authenticate('alice', PASSWORD)).toMatchObject({ reason: 'locked' });
    expect(scrypt).not.toHaveBeenCalled();
  });
});
