import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Storage } from './contract.js';
import { describeStorageContract } from './contract-suite.test-helpers.js';
import { openSqliteStorage, StorageOpenError } from './sqlite.js';
import { latestSchemaVersion, SchemaTooNew } from './sqlite-migrations.js';

describeStorageContract(
  'sqlite',
  async (clock) => {
    const dir = await mkdtemp(join(tmpdir(), 'gatehouse-sqlite-'));
    const path = join(dir, 'gatehouse.db');
    const opened: Storage[] = [openSqliteStorage({ path, purgeIntervalSeconds: 0, now: clock.now })];
    return {
      storage: opened[0]!,
      reopen: async () => {
        const storage = openSqliteStorage({ path, purgeIntervalSeconds: 0, now: clock.now });
        opened.push(storage);
        return storage;
      },
      cleanup: async () => {
        for (const storage of opened) await storage.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  },
  { persistent: true },
);

describe('openSqliteStorage', () => {
  let dir: string;
  const open: Storage[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-sqlite-'));
  });
  afterEach(async () => {
    for (const storage of open.splice(0)) await storage.close();
    await rm(dir, { recursive: true, force: true });
  });

  function openAt(
    path: string,
    options: { purgeIntervalSeconds?: number; busyTimeoutMs?: number; now?: () => number } = {},
  ) {
    const storage = openSqliteStorage({ path, purgeIntervalSeconds: 0, ...options });
    open.push(storage);
    return storage;
  }

  function mode(s: { mode: number }): number {
    return s.mode & 0o777;
  }

  it('creates missing parent directories 0700 and the database, -wal and -shm files 0600', async () => {
    const previous = process.umask(0o022);
    try {
      const path = join(dir, 'a', 'b', 'gatehouse.db');
      const storage = openAt(path);
      await storage.settings.set('x', 'y');
      expect(mode(await stat(join(dir, 'a')))).toBe(0o700);
      expect(mode(await stat(join(dir, 'a', 'b')))).toBe(0o700);
      expect(mode(await stat(path))).toBe(0o600);
      expect(mode(await stat(`${path}-wal`))).toBe(0o600);
      expect(mode(await stat(`${path}-shm`))).toBe(0o600);
    } finally {
      process.umask(previous);
    }
  });

  it('tightens an existing database file to 0600 and leaves an existing directory alone', async () => {
    const path = join(dir, 'gatehouse.db');
    await openAt(path).close();
    const { chmod } = await import('node:fs/promises');
    await chmod(path, 0o644);
    await chmod(dir, 0o755);
    openAt(path);
    expect(mode(await stat(path))).toBe(0o600);
    expect(mode(await stat(dir))).toBe(0o755);
  });

  it('sets WAL (persistent), synchronous=NORMAL, foreign_keys=ON and busy_timeout', async () => {
    const path = join(dir, 'gatehouse.db');
    const pragma = vi.spyOn(Database.prototype, 'pragma');
    try {
      openAt(path, { busyTimeoutMs: 1234 });
      expect(pragma.mock.calls.map((call) => call[0])).toEqual(
        expect.arrayContaining([
          'journal_mode = WAL',
          'synchronous = NORMAL',
          'foreign_keys = ON',
          'busy_timeout = 1234',
        ]),
      );
    } finally {
      pragma.mockRestore();
    }
    const db = new Database(path, { readonly: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      db.close();
    }
  });

  it('lets two connections share one file (migrations run once, writes are seen by both)', async () => {
    const path = join(dir, 'gatehouse.db');
    const a = openAt(path);
    const b = openAt(path);
    await a.settings.set('from-a', '1');
    await b.accounts.create({
      id: 'id-b',
      username: 'bob',
      passwordHash: '',
      createdAt: 1,
      updatedAt: 1,
      failedAttempts: 0,
      lockedUntil: null,
      upstream: null,
    });
    expect(await b.settings.get('from-a')).toBe('1');
    expect(await a.accounts.count()).toBe(1);
  });

  it('creates the schema and records each migration once; reopening is idempotent', async () => {
    const path = join(dir, 'gatehouse.db');
    await openAt(path).close();
    await openAt(path).close();
    const db = new Database(path, { readonly: true });
    try {
      const rows = db.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as {
        version: number;
      }[];
      expect(rows.map((r) => r.version)).toEqual(
        Array.from({ length: latestSchemaVersion }, (_, i) => i + 1),
      );
      const tables = db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .pluck()
        .all();
      expect(tables).toEqual(['accounts', 'keys', 'oidc_models', 'schema_migrations', 'settings']);
      const indexes = db.prepare(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'oidc_models'",
      );
      expect(indexes.pluck().all()).toEqual(
        expect.arrayContaining([
          'oidc_models_grant_id',
          'oidc_models_user_code',
          'oidc_models_uid',
          'oidc_models_expires_at',
        ]),
      );
    } finally {
      db.close();
    }
  });

  it('refuses a database from a newer schema version, naming the path and changing nothing', async () => {
    const path = join(dir, 'gatehouse.db');
    await openAt(path).close();
    const db = new Database(path);
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
      latestSchemaVersion + 1,
      'from the future',
      0,
    );
    db.close();
    let error: unknown;
    try {
      openAt(path);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SchemaTooNew);
    expect(error).toMatchObject({ code: 'ERR_STORAGE_SCHEMA_TOO_NEW' });
    expect((error as Error).message).toContain(path);
    expect((error as Error).message).toContain(`schema version ${latestSchemaVersion + 1}`);
    const check = new Database(path, { readonly: true });
    try {
      expect(check.prepare('SELECT max(version) FROM schema_migrations').pluck().get()).toBe(
        latestSchemaVersion + 1,
      );
    } finally {
      check.close();
    }
  });

  it('refuses a file that is not a database, naming it, and leaves it unchanged', async () => {
    const path = join(dir, 'gatehouse.db');
    const garbage = Buffer.from('this is not a SQLite database, just some bytes\n'.repeat(200));
    await writeFile(path, garbage, { mode: 0o644 });
    let error: unknown;
    try {
      openAt(path);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StorageOpenError);
    expect(error).toMatchObject({ code: 'ERR_STORAGE_OPEN', path });
    expect((error as Error).message).toContain(path);
    expect(await readFile(path)).toEqual(garbage);
    expect(mode(await stat(path))).toBe(0o644);
    await expect(stat(`${path}-wal`)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('refuses a SQLite database that is not a Gatehouse database and leaves it unchanged', async () => {
    const path = join(dir, 'other.db');
    const other = new Database(path);
    other.exec("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('keep me')");
    other.close();
    expect(() => openAt(path)).toThrow(/other\.db: .*not a Gatehouse database/);
    const check = new Database(path, { readonly: true });
    try {
      expect(check.prepare('SELECT body FROM notes').pluck().all()).toEqual(['keep me']);
      expect(
        check.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'schema_migrations'").pluck().get(),
      ).toBe(0);
    } finally {
      check.close();
    }
  });

  it('refuses a directory in place of the file', async () => {
    expect(() => openAt(dir)).toThrow(StorageOpenError);
  });

  it('validates its options', () => {
    expect(() => openSqliteStorage({ path: '' })).toThrow(/"path"/);
    expect(() => openSqliteStorage({ path: ':memory:' })).toThrow(/createMemoryStorage/);
    expect(() => openSqliteStorage({ path: join(dir, 'x.db'), purgeIntervalSeconds: -1 })).toThrow(
      /"purgeIntervalSeconds"/,
    );
    expect(() => openSqliteStorage({ path: join(dir, 'x.db'), purgeIntervalSeconds: 1.5 })).toThrow(
      /"purgeIntervalSeconds"/,
    );
  });

  it('purges expired rows on its timer', async () => {
    const path = join(dir, 'gatehouse.db');
    let t = 1_800_000_000;
    const storage = openAt(path, { purgeIntervalSeconds: 1, now: () => t });
    await storage.model('AccessToken').upsert('at', { grantId: 'g' }, 10);
    await storage.settings.set('s', 'v', t + 10);
    t += 60;
    const db = new Database(path, { readonly: true });
    try {
      const count = () =>
        db.prepare('SELECT (SELECT count(*) FROM oidc_models) + (SELECT count(*) FROM settings)');
      expect(count().pluck().get()).toBe(2);
      await expect.poll(() => count().pluck().get(), { timeout: 10_000, interval: 100 }).toBe(0);
    } finally {
      db.close();
    }
  });

  it("runs its purge timer unref'd, clears it on close, and has none when the interval is 0", async () => {
    const setSpy = vi.spyOn(globalThis, 'setInterval');
    const clearSpy = vi.spyOn(globalThis, 'clearInterval');
    try {
      const storage = openAt(join(dir, 'a.db'), { purgeIntervalSeconds: 42 });
      expect(setSpy).toHaveBeenCalledTimes(1);
      expect(setSpy.mock.calls[0]![1]).toBe(42_000);
      const timer = setSpy.mock.results[0]!.value as NodeJS.Timeout;
      expect(timer.hasRef()).toBe(false);
      await storage.close();
      expect(clearSpy).toHaveBeenCalledWith(timer);
      openAt(join(dir, 'b.db'), { purgeIntervalSeconds: 0 });
      expect(setSpy).toHaveBeenCalledTimes(1);
    } finally {
      setSpy.mockRestore();
      clearSpy.mockRestore();
    }
  });

  it('keeps the stored payload as JSON text', async () => {
    const path = join(dir, 'gatehouse.db');
    const storage = openAt(path);
    await storage.model('Session').upsert('s', { uid: 'u', accountId: 'a' }, 60);
    const db = new Database(path, { readonly: true });
    try {
      const row = db
        .prepare("SELECT payload, uid FROM oidc_models WHERE model = 'Session' AND id = 's'")
        .get();
      expect(row).toEqual({ payload: '{"uid":"u","accountId":"a"}', uid: 'u' });
    } finally {
      db.close();
    }
  });

  it('reports a corrupt stored payload without quoting it', async () => {
    const path = join(dir, 'gatehouse.db');
    const storage = openAt(path);
    await storage.model('AccessToken').upsert('at', { secret: 'x' }, 60);
    const db = new Database(path);
    db.prepare("UPDATE oidc_models SET payload = 'SECRET-TOKEN-VALUE not json'").run();
    db.close();
    const error = await storage
      .model('AccessToken')
      .find('at')
      .catch((e: unknown) => e);
    expect((error as Error).message).toBe('a stored AccessToken record is not valid JSON');
  });
});
