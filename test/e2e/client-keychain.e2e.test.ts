/**
 * `gatehouse login / status / token / logout --store keychain` against the real demo gateway, with
 * the tokens in a real Secret Service: a private GNOME Keyring on a private D-Bus session (issue 4
 * item 6: "an optional OS keychain store when available"). Linux only, like CI.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type PrivateKeyring,
  startPrivateKeyring,
} from '../../packages/client/src/keychain/private-keyring.test-helpers.js';
import { type CliIo, runCli } from '../../packages/gatehouse/src/cli/main.js';
import { type DemoGateway, startDemoGatewayWithAccount } from '../support/demo-gateway.js';
import { createDemoUser, type DemoUser } from '../support/demo-sign-in.js';

const run = promisify(execFile);
const USERNAME = 'kim';
const PASSWORD = 'a long enough password';
let demo: DemoGateway | undefined;
let user: DemoUser;
let keyring: PrivateKeyring | undefined;
let root: string;

async function gatehouse(args: string[], env: Record<string, string>) {
  const out: string[] = [];
  const err: string[] = [];
  const signIns: Promise<void>[] = [];
  const io: CliIo = {
    stdout: (text) => out.push(text),
    stderr: (text) => err.push(text),
    env,
    stopSignal: new Promise(() => {}),
    cwd: tmpdir(),
    openBrowser: async (url: string) => {
      signIns.push(user.authorize(new URL(url)));
    },
  };
  const code = await runCli(args, io);
  await Promise.all(signIns);
  return { code, stdout: out.join(''), stderr: err.join('') };
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'gatehouse-cli-keychain-'));
  keyring = await startPrivateKeyring(join(root, 'keyring'));
  demo = await startDemoGatewayWithAccount({ username: USERNAME, password: PASSWORD });
  user = createDemoUser({ issuer: demo.gateway.issuer, username: USERNAME, password: PASSWORD });
}, 60_000);

afterAll(async () => {
  await demo?.close();
  await keyring?.stop();
  await rm(root, { recursive: true, force: true });
});

describe('gatehouse client commands with --store keychain', () => {
  it('login → status → token → logout: the tokens live in the keyring, never in a file', async () => {
    const config = join(root, 'config');
    const env = { ...(keyring as PrivateKeyring).env, XDG_CONFIG_HOME: config };
    const mcpUrl = demo?.gateway.mcpUrl as string;

    const login = await gatehouse(['login', mcpUrl, '--store', 'keychain'], env);
    expect(login.code, login.stderr).toBe(0);
    expect(login.stdout).toMatch(/^Signed in to /);

    const status = await gatehouse(['status', '--store', 'keychain'], env);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain(mcpUrl);
    expect(status.stdout).toMatch(/refresh token\s+stored/);

    const token = await gatehouse(['token', mcpUrl, '--store', 'keychain'], env);
    expect(token.code, token.stderr).toBe(0);
    const accessToken = token.stdout.trim();
    expect(accessToken.length).toBeGreaterThan(20);

    const directory = join(config, 'gatehouse');
    const names = await readdir(directory);
    expect(names.some((name) => /^keychain-gatehouse-[0-9a-f]{64}\.json$/.test(name))).toBe(true);
    for (const name of names) {
      expect(await readFile(join(directory, name), 'utf8'), name).not.toContain(accessToken);
    }
    const items = await run('secret-tool', ['search', '--all', 'service', 'gatehouse'], { env });
    expect(`${items.stdout}${items.stderr}`).toContain(accessToken);

    const logout = await gatehouse(['logout', mcpUrl, '--store', 'keychain'], env);
    expect(logout.code, logout.stderr).toBe(0);
    const after = await gatehouse(['status', mcpUrl, '--json', '--store', 'keychain'], env);
    expect(JSON.parse(after.stdout).entries).toEqual([]);
    const left = await run('secret-tool', ['search', '--all', 'service', 'gatehouse'], { env });
    expect(`${left.stdout}${left.stderr}`).not.toContain(accessToken);
  }, 60_000);
});
