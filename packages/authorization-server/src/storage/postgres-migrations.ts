/**
 * The versioned schema of the PostgreSQL adapter: the same tables as the SQLite adapter (see
 * `sqlite-migrations.ts`), with PostgreSQL types. Times are epoch seconds in `double precision`
 * (exact for integers, read back as JS numbers, and fractional seconds behave as in SQLite). Migrations are append-only: a released one is
 * never edited, a change is a new version.
 *
 * Several instances may start at once against one database: every run takes a transaction-level
 * advisory lock first, so exactly one applies the migrations and the others wait, then find the
 * schema up to date.
 */

import type pg from 'pg';
import type { Migration } from './sqlite-migrations.js';
import { SchemaTooNew } from './sqlite-migrations.js';

/** Every PostgreSQL migration, oldest first. */
export const postgresMigrations: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema: oidc_models, accounts, keys, settings',
    up: `
      CREATE TABLE oidc_models (
        model text NOT NULL,
        id text NOT NULL,
        payload text NOT NULL,
        grant_id text,
        user_code text,
        uid text,
        expires_at double precision,
        consumed_at double precision,
        PRIMARY KEY (model, id)
      );
      CREATE INDEX oidc_models_grant_id ON oidc_models (model, grant_id) WHERE grant_id IS NOT NULL;
      CREATE INDEX oidc_models_user_code ON oidc_models (model, user_code) WHERE user_code IS NOT NULL;
      CREATE INDEX oidc_models_uid ON oidc_models (model, uid) WHERE uid IS NOT NULL;
      CREATE INDEX oidc_models_expires_at ON oidc_models (expires_at) WHERE expires_at IS NOT NULL;

      CREATE TABLE accounts (
        id text NOT NULL PRIMARY KEY,
        username text NOT NULL,
        username_key text NOT NULL,
        password_hash text NOT NULL,
        created_at double precision NOT NULL,
        updated_at double precision NOT NULL,
        failed_attempts integer NOT NULL DEFAULT 0,
        locked_until double precision,
        upstream_issuer text,
        upstream_subject text
      );
      CREATE UNIQUE INDEX accounts_username_key ON accounts (username_key);
      CREATE UNIQUE INDEX accounts_upstream ON accounts (upstream_issuer, upstream_subject);

      CREATE TABLE keys (
        seq bigserial NOT NULL PRIMARY KEY,
        kid text NOT NULL,
        key_use text NOT NULL CHECK (key_use IN ('signing', 'cookie')),
        material text NOT NULL,
        created_at double precision NOT NULL,
        retired_at double precision,
        expires_at double precision
      );
      CREATE UNIQUE INDEX keys_kid ON keys (kid);
      CREATE INDEX keys_use_created_at ON keys (key_use, created_at);
      CREATE INDEX keys_expires_at ON keys (expires_at) WHERE expires_at IS NOT NULL;

      CREATE TABLE settings (
        name text NOT NULL PRIMARY KEY,
        value text NOT NULL,
        expires_at double precision
      );
      CREATE INDEX settings_expires_at ON settings (expires_at) WHERE expires_at IS NOT NULL;
    `,
  },
];

/** The schema version this code writes: the last PostgreSQL migration's. */
export const latestPostgresSchemaVersion: number = postgresMigrations.at(-1)?.version ?? 0;

/**
 * The advisory lock key every Gatehouse instance takes before migrating (a constant: the bytes of
 * "gatehous" as a signed 64-bit integer), so concurrent starts apply each migration once.
 */
export const MIGRATION_LOCK_KEY = '7449363237540164979';

/** The outcome of {@link runPostgresMigrations}. */
export interface MigrationResult {
  /** The versions this call applied, oldest first (empty when the schema was up to date). */
  readonly applied: number[];
  /** The schema version after the call. */
  readonly version: number;
}

/**
 * Brings the schema up to the latest version in one transaction, under
 * `pg_advisory_xact_lock(MIGRATION_LOCK_KEY)` (released at commit or rollback, also when the
 * connection drops). Idempotent.
 *
 * Throws {@link SchemaTooNew} (changing nothing) when the database records a newer version, and
 * refuses a schema that holds tables but no `schema_migrations` (not a Gatehouse database: use a
 * database of its own). Does NOT check the shape of existing tables against the migrations.
 */
export async function runPostgresMigrations(
  client: pg.ClientBase,
  where: string,
  now: number,
  list: readonly Migration[] = postgresMigrations,
): Promise<MigrationResult> {
  const latest = list.at(-1)?.version ?? 0;
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    const tables = await client.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables
       WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`,
    );
    const names = new Set(tables.rows.map((row) => row.table_name));
    if (!names.has('schema_migrations')) {
      if (names.size > 0) {
        throw new Error(
          'its schema has tables but no schema_migrations table: it is not a Gatehouse database (give Gatehouse a database of its own, e.g. `createdb gatehouse`)',
        );
      }
      await client.query(
        'CREATE TABLE schema_migrations (version integer NOT NULL PRIMARY KEY, name text NOT NULL, applied_at double precision NOT NULL)',
      );
    }
    const row = await client.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations');
    const current = row.rows[0]?.v ?? 0;
    if (current > latest) {
      throw new SchemaTooNew(
        `the PostgreSQL database at ${where} has schema version ${current}, newer than this Gatehouse supports (${latest}): upgrade Gatehouse on every instance`,
      );
    }
    const applied: number[] = [];
    for (const migration of list) {
      if (migration.version <= current) continue;
      await client.query(migration.up);
      await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
        migration.version,
        migration.name,
        now,
      ]);
      applied.push(migration.version);
    }
    await client.query('COMMIT');
    return { applied, version: Math.max(current, ...applied) };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
