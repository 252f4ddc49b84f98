/**
 * The SQLite storage adapter (the default): one file, no server, survives restarts. Built on
 * better-sqlite3. Reads run synchronously on the caller's thread (fast for the small rows kept
 * here); the model stores' writes run on a writer thread with group commit (`sqlite-writer.ts`).
 */

import { chmodSync, closeSync, fchmodSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { debuglog } from 'node:util';
import { invalidArgument } from '@gatehouse/core';
import Database from 'better-sqlite3';
import { epochSeconds, type ModelStore, type Storage } from './contract.js';
import { assertKey, assertOptionalSeconds, type StorageClockOptions, storageClosed } from './internal.js';
import { runMigrations, SchemaTooNew } from './sqlite-migrations.js';
import { purgeExpiredRows, type SqliteContext, SqliteModelStore } from './sqlite-models.js';
import { SqliteAccountStore, SqliteKeyStore, SqliteSettingStore } from './sqlite-stores.js';
import { type SqliteWriter, startSqliteWriter } from './sqlite-writer.js';

const debug = debuglog('gatehouse:storage');

/** Options of {@link openSqliteStorage}. */
export interface SqliteStorageOptions extends StorageClockOptions {
  /** The database file. Its parent directories are created (mode 0700) when missing. */
  path: string;
  /** How often expired rows are deleted, in seconds. Default: 600. 0 turns the timer off. */
  purgeIntervalSeconds?: number;
  /** How long a query waits for another process's write lock, in milliseconds. Default: 5000. */
  busyTimeoutMs?: number;
}

/** A {@link Storage} backed by a SQLite file. */
export interface SqliteStorage extends Storage {
  readonly kind: 'sqlite';
  /** The absolute path of the database file. */
  readonly path: string;
}

/** Raised when the database file cannot be opened or is not a Gatehouse database; names the path. */
export class StorageOpenError extends Error {
  override readonly name = 'StorageOpenError';
  readonly code = 'ERR_STORAGE_OPEN';
  /** The database file that could not be opened. */
  readonly path: string;

  constructor(path: string, reason: string, options?: ErrorOptions) {
    super(`cannot open the SQLite database at ${path}: ${reason}`, options);
    this.path = path;
  }
}

const DEFAULT_PURGE_INTERVAL_SECONDS = 600;
const DEFAULT_BUSY_TIMEOUT_MS = 5000;
/** setInterval's largest delay (about 24.8 days). */
const MAX_INTERVAL_SECONDS = Math.floor(0x7fffffff / 1000);

function validate(
  options: SqliteStorageOptions,
): Required<Omit<SqliteStorageOptions, 'path'>> & { path: string } {
  if (options === null || typeof options !== 'object') {
    throw invalidArgument('openSqliteStorage() takes an options object: { path }', 'ERR_INVALID_ARG_TYPE');
  }
  if (typeof options.path !== 'string' || options.path.length === 0) {
    throw invalidArgument('"path" is required: the SQLite database file', 'ERR_MISSING_OPTION');
  }
  if (options.path === ':memory:' || options.path.startsWith('file:')) {
    throw invalidArgument('"path" must be a file path; use createMemoryStorage() for a throw-away store');
  }
  const purge = options.purgeIntervalSeconds ?? DEFAULT_PURGE_INTERVAL_SECONDS;
  if (!Number.isInteger(purge) || purge < 0 || purge > MAX_INTERVAL_SECONDS) {
    throw invalidArgument(
      `"purgeIntervalSeconds" must be an integer from 0 (off) to ${MAX_INTERVAL_SECONDS}`,
    );
  }
  const busy = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  if (!Number.isInteger(busy) || busy < 0 || busy > 0x7fffffff) {
    throw invalidArgument('"busyTimeoutMs" must be a non-negative integer');
  }
  if (options.now !== undefined && typeof options.now !== 'function') {
    throw invalidArgument('"now" must be a function returning epoch seconds', 'ERR_INVALID_ARG_TYPE');
  }
  return {
    path: resolve(options.path),
    purgeIntervalSeconds: purge,
    busyTimeoutMs: busy,
    now: options.now ?? epochSeconds,
  };
}

/** Creates missing parent directories with mode 0700 (whatever the umask) and an empty 0600 file. */
function prepareFile(file: string): void {
  const dir = dirname(file);
  try {
    const first = mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (first !== undefined) {
      for (let d = dir; ; d = dirname(d)) {
        chmodSync(d, 0o700);
        if (d === first || d === dirname(d)) break;
      }
    }
  } catch (error) {
    throw new StorageOpenError(file, `cannot create its directory (${(error as Error).message})`, {
      cause: error,
    });
  }
  let stat: ReturnType<typeof statSync> | undefined;
  try {
    stat = statSync(file, { throwIfNoEntry: false });
  } catch (error) {
    throw new StorageOpenError(file, (error as Error).message, { cause: error });
  }
  if (stat && !stat.isFile()) throw new StorageOpenError(file, 'it is not a regular file');
  if (!stat) {
    try {
      // 'wx': never truncates a file that appeared in the meantime; fchmod: 0600 whatever the umask.
      const fd = openSync(file, 'wx', 0o600);
      try {
        fchmodSync(fd, 0o600);
      } finally {
        closeSync(fd);
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new StorageOpenError(file, (error as Error).message, { cause: error });
      }
    }
  }
}

/**
 * Takes group and other permissions off the database and its -wal / -shm files, whatever the umask
 * was (a file this adapter creates ends up 0600; SQLite gives -wal and -shm the database's mode).
 */
function restrictModes(file: string): void {
  for (const name of [file, `${file}-wal`, `${file}-shm`]) {
    const stat = statSync(name, { throwIfNoEntry: false });
    if (stat && (stat.mode & 0o077) !== 0) chmodSync(name, stat.mode & 0o700);
  }
}

/**
 * Opens (creating when missing) the SQLite database at `path` and brings its schema up to date.
 *
 * - Parent directories it creates get mode 0700, a database file it creates 0600; group and other
 *   permissions are taken off an existing database and its `-wal` and `-shm` files.
 * - `journal_mode=WAL`, `synchronous=NORMAL`, `foreign_keys=ON`, `busy_timeout` (default 5000 ms).
 * - Migrations (see `sqlite-migrations.ts`) run in one transaction and are recorded in
 *   `schema_migrations`; a database written by a newer Gatehouse is refused (`SchemaTooNew`).
 * - A file that is not a SQLite database, or a SQLite database without Gatehouse's schema, is refused
 *   with a {@link StorageOpenError} naming the path; it is never truncated or recreated.
 * - Expired rows are deleted every `purgeIntervalSeconds` (default 600; 0 = never) by an unref'd
 *   timer, stopped by `close()`. Failed purges are reported on `NODE_DEBUG=gatehouse:storage`.
 *
 * Does NOT check existing table shapes against the migrations, run integrity checks, or take backups.
 * Payloads are stored as JSON text and never logged.
 *
 * @example
 * const storage = openSqliteStorage({ path: '.gatehouse/gatehouse.db' });
 */
export function openSqliteStorage(options: SqliteStorageOptions): SqliteStorage {
  const { path: file, purgeIntervalSeconds, busyTimeoutMs, now } = validate(options);
  prepareFile(file);
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { fileMustExist: true, timeout: busyTimeoutMs });
    // Reads the header first, so a file that is not a database is refused before any write.
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') throw new Error(`journal_mode is ${String(mode)}, WAL could not be enabled`);
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    runMigrations(db, file, now());
    restrictModes(file);
  } catch (error) {
    db?.close();
    if (error instanceof SchemaTooNew) throw error;
    throw new StorageOpenError(file, (error as Error).message, { cause: error });
  }
  return createSqliteStorage(db, file, purgeIntervalSeconds, busyTimeoutMs, now);
}

function createSqliteStorage(
  db: Database.Database,
  file: string,
  purgeIntervalSeconds: number,
  busyTimeoutMs: number,
  now: () => number,
): SqliteStorage {
  let closed = false;
  /** Started at the first model write: a storage that is only read (admin commands) needs no thread. */
  let writer: SqliteWriter | undefined;
  const statements = new Map<string, Database.Statement>();
  const ctx: SqliteContext = {
    db,
    now,
    write: (sql, params) => {
      writer ??= startSqliteWriter(file, busyTimeoutMs);
      return writer.run(sql, params);
    },
    check(): void {
      if (closed) throw storageClosed('sqlite');
    },
    statement(sql: string): Database.Statement {
      let statement = statements.get(sql);
      if (!statement) {
        statement = db.prepare(sql);
        statements.set(sql, statement);
      }
      return statement;
    },
  };
  const models = new Map<string, SqliteModelStore>();
  let timer: NodeJS.Timeout | undefined;
  if (purgeIntervalSeconds > 0) {
    timer = setInterval(() => {
      purgeExpiredRows(ctx, now()).then(
        (count) => debug('purged %d expired rows', count),
        // Busy or failing disk: the next tick tries again. Only the code is reported, never data.
        (error: unknown) =>
          debug('purge failed: %s', (error as { code?: string }).code ?? (error as Error).name),
      );
    }, purgeIntervalSeconds * 1000);
    timer.unref();
  }
  return {
    kind: 'sqlite',
    path: file,
    model(name: string): ModelStore {
      ctx.check();
      assertKey(name, 'name');
      let store = models.get(name);
      if (!store) {
        store = new SqliteModelStore(ctx, name);
        models.set(name, store);
      }
      return store;
    },
    accounts: new SqliteAccountStore(ctx),
    keys: new SqliteKeyStore(ctx),
    settings: new SqliteSettingStore(ctx),
    async purgeExpired(at?: number): Promise<number> {
      ctx.check();
      assertOptionalSeconds(at, 'now');
      return purgeExpiredRows(ctx, at ?? now());
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      if (timer) clearInterval(timer);
      await writer?.close();
      statements.clear();
      db.close();
    },
  };
}
