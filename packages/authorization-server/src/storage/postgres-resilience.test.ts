/**
 * PostgreSQL-only behaviour: many instances on one database, connection loss and recovery, and
 * the batched purge. The storage contract itself is tested in `postgres.test.ts`.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/postgres.js';
import { startTcpProxy, type TcpProxy } from '../../../../test/support/tcp-proxy.js';
import type { Storage } from './contract.js';
import {
  openPostgresStorage,
  type PostgresStorage,
  type PostgresStorageOptions,
  poolOf,
} from './postgres.js';
import { StorageUnavailable } from './postgres-errors.js';

let db: TestDatabase;
const open: Storage[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
});
afterEach(async () => {
  for (const storage of open.splice(0)) await storage.close();
});
afterAll(async () => {
  await db?.drop();
});

async function openAt(options: Partial<PostgresStorageOptions> = {}): Promise<PostgresStorage> {
  const storage = await openPostgresStorage({
    connectionString: db.url,
    purgeIntervalSeconds: 0,
    ...options,
  });
  open.push(storage);
  return storage;
}

describe('postgres: two instances on one database', () => {
  it('a code consumed concurrently from two pools has exactly one first consumer', async () => {
    const a = await openAt({ max: 4, applicationName: 'instance-a' });
    const b = await openAt({ max: 4, applicationName: 'instance-b' });
    for (let round = 0; round < 20; round++) {
      const id = `code-${round}`;
      await a.model('AuthorizationCode').upsert(id, { grantId: `g-${round}` }, 60);
      const attempts = Array.from({ length: 4 }, (_, i) =>
        (i % 2 === 0 ? a : b).model('AuthorizationCode').consume(id),
      );
      const results = await Promise.all(attempts);
      expect(results.filter(Boolean)).toHaveLength(1);
      expect((await b.model('AuthorizationCode').find(id))?.consumed).toBeTypeOf('number');
    }
  });

  it('sees records, accounts, keys and settings written by the other instance at once', async () => {
    const a = await openAt();
    const b = await openAt();
    await a.model('Client').upsert('client-1', { client_id: 'client-1' });
    await a.keys.insert({
      kid: 'k-shared',
      use: 'signing',
      material: '{}',
      createdAt: 1,
      retiredAt: null,
      expiresAt: null,
    });
    expect(await b.model('Client').find('client-1')).toEqual({ client_id: 'client-1' });
    expect((await b.keys.list('signing')).map((k) => k.kid)).toContain('k-shared');
    expect(await b.keys.retire('k-shared', 2, 4_000_000_000)).toBe(true);
    expect((await a.keys.list('signing')).find((k) => k.kid === 'k-shared')?.retiredAt).toBe(2);
  });
});

describe('postgres: connection loss', () => {
  it('survives pg_terminate_backend of its idle connections: no crash, the next call reconnects', async () => {
    const storage = await openAt({ max: 3, applicationName: 'terminate-idle' });
    await storage.settings.set('kept', 'value');
    // Three connections in the pool, idle.
    await Promise.all([storage.accounts.count(), storage.accounts.count(), storage.accounts.count()]);
    expect(poolOf(storage).idleCount).toBe(3);
    expect(await db.terminateConnections('terminate-idle')).toBe(3);
    // Each idle connection emits `error` on the pool, which drops it (unhandled, vitest would
    // report an uncaught exception and fail this file).
    await expect.poll(() => poolOf(storage).totalCount).toBe(0);
    expect(await storage.settings.get('kept')).toBe('value');
    await storage.model('Session').upsert('s', { uid: 'u' }, 60);
    expect(await storage.model('Session').findByUid('u')).toEqual({ uid: 'u' });
  });

  it('a statement cut off mid-way fails as StorageUnavailable, and the storage works again after', async () => {
    const storage = await openAt({ max: 2, applicationName: 'terminate-busy' });
    const other = await openAt({ max: 1, applicationName: 'lock-holder' });
    await storage.model('AuthorizationCode').upsert('held', { grantId: 'g' }, 60);
    // Another instance holds the row, so `consume` waits on the server until it is cut off.
    const holder = await poolOf(other).connect();
    try {
      await holder.query('BEGIN');
      await holder.query("SELECT 1 FROM oidc_models WHERE id = 'held' FOR UPDATE");
      const consuming = storage
        .model('AuthorizationCode')
        .consume('held')
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      await expect
        .poll(
          async () =>
            (
              await db.admin(
                "SELECT 1 FROM pg_stat_activity WHERE application_name = 'terminate-busy' AND wait_event_type = 'Lock'",
              )
            ).rowCount,
        )
        .toBe(1);
      expect(await db.terminateConnections('terminate-busy')).toBeGreaterThan(0);
      const error = await consuming;
      expect(error).toBeInstanceOf(StorageUnavailable);
      expect((error as Error & { cause: { code: string } }).cause.code).toBe('57P01');
      await holder.query('ROLLBACK');
    } finally {
      holder.release();
    }
    expect(await storage.model('AuthorizationCode').consume('held')).toBe(true);
  });

  describe('while the database is unreachable', () => {
    let proxy: TcpProxy;
    beforeAll(async () => {
      const target = new URL(db.url);
      proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    });
    afterAll(async () => {
      await proxy?.close();
    });

    it('rejects with StorageUnavailable (code ERR_STORAGE_UNAVAILABLE) and recovers, losing nothing', async () => {
      const url = new URL(db.url);
      url.port = String(proxy.port);
      const storage = await openAt({ connectionString: url.toString(), connectionTimeoutMs: 1000, max: 2 });
      await storage.model('RefreshToken').upsert('rt', { grantId: 'g' }, 3600);
      await storage.settings.set('before', 'outage');

      await proxy.down();
      const find = storage.model('RefreshToken').find('rt');
      await expect(find).rejects.toBeInstanceOf(StorageUnavailable);
      await expect(find).rejects.toMatchObject({ code: 'ERR_STORAGE_UNAVAILABLE' });
      await expect(storage.settings.set('during', 'outage')).rejects.toBeInstanceOf(StorageUnavailable);
      await expect(storage.model('AuthorizationCode').consume('c')).rejects.toBeInstanceOf(
        StorageUnavailable,
      );
      const error = await storage.accounts.count().catch((e: unknown) => e);
      expect((error as Error).message).toMatch(/unavailable/);
      expect((error as Error).message).not.toContain(db.url);

      await proxy.up();
      expect(await storage.model('RefreshToken').find('rt')).toEqual({ grantId: 'g' });
      expect(await storage.settings.get('before')).toBe('outage');
      expect(await storage.settings.get('during')).toBeUndefined();
    });
  });
});

describe('postgres: purge', () => {
  it('deletes expired rows in batches of purgeBatchSize and counts them', async () => {
    let now = 1_000;
    const storage = await openAt({ purgeBatchSize: 7, now: () => now });
    const pool = poolOf(storage);
    await pool.query('TRUNCATE oidc_models, keys, settings');
    // 100 rows expiring at 1010, 10 living on.
    await pool.query(
      `INSERT INTO oidc_models (model, id, payload, expires_at)
       SELECT 'AccessToken', 'expired-' || i, '{}', 1010 FROM generate_series(1, 100) AS i
       UNION ALL SELECT 'AccessToken', 'live-' || i, '{}', 5000 FROM generate_series(1, 10) AS i`,
    );
    let statements = 0;
    const count = (): void => {
      statements++;
    };
    pool.on('acquire', count);
    now = 2_000;
    expect(await storage.purgeExpired()).toBe(100);
    pool.off('acquire', count);
    // ceil(100 / 7) = 15 batches on oidc_models, plus one each on keys and settings.
    expect(statements).toBe(17);
    const left = await pool.query<{ n: number }>('SELECT count(*)::integer AS n FROM oidc_models');
    expect(left.rows[0]?.n).toBe(10);
  });

  it('skips rows another transaction holds locked instead of waiting for them', async () => {
    const storage = await openAt({ purgeBatchSize: 3 });
    const pool = poolOf(storage);
    await pool.query('TRUNCATE oidc_models, keys, settings');
    await pool.query(
      `INSERT INTO oidc_models (model, id, payload, expires_at)
       SELECT 'Session', 's-' || i, '{}', 10 FROM generate_series(1, 10) AS i`,
    );
    const holder = await pool.connect();
    try {
      await holder.query('BEGIN');
      await holder.query("SELECT 1 FROM oidc_models WHERE id = 's-1' FOR UPDATE");
      // Would hang (statement_timeout 10 s) if the purge waited for the locked row.
      expect(await storage.purgeExpired(20)).toBe(9);
      await holder.query('COMMIT');
    } finally {
      holder.release();
    }
    expect(await storage.purgeExpired(20)).toBe(1);
  });
});
