/**
 * The storage adapter when two requests redeem one single-use record at the same instant, and
 * when the database is down: the provider-facing errors (see `storage-errors.ts`).
 */
import { errors } from 'oidc-provider';
import { describe, expect, it } from 'vitest';
import type { Storage } from '../storage/contract.js';
import { createMemoryStorage } from '../storage/memory.js';
import { StorageUnavailable } from '../storage/postgres-errors.js';
import { createStorageAdapter } from './storage-adapter.js';

async function seedGrant(storage: Storage): Promise<void> {
  await storage.model('Grant').upsert('g1', { accountId: 'a' }, 600);
  await storage.model('AuthorizationCode').upsert('code', { grantId: 'g1' }, 60);
  await storage.model('AccessToken').upsert('at', { grantId: 'g1' }, 60);
  await storage.model('RefreshToken').upsert('rt', { grantId: 'g1' }, 600);
  await storage.model('RefreshToken').upsert('other-grant', { grantId: 'g2' }, 600);
}

describe('createStorageAdapter: a lost consume race (RFC 6749 §4.1.2)', () => {
  it('refuses the second consumer of a code with invalid_grant and revokes the grant', async () => {
    const storage = createMemoryStorage();
    await seedGrant(storage);
    const codes = new (createStorageAdapter(storage))('AuthorizationCode');
    // Both requests found the code unconsumed; the first consumes it…
    await codes.consume('code');
    // …the second one's consume loses.
    const lost = codes.consume('code');
    await expect(lost).rejects.toBeInstanceOf(errors.InvalidGrant);
    await expect(lost).rejects.toMatchObject({ error_detail: 'authorization code already consumed' });
    expect(await storage.model('Grant').find('g1')).toBeUndefined();
    expect(await storage.model('AccessToken').find('at')).toBeUndefined();
    expect(await storage.model('RefreshToken').find('rt')).toBeUndefined();
    expect(await storage.model('RefreshToken').find('other-grant')).toBeDefined();
  });

  it('lets racing refreshes inside the reuse window through, and refuses them with the window off', async () => {
    const storage = createMemoryStorage();
    await seedGrant(storage);
    const windowed = new (createStorageAdapter(storage))('RefreshToken');
    await windowed.consume('rt');
    await expect(windowed.consume('rt')).resolves.toBeUndefined();
    expect(await storage.model('Grant').find('g1')).toBeDefined();

    const strict = new (createStorageAdapter(storage, { refreshTokenReuseWindowSeconds: 0 }))('RefreshToken');
    await expect(strict.consume('rt')).rejects.toBeInstanceOf(errors.InvalidGrant);
    expect(await storage.model('Grant').find('g1')).toBeUndefined();
  });

  it('leaves models that are not single-use alone', async () => {
    const storage = createMemoryStorage();
    await storage.model('Interaction').upsert('i', { uid: 'u' }, 60);
    const interactions = new (createStorageAdapter(storage))('Interaction');
    await interactions.consume('i');
    await expect(interactions.consume('i')).resolves.toBeUndefined();
  });
});

describe('createStorageAdapter: database unavailable', () => {
  it('turns StorageUnavailable from any call into a 503 temporarily_unavailable provider error', async () => {
    const storage = createMemoryStorage();
    const down = new StorageUnavailable('the PostgreSQL database is unavailable (ECONNREFUSED)');
    const failing: Storage = {
      ...storage,
      model: () => ({
        upsert: () => Promise.reject(down),
        find: () => Promise.reject(down),
        findByUid: () => Promise.reject(down),
        findByUserCode: () => Promise.reject(down),
        consume: () => Promise.reject(down),
        destroy: () => Promise.reject(down),
        revokeByGrantId: () => Promise.reject(down),
        list: () => Promise.reject(down),
      }),
    };
    const adapter = new (createStorageAdapter(failing))('Client');
    const calls = [
      adapter.upsert('x', {}, 1),
      adapter.find('x'),
      adapter.findByUid('x'),
      adapter.findByUserCode('x'),
      adapter.consume('x'),
      adapter.destroy('x'),
      adapter.revokeByGrantId('x'),
    ];
    for (const call of calls) {
      await expect(call).rejects.toMatchObject({
        statusCode: 503,
        expose: true,
        error: 'temporarily_unavailable',
      });
    }
  });
});
