/**
 * The client commands of the `gatehouse` CLI (`login`, `status`, `token`, `tools`, `call`,
 * `logout`) run in process against the real gateway (`gatehouse serve --demo` in process: embedded
 * authorization server, SQLite in a temp dir, port 0), each with a file token store in a temp dir.
 * The browser the commands open is the test's (`CliIo.openBrowser`): it plays the user over HTTP on
 * the real sign-in and consent pages. With `--device` or `--no-browser` the commands use the device
 * authorization grant (the demo server offers it): the test reads the code they print on stderr
 * and approves it on the real device pages.
 */
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliIo, runCli } from '../../packages/gatehouse/src/cli/main.js';
import { type DemoGateway, startDemoGatewayWithAccount } from '../support/demo-gateway.js';
import { accountIdOf, createDemoUser, type DemoUser } from '../support/demo-sign-in.js';
import { createDeviceUser, type DeviceUser, printedDeviceCode } from '../support/device-sign-in.js';

const USERNAME = 'dana';
const PASSWORD = 'a long enough password';
let demo: DemoGateway | undefined;
let user: DemoUser;
let deviceUser: DeviceUser;
let mcpUrl: string;
const stores: string[] = [];

async function newStore(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-store-'));
  stores.push(dir);
  return join(dir, 'store');
}

/**
 * Runs `gatehouse <args>` in process. The browser it opens (the test's, unless `browser: false`)
 * signs in at once; a device code printed on stderr is approved at once.
 */
async function gatehouse(args: string[], env: Record<string, string> = {}, { browser = true } = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const signIns: Promise<void>[] = [];
  const io: CliIo = {
    stdout: (text) => out.push(text),
    stderr: (text) => {
      err.push(text);
      const code = printedDeviceCode(text);
      if (code !== undefined) signIns.push(deviceUser.approve(code));
    },
    env,
    stopSignal: new Promise(() => {}),
    cwd: tmpdir(),
    ...(browser
      ? {
          openBrowser: async (url: string) => {
            signIns.push(user.authorize(new URL(url)));
          },
        }
      : {}),
  };
  const code = await runCli(args, io);
  await Promise.all(signIns);
  return { code, stdout: out.join(''), stderr: err.join('') };
}

/** The token values kept in a file store directory (to check that no output shows them). */
async function storedSecrets(store: string): Promise<string[]> {
  const secrets: string[] = [];
  for (const name of await readdir(store)) {
    if (!name.startsWith('tokens-') || !name.endsWith('.json')) continue;
    const { tokens } = JSON.parse(await readFile(join(store, name), 'utf8'));
    secrets.push(tokens.access_token, tokens.refresh_token);
  }
  return secrets.filter((secret) => typeof secret === 'string');
}

beforeAll(async () => {
  demo = await startDemoGatewayWithAccount({ username: USERNAME, password: PASSWORD });
  user = createDemoUser({ issuer: demo.gateway.issuer, username: USERNAME, password: PASSWORD });
  deviceUser = createDeviceUser({ issuer: demo.gateway.issuer, username: USERNAME, password: PASSWORD });
  mcpUrl = demo.gateway.mcpUrl;
}, 60_000);

afterAll(async () => {
  await demo?.close();
  for (const dir of stores) await rm(dir, { recursive: true, force: true });
});

describe('gatehouse client commands: bad input', () => {
  it('prints help with examples for every client command', async () => {
    for (const command of ['connect', 'login', 'logout', 'status', 'token', 'tools', 'call']) {
      const result = await gatehouse([command, '--help']);
      expect(result.code, command).toBe(0);
      expect(result.stdout, command).toMatch(new RegExp(`Usage: gatehouse ${command}[\\s\\S]*Examples:`));
    }
    expect((await gatehouse(['--help'])).stdout).toMatch(/connect[\s\S]*login[\s\S]*call/);
    for (const command of ['connect', 'login', 'token', 'tools', 'call']) {
      const { stdout } = await gatehouse([command, '--help']);
      expect(stdout, command).toMatch(
        /--no-browser {2,}do not open a browser here: sign in on another device/,
      );
      expect(stdout, command).toMatch(/--device {2,}always use the device authorization grant/);
    }
  });

  it('exits 2 with a hint on a bad command line', async () => {
    const cases: [string[], RegExp][] = [
      [['login'], /missing argument/],
      [['login', 'ftp://example.com/mcp'], /not an MCP server URL/],
      [['login', 'http://mcp.example.com/mcp'], /must use https/],
      [['login', mcpUrl, '--callback-port', '99999'], /invalid --callback-port/],
      [['login', mcpUrl, '--callback-port', '9-1'], /invalid --callback-port/],
      [['login', mcpUrl, '--client-secret', 's'], /needs a client id/],
      [['login', mcpUrl, '--client-metadata-url', 'http://example.com/c.json'], /https URL/],
      [['login', mcpUrl, '--frobnicate'], /frobnicate/],
      [['status', mcpUrl, 'extra'], /unexpected argument "extra"/],
      [['status', '--scope', 'x'], /scope/],
      [['call', mcpUrl], /missing argument/],
      [['call', mcpUrl, 'echo', '{"text":'], /not valid JSON/],
      [['call', mcpUrl, 'echo', '[1,2]'], /must be a JSON object/],
    ];
    for (const [args, message] of cases) {
      const result = await gatehouse(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toMatch(message);
    }
  });

  it('warns that a client secret on the command line is visible to other users', async () => {
    const store = await newStore();
    const result = await gatehouse([
      'logout',
      mcpUrl,
      '--client-id',
      'a',
      '--client-secret',
      's',
      '--store',
      store,
    ]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/--client-secret is visible to other users[\s\S]*MCP_CLIENT_SECRET/);
  });
});

describe('gatehouse client commands: run-time failures', () => {
  /** A loopback port with nothing listening on it (bound, then closed) — or kept bound, when asked. */
  async function loopbackPort(keep: boolean): Promise<{ port: number; release: () => Promise<void> }> {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const release = () => new Promise<void>((resolve) => server.close(() => resolve()));
    if (!keep) await release();
    return { port, release };
  }

  it('exits 1 naming the server and the network error when the server cannot be reached', async () => {
    const { port } = await loopbackPort(false);
    const result = await gatehouse(['tools', `http://127.0.0.1:${port}/mcp`, '--store', await newStore()]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `gatehouse: could not reach the MCP server at http://127.0.0.1:${port}/mcp (ECONNREFUSED)\nCheck the URL, and that the server is running.\n`,
    );
  });

  it('exits 1 with a --callback-port hint when the fixed callback port is taken', async () => {
    const taken = await loopbackPort(true);
    try {
      const store = await newStore();
      const result = await gatehouse([
        'login',
        mcpUrl,
        '--callback-port',
        String(taken.port),
        '--store',
        store,
      ]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        new RegExp(
          `port ${taken.port} on 127\\.0\\.0\\.1 is in use\\nFree that port, or pass another --callback-port`,
        ),
      );
    } finally {
      await taken.release();
    }
  });
});

describe('gatehouse client commands against the demo gateway', () => {
  it('login → status → token → tools → call whoami → logout, through the browser', async () => {
    const store = await newStore();
    const before = user.authorizations.length;
    const login = await gatehouse(['login', mcpUrl, '--store', store]);
    expect(login.code, login.stderr).toBe(0);
    expect(login.stdout).toMatch(/^Signed in to /);
    expect(login.stdout).toContain('gatehouse-demo');
    expect(login.stderr).toMatch(/open this URL in your browser[\s\S]*code_challenge=/);
    expect(user.authorizations.length - before).toBe(1);
    expect(user.authorizations.at(-1)?.searchParams.get('resource')).toBe(mcpUrl);

    const again = await gatehouse(['login', mcpUrl, '--store', store]);
    expect(again.stdout).toMatch(/^Already signed in to /);
    expect(user.authorizations.length - before).toBe(1);

    const status = await gatehouse(['status', '--store', store]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(mcpUrl);
    expect(status.stdout).toContain(`issuer         ${demo?.gateway.issuer}`);
    expect(status.stdout).toMatch(/scopes\s+.*mcp:read/);
    expect(status.stdout).toMatch(/access token\s+valid until \d{4}-\d\d-\d\dT[\d:]+Z \(in \d+ min\)/);
    expect(status.stdout).toMatch(/refresh token\s+stored/);
    const json = JSON.parse((await gatehouse(['status', mcpUrl, '--json', '--store', store])).stdout);
    expect(json.entries).toHaveLength(1);
    expect(json.entries[0]).toMatchObject({ resource: mcpUrl, expired: false, refresh_token_stored: true });

    const token = await gatehouse(['token', mcpUrl, '--store', store]);
    expect(token.code).toBe(0);
    const accessToken = token.stdout.trim();
    const secrets = await storedSecrets(store);
    expect(secrets).toContain(accessToken);
    const accepted = await fetch(mcpUrl, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${accessToken}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    });
    await accepted.arrayBuffer();
    expect(accepted.status).not.toBe(401);

    const tools = await gatehouse(['tools', mcpUrl, '--store', store]);
    expect(tools.code).toBe(0);
    expect(tools.stdout).toMatch(/^whoami\s+Returns the authenticated subject/m);
    expect(tools.stdout).toMatch(/^add_note\s+/m);

    const whoami = await gatehouse(['call', mcpUrl, 'whoami', '--store', store]);
    expect(whoami.code).toBe(0);
    const who = JSON.parse(whoami.stdout);
    expect(who.subject).toBe(accountIdOf(demo?.dataDir ?? '', USERNAME));
    expect(status.stdout).toContain(`client         ${who.client_id}`);
    expect(who.scopes).toContain('mcp:read');
    const echo = await gatehouse(['call', mcpUrl, 'echo', '{"text":"hi there"}', '--store', store]);
    expect(echo.stdout).toBe('hi there\n');
    const bad = await gatehouse(['call', mcpUrl, 'add', '{"a":"x"}', '--store', store]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/reported an error/);
    expect(user.authorizations.length - before).toBe(1);

    // No command but `token` ever shows a token.
    for (const output of [login, again, status, tools, whoami, echo]) {
      for (const secret of secrets) {
        expect(output.stdout + output.stderr).not.toContain(secret);
      }
    }
  });

  it('token renews a token about to expire, without a new sign-in', async () => {
    const store = await newStore();
    expect((await gatehouse(['login', mcpUrl, '--store', store])).code).toBe(0);
    const [file] = (await readdir(store)).filter((name) => name.startsWith('tokens-'));
    const path = join(store, file as string);
    const stored = JSON.parse(await readFile(path, 'utf8'));
    stored.tokens.expires_at = Math.floor(Date.now() / 1000) + 5;
    const { writeFile } = await import('node:fs/promises');
    await writeFile(path, JSON.stringify(stored), { mode: 0o600 });
    const before = user.authorizations.length;
    const token = await gatehouse(['token', mcpUrl, '--store', store]);
    expect(token.code).toBe(0);
    expect(token.stdout.trim()).not.toBe(stored.tokens.access_token);
    expect(user.authorizations.length).toBe(before);
    const status = await gatehouse(['status', mcpUrl, '--json', '--store', store]);
    expect(JSON.parse(status.stdout).entries[0].expires_at).toBeGreaterThan(Date.now() / 1000 + 60);
  });

  it('call steps up to mcp:write for add_note (a second authorization asking for both scopes)', async () => {
    const store = await newStore();
    const login = await gatehouse(['login', mcpUrl, '--scope', 'mcp:read', '--store', store]);
    expect(login.stdout).toMatch(/scopes\s+mcp:read\b/);
    expect(login.stdout).not.toContain('mcp:write');
    const before = user.authorizations.length;
    const note = await gatehouse(['call', mcpUrl, 'add_note', '{"note":"from the CLI"}', '--store', store]);
    expect(note.code, note.stderr).toBe(0);
    expect(note.stdout).toMatch(/^stored note \d+\n$/);
    expect(user.authorizations.length - before).toBe(1);
    const asked = user.authorizations.at(-1)?.searchParams.get('scope')?.split(' ');
    expect(asked).toEqual(expect.arrayContaining(['mcp:read', 'mcp:write']));
    const whoami = JSON.parse((await gatehouse(['call', mcpUrl, 'whoami', '--store', store])).stdout);
    expect(whoami.scopes).toEqual(expect.arrayContaining(['mcp:read', 'mcp:write']));
  });

  it('login --device completes through the device pages, then call whoami needs no sign-in', async () => {
    const store = await newStore();
    const browserSignIns = user.authorizations.length;
    const approvals = deviceUser.approvals.length;
    const login = await gatehouse(['login', mcpUrl, '--device', '--store', store]);
    expect(login.code, login.stderr).toBe(0);
    expect(login.stdout).toMatch(/^Signed in to /);
    expect(login.stdout).toMatch(/refresh token\s+stored/);
    expect(login.stderr).toMatch(
      /open this URL on any device:\s+http:\/\/127\.0\.0\.1:\d+\/oauth\/device\n.*enter the code {2}[A-Z]{4}-[A-Z]{4}/,
    );
    expect(login.stderr).not.toMatch(/code_challenge|open this URL in your browser/);
    expect(deviceUser.approvals.length - approvals).toBe(1);
    expect(user.authorizations.length).toBe(browserSignIns);

    const whoami = await gatehouse(['call', mcpUrl, 'whoami', '--store', store]);
    expect(whoami.code, whoami.stderr).toBe(0);
    const who = JSON.parse(whoami.stdout);
    expect(who.subject).toBe(accountIdOf(demo?.dataDir ?? '', USERNAME));
    expect(who.scopes).toContain('mcp:read');
    expect(deviceUser.approvals.length - approvals).toBe(1);
    const secrets = await storedSecrets(store);
    for (const output of [login, whoami]) {
      for (const secret of secrets) expect(output.stdout + output.stderr).not.toContain(secret);
    }
  }, 30_000);

  it('--no-browser uses the device grant the server offers; an SSH session chooses it on its own', async () => {
    const approvals = deviceUser.approvals.length;
    const headless = await gatehouse(['tools', mcpUrl, '--no-browser', '--store', await newStore()]);
    expect(headless.code, headless.stderr).toBe(0);
    expect(headless.stdout).toMatch(/^whoami\s+/m);
    expect(deviceUser.approvals.length - approvals).toBe(1);

    // No browser of the test's this time: the CLI decides from the environment alone.
    const browserSignIns = user.authorizations.length;
    const overSsh = await gatehouse(
      ['token', mcpUrl, '--store', await newStore()],
      { SSH_CONNECTION: '203.0.113.9 52144 10.0.0.5 22', DISPLAY: 'localhost:10.0' },
      { browser: false },
    );
    expect(overSsh.code, overSsh.stderr).toBe(0);
    expect(overSsh.stderr).toMatch(/enter the code {2}[A-Z]{4}-[A-Z]{4}/);
    expect(deviceUser.approvals.length - approvals).toBe(2);
    expect(user.authorizations.length).toBe(browserSignIns);
  }, 40_000);

  it('logout revokes the refresh token at the authorization server and removes the entry', async () => {
    const store = await newStore();
    expect((await gatehouse(['login', mcpUrl, '--store', store])).code).toBe(0);
    const [file] = (await readdir(store)).filter((name) => name.startsWith('tokens-'));
    const { tokens } = JSON.parse(await readFile(join(store, file as string), 'utf8'));

    const logout = await gatehouse(['logout', mcpUrl, '--store', store]);
    expect(logout.code, logout.stderr).toBe(0);
    expect(logout.stderr).toBe('');
    // The demo's access tokens are JWTs, which its authorization server cannot revoke (RFC 7009 §2.2.1).
    expect(logout.stdout).toMatch(
      /Signed out of .*: tokens removed\.\n {2}the refresh token was revoked at .*\n {2}the access token cannot be revoked .* it stays valid until /,
    );
    expect(logout.stdout + logout.stderr).not.toContain(tokens.refresh_token);
    expect((await gatehouse(['status', '--store', store])).stdout).toMatch(/^No sign-ins stored/);
    expect((await gatehouse(['logout', mcpUrl, '--store', store])).stdout).toMatch(/^Not signed in/);

    // The revoked refresh token is refused by the token endpoint.
    const metadata = await (
      await fetch(
        `${new URL(tokens.issuer).origin}/.well-known/oauth-authorization-server${new URL(tokens.issuer).pathname}`,
      )
    ).json();
    const refresh = await fetch(metadata.token_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh_token,
        client_id: tokens.client_id,
        resource: mcpUrl,
      }),
    });
    expect(refresh.status).toBe(400);
    expect((await refresh.json()).error).toBe('invalid_grant');
  });
});
