import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/postgres.js';
import type { Storage } from './contract.js';
import { account, key, T0 } from './contract-suite-fixtures.test-helpers.js';
import { CopySourceError, CopyTargetNotEmpty, copySqliteToPostgres } from './copy-sqlite-to-postgres.js';
import { openPostgresStorage, type PostgresStorage, poolOf } from './postgres.js';
import { openSqliteStorage } from './sqlite.js';

let dir: string;
let sqlitePath: string;
let db: TestDatabase;
let target: PostgresStorage;
let now = T0;
const clock = () => now;

beforeEach(async () => {
  now = T0;
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-copy-'));
  sqlitePath = join(dir, 'gatehouse.db');
  db = await createTestDatabase();
  target = await openPostgresStorage({ connectionString: db.url, purgeIntervalSeconds: 0, now: clock });
});
afterEach(async () => {
  await target.close();
  await db.drop();
  await rm(dir, { recursive: true, force: true });
});

const upstream = { issuer: 'https://idp.example', subject: 'sub-1' };

/** A SQLite database as `gatehouse serve` leaves it: live, expired and consumed records of every kind. */
async function seedSqlite(): Promise<void> {
  const source = openSqliteStorage({ path: sqlitePath, purgeIntervalSeconds: 0, now: clock });
  await source.model('Client').upsert('client-1', { client_id: 'client-1', redirect_uris: ['http://x/cb'] });
  await source.model('Grant').upsert('grant-1', { accountId: 'id-a', clientId: 'client-1' }, 86_400);
  await source.model('Session').upsert('session-1', { uid: 'uid-1', accountId: 'id-a' }, 3600);
  await source.model('RefreshToken').upsert('rt-1', { grantId: 'grant-1' }, 7200);
  await source.model('AuthorizationCode').upsert('code-used', { grantId: 'grant-1' }, 600);
  await source.model('AuthorizationCode').consume('code-used');
  await source.model('DeviceCode').upsert('device-1', { userCode: 'WXYZ-1234', grantId: 'grant-1' }, 600);
  await source.model('AccessToken').upsert('at-expired', { grantId: 'grant-1' }, 5);
  await source.accounts.create(
    account('id-a', 'Alice', { upstream, failedAttempts: 2, lockedUntil: T0 + 60 }),
  );
  await source.accounts.create(account('id-b', 'bob', { createdAt: T0 + 1 }));
  await source.keys.insert(key('old', { createdAt: T0 - 100 }));
  await source.keys.retire('old', T0 - 10, T0 + 3600);
  await source.keys.insert(key('gone', { createdAt: T0 - 200, retiredAt: T0 - 100, expiresAt: T0 + 5 }));
  await source.keys.insert(key('active'));
  await source.keys.insert(key('cookie-1', { use: 'cookie', material: 'c2VjcmV0' }));
  await source.settings.set('setup-token', 'hash', T0 + 5);
  await source.settings.set('kept', 'value');
  await source.close();
}

/** Every row of the target, in a stable order, for before / after comparisons. */
async function snapshot(storage: Storage): Promise<unknown[]> {
  const pool = poolOf(storage);
  const out: unknown[] = [];
  for (const sql of [
    'SELECT * FROM oidc_models ORDER BY model, id',
    'SELECT * FROM accounts ORDER BY id',
    'SELECT kid, key_use, material, created_at, retired_at, expires_at FROM keys ORDER BY kid',
    'SELECT * FROM settings ORDER BY name',
  ]) {
    out.push((await pool.query(sql)).rows);
  }
  return out;
}

describe('copySqliteToPostgres', () => {
  it('copies every live record with its expiry instant, accounts, keys (retired too) and settings', async () => {
    await seedSqlite();
    now = T0 + 10; // the access token, the retired-and-expired key and the setting have expired
    const report = await copySqliteToPostgres({ sqlitePath, target, now: clock, batchSize: 2 });
    expect(report).toEqual({ models: 6, accounts: 2, keys: 3, settings: 1, skippedExpired: 3 });

    expect(await target.model('Client').find('client-1')).toEqual({
      client_id: 'client-1',
      redirect_uris: ['http://x/cb'],
    });
    expect(await target.model('Session').findByUid('uid-1')).toEqual({ uid: 'uid-1', accountId: 'id-a' });
    expect(await target.model('DeviceCode').findByUserCode('WXYZ-1234')).toMatchObject({
      grantId: 'grant-1',
    });
    expect(await target.model('AuthorizationCode').find('code-used')).toEqual({
      grantId: 'grant-1',
      consumed: T0,
    });
    expect(await target.model('AuthorizationCode').consume('code-used')).toBe(false);
    expect(await target.model('AccessToken').find('at-expired')).toBeUndefined();
    // The same expiry instant: the remaining lifetime is what it was in SQLite.
    expect((await target.model('RefreshToken').list()).map((r) => r.expiresAt)).toEqual([T0 + 7200]);
    expect((await target.model('Client').list()).map((r) => r.expiresAt)).toEqual([null]);
    await target.model('RefreshToken').revokeByGrantId('grant-1');
    expect(await target.model('RefreshToken').find('rt-1')).toBeUndefined();

    expect(await target.accounts.list()).toEqual([
      account('id-a', 'Alice', { upstream, failedAttempts: 2, lockedUntil: T0 + 60 }),
      account('id-b', 'bob', { createdAt: T0 + 1 }),
    ]);
    expect((await target.accounts.findByUpstream(upstream.issuer, upstream.subject))?.id).toBe('id-a');
    expect(await target.keys.list('signing')).toEqual([
      key('active'),
      key('old', { createdAt: T0 - 100, retiredAt: T0 - 10, expiresAt: T0 + 3600 }),
    ]);
    expect(await target.keys.list('cookie')).toEqual([
      key('cookie-1', { use: 'cookie', material: 'c2VjcmV0' }),
    ]);
    expect(await target.settings.get('kept')).toBe('value');
    expect(await target.settings.get('setup-token')).toBeUndefined();
  });

  it('never changes the SQLite file', async () => {
    await seedSqlite();
    const digest = async () =>
      createHash('sha256')
        .update(await readFile(sqlitePath))
        .digest('hex');
    const before = await digest();
    await copySqliteToPostgres({ sqlitePath, target, now: clock });
    expect(await digest()).toBe(before);
  });

  it('refuses a target that holds data, writing nothing; with overwrite, copying again changes nothing', async () => {
    await seedSqlite();
    const first = await copySqliteToPostgres({ sqlitePath, target, now: clock });
    const copied = await snapshot(target);

    const refused = copySqliteToPostgres({ sqlitePath, target, now: clock });
    await expect(refused).rejects.toBeInstanceOf(CopyTargetNotEmpty);
    await expect(refused).rejects.toMatchObject({ code: 'ERR_COPY_TARGET_NOT_EMPTY' });
    await expect(refused).rejects.toThrow(/overwrite/);

    const again = await copySqliteToPostgres({ sqlitePath, target, now: clock, overwrite: true });
    expect(again).toEqual(first);
    expect(await snapshot(target)).toEqual(copied);
  });

  it('with overwrite, replaces same-key rows and keeps the others', async () => {
    await seedSqlite();
    await target.settings.set('kept', 'changed in postgres');
    await target.settings.set('postgres-only', 'stays');
    await copySqliteToPostgres({ sqlitePath, target, now: clock, overwrite: true });
    expect(await target.settings.get('kept')).toBe('value');
    expect(await target.settings.get('postgres-only')).toBe('stays');
  });

  it('refuses a target with a single setting in it', async () => {
    await seedSqlite();
    await target.settings.set('anything', 'x');
    await expect(copySqliteToPostgres({ sqlitePath, target, now: clock })).rejects.toBeInstanceOf(
      CopyTargetNotEmpty,
    );
    expect(await target.accounts.count()).toBe(0);
  });

  it('refuses a missing file and a file that is not a Gatehouse database, naming the path', async () => {
    const missing = join(dir, 'missing.db');
    await expect(copySqliteToPostgres({ sqlitePath: missing, target })).rejects.toBeInstanceOf(
      CopySourceError,
    );
    const notGatehouse = join(dir, 'other.db');
    await writeFile(notGatehouse, '');
    const error = await copySqliteToPostgres({ sqlitePath: notGatehouse, target }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CopySourceError);
    expect((error as Error).message).toContain(notGatehouse);
    expect((error as Error).message).toMatch(/not a Gatehouse database/);
  });
});
