/** The model-record part of the storage contract suite. */

import { describe, expect, it } from 'vitest';
import type { ContractContext } from './contract-suite-fixtures.test-helpers.js';
import { T0 } from './contract-suite-fixtures.test-helpers.js';

/** Registers the `ModelStore` contract tests. */
export function describeModelContract(c: ContractContext): void {
  describe('models', () => {
    it('finds what was upserted, as JSON (undefined members dropped)', async () => {
      const m = c.storage.model('AccessToken');
      await m.upsert('at1', { accountId: 'a', scope: 'x y', nested: { n: [1, 2] }, dropped: undefined }, 60);
      expect(await m.find('at1')).toEqual({ accountId: 'a', scope: 'x y', nested: { n: [1, 2] } });
      expect(await m.find('at1')).not.toHaveProperty('dropped');
      expect(await m.find('unknown')).toBeUndefined();
    });

    it('returns copies: changing a result or the upserted object changes nothing stored', async () => {
      const m = c.storage.model('Grant');
      const payload: Record<string, unknown> = { openid: { scope: 'a' } };
      await m.upsert('g', payload);
      payload.openid = 'changed';
      const found = (await m.find('g')) as Record<string, { scope: string }>;
      found.openid!.scope = 'mutated';
      expect(await m.find('g')).toEqual({ openid: { scope: 'a' } });
    });

    it('replaces a record on upsert, including its indexed fields and expiry', async () => {
      const m = c.storage.model('Session');
      await m.upsert('s', { uid: 'old-uid', v: 1 }, 10);
      await m.upsert('s', { uid: 'new-uid', v: 2 }, 100);
      expect(await m.find('s')).toEqual({ uid: 'new-uid', v: 2 });
      expect(await m.findByUid('old-uid')).toBeUndefined();
      expect(await m.findByUid('new-uid')).toEqual({ uid: 'new-uid', v: 2 });
      c.now = T0 + 50;
      expect(await m.find('s')).toBeDefined();
    });

    it('never returns an expired record, even before purge (expired when expiresAt <= now)', async () => {
      const m = c.storage.model('AuthorizationCode');
      await m.upsert('c', { uid: 'u', userCode: 'UC', grantId: 'g' }, 10);
      c.now = T0 + 9;
      expect(await m.find('c')).toBeDefined();
      c.now = T0 + 10;
      expect(await m.find('c')).toBeUndefined();
      expect(await m.findByUid('u')).toBeUndefined();
      expect(await m.findByUserCode('UC')).toBeUndefined();
    });

    it('keeps a record upserted without a TTL forever', async () => {
      const m = c.storage.model('Client');
      await m.upsert('client', { client_id: 'client' });
      c.now = T0 + 10 * 365 * 86_400;
      expect(await m.find('client')).toEqual({ client_id: 'client' });
      expect(await c.storage.purgeExpired()).toBe(0);
    });

    it('consume sets `consumed` to now, once, and is a no-op for an unknown id', async () => {
      const m = c.storage.model('AuthorizationCode');
      await m.upsert('c', { grantId: 'g' }, 60);
      expect((await m.find('c'))?.consumed).toBeUndefined();
      c.now = T0 + 5;
      expect(await m.consume('c')).toBe(true);
      expect(await m.find('c')).toEqual({ grantId: 'g', consumed: T0 + 5 });
      c.now = T0 + 7;
      expect(await m.consume('c')).toBe(false);
      expect((await m.find('c'))?.consumed).toBe(T0 + 5);
      expect(await m.consume('unknown')).toBe(false);
      expect(await m.find('unknown')).toBeUndefined();
    });

    it('consume: of concurrent calls for one id exactly one resolves true', async () => {
      const m = c.storage.model('AuthorizationCode');
      await m.upsert('race', { grantId: 'g' }, 60);
      const results = await Promise.all(Array.from({ length: 8 }, () => m.consume('race')));
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it('keeps a `consumed` given in the payload', async () => {
      const m = c.storage.model('RefreshToken');
      await m.upsert('r', { consumed: T0 - 1 }, 60);
      expect((await m.find('r'))?.consumed).toBe(T0 - 1);
    });

    it('destroy removes a record and ignores an unknown id', async () => {
      const m = c.storage.model('Interaction');
      await m.upsert('i', { uid: 'u' }, 60);
      await m.destroy('i');
      await m.destroy('i');
      expect(await m.find('i')).toBeUndefined();
      expect(await m.findByUid('u')).toBeUndefined();
    });

    it('finds by uid and by user code', async () => {
      await c.storage.model('Session').upsert('s1', { uid: 'uid-1', accountId: 'a' }, 60);
      await c.storage.model('DeviceCode').upsert('d1', { userCode: 'ABCD-EFGH', grantId: 'g' }, 60);
      expect(await c.storage.model('Session').findByUid('uid-1')).toEqual({ uid: 'uid-1', accountId: 'a' });
      expect(await c.storage.model('Session').findByUid('uid-2')).toBeUndefined();
      expect(await c.storage.model('DeviceCode').findByUserCode('ABCD-EFGH')).toEqual({
        userCode: 'ABCD-EFGH',
        grantId: 'g',
      });
      expect(await c.storage.model('DeviceCode').findByUserCode('abcd-efgh')).toBeUndefined();
    });

    it('keeps models apart: same id, uid, user code and grant in two models are distinct', async () => {
      await c.storage
        .model('AccessToken')
        .upsert('x', { kind: 'at', uid: 'u', userCode: 'c', grantId: 'g' }, 60);
      await c.storage
        .model('RefreshToken')
        .upsert('x', { kind: 'rt', uid: 'u', userCode: 'c', grantId: 'g' }, 60);
      expect(await c.storage.model('AccessToken').find('x')).toMatchObject({ kind: 'at' });
      expect(await c.storage.model('RefreshToken').findByUid('u')).toMatchObject({ kind: 'rt' });
      expect(await c.storage.model('Session').find('x')).toBeUndefined();
      expect(await c.storage.model('Session').findByUid('u')).toBeUndefined();
      expect(await c.storage.model('Session').findByUserCode('c')).toBeUndefined();
      await c.storage.model('AccessToken').revokeByGrantId('g');
      await c.storage.model('AccessToken').destroy('x');
      expect(await c.storage.model('RefreshToken').find('x')).toMatchObject({ kind: 'rt' });
    });

    it('revokeByGrantId destroys every record of the grant in that model, and only those', async () => {
      const m = c.storage.model('AccessToken');
      await m.upsert('a1', { grantId: 'g1' }, 60);
      await m.upsert('a2', { grantId: 'g1' });
      await m.upsert('a3', { grantId: 'g2' }, 60);
      await m.upsert('a4', { note: 'no grant' }, 60);
      await m.revokeByGrantId('g1');
      expect(await m.find('a1')).toBeUndefined();
      expect(await m.find('a2')).toBeUndefined();
      expect(await m.find('a3')).toEqual({ grantId: 'g2' });
      expect(await m.find('a4')).toEqual({ note: 'no grant' });
      await m.revokeByGrantId('unknown');
    });

    it('list returns every live record of the model, ordered by id, with its expiry', async () => {
      const m = c.storage.model('Grant');
      expect(await m.list()).toEqual([]);
      await m.upsert('g2', { accountId: 'b' }, 100);
      await m.upsert('g1', { accountId: 'a' });
      await m.upsert('g3', { accountId: 'c' }, 10);
      await m.consume('g2');
      await c.storage.model('Session').upsert('s1', { uid: 'u' }, 100);
      expect(await m.list()).toEqual([
        { id: 'g1', payload: { accountId: 'a' }, expiresAt: null },
        { id: 'g2', payload: { accountId: 'b', consumed: T0 }, expiresAt: T0 + 100 },
        { id: 'g3', payload: { accountId: 'c' }, expiresAt: T0 + 10 },
      ]);
      c.now = T0 + 10;
      expect((await m.list()).map((record) => record.id)).toEqual(['g1', 'g2']);
      await m.destroy('g1');
      expect((await m.list()).map((record) => record.id)).toEqual(['g2']);
    });

    it('rejects invalid arguments with a TypeError naming the field', async () => {
      const m = c.storage.model('Session');
      await expect(m.upsert('', {}, 1)).rejects.toThrow(/"id"/);
      await expect(m.upsert('id', null as never, 1)).rejects.toThrow(TypeError);
      await expect(m.upsert('id', {}, Number.NaN)).rejects.toThrow(/"expiresInSeconds"/);
      await expect(m.find(undefined as never)).rejects.toThrow(TypeError);
      expect(() => c.storage.model('')).toThrow(/"name"/);
    });
  });
}
