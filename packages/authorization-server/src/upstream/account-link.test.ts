import { describe, expect, it } from 'vitest';
import { createAccountService } from '../accounts/accounts.js';
import { createMemoryStorage } from '../storage/memory.js';
import { linkUpstreamAccount, usernameFromHint } from './account-link.js';

const ISSUER = 'https://idp.example';

describe('linkUpstreamAccount', () => {
  it('creates an account without a local password on first sign-in, and finds it again after', async () => {
    const storage = createMemoryStorage();
    const identity = { issuer: ISSUER, subject: 'sub-1', preferredUsername: 'alice' };
    const first = await linkUpstreamAccount(storage.accounts, identity);
    expect(first).toMatchObject({
      username: 'alice',
      passwordHash: '',
      upstream: { issuer: ISSUER, subject: 'sub-1' },
    });
    const again = await linkUpstreamAccount(storage.accounts, { ...identity, preferredUsername: 'renamed' });
    expect(again.id).toBe(first.id);
    expect(await storage.accounts.count()).toBe(1);
    // No local password: the account cannot sign in with any password.
    const accounts = createAccountService(storage, { scrypt: { N: 1024 } });
    expect((await accounts.authenticate('alice', '')).ok).toBe(false);
  });

  it('never takes over a local account with the same username: the new one gets a suffix', async () => {
    const storage = createMemoryStorage();
    const accounts = createAccountService(storage, { scrypt: { N: 1024 } });
    const local = await accounts.create('Alice', 'correct horse battery staple');
    const linked = await linkUpstreamAccount(storage.accounts, {
      issuer: ISSUER,
      subject: 's',
      preferredUsername: 'alice',
    });
    expect(linked.id).not.toBe(local.id);
    expect(linked.username).toBe('alice-2');
    const third = await linkUpstreamAccount(storage.accounts, {
      issuer: ISSUER,
      subject: 't',
      preferredUsername: 'alice',
    });
    expect(third.username).toBe('alice-3');
  });

  it('keeps the same subject of two issuers apart', async () => {
    const storage = createMemoryStorage();
    const a = await linkUpstreamAccount(storage.accounts, { issuer: ISSUER, subject: 'same' });
    const b = await linkUpstreamAccount(storage.accounts, {
      issuer: 'https://other.example',
      subject: 'same',
    });
    expect(a.id).not.toBe(b.id);
    expect([a.username, b.username]).toEqual(['user', 'user-2']);
  });

  it('returns one account for two concurrent first sign-ins of the same identity', async () => {
    const storage = createMemoryStorage();
    const identity = { issuer: ISSUER, subject: 'racer', email: 'r@example.com' };
    const [x, y] = await Promise.all([
      linkUpstreamAccount(storage.accounts, identity),
      linkUpstreamAccount(storage.accounts, identity),
    ]);
    expect(x.id).toBe(y.id);
    expect(await storage.accounts.count()).toBe(1);
  });
});

describe('usernameFromHint', () => {
  it('removes invisible characters, collapses spaces and keeps at most 64 characters', () => {
    expect(usernameFromHint(' a\u202eb\u0000c  d ')).toBe('abc d');
    expect([...(usernameFromHint('é'.repeat(80)) ?? '')]).toHaveLength(64);
    expect(usernameFromHint('\u200b\u200b')).toBeUndefined();
    expect(usernameFromHint(undefined)).toBeUndefined();
  });
});
