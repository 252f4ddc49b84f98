import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { useTestIssuer } from '../../../../test/support/test-issuer.js';
import {
  connectWithToken,
  fixture,
  isAlive,
  REPO_ROOT,
  textOf,
} from '../gateway/upstreams/upstream.test-helpers.js';
import { type CliIo, runCli } from './main.js';

function captureIo(env: Record<string, string> = {}, stopSignal: Promise<string> = new Promise(() => {})) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    env,
    stopSignal,
    cwd: REPO_ROOT,
  };
  return { io, out, err, stdout: () => out.join(''), stderr: () => err.join('') };
}

describe('gatehouse serve: bad input gets a clear error and the right exit code', () => {
  const issuer = useTestIssuer();
  const trust = () => ['--external-issuer', issuer.issuer, '--jwks-uri', issuer.jwksUri];

  it.each([
    [['--demo', '--frobnicate'], /--frobnicate/],
    [['--demo', '--port', 'http'], /invalid port "http"/],
    [['--demo', '--port', '65536'], /invalid port "65536"/],
    [['--demo', '--host', '0.0.0.0'], /without TLS would expose tokens/],
    [[], /no upstream MCP server given/],
    [['--demo', '--upstream', 'https://u.example/mcp'], /conflicting upstreams/],
    [['--module', 'test/fixtures/does-not-exist.mjs'], /does not exist/],
    [['--module', 'test/fixtures/module-without-factory.mjs'], /exports no server factory/],
    [['--', 'gatehouse-no-such-command-here'], /cannot run "gatehouse-no-such-command-here"/],
  ])('serve %j → exit 2', async (args, message) => {
    const run = captureIo();
    const extra = [...(args.includes('--port') ? [] : ['--port', '0']), ...trust()];
    const argv = args.includes('--') ? [...extra, ...args] : [...args, ...extra];
    expect(await runCli(['serve', ...argv], run.io)).toBe(2);
    expect(run.stderr()).toMatch(message);
    expect(run.stdout()).not.toContain('MCP endpoint');
  });

  it('exits 1 when the stdio command exits at once, quoting its stderr', async () => {
    const run = captureIo({ GATEHOUSE_LOG_LEVEL: 'silent' });
    const code = await runCli(
      ['serve', ...trust(), '--', process.execPath, fixture('exit-at-once.mjs')],
      run.io,
    );
    expect(code).toBe(1);
    expect(run.stderr()).toMatch(/did not start[\s\S]*config file \/etc\/fixture\.conf is missing/);
  });

  it('starts with an HTTP upstream that is down, warning in the log and naming it in the banner', async () => {
    let stop: (signal: string) => void = () => {};
    const run = captureIo({}, new Promise((resolve) => (stop = resolve)));
    const running = runCli(
      ['serve', ...trust(), '--port', '0', '--upstream', 'http://127.0.0.1:9/mcp'],
      run.io,
    );
    await expect.poll(run.stdout, { timeout: 10_000 }).toContain('MCP endpoint');
    expect(run.stdout()).toMatch(/upstream\s+HTTP: http:\/\/127\.0\.0\.1:9\/mcp/);
    expect(run.stderr()).toMatch(/not reachable yet/);
    stop('SIGINT');
    expect(await running).toBe(0);
  });
});

describe('gatehouse serve: banner and logs', () => {
  const issuer = useTestIssuer();

  it('prints the data location and the stdio upstream; logs requests with the subject, never the token', async () => {
    let stop: (signal: string) => void = () => {};
    const run = captureIo({ GATEHOUSE_LOG_LEVEL: 'info' }, new Promise((resolve) => (stop = resolve)));
    const running = runCli(
      [
        'serve',
        '--external-issuer',
        issuer.issuer,
        '--jwks-uri',
        issuer.jwksUri,
        '--port',
        '0',
        '--',
        process.execPath,
        fixture('pid-stdio-server.mjs'),
      ],
      run.io,
    );
    await expect.poll(run.stdout, { timeout: 10_000 }).toContain('MCP endpoint');
    const banner = run.stdout();
    expect(banner).toMatch(
      /upstream\s+stdio: \S+ \S+pid-stdio-server\.mjs \(one process per user, at most 20/,
    );
    expect(banner).toMatch(/data\s+none \(external issuer\)/);
    const mcpUrl = /MCP endpoint\s+(\S+)/.exec(banner)?.[1] ?? '';
    const token = await issuer.mintAccessToken({
      aud: mcpUrl,
      sub: 'alice',
      client_id: 'cli',
      scope: 'mcp:read',
    });
    const client = await connectWithToken(mcpUrl, token);
    const pid = Number(textOf(await client.callTool({ name: 'pid', arguments: {} })));
    await client.close();
    await fetch(`${mcpUrl}?code=secret-code-value`, { method: 'POST', body: '{}' });
    stop('SIGTERM');
    expect(await running).toBe(0);
    expect(isAlive(pid)).toBe(false);

    const records = run
      .stderr()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const requests = records.filter((record) => record.msg === 'request');
    expect(
      requests.some((record) => record.sub === 'alice' && record.method === 'POST' && record.status === 200),
    ).toBe(true);
    expect(requests.some((record) => record.status === 401 && record.sub === undefined)).toBe(true);
    expect(requests.every((record) => typeof record.ms === 'number' && record.path === '/mcp')).toBe(true);
    expect(records.some((record) => record.msg === 'upstream process stopped' && record.pid === pid)).toBe(
      true,
    );
    expect(run.stderr()).not.toContain(token);
    expect(run.stderr()).not.toContain('secret-code-value');
  });
});

describe('gatehouse serve as a real process', () => {
  const issuer = useTestIssuer();

  it('stops its stdio children and exits 0 on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      [
        '--experimental-transform-types',
        '--no-warnings',
        '--conditions=@gatehouse/source',
        '--import',
        './test/support/source-loader.mjs',
        'packages/gatehouse/src/bin.ts',
        'serve',
        '--external-issuer',
        issuer.issuer,
        '--jwks-uri',
        issuer.jwksUri,
        '--port',
        '0',
        '--',
        process.execPath,
        fixture('pid-stdio-server.mjs'),
      ],
      { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      await expect.poll(() => stdout, { timeout: 15_000 }).toContain('MCP endpoint');
      const mcpUrl = /MCP endpoint\s+(\S+)/.exec(stdout)?.[1] ?? '';
      const token = await issuer.mintAccessToken({
        aud: mcpUrl,
        sub: 'alice',
        client_id: 'cli',
        scope: 'mcp:read',
      });
      const client = await connectWithToken(mcpUrl, token);
      const pid = Number(textOf(await client.callTool({ name: 'pid', arguments: {} })));
      await client.close();
      expect(isAlive(pid)).toBe(true);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(isAlive(pid)).toBe(false);
      expect(stderr).toContain('received SIGTERM');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
