import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTestIssuer } from '../../../../test/support/test-issuer.js';
import { FakeTerminal } from './admin-test-io.test-helpers.js';
import { type CliIo, runCli } from './main.js';

function captureIo(env: Record<string, string> = {}, stopSignal: Promise<string> = new Promise(() => {})) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { stdout: (t) => out.push(t), stderr: (t) => err.push(t), env, stopSignal };
  return { io, out, err };
}

describe('gatehouse CLI', () => {
  const issuer = useTestIssuer();

  it('prints help and the version', async () => {
    const help = captureIo();
    expect(await runCli(['--help'], help.io)).toBe(0);
    expect(help.out.join('')).toContain('serve');
    const serveHelp = captureIo();
    expect(await runCli(['serve', '--help'], serveHelp.io)).toBe(0);
    expect(serveHelp.out.join('')).toContain('--external-issuer');
    const version = captureIo();
    expect(await runCli(['--version'], version.io)).toBe(0);
    expect(version.out.join('')).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  it('exits 2 with a hint on an unknown command or flag', async () => {
    const unknown = captureIo();
    expect(await runCli(['frobnicate'], unknown.io)).toBe(2);
    expect(unknown.err.join('')).toMatch(/unknown command "frobnicate"[\s\S]*--help/);
    const badFlag = captureIo();
    expect(await runCli(['serve', '--demo', '--prot', '1'], badFlag.io)).toBe(2);
    expect(badFlag.err.join('')).toMatch(/--prot/);
  });

  it('never prints the password of a URL typed in the wrong place', async () => {
    const misuses = [
      ['grants', 'list', 'postgres://app:pw-admin@db.internal/gatehouse'],
      ['clients', 'show', 'abc', 'postgres://app:pw-admin@db.internal/gatehouse'],
      ['token', 'https://127.0.0.1/mcp', 'https://user:pw-second@mcp.example.com/mcp'],
      ['token', 'https://user:pw-userinfo@127.0.0.1/mcp'],
      ['token', 'ftp://user:pw-scheme@127.0.0.1/mcp'],
      ['serve', 'postgres://app:pw-serve@db.internal/gatehouse'],
      ['migrate', 'postgres://app:pw-migrate@db.internal/gatehouse'],
    ];
    for (const args of misuses) {
      const { io, err } = captureIo();
      expect(await runCli(args, io), args.join(' ')).toBe(2);
      const printed = err.join('');
      expect(printed, args.join(' ')).toMatch(/gatehouse: /);
      expect(printed, args.join(' ')).not.toMatch(/pw-/);
    }
  });

  it('stops a command that waits on the user at SIGINT with exit code 130', async () => {
    let stop: (signal: string) => void = () => {};
    const { io, err } = captureIo({}, new Promise((resolve) => (stop = resolve)));
    const dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-interrupt-'));
    try {
      // `users add` prompts on a terminal that never answers.
      const terminal = new FakeTerminal();
      const running = runCli(['users', 'add', 'alice', '--data-dir', dataDir], { ...io, stdin: terminal });
      await expect.poll(() => terminal.rawModeCalls.length, { timeout: 5_000 }).toBeGreaterThan(0);
      stop('SIGINT');
      expect(await running).toBe(130);
      expect(err.join('')).toContain('interrupted (SIGINT)');
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('exits 1 with a clear message when the port is taken', async () => {
    const port = new URL(issuer.issuer).port;
    const taken = captureIo();
    const code = await runCli(
      ['serve', '--demo', '--external-issuer', issuer.issuer, '--jwks-uri', issuer.jwksUri, '--port', port],
      taken.io,
    );
    expect(code).toBe(1);
    expect(taken.err.join('')).toMatch(/cannot listen[\s\S]*--port/);
  });

  it('serves until it is asked to stop, printing the MCP URL and the issuer', async () => {
    let stop: (signal: string) => void = () => {};
    const { io, out, err } = captureIo(
      { GATEHOUSE_EXTERNAL_ISSUER: issuer.issuer },
      new Promise((resolve) => (stop = resolve)),
    );
    const running = runCli(['serve', '--demo', '--jwks-uri', issuer.jwksUri, '--port', '0'], io);
    await expect.poll(() => out.join(''), { timeout: 5_000 }).toContain('MCP endpoint');
    const mcpUrl = /MCP endpoint\s+(\S+)/.exec(out.join(''))?.[1] ?? '';
    expect(out.join('')).toContain(issuer.issuer);
    expect((await fetch(mcpUrl, { method: 'POST', body: '{}' })).status).toBe(401);
    stop('SIGTERM');
    expect(await running).toBe(0);
    expect(err.join('')).toContain('SIGTERM');
    await expect(fetch(mcpUrl, { method: 'POST', body: '{}' })).rejects.toThrow();
  });
});
