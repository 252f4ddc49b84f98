/** The accounts, keys and settings part of the storage contract suite. */

import { describe, expect, it } from 'vitest';
import { AccountConflict } from './contract.js';
import { account, type ContractContext, key, T0 } from './contract-suite-fixtures.test-helpers.js';

/** Registers the `AccountStore`, `KeyStore` and `SettingStore` contract tests. */
export function describeRecordContract(c: ContractContext): void {
  describe('accounts', () => {
    it('creates and finds by id, by username case-insensitively and by upstream identity', async () => {
      const alice = account('id-a', 'Alice', {
        upstream: { issuer: 'https://idp.example', subject: 's1' },
      });
      await c.storage.accounts.create(alice);
      expect(await c.storage.accounts.findById('id-a')).toEqual(alice);
      expect(await c.storage.accounts.findByUsername('aLICE')).toEqual(alice);
      expect(await c.storage.accounts.findByUsername('alice ')).toBeUndefined();
      expect(await c.storage.accounts.findByUpstream('https://idp.example', 's1')).toEqual(alice);
      expect(await c.storage.accounts.findByUpstream('https://idp.example', 's2')).toBeUndefined();
      expect(await c.storage.accounts.findByUpstream('https://other.example', 's1')).toBeUndefined();
      expect(await c.storage.accounts.findById('unknown')).toBeUndefined();
    });

    it('compares non-ASCII usernames case-insensitively too', async () => {
      await c.storage.accounts.create(account('id-e', 'Émilie'));
      expect((await c.storage.accounts.findByUsername('émilie'))?.id).toBe('id-e');
      await expect(c.storage.accounts.create(account('id-f', 'ÉMILIE'))).rejects.toBeInstanceOf(
        AccountConflict,
      );
    });

    it('refuses a username taken in another case, a taken upstream identity and a taken id', async () => {
      await c.storage.accounts.create(account('id-a', 'alice', { upstream: { issuer: 'i', subject: 's' } }));
      const dupName = c.storage.accounts.create(account('id-b', 'ALICE'));
      await expect(dupName).rejects.toBeInstanceOf(AccountConflict);
      await expect(dupName).rejects.toMatchObject({ code: 'ERR_ACCOUNT_CONFLICT' });
      await expect(
        c.storage.accounts.create(account('id-c', 'carol', { upstream: { issuer: 'i', subject: 's' } })),
      ).rejects.toBeInstanceOf(AccountConflict);
      await expect(c.storage.accounts.create(account('id-a', 'dave'))).rejects.toBeInstanceOf(
        AccountConflict,
      );
      expect(await c.storage.accounts.count()).toBe(1);
      // Accounts without an upstream identity never conflict with each other on it.
      await c.storage.accounts.create(account('id-d', 'dan'));
      await c.storage.accounts.create(account('id-e', 'erin'));
      expect(await c.storage.accounts.count()).toBe(3);
    });

    it('lists accounts oldest first and counts them', async () => {
      expect(await c.storage.accounts.list()).toEqual([]);
      expect(await c.storage.accounts.count()).toBe(0);
      await c.storage.accounts.create(account('id-2', 'second', { createdAt: T0 + 2 }));
      await c.storage.accounts.create(account('id-1', 'first', { createdAt: T0 + 1 }));
      await c.storage.accounts.create(account('id-3', 'third', { createdAt: T0 + 3 }));
      expect((await c.storage.accounts.list()).map((a) => a.id)).toEqual(['id-1', 'id-2', 'id-3']);
      expect(await c.storage.accounts.count()).toBe(3);
    });

    it('update applies only the given changes and sets updatedAt', async () => {
      await c.storage.accounts.create(account('id-a', 'alice'));
      expect(
        await c.storage.accounts.update('id-a', { failedAttempts: 3, lockedUntil: T0 + 60 }, T0 + 1),
      ).toBe(true);
      expect(await c.storage.accounts.findById('id-a')).toEqual(
        account('id-a', 'alice', { failedAttempts: 3, lockedUntil: T0 + 60, updatedAt: T0 + 1 }),
      );
      const upstream = { issuer: 'https://idp.example', subject: 'sub' };
      await c.storage.accounts.update(
        'id-a',
        { passwordHash: 'scrypt$new', lockedUntil: null, upstream },
        T0 + 2,
      );
      expect(await c.storage.accounts.findById('id-a')).toEqual(
        account('id-a', 'alice', {
          passwordHash: 'scrypt$new',
          failedAttempts: 3,
          upstream,
          updatedAt: T0 + 2,
        }),
      );
      expect((await c.storage.accounts.findByUpstream(upstream.issuer, upstream.subject))?.id).toBe('id-a');
      await c.storage.accounts.update('id-a', { upstream: null }, T0 + 3);
      expect((await c.storage.accounts.findById('id-a'))?.upstream).toBeNull();
      expect(await c.storage.accounts.findByUpstream(upstream.issuer, upstream.subject)).toBeUndefined();
      expect(await c.storage.accounts.update('unknown', { failedAttempts: 1 }, T0)).toBe(false);
    });

    it('update refuses to link an upstream identity another account holds, changing nothing', async () => {
      const upstream = { issuer: 'i', subject: 's' };
      await c.storage.accounts.create(account('id-a', 'alice', { upstream }));
      await c.storage.accounts.create(account('id-b', 'bob'));
      await expect(
        c.storage.accounts.update('id-b', { upstream, failedAttempts: 9 }, T0 + 1),
      ).rejects.toBeInstanceOf(AccountConflict);
      expect(await c.storage.accounts.findById('id-b')).toEqual(account('id-b', 'bob'));
    });

    it('remove deletes an account and frees its username', async () => {
      await c.storage.accounts.create(account('id-a', 'alice'));
      expect(await c.storage.accounts.remove('id-a')).toBe(true);
      expect(await c.storage.accounts.remove('id-a')).toBe(false);
      expect(await c.storage.accounts.findById('id-a')).toBeUndefined();
      expect(await c.storage.accounts.count()).toBe(0);
      await c.storage.accounts.create(account('id-b', 'Alice'));
      expect((await c.storage.accounts.findByUsername('alice'))?.id).toBe('id-b');
    });
  });

  describe('keys', () => {
    it('lists keys of one use newest first, insertion order breaking ties', async () => {
      expect(await c.storage.keys.list('signing')).toEqual([]);
      expect(await c.storage.keys.insert(key('old', { createdAt: T0 - 100 }))).toBe(true);
      expect(await c.storage.keys.insert(key('new', { createdAt: T0 }))).toBe(true);
      expect(await c.storage.keys.insert(key('newer-same-second', { createdAt: T0 }))).toBe(true);
      expect(await c.storage.keys.insert(key('c1', { use: 'cookie', material: 'c2VjcmV0' }))).toBe(true);
      expect((await c.storage.keys.list('signing')).map((k) => k.kid)).toEqual([
        'newer-same-second',
        'new',
        'old',
      ]);
      expect(await c.storage.keys.list('cookie')).toEqual([
        key('c1', { use: 'cookie', material: 'c2VjcmV0' }),
      ]);
    });

    it('insert refuses an existing kid and changes nothing', async () => {
      await c.storage.keys.insert(key('k'));
      expect(await c.storage.keys.insert(key('k', { material: 'other', use: 'cookie' }))).toBe(false);
      expect(await c.storage.keys.list('signing')).toEqual([key('k')]);
      expect(await c.storage.keys.list('cookie')).toEqual([]);
    });

    it('retire records the times; unknown kid resolves false', async () => {
      await c.storage.keys.insert(key('k'));
      expect(await c.storage.keys.retire('k', T0 + 1, T0 + 100)).toBe(true);
      expect(await c.storage.keys.list('signing')).toEqual([
        key('k', { retiredAt: T0 + 1, expiresAt: T0 + 100 }),
      ]);
      expect(await c.storage.keys.retire('unknown', T0, T0)).toBe(false);
    });

    it('leaves out keys past expiresAt', async () => {
      await c.storage.keys.insert(key('active'));
      await c.storage.keys.insert(key('retired', { retiredAt: T0, expiresAt: T0 + 10 }));
      c.now = T0 + 9;
      expect((await c.storage.keys.list('signing')).map((k) => k.kid)).toEqual(['retired', 'active']);
      c.now = T0 + 10;
      expect((await c.storage.keys.list('signing')).map((k) => k.kid)).toEqual(['active']);
      expect(await c.storage.keys.retire('retired', T0 + 10, T0 + 20)).toBe(false);
    });

    it('rejects a malformed key record', async () => {
      await expect(c.storage.keys.insert(key('k', { use: 'encryption' as never }))).rejects.toThrow(/"use"/);
      await expect(c.storage.keys.insert(key(''))).rejects.toThrow(/"key.kid"/);
    });
  });

  describe('settings', () => {
    it('sets, overwrites, gets and deletes values', async () => {
      expect(await c.storage.settings.get('s')).toBeUndefined();
      await c.storage.settings.set('s', 'one');
      await c.storage.settings.set('s', 'two');
      expect(await c.storage.settings.get('s')).toBe('two');
      await c.storage.settings.set('empty', '');
      expect(await c.storage.settings.get('empty')).toBe('');
      expect(await c.storage.settings.delete('s')).toBe(true);
      expect(await c.storage.settings.delete('s')).toBe(false);
      expect(await c.storage.settings.get('s')).toBeUndefined();
    });

    it('hides a value from its expiresAt on, and set without expiry clears an earlier one', async () => {
      await c.storage.settings.set('token', 'h1', T0 + 10);
      c.now = T0 + 9;
      expect(await c.storage.settings.get('token')).toBe('h1');
      c.now = T0 + 10;
      expect(await c.storage.settings.get('token')).toBeUndefined();
      expect(await c.storage.settings.delete('token')).toBe(false);
      await c.storage.settings.set('token', 'h2');
      c.now = T0 + 1_000_000;
      expect(await c.storage.settings.get('token')).toBe('h2');
    });
  });
}
