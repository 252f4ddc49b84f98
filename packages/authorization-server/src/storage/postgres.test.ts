import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/postgres.js';
import type { Storage } from './contract.js';
import { describeStorageContract } from './contract-suite.test-helpers.js';
import {
  openPostgresStorage,
  type PostgresStorage,
  type PostgresStorageOptions,
  poolOf,
} from './postgres.js';
import { PostgresOpenError, StorageUnavailable } from './postgres-errors.js';
import { latestPostgresSchemaVersion } from './postgres-migrations.js';
import { SchemaTooNew } from './sqlite-migrations.js';

// One database for the contract suite: each test starts from empty tables (TRUNCATE), which is
// much faster than a database per test and as isolating, since tests run one at a time.
let contractDb: TestDatabase;
beforeAll(async () => {
  contractDb = await createTestDatabase();
});
afterAll(async () => {
  await contractDb?.drop();
});

describeStorageContract(
  'postgres',
  async (clock) => {
    const options = { connectionString: contractDb.url, purgeIntervalSeconds: 0, now: clock.now };
    const first = await openPostgresStorage(options);
    await poolOf(first).query('TRUNCATE oidc_models, accounts, keys, settings');
    const opened: Storage[] = [first];
    return {
      storage: first,
      reopen: async () => {
        const storage = await openPostgresStorage(options);
        opened.push(storage);
        return storage;
      },
      cleanup: async () => {
        for (const storage of opened) await storage.close();
      },
    };
  },
  { persistent: true },
);

describe('openPostgresStorage', () => {
  const open: Storage[] = [];
  const databases: TestDatabase[] = [];

  afterEach(async () => {
    for (const storage of open.splice(0)) await storage.close();
    for (const db of databases.splice(0)) await db.drop();
  });

  async function freshDatabase(): Promise<TestDatabase> {
    const db = await createTestDatabase();
    databases.push(db);
    return db;
  }

  async function openAt(
    url: string,
    options: Partial<PostgresStorageOptions> = {},
  ): Promise<PostgresStorage> {
    const storage = await openPostgresStorage({ connectionString: url, purgeIntervalSeconds: 0, ...options });
    open.push(storage);
    return storage;
  }

  it('migrates a fresh database once when several instances open it at the same moment', async () => {
    const db = await freshDatabase();
    const storages = await Promise.all(Array.from({ length: 6 }, () => openAt(db.url, { max: 2 })));
    expect(storages.map((s) => s.schemaVersion)).toEqual(Array(6).fill(latestPostgresSchemaVersion));
    // Exactly one of them applied the migrations; the others waited on the lock and found them done.
    expect(storages.filter((s) => s.appliedMigrations.length > 0)).toHaveLength(1);
    const versions = await poolOf(storages[0]!).query(
      'SELECT version FROM schema_migrations ORDER BY version',
    );
    expect(versions.rows.map((r) => r.version)).toEqual(
      Array.from({ length: latestPostgresSchemaVersion }, (_, i) => i + 1),
    );
    // Every instance sees what another wrote.
    await storages[0]!.settings.set('shared', 'yes');
    expect(await storages[5]!.settings.get('shared')).toBe('yes');
  });

  it('creates an index for every lookup path', async () => {
    const db = await freshDatabase();
    const storage = await openAt(db.url);
    const result = await poolOf(storage).query<{ indexdef: string }>(
      "SELECT indexdef FROM pg_indexes WHERE tablename = 'oidc_models'",
    );
    const defs = result.rows.map((r) => r.indexdef).join('\n');
    expect(defs).toMatch(/UNIQUE INDEX oidc_models_pkey .*\(model, id\)/);
    expect(defs).toMatch(/oidc_models_uid .*\(model, uid\)/);
    expect(defs).toMatch(/oidc_models_user_code .*\(model, user_code\)/);
    expect(defs).toMatch(/oidc_models_grant_id .*\(model, grant_id\)/);
    expect(defs).toMatch(/oidc_models_expires_at .*\(expires_at\)/);
  });

  it('refuses a schema written by a newer Gatehouse, changing nothing', async () => {
    const db = await freshDatabase();
    const storage = await openAt(db.url);
    await poolOf(storage).query("INSERT INTO schema_migrations VALUES (999, 'from the future', 0)");
    await expect(openAt(db.url)).rejects.toBeInstanceOf(SchemaTooNew);
    await expect(openAt(db.url, { migrate: false })).rejects.toBeInstanceOf(SchemaTooNew);
  });

  it('refuses a database holding other tables, and with migrate: false one not yet migrated', async () => {
    const db = await freshDatabase();
    await expect(openAt(db.url, { migrate: false })).rejects.toThrow(/gatehouse migrate/);
    const other = await openAt(db.url);
    await poolOf(other).query('DROP TABLE schema_migrations');
    const refused = openAt(db.url);
    await expect(refused).rejects.toBeInstanceOf(PostgresOpenError);
    await expect(refused).rejects.toThrow(/not a Gatehouse database/);
  });

  it('names the database without its password when it cannot be reached', async () => {
    const url = 'postgres://gatehouse:hunter2-secret@127.0.0.1:1/gatehouse';
    const error = await openAt(url, { connectionTimeoutMs: 2000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PostgresOpenError);
    expect((error as Error).message).toContain('postgres://gatehouse:***@127.0.0.1:1/gatehouse');
    expect((error as Error).message).not.toContain('hunter2');
    expect((error as Error).cause).toBeInstanceOf(StorageUnavailable);
    expect(JSON.stringify(error)).not.toContain('hunter2');
  });

  it('rejects invalid options with a TypeError naming the option, without echoing the password', async () => {
    await expect(openPostgresStorage({} as never)).rejects.toThrow(/"connectionString"/);
    const wrongScheme = openPostgresStorage({ connectionString: 'mysql://u:pw-secret@h/db' });
    await expect(wrongScheme).rejects.toBeInstanceOf(TypeError);
    await expect(wrongScheme).rejects.toThrow(/^(?!.*pw-secret).*postgres:\/\/.*mysql:\/\/u:\*\*\*@h\/db/);
    await expect(openPostgresStorage({ connectionString: 'not a url pw-secret' })).rejects.toThrow(
      /^(?!.*pw-secret).*not a URL/,
    );
    await expect(openPostgresStorage({ connectionString: 'postgres://h/db', max: 0 })).rejects.toThrow(
      /"max"/,
    );
    await expect(
      openPostgresStorage({ connectionString: 'postgres://h/db', purgeBatchSize: 1.5 }),
    ).rejects.toThrow(/"purgeBatchSize"/);
  });
});
