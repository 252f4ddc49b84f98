/**
 * `gatehouse migrate`: brings a PostgreSQL database's Gatehouse schema up to date, and optionally
 * copies a SQLite data directory into it (the one-way move from one machine to several).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  CopySourceError,
  CopyTargetNotEmpty,
  copySqliteToPostgres,
  openPostgresStorage,
  PostgresOpenError,
  type PostgresStorage,
  redactConnectionString,
  SchemaTooNew,
} from '@gatehouse/authorization-server';
import { CommandFailed } from './command-failed.js';
import type { CliCommand, CliIo } from './io.js';
import { redactUrls } from './redact-urls.js';
import { UsageError } from './usage-error.js';

/** The help text of `gatehouse migrate`. */
export const MIGRATE_HELP = `Usage: gatehouse migrate --database <postgres-url> [--from-data-dir <dir>] [options]

Brings the Gatehouse schema of a PostgreSQL database up to date and prints its version. Migrations
are versioned and each runs once, under a lock, so it is safe while other instances start.
\`gatehouse serve --database …\` also migrates when it starts; run this to do it as a separate step.

With --from-data-dir it then copies the SQLite database of that data directory (<dir>/gatehouse.db)
into PostgreSQL: clients, grants, sessions, codes and refresh tokens (each with the lifetime it has
left), accounts, signing and cookie keys (retired ones too, so issued tokens keep verifying) and
settings. The SQLite file is only read. Stop every \`gatehouse serve\` using it first.

Options:
  --database <url>         postgres://user:password@host:5432/database
                           (env GATEHOUSE_DATABASE_URL; prefer the environment or PGPASSWORD to a
                           password on the command line, which other users can see)
  --from-data-dir <dir>    copy <dir>/gatehouse.db into the database (a database that already
                           holds Gatehouse data is refused, see --overwrite)
  --overwrite              with --from-data-dir: copy into a database that already holds data;
                           rows with the same key are replaced, others kept (running it twice
                           gives the same result)
  -h, --help               show this help

Examples:
  gatehouse migrate --database postgres://gatehouse@db.internal:5432/gatehouse
  GATEHOUSE_DATABASE_URL=postgres://gatehouse@db.internal/gatehouse gatehouse migrate --from-data-dir ./.gatehouse
`;

const HELP_HINT = 'Run "gatehouse migrate --help" for the options and examples.';

interface MigrateFlags {
  database: string;
  fromDataDir: string | undefined;
  overwrite: boolean;
}

function parseFlags(args: readonly string[], env: CliIo['env'], cwd: string): MigrateFlags | 'help' {
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...args],
      options: {
        database: { type: 'string' },
        'from-data-dir': { type: 'string' },
        overwrite: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
      strict: true,
    }));
  } catch (error) {
    // parseArgs quotes the argument it refused, which may be the URL: redact what it says.
    const message = (error as Error).message.replace(/\. To specify a positional argument[\s\S]*$/, '');
    throw new UsageError(redactUrls(message), HELP_HINT);
  }
  if (values.help === true) return 'help';
  if (positionals.length > 0) {
    throw new UsageError(`unexpected argument "${redactUrls(positionals[0] ?? '')}"`, HELP_HINT);
  }
  const database = (values.database as string | undefined) ?? env.GATEHOUSE_DATABASE_URL;
  if (database === undefined || database === '') {
    throw new UsageError(
      'gatehouse migrate needs --database <postgres-url> (or GATEHOUSE_DATABASE_URL)',
      HELP_HINT,
    );
  }
  if (!/^postgres(ql)?:\/\//i.test(database)) {
    throw new UsageError(
      `--database must be a postgres:// URL, got ${redactConnectionString(database)}`,
      'Example: --database postgres://gatehouse@127.0.0.1:5432/gatehouse',
    );
  }
  const fromDataDir = values['from-data-dir'] as string | undefined;
  if (values.overwrite === true && fromDataDir === undefined) {
    throw new UsageError('--overwrite only applies with --from-data-dir', HELP_HINT);
  }
  return {
    database,
    fromDataDir: fromDataDir === undefined ? undefined : resolve(cwd, fromDataDir),
    overwrite: values.overwrite === true,
  };
}

/** The password of `database`, raw and URL-decoded, so that no message can carry it. */
function secretsOf(database: string): string[] {
  try {
    const password = new URL(database).password;
    if (password === '') return [];
    return [...new Set([password, decodeURIComponent(password)])];
  } catch {
    return [];
  }
}

/** Makes `error` printable: known failures become {@link CommandFailed}; every message is redacted. */
function toCommandError(error: unknown, database: string): unknown {
  const scrub = (text: string): string => {
    let out = redactUrls(text);
    for (const secret of secretsOf(database)) out = out.split(secret).join('***');
    return out;
  };
  if (error instanceof UsageError) return error;
  if (error instanceof TypeError && String((error as { code?: unknown }).code ?? '').startsWith('ERR_')) {
    return new UsageError(scrub(error.message), HELP_HINT);
  }
  if (error instanceof CommandFailed) return new CommandFailed(scrub(error.message), { hint: error.hint });
  if (error instanceof PostgresOpenError) {
    return new CommandFailed(scrub(error.message), {
      hint: 'Check the URL, that the database exists (createdb) and that this host may connect to it.',
    });
  }
  if (error instanceof CopyTargetNotEmpty) {
    return new CommandFailed(scrub(error.message), {
      hint: 'Copy into an empty database, or pass --overwrite to merge (same-key rows are replaced).',
    });
  }
  if (error instanceof SchemaTooNew || error instanceof CopySourceError) {
    return new CommandFailed(scrub(error.message));
  }
  return new CommandFailed(scrub((error as Error)?.message ?? String(error)));
}

async function migrate(flags: MigrateFlags, io: CliIo): Promise<number> {
  let sqlitePath: string | undefined;
  if (flags.fromDataDir !== undefined) {
    sqlitePath = join(flags.fromDataDir, 'gatehouse.db');
    if (!existsSync(sqlitePath)) {
      throw new CommandFailed(`no Gatehouse database at ${sqlitePath}`, {
        hint: 'Pass the --data-dir that `gatehouse serve` used as --from-data-dir.',
      });
    }
  }
  const storage: PostgresStorage = await openPostgresStorage({
    connectionString: flags.database,
    purgeIntervalSeconds: 0,
    max: 2,
  });
  try {
    const applied = storage.appliedMigrations;
    io.stdout(`Database   ${storage.database}\n`);
    io.stdout(
      `Schema     version ${storage.schemaVersion}${
        applied.length > 0 ? ` (applied now: ${applied.join(', ')})` : ' (already up to date)'
      }\n`,
    );
    if (sqlitePath !== undefined) {
      const report = await copySqliteToPostgres({ sqlitePath, target: storage, overwrite: flags.overwrite });
      io.stdout(
        `Copied     ${report.models} model records, ${report.accounts} accounts, ${report.keys} keys, ` +
          `${report.settings} settings from ${sqlitePath}` +
          `${report.skippedExpired > 0 ? ` (${report.skippedExpired} expired rows left out)` : ''}\n`,
      );
    }
    return 0;
  } finally {
    await storage.close();
  }
}

/** `gatehouse migrate`. */
export const migrateCommand: CliCommand = {
  name: 'migrate',
  summary: 'apply the PostgreSQL schema migrations; copy a SQLite data directory into PostgreSQL',
  async run(args: readonly string[], io: CliIo): Promise<number> {
    const flags = parseFlags(args, io.env, io.cwd ?? process.cwd());
    if (flags === 'help') {
      io.stdout(MIGRATE_HELP);
      return 0;
    }
    try {
      return await migrate(flags, io);
    } catch (error) {
      throw toCommandError(error, flags.database);
    }
  },
};
