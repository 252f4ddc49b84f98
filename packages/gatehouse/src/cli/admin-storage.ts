/**
 * Where the admin commands (`users`, `clients`, `grants`, `keys`) find the authorization server's
 * storage: the same SQLite file `gatehouse serve` uses, `<data-dir>/gatehouse.db`, or with
 * `--database postgres://…` (`GATEHOUSE_DATABASE_URL`) the PostgreSQL database the instances share.
 *
 * Every admin command declares {@link ADMIN_STORAGE_FLAGS}, resolves them with
 * {@link resolveAdminStorageOptions} and opens the storage with {@link openAdminStorage} only: a
 * new backend (e.g. `--database postgres://…`) is one flag here, one field in
 * {@link AdminStorageOptions} and one branch in `openAdminStorage`.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  openPostgresStorage,
  openSqliteStorage,
  PostgresOpenError,
  redactConnectionString,
  type Storage,
} from '@gatehouse/authorization-server';
import { CommandFailed } from './command-failed.js';
import { UsageError } from './usage-error.js';

/** The storage flags every admin command accepts (node:util parseArgs descriptors). */
export const ADMIN_STORAGE_FLAGS = {
  'data-dir': { type: 'string' },
  database: { type: 'string' },
} as const;

/** The help lines of {@link ADMIN_STORAGE_FLAGS}, for a command's "Options:" list. */
export const ADMIN_STORAGE_HELP = `  --data-dir <dir>         the data directory of \`gatehouse serve\` (default ./.gatehouse;
                           env GATEHOUSE_DATA_DIR)
  --database <url>         instead: the PostgreSQL database of \`gatehouse serve --database\`
                           (env GATEHOUSE_DATABASE_URL)`;

/** Which storage an admin command works on. */
export interface AdminStorageOptions {
  /** The data directory (absolute); the database is `<dataDir>/gatehouse.db`. Unused with `database`. */
  readonly dataDir: string;
  /** A `postgres://` URL: work on this PostgreSQL database instead of the data directory. */
  readonly database?: string;
}

/**
 * Resolves the storage flags: `--database`, then `GATEHOUSE_DATABASE_URL` (PostgreSQL); else
 * `--data-dir`, then `GATEHOUSE_DATA_DIR`, then `./.gatehouse`, against `cwd`. Both kinds at once
 * is a {@link UsageError}.
 */
export function resolveAdminStorageOptions(
  values: { readonly 'data-dir'?: string | undefined; readonly database?: string | undefined },
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): AdminStorageOptions {
  const dataDirGiven = values['data-dir'] ?? (env.GATEHOUSE_DATA_DIR || undefined);
  const dataDir = resolve(cwd, dataDirGiven ?? '.gatehouse');
  const database = values.database ?? (env.GATEHOUSE_DATABASE_URL || undefined);
  if (database === undefined) return { dataDir };
  if (!/^postgres(ql)?:\/\//i.test(database)) {
    throw new UsageError(
      `--database must be a postgres:// URL, got ${redactConnectionString(database)}`,
      'Example: --database postgres://gatehouse@db.internal:5432/gatehouse (or GATEHOUSE_DATABASE_URL)',
    );
  }
  if (dataDirGiven !== undefined) {
    throw new UsageError(
      '--database and --data-dir are mutually exclusive',
      'Give the one `gatehouse serve` uses: --database (GATEHOUSE_DATABASE_URL) or --data-dir (GATEHOUSE_DATA_DIR).',
    );
  }
  return { dataDir, database };
}

/** An opened admin storage and a description of where it is, for messages. */
export interface AdminStorage {
  readonly storage: Storage;
  readonly location: string;
}

/**
 * Opens the storage. With `create: false` (every command but `users add`) a data directory without
 * a database, or a PostgreSQL database without the Gatehouse schema, is an error, so that a
 * mistyped location never creates an empty one; with `create: true` they are created (PostgreSQL:
 * pending migrations applied, as `gatehouse migrate` does). No purge timer runs: the command closes
 * the storage when it is done.
 */
export async function openAdminStorage(
  options: AdminStorageOptions,
  mode: { create: boolean },
): Promise<AdminStorage> {
  if (options.database !== undefined) return openAdminPostgres(options.database, mode);
  const path = join(options.dataDir, 'gatehouse.db');
  if (!mode.create && !existsSync(path)) {
    throw new CommandFailed(`no Gatehouse database at ${path}`, {
      hint: 'Pass the --data-dir that `gatehouse serve` uses (or set GATEHOUSE_DATA_DIR); `gatehouse serve` creates the database on its first start.',
    });
  }
  return { storage: openSqliteStorage({ path, purgeIntervalSeconds: 0 }), location: path };
}

async function openAdminPostgres(database: string, mode: { create: boolean }): Promise<AdminStorage> {
  try {
    const storage = await openPostgresStorage({
      connectionString: database,
      purgeIntervalSeconds: 0,
      max: 2,
      migrate: mode.create,
    });
    return { storage, location: storage.database };
  } catch (error) {
    if (!(error instanceof PostgresOpenError)) throw error;
    throw new CommandFailed(error.message, {
      hint: mode.create
        ? 'Check the URL, that the database exists (createdb) and that this host may connect to it.'
        : 'Check the URL (the one `gatehouse serve --database` uses); `gatehouse migrate --database <url>` creates the schema.',
    });
  }
}

/** Opens the storage, runs `use`, and closes the storage whatever happens. */
export async function withAdminStorage<T>(
  options: AdminStorageOptions,
  mode: { create: boolean },
  use: (opened: AdminStorage) => Promise<T>,
): Promise<T> {
  const opened = await openAdminStorage(options, mode);
  try {
    return await use(opened);
  } finally {
    await opened.storage.close();
  }
}
