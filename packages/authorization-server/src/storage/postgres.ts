/**
 * The PostgreSQL storage adapter: the shared store that lets several Gatehouse instances serve one
 * issuer (clients, grants, codes, tokens, sessions, accounts, keys and settings all live here).
 * Built on `pg` with a connection pool.
 */

import { debuglog } from 'node:util';
import { invalidArgument } from '@gatehouse/core';
import pg from 'pg';
import { epochSeconds, type ModelStore, type Storage } from './contract.js';
import { assertKey, assertOptionalSeconds, type StorageClockOptions, storageClosed } from './internal.js';
import {
  isDroppedConnection,
  PostgresOpenError,
  redactConnectionString,
  StorageUnavailable,
  toStorageError,
  withPooledClient,
} from './postgres-errors.js';
import {
  latestPostgresSchemaVersion,
  type MigrationResult,
  runPostgresMigrations,
} from './postgres-migrations.js';
import { type PostgresContext, PostgresModelStore, purgeExpiredRows } from './postgres-models.js';
import { PostgresAccountStore, PostgresKeyStore, PostgresSettingStore } from './postgres-stores.js';
import { SchemaTooNew } from './sqlite-migrations.js';

const debug = debuglog('gatehouse:storage');

/** Options of {@link openPostgresStorage}. Every default is written beside its option. */
export interface PostgresStorageOptions extends StorageClockOptions {
  /** `postgres://user:password@host:port/database?…`. The password is never printed or logged. */
  connectionString: string;
  /** Most connections the pool opens. Default: 10. */
  max?: number;
  /** An idle connection is closed after this many milliseconds. Default: 30000. */
  idleTimeoutMs?: number;
  /** Waiting for a new connection fails (`StorageUnavailable`) after this many milliseconds. Default: 5000. */
  connectionTimeoutMs?: number;
  /** The server cancels a statement running longer than this (`statement_timeout`). Default: 10000; 0 = none. */
  statementTimeoutMs?: number;
  /** TLS settings, passed to `pg` as its `ssl` option. Default: as the connection string says. */
  ssl?: pg.ClientConfig['ssl'];
  /** Shown in `pg_stat_activity`. Default: `'gatehouse'`. */
  applicationName?: string;
  /** How often expired rows are deleted, in seconds. Default: 600. 0 turns the timer off. */
  purgeIntervalSeconds?: number;
  /** Rows deleted per purge statement. Default: 500. */
  purgeBatchSize?: number;
  /**
   * Apply pending migrations when opening (under an advisory lock; safe with several instances).
   * Default: true. With false, a schema that is not at the latest version is refused with a hint
   * to run `gatehouse migrate`.
   */
  migrate?: boolean;
}

/** A {@link Storage} backed by PostgreSQL. */
export interface PostgresStorage extends Storage {
  readonly kind: 'postgres';
  /** The connection string with its password redacted (safe to print). */
  readonly database: string;
  /** The schema version of the database (after this open's migrations). */
  readonly schemaVersion: number;
  /** The migrations this open applied (empty when the schema was already up to date). */
  readonly appliedMigrations: readonly number[];
}

const DEFAULTS = {
  max: 10,
  idleTimeoutMs: 30_000,
  connectionTimeoutMs: 5_000,
  statementTimeoutMs: 10_000,
  applicationName: 'gatehouse',
  purgeIntervalSeconds: 600,
  purgeBatchSize: 500,
} as const;
const MAX_INTERVAL_SECONDS = Math.floor(0x7fffffff / 1000);

type Validated = Required<Omit<PostgresStorageOptions, 'ssl'>> & Pick<PostgresStorageOptions, 'ssl'>;

function integerIn(value: unknown, name: string, min: number, max: number, fallback: number): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw invalidArgument(`"${name}" must be an integer from ${min} to ${max}`);
  }
  return v;
}

function validate(options: PostgresStorageOptions): Validated {
  if (options === null || typeof options !== 'object') {
    throw invalidArgument(
      'openPostgresStorage() takes an options object: { connectionString }',
      'ERR_INVALID_ARG_TYPE',
    );
  }
  const { connectionString } = options;
  if (typeof connectionString !== 'string' || connectionString.length === 0) {
    throw invalidArgument(
      '"connectionString" is required: postgres://user:password@host:5432/database',
      'ERR_MISSING_OPTION',
    );
  }
  let protocol: string;
  try {
    protocol = new URL(connectionString).protocol;
  } catch {
    throw invalidArgument(
      `"connectionString" is not a URL (${redactConnectionString(connectionString)}): expected postgres://user:password@host:5432/database`,
    );
  }
  if (protocol !== 'postgres:' && protocol !== 'postgresql:') {
    throw invalidArgument(
      `"connectionString" must start with postgres:// or postgresql:// (got ${redactConnectionString(connectionString)})`,
    );
  }
  if (options.now !== undefined && typeof options.now !== 'function') {
    throw invalidArgument('"now" must be a function returning epoch seconds', 'ERR_INVALID_ARG_TYPE');
  }
  if (options.migrate !== undefined && typeof options.migrate !== 'boolean') {
    throw invalidArgument('"migrate" must be a boolean', 'ERR_INVALID_ARG_TYPE');
  }
  if (options.applicationName !== undefined && typeof options.applicationName !== 'string') {
    throw invalidArgument('"applicationName" must be a string', 'ERR_INVALID_ARG_TYPE');
  }
  return {
    connectionString,
    max: integerIn(options.max, 'max', 1, 1000, DEFAULTS.max),
    idleTimeoutMs: integerIn(options.idleTimeoutMs, 'idleTimeoutMs', 0, 0x7fffffff, DEFAULTS.idleTimeoutMs),
    connectionTimeoutMs: integerIn(
      options.connectionTimeoutMs,
      'connectionTimeoutMs',
      1,
      0x7fffffff,
      DEFAULTS.connectionTimeoutMs,
    ),
    statementTimeoutMs: integerIn(
      options.statementTimeoutMs,
      'statementTimeoutMs',
      0,
      0x7fffffff,
      DEFAULTS.statementTimeoutMs,
    ),
    ssl: options.ssl,
    applicationName: options.applicationName ?? DEFAULTS.applicationName,
    purgeIntervalSeconds: integerIn(
      options.purgeIntervalSeconds,
      'purgeIntervalSeconds',
      0,
      MAX_INTERVAL_SECONDS,
      DEFAULTS.purgeIntervalSeconds,
    ),
    purgeBatchSize: integerIn(options.purgeBatchSize, 'purgeBatchSize', 1, 100_000, DEFAULTS.purgeBatchSize),
    migrate: options.migrate ?? true,
    now: options.now ?? epochSeconds,
  };
}

/** The pool behind each open PostgreSQL storage, for the copy and administration tools of this package. */
const pools = new WeakMap<Storage, pg.Pool>();

/**
 * The `pg.Pool` of a storage opened by {@link openPostgresStorage} (internal: for `copy-storage`,
 * tests and benchmarks; not exported from the package). Throws for any other storage.
 */
export function poolOf(storage: Storage): pg.Pool {
  const pool = pools.get(storage);
  if (!pool) throw invalidArgument('not a storage opened by openPostgresStorage()', 'ERR_INVALID_ARG_VALUE');
  return pool;
}

/**
 * Opens a pool on the PostgreSQL database at `connectionString`, brings its schema up to date and
 * resolves with a {@link PostgresStorage}.
 *
 * - Migrations (`postgres-migrations.ts`) run in one transaction under an advisory lock: any
 *   number of instances may start at once; one migrates, the others wait and find it done. A
 *   database written by a newer Gatehouse is refused (`SchemaTooNew`); so is a schema holding
 *   other tables (give Gatehouse a database of its own).
 * - Every lookup path is indexed: (model, id), uid, user code, grant id, and expiry.
 * - `consume` is one conditional UPDATE: of concurrent redemptions of one code, at one instance
 *   or many, exactly one resolves `true`.
 * - Connection loss: an idle connection the server dropped is discarded by the pool (its `error`
 *   event is handled, never an uncaught exception), and the next query opens a new one. A
 *   statement that met a dropped connection is retried once when repeating it is harmless (not
 *   `consume`, `accounts.create`, `keys.insert`, deletes that report a result). While the
 *   database is unreachable, calls reject with {@link StorageUnavailable} (the provider answers
 *   503), and work again once it is back; nothing needs restarting.
 * - Expired rows are deleted every `purgeIntervalSeconds` (default 600) by an unref'd timer, in
 *   batches of `purgeBatchSize` rows with `SKIP LOCKED` (see `purgeExpiredRows`).
 *
 * Opening rejects with `PostgresOpenError` (password redacted; `cause` is a `StorageUnavailable`
 * when the server could not be reached), `SchemaTooNew`, or a `TypeError` for bad options.
 * Does NOT create the database itself, check table shapes, or take backups. Payloads are stored
 * as JSON text and never logged.
 *
 * @example
 * const storage = await openPostgresStorage({ connectionString: process.env.GATEHOUSE_DATABASE_URL! });
 */
export async function openPostgresStorage(options: PostgresStorageOptions): Promise<PostgresStorage> {
  const config = validate(options);
  const database = redactConnectionString(config.connectionString);
  const pool = new pg.Pool({
    connectionString: config.connectionString,
    max: config.max,
    idleTimeoutMillis: config.idleTimeoutMs,
    connectionTimeoutMillis: config.connectionTimeoutMs,
    ...(config.statementTimeoutMs > 0 ? { statement_timeout: config.statementTimeoutMs } : {}),
    ...(config.ssl !== undefined ? { ssl: config.ssl } : {}),
    application_name: config.applicationName,
    keepAlive: true,
    allowExitOnIdle: true,
  });
  // An idle connection that the server closes (restart, pg_terminate_backend, network) emits
  // `error` on the pool; unhandled, that would crash the process. The pool drops it on its own.
  pool.on('error', (error) => {
    debug('idle PostgreSQL connection lost: %s', (error as { code?: string }).code ?? error.name);
  });
  let migration: MigrationResult;
  try {
    migration = await migrateOrCheck(pool, database, config.migrate, config.now());
  } catch (error) {
    await pool.end().catch(() => undefined);
    if (error instanceof SchemaTooNew) throw error;
    const mapped = toStorageError(error);
    const reason =
      mapped instanceof StorageUnavailable ? 'the server cannot be reached' : (error as Error).message;
    throw new PostgresOpenError(database, reason, { cause: mapped });
  }
  const storage = createPostgresStorage(pool, database, migration, config);
  pools.set(storage, pool);
  return storage;
}

async function migrateOrCheck(
  pool: pg.Pool,
  database: string,
  migrate: boolean,
  now: number,
): Promise<MigrationResult> {
  return withPooledClient(pool, async (client) => {
    if (migrate) return await runPostgresMigrations(client, database, now);
    const exists = await client.query("SELECT to_regclass('schema_migrations') IS NOT NULL AS e");
    const version = exists.rows[0]?.e
      ? ((await client.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations')).rows[0]
          ?.v ?? 0)
      : 0;
    if (version > latestPostgresSchemaVersion) {
      throw new SchemaTooNew(
        `the PostgreSQL database at ${database} has schema version ${version}, newer than this Gatehouse supports (${latestPostgresSchemaVersion}): upgrade Gatehouse on every instance`,
      );
    }
    if (version < latestPostgresSchemaVersion) {
      throw new Error(
        `its schema is at version ${version}, this Gatehouse needs ${latestPostgresSchemaVersion}: run \`gatehouse migrate --database …\` first`,
      );
    }
    return { applied: [], version };
  });
}

function createPostgresStorage(
  pool: pg.Pool,
  database: string,
  migration: MigrationResult,
  config: Validated,
): PostgresStorage {
  let closed = false;
  const { now } = config;
  const statementNames = new Map<string, string>();
  const ctx: PostgresContext = {
    now,
    check(): void {
      if (closed) throw storageClosed('postgres');
    },
    async query<R extends pg.QueryResultRow>(
      sql: string,
      values: unknown[],
      retry: boolean,
    ): Promise<pg.QueryResult<R>> {
      let name = statementNames.get(sql);
      if (!name) {
        name = `gatehouse_${statementNames.size}`;
        statementNames.set(sql, name);
      }
      for (let attempt = 1; ; attempt++) {
        try {
          return await pool.query<R>({ name, text: sql, values });
        } catch (error) {
          if (retry && attempt === 1 && !closed && isDroppedConnection(error)) {
            debug('retrying a statement after a dropped connection');
            continue;
          }
          throw toStorageError(error);
        }
      }
    },
  };
  const models = new Map<string, PostgresModelStore>();
  let timer: NodeJS.Timeout | undefined;
  let purging = false;
  if (config.purgeIntervalSeconds > 0) {
    timer = setInterval(() => {
      if (purging) return;
      purging = true;
      purgeExpiredRows(ctx, now(), config.purgeBatchSize)
        .then((count) => debug('purged %d expired rows', count))
        // Database down or closing: the next tick tries again. Only the code is reported, never data.
        .catch((error: unknown) => debug('purge failed: %s', (error as { code?: string }).code ?? 'error'))
        .finally(() => {
          purging = false;
        });
    }, config.purgeIntervalSeconds * 1000);
    timer.unref();
  }
  return {
    kind: 'postgres',
    database,
    schemaVersion: migration.version,
    appliedMigrations: migration.applied,
    model(name: string): ModelStore {
      ctx.check();
      assertKey(name, 'name');
      let store = models.get(name);
      if (!store) {
        store = new PostgresModelStore(ctx, name);
        models.set(name, store);
      }
      return store;
    },
    accounts: new PostgresAccountStore(ctx),
    keys: new PostgresKeyStore(ctx),
    settings: new PostgresSettingStore(ctx),
    async purgeExpired(at?: number): Promise<number> {
      ctx.check();
      assertOptionalSeconds(at, 'now');
      return purgeExpiredRows(ctx, at ?? now(), config.purgeBatchSize);
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      if (timer) clearInterval(timer);
      await pool.end();
    },
  };
}
