/**
 * The one-way copy from a SQLite database (the default store) into PostgreSQL, for a team that
 * outgrows one machine: every live model record (clients, grants, sessions, codes, tokens — each
 * keeping its expiry instant and its consumption time), every account, every key not yet past its
 * expiry (active and retired, so tokens signed before the move still verify) and every live setting.
 */

import { invalidArgument } from '@gatehouse/core';
import Database from 'better-sqlite3';
import type pg from 'pg';
import { epochSeconds } from './contract.js';
import { type PostgresStorage, poolOf } from './postgres.js';
import { withPooledClient } from './postgres-errors.js';
import { latestSchemaVersion } from './sqlite-migrations.js';

/** Options of {@link copySqliteToPostgres}. */
export interface CopySqliteToPostgresOptions {
  /** The SQLite database file (`<data-dir>/gatehouse.db`). Opened read-only; never changed. */
  sqlitePath: string;
  /** The target, opened (and so migrated) by `openPostgresStorage`. */
  target: PostgresStorage;
  /**
   * Copy into a target that already holds data: rows with the same key (model and id, account id,
   * kid, setting name) are replaced by the source's, others are kept. Default: false (a non-empty
   * target is refused with {@link CopyTargetNotEmpty}).
   */
  overwrite?: boolean;
  /** Now, in epoch seconds: rows expired by then are not copied. Default: the system clock. */
  now?: () => number;
  /** Rows per INSERT statement. Default: 500. */
  batchSize?: number;
}

/** What {@link copySqliteToPostgres} copied, per table, and how many expired rows it left behind. */
export interface CopyReport {
  readonly models: number;
  readonly accounts: number;
  readonly keys: number;
  readonly settings: number;
  readonly skippedExpired: number;
}

/** Raised when the target already holds data and `overwrite` was not given; nothing was written. */
export class CopyTargetNotEmpty extends Error {
  override readonly name = 'CopyTargetNotEmpty';
  readonly code = 'ERR_COPY_TARGET_NOT_EMPTY';
}

/** Raised when the source is not a Gatehouse SQLite database this version can read; names the file. */
export class CopySourceError extends Error {
  override readonly name = 'CopySourceError';
  readonly code = 'ERR_COPY_SOURCE';
}

interface Table {
  readonly name: string;
  readonly columns: readonly string[];
  /** The conflict target: the target's primary or unique key. */
  readonly key: readonly string[];
  /** Source ORDER BY, so insertion order (keys' tie-break) is kept. */
  readonly order: string;
  readonly expires: boolean;
}

const TABLES: readonly Table[] = [
  {
    name: 'oidc_models',
    columns: ['model', 'id', 'payload', 'grant_id', 'user_code', 'uid', 'expires_at', 'consumed_at'],
    key: ['model', 'id'],
    order: 'model, id',
    expires: true,
  },
  {
    name: 'accounts',
    columns: [
      'id',
      'username',
      'username_key',
      'password_hash',
      'created_at',
      'updated_at',
      'failed_attempts',
      'locked_until',
      'upstream_issuer',
      'upstream_subject',
    ],
    key: ['id'],
    order: 'created_at, id',
    expires: false,
  },
  {
    name: 'keys',
    columns: ['kid', 'key_use', 'material', 'created_at', 'retired_at', 'expires_at'],
    key: ['kid'],
    order: 'seq',
    expires: true,
  },
  { name: 'settings', columns: ['name', 'value', 'expires_at'], key: ['name'], order: 'name', expires: true },
];

function openSource(path: string): Database.Database {
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
  } catch (error) {
    throw new CopySourceError(`cannot open the SQLite database at ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  try {
    const row = db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as { v: number | null };
    if (row.v !== latestSchemaVersion) {
      throw new Error(
        `its schema version is ${row.v ?? 0}, this Gatehouse copies version ${latestSchemaVersion}: start \`gatehouse serve\` on it once with this version first`,
      );
    }
  } catch (error) {
    db.close();
    const reason = (error as Error).message.includes('no such table')
      ? 'it is not a Gatehouse database (no schema_migrations table)'
      : (error as Error).message;
    throw new CopySourceError(`cannot copy the SQLite database at ${path}: ${reason}`, { cause: error });
  }
  return db;
}

/**
 * Copies a Gatehouse SQLite database into a PostgreSQL storage, in one PostgreSQL transaction
 * (all or nothing), and resolves with what it copied.
 *
 * - Expiry is kept as the same instant, so each record has the lifetime it had left; rows already
 *   expired are skipped (counted in `skippedExpired`). Consumed codes stay consumed.
 * - A target holding any model record, account, key or setting is refused
 *   ({@link CopyTargetNotEmpty}) unless `overwrite` is set; with it, running the copy again gives
 *   the same result (idempotent: same-key rows are replaced, nothing is duplicated).
 * - The SQLite file is opened read-only and never changed.
 *
 * Does NOT copy in the other direction, stop running servers, or delete the source: stop every
 * `gatehouse serve` that writes the SQLite file first, or sign-ins made during the copy are lost.
 * Payloads and secrets are copied as stored and never logged.
 *
 * @example
 * const target = await openPostgresStorage({ connectionString });
 * const report = await copySqliteToPostgres({ sqlitePath: '.gatehouse/gatehouse.db', target });
 */
export async function copySqliteToPostgres(options: CopySqliteToPostgresOptions): Promise<CopyReport> {
  const { sqlitePath, target, overwrite = false, batchSize = 500 } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 5000) {
    throw invalidArgument('"batchSize" must be an integer from 1 to 5000');
  }
  if (typeof sqlitePath !== 'string' || sqlitePath === '') {
    throw invalidArgument('"sqlitePath" is required: the SQLite database file', 'ERR_MISSING_OPTION');
  }
  const now = (options.now ?? epochSeconds)();
  const pool = poolOf(target);
  const source = openSource(sqlitePath);
  const counts: Record<string, number> = {};
  let skippedExpired = 0;
  try {
    await withPooledClient(pool, async (client) => {
      await client.query('BEGIN');
      try {
        // Refused writers wait here rather than interleave with a concurrent copy.
        await client.query('LOCK TABLE oidc_models, accounts, keys, settings IN SHARE ROW EXCLUSIVE MODE');
        if (!overwrite) {
          const filled = await client.query<{ filled: boolean }>(
            `SELECT EXISTS (SELECT 1 FROM oidc_models) OR EXISTS (SELECT 1 FROM accounts)
               OR EXISTS (SELECT 1 FROM keys) OR EXISTS (SELECT 1 FROM settings) AS filled`,
          );
          if (filled.rows[0]?.filled) {
            throw new CopyTargetNotEmpty(
              `the PostgreSQL database at ${target.database} already holds Gatehouse data: nothing was copied (pass overwrite / --overwrite to merge the SQLite data into it)`,
            );
          }
        }
        for (const table of TABLES) {
          const live = table.expires ? ' WHERE expires_at IS NULL OR expires_at > ?' : '';
          const total = (source.prepare(`SELECT count(*) AS n FROM ${table.name}`).get() as { n: number }).n;
          const rows = source
            .prepare(`SELECT ${table.columns.join(', ')} FROM ${table.name}${live} ORDER BY ${table.order}`)
            .raw(true)
            .iterate(...(table.expires ? [now] : [])) as IterableIterator<unknown[]>;
          const copied = await insertRows(client, table, rows, batchSize);
          counts[table.name] = copied;
          skippedExpired += total - copied;
        }
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    });
  } finally {
    source.close();
  }
  return {
    models: counts.oidc_models ?? 0,
    accounts: counts.accounts ?? 0,
    keys: counts.keys ?? 0,
    settings: counts.settings ?? 0,
    skippedExpired,
  };
}

/** Inserts `rows` (in the order of `table.columns`) `batchSize` at a time, as upserts; resolves with the count. */
async function insertRows(
  client: pg.PoolClient,
  table: Table,
  rows: Iterable<unknown[]>,
  batchSize: number,
): Promise<number> {
  const width = table.columns.length;
  const updates = table.columns
    .filter((column) => !table.key.includes(column))
    .map((column) => `${column} = excluded.${column}`)
    .join(', ');
  const flush = async (batch: unknown[][]): Promise<void> => {
    const tuples = batch.map(
      (_, r) => `(${table.columns.map((_, c) => `$${r * width + c + 1}`).join(', ')})`,
    );
    await client.query(
      `INSERT INTO ${table.name} (${table.columns.join(', ')}) VALUES ${tuples.join(', ')}
       ON CONFLICT (${table.key.join(', ')}) DO UPDATE SET ${updates}`,
      batch.flat(),
    );
  };
  let copied = 0;
  let batch: unknown[][] = [];
  for (const row of rows) {
    batch.push(row);
    if (batch.length === batchSize) {
      await flush(batch);
      copied += batch.length;
      batch = [];
    }
  }
  if (batch.length > 0) {
    await flush(batch);
    copied += batch.length;
  }
  return copied;
}
