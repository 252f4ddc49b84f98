/**
 * The versioned schema of the SQLite adapter. Each migration runs once, in order, inside the
 * transaction that `openSqliteStorage` starts, and is recorded in `schema_migrations`. Migrations
 * are append-only: a released one is never edited, a change is a new version.
 *
 * The SQL sticks to what PostgreSQL also accepts where that costs nothing (`ON CONFLICT`, plain
 * types, no `AUTOINCREMENT`), so the PostgreSQL adapter can follow the same layout.
 */

import type BetterSqlite3 from 'better-sqlite3';

/** One schema step. */
export interface Migration {
  /** 1, 2, 3… without gaps. */
  readonly version: number;
  /** What it does, recorded beside the version. */
  readonly name: string;
  /** The statements, run with `exec` inside the migration transaction. */
  readonly up: string;
}

/** Every migration, oldest first. */
export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema: oidc_models, accounts, keys, settings',
    up: `
      CREATE TABLE oidc_models (
        model TEXT NOT NULL,
        id TEXT NOT NULL,
        payload TEXT NOT NULL,
        grant_id TEXT,
        user_code TEXT,
        uid TEXT,
        expires_at INTEGER,
        consumed_at INTEGER,
        PRIMARY KEY (model, id)
      );
      CREATE INDEX oidc_models_grant_id ON oidc_models (model, grant_id) WHERE grant_id IS NOT NULL;
      CREATE INDEX oidc_models_user_code ON oidc_models (model, user_code) WHERE user_code IS NOT NULL;
      CREATE INDEX oidc_models_uid ON oidc_models (model, uid) WHERE uid IS NOT NULL;
      CREATE INDEX oidc_models_expires_at ON oidc_models (expires_at);

      CREATE TABLE accounts (
        id TEXT NOT NULL PRIMARY KEY,
        username TEXT NOT NULL,
        username_key TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        failed_attempts INTEGER NOT NULL DEFAULT 0,
        locked_until INTEGER,
        upstream_issuer TEXT,
        upstream_subject TEXT
      );
      CREATE UNIQUE INDEX accounts_username_key ON accounts (username_key);
      CREATE UNIQUE INDEX accounts_upstream ON accounts (upstream_issuer, upstream_subject);

      CREATE TABLE keys (
        seq INTEGER NOT NULL PRIMARY KEY,
        kid TEXT NOT NULL,
        key_use TEXT NOT NULL CHECK (key_use IN ('signing', 'cookie')),
        material TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        retired_at INTEGER,
        expires_at INTEGER
      );
      CREATE UNIQUE INDEX keys_kid ON keys (kid);
      CREATE INDEX keys_use_created_at ON keys (key_use, created_at);
      CREATE INDEX keys_expires_at ON keys (expires_at);

      CREATE TABLE settings (
        name TEXT NOT NULL PRIMARY KEY,
        value TEXT NOT NULL,
        expires_at INTEGER
      );
      CREATE INDEX settings_expires_at ON settings (expires_at);
    `,
  },
];

/** The schema version this code writes: the last migration's. */
export const latestSchemaVersion: number = migrations.at(-1)?.version ?? 0;

/** Raised when a database was written by a newer Gatehouse (its schema is ahead of this code). */
export class SchemaTooNew extends Error {
  override readonly name = 'SchemaTooNew';
  readonly code = 'ERR_STORAGE_SCHEMA_TOO_NEW';
}

/**
 * Brings the schema up to {@link latestSchemaVersion} in one `BEGIN IMMEDIATE` transaction (two
 * processes opening the same file at once take turns) and resolves with the versions applied.
 * Idempotent: a database already at the latest version is left untouched.
 *
 * Throws {@link SchemaTooNew} (changing nothing) when the database records a version above the
 * latest this code knows, and refuses a database that holds tables but no `schema_migrations`
 * (not a Gatehouse database). Does NOT check the shape of existing tables against the migrations.
 */
export function runMigrations(
  db: BetterSqlite3.Database,
  where: string,
  now: number,
  list: readonly Migration[] = migrations,
): number[] {
  const latest = list.at(-1)?.version ?? 0;
  const migrate = db.transaction((): number[] => {
    const hasTable = (name: string): boolean =>
      db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
    if (!hasTable('schema_migrations')) {
      const other = db
        .prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        .get() as { n: number };
      if (other.n > 0) {
        throw new Error('it has tables but no schema_migrations table: it is not a Gatehouse database');
      }
      db.exec(
        'CREATE TABLE schema_migrations (version INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)',
      );
    }
    const row = db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as { v: number | null };
    const current = row.v ?? 0;
    if (current > latest) {
      throw new SchemaTooNew(
        `the SQLite database at ${where} has schema version ${current}, newer than this Gatehouse supports (${latest}): upgrade Gatehouse, or restore a backup taken before the upgrade`,
      );
    }
    const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
    const applied: number[] = [];
    for (const migration of list) {
      if (migration.version <= current) continue;
      db.exec(migration.up);
      record.run(migration.version, migration.name, now);
      applied.push(migration.version);
    }
    return applied;
  });
  return migrate.immediate();
}
