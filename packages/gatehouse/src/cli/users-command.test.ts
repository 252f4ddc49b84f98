import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAccountService, openSqliteStorage, type Storage } from '@gatehouse/authorization-server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeTerminal, pipedStdin, runGatehouse } from './admin-test-io.test-helpers.js';

const PASSWORD = 'correct horse battery staple';

describe('gatehouse users', () => {
  let dir: string;
  let dataDir: string[];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-users-'));
    dataDir = ['--data-dir', dir];
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function withStorage<T>(use: (storage: Storage) => Promise<T>): Promise<T> {
    const storage = openSqliteStorage({ path: join(dir, 'gatehouse.db'), purgeIntervalSeconds: 0 });
    try {
      return await use(storage);
    } finally {
      await storage.close();
    }
  }

  async function signIn(username: string, password: string) {
    return withStorage((storage) => createAccountService(storage).authenticate(username, password));
  }

  it('add --password-stdin creates the database and an account whose password works; list shows no hash', async () => {
    const added = await runGatehouse(['users', 'add', 'alice', ...dataDir, '--password-stdin'], {
      stdin: pipedStdin(`${PASSWORD}\nignored second line\n`),
    });
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toMatch(/Created user "alice" \(id [\w-]+\)/);
    expect((await signIn('ALICE', PASSWORD)).ok).toBe(true);

    const listed = await runGatehouse(['users', 'list', ...dataDir]);
    expect(listed.code).toBe(0);
    const [header, row, extra] = listed.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^USERNAME\s+ID\s+CREATED\s+LOCKED$/);
    const id = await withStorage(async (storage) => (await storage.accounts.findByUsername('alice'))?.id);
    expect(row).toMatch(new RegExp(`^alice\\s+${id}\\s+\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ\\s+no$`));
    expect(extra).toBeUndefined();
    expect(listed.stdout).not.toContain('scrypt');
  });

  it('add prompts twice on a terminal in raw mode (no echo) and never prints the password', async () => {
    const terminal = new FakeTerminal();
    // Typed with a mistake fixed by Backspace, then pasted twice in one chunk with CRLF.
    terminal.write(`${PASSWORD}x\u007f\r${PASSWORD}\r\n`);
    const added = await runGatehouse(['users', 'add', 'bob', ...dataDir], { stdin: terminal });
    expect(added.code, added.stderr).toBe(0);
    expect(added.stderr).toContain('New password: ');
    expect(added.stderr).toContain('Repeat the password: ');
    expect(added.stderr + added.stdout).not.toContain('horse');
    expect(terminal.rawModeCalls).toEqual([true, false, true, false]);
    expect(terminal.isRaw).toBe(false);
    expect((await signIn('bob', PASSWORD)).ok).toBe(true);
  });

  it('add refuses mismatching prompts, a short password, a taken name, and a password flag (exit 2 / 1)', async () => {
    const terminal = new FakeTerminal();
    terminal.write(`${PASSWORD}\r${PASSWORD}!\r`);
    const mismatch = await runGatehouse(['users', 'add', 'carol', ...dataDir], { stdin: terminal });
    expect(mismatch.code).toBe(2);
    expect(mismatch.stderr).toMatch(/do not match/);

    const short = await runGatehouse(['users', 'add', 'carol', ...dataDir, '--password-stdin'], {
      stdin: pipedStdin('short\n'),
    });
    expect(short.code).toBe(2);
    expect(short.stderr).toMatch(/password must be at least 12 characters long/);
    expect(short.stderr).not.toContain('short\n');

    const first = await runGatehouse(['users', 'add', 'carol', ...dataDir, '--password-stdin'], {
      stdin: pipedStdin(PASSWORD),
    });
    expect(first.code, first.stderr).toBe(0);
    // Refused before reading any password: stdin is not even given.
    const taken = await runGatehouse(['users', 'add', 'Carol', ...dataDir, '--password-stdin']);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toMatch(/already exists[\s\S]*users passwd/);

    const flag = await runGatehouse(['users', 'add', 'dave', ...dataDir, '--password', PASSWORD]);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/never accepted on the command line[\s\S]*--password-stdin/);
    expect(flag.stderr).not.toContain(PASSWORD);

    const noTerminal = await runGatehouse(['users', 'add', 'dave', ...dataDir], {
      stdin: pipedStdin(PASSWORD),
    });
    expect(noTerminal.code).toBe(2);
    expect(noTerminal.stderr).toMatch(/not a terminal[\s\S]*--password-stdin/);

    const cancelled = new FakeTerminal();
    cancelled.write('abc\u0003');
    const cancel = await runGatehouse(['users', 'add', 'dave', ...dataDir], { stdin: cancelled });
    expect(cancel.code).toBe(130);
    expect(cancelled.isRaw).toBe(false);
    expect(await withStorage((storage) => storage.accounts.count())).toBe(1);
  });

  it('passwd sets a new password and lifts a lockout; remove deletes the account', async () => {
    await runGatehouse(['users', 'add', 'erin', ...dataDir, '--password-stdin'], {
      stdin: pipedStdin(PASSWORD),
    });
    const lockedUntil = Math.floor(Date.now() / 1000) + 900;
    await withStorage(async (storage) => {
      const account = await storage.accounts.findByUsername('erin');
      await storage.accounts.update(account?.id ?? '', { failedAttempts: 9, lockedUntil }, lockedUntil - 900);
    });
    expect((await runGatehouse(['users', 'list', ...dataDir])).stdout).toMatch(/erin\s.*\suntil \d{4}-/);

    const changed = await runGatehouse(['users', 'passwd', 'erin', ...dataDir, '--password-stdin'], {
      stdin: pipedStdin('a brand new passphrase\r\n'),
    });
    expect(changed.code, changed.stderr).toBe(0);
    expect((await signIn('erin', PASSWORD)).ok).toBe(false);
    expect((await signIn('erin', 'a brand new passphrase')).ok).toBe(true);
    expect((await runGatehouse(['users', 'list', ...dataDir])).stdout).toMatch(/erin\s.*\sno\n/);

    const removed = await runGatehouse(['users', 'remove', 'erin', ...dataDir]);
    expect(removed.code).toBe(0);
    expect(removed.stdout).toMatch(/Removed user "erin"; revoked 0 grant/);
    expect((await runGatehouse(['users', 'list', ...dataDir])).stdout).toMatch(/No users yet/);
    const again = await runGatehouse(['users', 'remove', 'erin', ...dataDir]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/no user "erin"[\s\S]*users list/);
  });

  it('reports bad usage with exit 2, a missing database with exit 1, and has help with examples', async () => {
    const missing = await runGatehouse(['users', 'list', '--data-dir', join(dir, 'typo')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no Gatehouse database at .*typo/);

    for (const args of [
      ['users'],
      ['users', 'frobnicate'],
      ['users', 'add'],
      ['users', 'remove', 'a', 'b'],
      ['users', 'list', '--password-stdin'],
      ['users', 'list', '--data-dir'],
      ['users', '--data-dir', dir, 'list'],
    ]) {
      const run = await runGatehouse(args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr, args.join(' ')).toMatch(/^gatehouse: /);
    }
    const help = await runGatehouse(['users', 'add', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Examples:[\s\S]*--password-stdin/);
    const env = await runGatehouse(['users', 'list'], { env: { GATEHOUSE_DATA_DIR: join(dir, 'nope') } });
    expect(env.stderr).toContain(join(dir, 'nope'));
  });
});
