import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPostgresStorage, openSqliteStorage } from '@gatehouse/authorization-server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/postgres.js';
import type { CliIo } from './io.js';
import { runCli } from './main.js';

const PASSWORD = 'pw-s3cret-not-to-print';

function captureIo(env: Record<string, string> = {}, cwd?: string) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    env,
    stopSignal: new Promise(() => {}),
    ...(cwd ? { cwd } : {}),
  };
  return { io, out, err, all: () => out.join('') + err.join('') };
}

/** The database URL with a password (the test server trusts local connections and ignores it). */
function withPassword(url: string): string {
  const parsed = new URL(url);
  parsed.password = PASSWORD;
  return parsed.toString();
}

describe('gatehouse migrate', () => {
  let db: TestDatabase;
  let dir: string;

  beforeEach(async () => {
    db = await createTestDatabase();
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-migrate-'));
  });
  afterEach(async () => {
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('prints help with examples', async () => {
    const help = captureIo();
    expect(await runCli(['migrate', '--help'], help.io)).toBe(0);
    expect(help.out.join('')).toMatch(/Usage: gatehouse migrate[\s\S]*--from-data-dir[\s\S]*Examples:/);
    const main = captureIo();
    expect(await runCli(['--help'], main.io)).toBe(0);
    expect(main.out.join('')).toContain('migrate');
  });

  it('applies the migrations and prints the schema version, then finds them applied, never printing the password', async () => {
    const url = withPassword(db.url);
    const first = captureIo();
    expect(await runCli(['migrate', '--database', url], first.io)).toBe(0);
    expect(first.out.join('')).toMatch(/Schema\s+version 1 \(applied now: 1\)/);
    expect(first.out.join('')).toContain(`postgres://postgres:***@`);
    const second = captureIo({ GATEHOUSE_DATABASE_URL: url });
    expect(await runCli(['migrate'], second.io)).toBe(0);
    expect(second.out.join('')).toMatch(/Schema\s+version 1 \(already up to date\)/);
    expect(first.all() + second.all()).not.toContain(PASSWORD);
  });

  it('copies a SQLite data directory, refuses to copy twice, and merges with --overwrite', async () => {
    const dataDir = join(dir, '.gatehouse');
    const sqlite = openSqliteStorage({ path: join(dataDir, 'gatehouse.db'), purgeIntervalSeconds: 0 });
    await sqlite.model('Client').upsert('client-1', { client_id: 'client-1' });
    await sqlite.model('RefreshToken').upsert('rt', { grantId: 'g' }, 3600);
    await sqlite.settings.set('kept', 'value');
    await sqlite.close();
    const env = { GATEHOUSE_DATABASE_URL: withPassword(db.url) };

    const copy = captureIo(env, dir);
    expect(await runCli(['migrate', '--from-data-dir', '.gatehouse'], copy.io)).toBe(0);
    expect(copy.out.join('')).toMatch(
      /Copied\s+2 model records, 0 accounts, 0 keys, 1 settings from .*gatehouse\.db/,
    );

    const again = captureIo(env, dir);
    expect(await runCli(['migrate', '--from-data-dir', '.gatehouse'], again.io)).toBe(1);
    expect(again.err.join('')).toMatch(/already holds Gatehouse data[\s\S]*--overwrite/);

    const merged = captureIo(env, dir);
    expect(await runCli(['migrate', '--from-data-dir', '.gatehouse', '--overwrite'], merged.io)).toBe(0);
    expect(copy.all() + again.all() + merged.all()).not.toContain(PASSWORD);

    const target = await openPostgresStorage({ connectionString: db.url, purgeIntervalSeconds: 0 });
    try {
      expect(await target.model('Client').find('client-1')).toEqual({ client_id: 'client-1' });
      expect(await target.model('RefreshToken').find('rt')).toEqual({ grantId: 'g' });
      expect(await target.settings.get('kept')).toBe('value');
    } finally {
      await target.close();
    }
  });

  it('exits 1 for a data directory without a database', async () => {
    const run = captureIo({ GATEHOUSE_DATABASE_URL: db.url }, dir);
    expect(await runCli(['migrate', '--from-data-dir', 'nowhere'], run.io)).toBe(1);
    expect(run.err.join('')).toMatch(/no Gatehouse database at .*nowhere.*gatehouse\.db/);
  });

  it('exits 2 for a missing --database, an unknown flag, a non-postgres URL and a stray --overwrite', async () => {
    const missing = captureIo();
    expect(await runCli(['migrate'], missing.io)).toBe(2);
    expect(missing.err.join('')).toMatch(/--database[\s\S]*GATEHOUSE_DATABASE_URL/);

    const unknown = captureIo({ GATEHOUSE_DATABASE_URL: db.url });
    expect(await runCli(['migrate', '--databse', 'x'], unknown.io)).toBe(2);
    expect(unknown.err.join('')).toMatch(/--databse/);

    const mysql = captureIo();
    expect(await runCli(['migrate', '--database', `mysql://root:${PASSWORD}@127.0.0.1/db`], mysql.io)).toBe(
      2,
    );
    expect(mysql.err.join('')).toMatch(/postgres:\/\/ URL, got mysql:\/\/root:\*\*\*@127\.0\.0\.1\/db/);

    const stray = captureIo({ GATEHOUSE_DATABASE_URL: db.url });
    expect(await runCli(['migrate', '--overwrite'], stray.io)).toBe(2);
    expect(stray.err.join('')).toMatch(/--overwrite only applies with --from-data-dir/);

    const positional = captureIo();
    expect(await runCli(['migrate', `postgres://u:${PASSWORD}@h/db`], positional.io)).toBe(2);
    expect(mysql.all() + positional.all()).not.toContain(PASSWORD);
  });

  it('exits 1 with the database named without its password when it cannot be reached', async () => {
    const run = captureIo();
    const url = `postgres://gatehouse:${PASSWORD}@127.0.0.1:1/gatehouse`;
    expect(await runCli(['migrate', '--database', url], run.io)).toBe(1);
    expect(run.err.join('')).toMatch(
      /cannot open the PostgreSQL database at postgres:\/\/gatehouse:\*\*\*@127\.0\.0\.1:1\/gatehouse/,
    );
    expect(run.all()).not.toContain(PASSWORD);
  });
});
