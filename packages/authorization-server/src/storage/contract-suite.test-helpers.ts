/**
 * The contract test suite every storage adapter must pass (see `contract.ts`). An adapter's test
 * file calls {@link describeStorageContract} with a factory; the suite drives the adapter through
 * a fake clock, so expiry is tested without waiting.
 */

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  account,
  type ContractContext,
  key,
  type OpenedStorage,
  T0,
} from './contract-suite-fixtures.test-helpers.js';
import { describeModelContract } from './contract-suite-models.test-helpers.js';
import { describeRecordContract } from './contract-suite-records.test-helpers.js';

export type { OpenedStorage } from './contract-suite-fixtures.test-helpers.js';

/** The clock the suite controls; adapters must read time only from `now` (epoch seconds). */
export interface ContractClock {
  now: () => number;
}

/**
 * Registers the storage contract tests under `describe(name)`. `open` is called before each test
 * with the suite's clock, which the adapter must use for every notion of "now"; `cleanup` runs
 * after each test.
 */
export function describeStorageContract(
  name: string,
  open: (clock: ContractClock) => Promise<OpenedStorage>,
  options: { persistent: boolean },
): void {
  describe(`${name}: storage contract`, () => {
    const c = { now: T0 } as ContractContext;
    const clock: ContractClock = { now: () => c.now };

    beforeEach(async () => {
      c.now = T0;
      c.opened = await open(clock);
      c.storage = c.opened.storage;
    });
    afterEach(async () => {
      await c.opened.cleanup();
    });

    describeModelContract(c);
    describeRecordContract(c);

    describe('purgeExpired', () => {
      async function seed(): Promise<void> {
        await c.storage.model('AccessToken').upsert('gone1', { grantId: 'g' }, 10);
        await c.storage.model('Session').upsert('gone2', { uid: 'u' }, 20);
        await c.storage.model('Session').upsert('stays', { uid: 'v' }, 1000);
        await c.storage.model('Client').upsert('forever', {});
        await c.storage.keys.insert(key('gone-key', { retiredAt: T0, expiresAt: T0 + 5 }));
        await c.storage.keys.insert(key('live-key'));
        await c.storage.settings.set('gone-setting', 'x', T0 + 5);
        await c.storage.settings.set('live-setting', 'y');
        await c.storage.accounts.create(account('id-a', 'alice', { lockedUntil: T0 + 1 }));
      }

      it('deletes expired model records, keys and settings and counts them', async () => {
        await seed();
        expect(await c.storage.purgeExpired()).toBe(0);
        c.now = T0 + 20;
        expect(await c.storage.purgeExpired()).toBe(4);
        expect(await c.storage.purgeExpired()).toBe(0);
        expect(await c.storage.model('Session').find('stays')).toEqual({ uid: 'v' });
        expect(await c.storage.model('Client').find('forever')).toEqual({});
        expect((await c.storage.keys.list('signing')).map((k) => k.kid)).toEqual(['live-key']);
        expect(await c.storage.settings.get('live-setting')).toBe('y');
        expect(await c.storage.accounts.count()).toBe(1);
      });

      it('takes an explicit `now`', async () => {
        await seed();
        expect(await c.storage.purgeExpired(T0 + 10)).toBe(3);
        expect(await c.storage.model('Session').find('gone2')).toEqual({ uid: 'u' });
      });
    });

    describe('close', () => {
      it('is idempotent, and every method rejects afterwards with ERR_STORAGE_CLOSED', async () => {
        const model = c.storage.model('Session');
        await c.storage.close();
        await c.storage.close();
        const closed = { code: 'ERR_STORAGE_CLOSED' };
        await expect(model.find('x')).rejects.toMatchObject(closed);
        await expect(model.list()).rejects.toMatchObject(closed);
        await expect(c.storage.accounts.count()).rejects.toMatchObject(closed);
        await expect(c.storage.keys.list('signing')).rejects.toMatchObject(closed);
        await expect(c.storage.settings.get('x')).rejects.toMatchObject(closed);
        await expect(c.storage.purgeExpired()).rejects.toMatchObject(closed);
      });
    });

    // Defined only for adapters that persist (memory does not), so that no test is ever skipped.
    if (options.persistent)
      describe('persistence', () => {
        it('keeps everything across close and reopen', async () => {
          if (!c.opened.reopen)
            throw new Error(`${name} is declared persistent but its factory gives no reopen()`);
          const upstream = { issuer: 'https://idp.example', subject: 's' };
          await c.storage.model('Session').upsert('s', { uid: 'u', accountId: 'id-a' }, 3600);
          await c.storage.model('AuthorizationCode').upsert('c', { grantId: 'g' }, 60);
          await c.storage.model('AuthorizationCode').consume('c');
          await c.storage.model('DeviceCode').upsert('d', { userCode: 'UC' }, 60);
          await c.storage.model('Expired').upsert('e', {}, 1);
          await c.storage.accounts.create(account('id-a', 'Alice', { upstream }));
          await c.storage.keys.insert(key('k1', { createdAt: T0 - 1 }));
          await c.storage.keys.insert(key('k2'));
          await c.storage.keys.retire('k1', T0, T0 + 600);
          await c.storage.settings.set('setting', 'value', T0 + 600);
          await c.storage.close();

          c.now = T0 + 30;
          const again = await c.opened.reopen();
          expect(await again.model('Session').findByUid('u')).toEqual({ uid: 'u', accountId: 'id-a' });
          expect(await again.model('AuthorizationCode').find('c')).toEqual({ grantId: 'g', consumed: T0 });
          expect(await again.model('DeviceCode').findByUserCode('UC')).toEqual({ userCode: 'UC' });
          expect(await again.model('Expired').find('e')).toBeUndefined();
          expect(await again.accounts.findByUsername('alice')).toEqual(
            account('id-a', 'Alice', { upstream }),
          );
          expect(await again.keys.list('signing')).toEqual([
            key('k2'),
            key('k1', { createdAt: T0 - 1, retiredAt: T0, expiresAt: T0 + 600 }),
          ]);
          expect(await again.settings.get('setting')).toBe('value');
          c.now = T0 + 3600;
          // Session, AuthorizationCode, DeviceCode, Expired, key k1 and the setting.
          expect(await again.purgeExpired()).toBe(6);
          await again.close();
        });
      });
  });
}
