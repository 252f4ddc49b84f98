/**
 * `--database` (PostgreSQL), `--key-reload-interval` and `--trust-proxy` on the command line:
 * `gatehouse serve` option parsing, and the admin commands against a real PostgreSQL database.
 */
import { loadOrCreateKeys, openPostgresStorage } from '@gatehouse/authorization-server';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../../../test/support/postgres.js';
import { pipedStdin, runGatehouse } from './admin-test-io.test-helpers.js';
import { runCli } from './main.js';
import { parseServeOptions } from './serve-options.js';
import { UsageError } from './usage-error.js';

const PG_URL = 'postgres://gatehouse:s3cret-pw@db.internal:5432/gatehouse';

function usageErrorOf(args: string[], env: Record<string, string> = {}): UsageError {
  try {
    parseServeOptions(args, env);
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  throw new Error('expected a UsageError');
}

describe('gatehouse serve --database, --key-reload-interval, --trust-proxy', () => {
  it('takes the database from the flag or GATEHOUSE_DATABASE_URL (the flag wins)', () => {
    expect(parseServeOptions(['--demo', '--database', PG_URL], {})).toMatchObject({ database: PG_URL });
    expect(parseServeOptions(['--demo'], { GATEHOUSE_DATABASE_URL: PG_URL })).toMatchObject({
      database: PG_URL,
    });
    expect(
      parseServeOptions(['--demo', '--database', 'postgresql://a@b/c'], { GATEHOUSE_DATABASE_URL: PG_URL }),
    ).toMatchObject({ database: 'postgresql://a@b/c' });
    expect(parseServeOptions(['--demo'], {})).not.toHaveProperty('database');
  });

  it('refuses --database together with --data-dir (flag or environment), with a hint and exit 2', async () => {
    const both = usageErrorOf(['--demo', '--database', PG_URL, '--data-dir', '/srv/gh']);
    expect(both.message).toBe('--database and --data-dir are mutually exclusive');
    expect(both.hint).toMatch(/gatehouse migrate --from-data-dir/);
    expect(
      usageErrorOf(['--demo'], { GATEHOUSE_DATABASE_URL: PG_URL, GATEHOUSE_DATA_DIR: '/x' }).message,
    ).toMatch(/mutually exclusive/);
    const run = await runGatehouse(['serve', '--demo', '--data-dir', '/x'], {
      env: { GATEHOUSE_DATABASE_URL: PG_URL },
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/mutually exclusive/);
  });

  it('refuses a URL that is not postgres:// without printing its password', () => {
    const error = usageErrorOf(['--demo', '--database', 'mysql://root:hunter2@db/x']);
    expect(error.message).toMatch(/must be a postgres:\/\/ URL/);
    expect(`${error.message} ${error.hint}`).not.toContain('hunter2');
  });

  it('takes --key-reload-interval (0 to 3600 s) and --trust-proxy from flags or the environment', () => {
    expect(parseServeOptions(['--demo', '--key-reload-interval', '5', '--trust-proxy'], {})).toMatchObject({
      keyReloadIntervalSeconds: 5,
      trustProxy: true,
    });
    expect(
      parseServeOptions(['--demo'], { GATEHOUSE_KEY_RELOAD_INTERVAL: '0', GATEHOUSE_TRUST_PROXY: 'true' }),
    ).toMatchObject({ keyReloadIntervalSeconds: 0, trustProxy: true });
    expect(parseServeOptions(['--demo'], {})).not.toHaveProperty('trustProxy');
    for (const bad of ['-1', '3601', '1.5', '30s']) {
      expect(usageErrorOf(['--demo', '--key-reload-interval', bad]).message).toMatch(/--key-reload-interval/);
    }
    expect(usageErrorOf(['--demo'], { GATEHOUSE_TRUST_PROXY: 'maybe' }).message).toMatch(
      /GATEHOUSE_TRUST_PROXY/,
    );
  });

  it('refuses the embedded server options with --external-issuer (nothing is silently ignored)', () => {
    const issuer = ['--demo', '--external-issuer', 'https://login.example.com'];
    expect(usageErrorOf([...issuer, '--database', PG_URL, '--trust-proxy']).message).toBe(
      '--database, --trust-proxy configure the embedded authorization server, not --external-issuer',
    );
    expect(usageErrorOf([...issuer, '--key-reload-interval', '10']).message).toMatch(/embedded/);
  });

  it('documents every new option and its variable in --help', async () => {
    const help = (await runGatehouse(['serve', '--help'])).stdout;
    for (const text of [
      '--database <url>',
      'GATEHOUSE_DATABASE_URL',
      '--trust-proxy',
      'GATEHOUSE_TRUST_PROXY',
    ]) {
      expect(help).toContain(text);
    }
    expect(help).toContain('GATEHOUSE_KEY_RELOAD_INTERVAL');
  });
});

describe('admin commands with --database (PostgreSQL)', () => {
  const database = useTestDatabase('gatehouse_admin');

  it('users add creates the schema and the account; list and keys work on it; a database without the schema is refused', async () => {
    const url = database().url;
    const empty = await runGatehouse(['users', 'list', '--database', url]);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toMatch(/gatehouse migrate/);

    const added = await runGatehouse(['users', 'add', 'alice', '--database', url, '--password-stdin'], {
      stdin: pipedStdin('correct horse battery staple\n'),
    });
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toMatch(/Created user "alice" .* in postgres:\/\//);

    const listed = await runGatehouse(['users', 'list'], { env: { GATEHOUSE_DATABASE_URL: url } });
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/^alice\s/m);

    // keys rotate against the database, as a running `serve --database` would see it.
    const storage = await openPostgresStorage({ connectionString: url, purgeIntervalSeconds: 0, max: 2 });
    try {
      const before = await loadOrCreateKeys(storage.keys);
      const rotated = await runGatehouse(['keys', 'rotate', '--use', 'signing', '--database', url]);
      expect(rotated.code, rotated.stderr).toBe(0);
      const after = await loadOrCreateKeys(storage.keys);
      expect(after.signing.keys.map((key) => key.kid)).toEqual([
        expect.not.stringMatching(String(before.signing.keys[0]?.kid)),
        before.signing.keys[0]?.kid,
      ]);
    } finally {
      await storage.close();
    }
  });

  it('serve --database starts on the shared database, names it in the banner, and never prints the password', async () => {
    const url = new URL(database().url);
    url.password = 'pw-never-printed'; // the test server trusts loopback: any password is accepted
    const out: string[] = [];
    const err: string[] = [];
    let stop: (signal: string) => void = () => {};
    const running = runCli(['serve', '--demo', '--port', '0'], {
      stdout: (text) => out.push(text),
      stderr: (text) => err.push(text),
      env: { GATEHOUSE_DATABASE_URL: url.href, GATEHOUSE_LOG_LEVEL: 'info' },
      stopSignal: new Promise((resolve) => {
        stop = resolve;
      }),
    });
    await expect.poll(() => out.join(''), { timeout: 15_000 }).toContain('MCP endpoint');
    stop('SIGTERM');
    expect(await running).toBe(0);
    const printed = out.join('') + err.join('');
    expect(printed).toMatch(/signing keys\s+postgres:\/\/postgres:\*\*\*@[^\s]+ \(PostgreSQL, shared\)/);
    expect(printed).toMatch(/data\s+postgres:\/\/postgres:\*\*\*@/);
    expect(printed).not.toContain('pw-never-printed');
  });

  it('refuses --database with --data-dir, and a non-postgres URL, with exit 2', async () => {
    const url = database().url;
    expect((await runGatehouse(['users', 'list', '--database', url, '--data-dir', '/tmp/x'])).code).toBe(2);
    const wrong = await runGatehouse(['grants', 'list', '--database', 'mysql://u:hunter2@h/db']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).not.toContain('hunter2');
  });
});
