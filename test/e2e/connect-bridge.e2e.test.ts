/**
 * `gatehouse connect` as a desktop client runs it: a child process (the CLI's TypeScript sources run
 * by Node 22, see test/support/source-loader.mjs) spawned by the SDK v2 stdio client transport,
 * relaying to the real gateway (`gatehouse serve --demo` in process). The bridge runs with
 * `--no-browser`, so it uses the device authorization grant the server offers: the test reads the
 * code from the child's stderr and approves it on the real device pages.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Stream } from 'node:stream';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliIo, runCli } from '../../packages/gatehouse/src/cli/main.js';
import { type DemoGateway, startDemoGatewayWithAccount } from '../support/demo-gateway.js';
import { accountIdOf } from '../support/demo-sign-in.js';
import { createDeviceUser, type DeviceUser, printedDeviceCode } from '../support/device-sign-in.js';

const USERNAME = 'erin';
const PASSWORD = 'a long enough password';
const ROOT = join(import.meta.dirname, '../..');
const GATEHOUSE_ARGS = [
  '--experimental-transform-types',
  '--no-warnings',
  '--conditions=@gatehouse/source',
  '--import',
  join(ROOT, 'test/support/source-loader.mjs'),
  join(ROOT, 'packages/gatehouse/src/bin.ts'),
];
let demo: DemoGateway | undefined;
let user: DeviceUser;
let mcpUrl: string;
let work: string;

/** Approves every device code the child prints on stderr; keeps what it printed. */
function watchStderr(stream: Stream | null): { text: () => string; signIns: Promise<void>[] } {
  let text = '';
  let scanned = 0;
  const signIns: Promise<void>[] = [];
  stream?.on('data', (chunk: Buffer | string) => {
    text += chunk.toString();
    // A code counts once its line is complete (a chunk may end in the middle of it).
    for (;;) {
      const rest = text.slice(scanned);
      const match = /open this URL on any device:\s+\S+\s+and enter the code {2}\S+ /.exec(rest);
      if (match === null) break;
      scanned += match.index + match[0].length;
      const code = printedDeviceCode(match[0]);
      if (code !== undefined) signIns.push(user.approve(code));
    }
  });
  return { text: () => text, signIns };
}

beforeAll(async () => {
  demo = await startDemoGatewayWithAccount({ username: USERNAME, password: PASSWORD });
  user = createDeviceUser({ issuer: demo.gateway.issuer, username: USERNAME, password: PASSWORD });
  mcpUrl = demo.gateway.mcpUrl;
  work = await mkdtemp(join(tmpdir(), 'gatehouse-connect-'));
}, 60_000);

afterAll(async () => {
  await demo?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('gatehouse connect, driven by an SDK v2 stdio client', () => {
  it('authorizes on demand, relays tools/list and tools/call, steps up to mcp:write', async () => {
    const store = join(work, 'store-sdk');
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [...GATEHOUSE_ARGS, 'connect', mcpUrl, '--scope', 'mcp:read', '--no-browser', '--store', store],
      stderr: 'pipe',
      cwd: ROOT,
    });
    const stderr = watchStderr(transport.stderr);
    const client = new Client({ name: 'desktop-client-stand-in', version: '1.0.0' });
    const before = user.approvals.length;
    await client.connect(transport);
    try {
      expect(client.getServerVersion()?.name).toBe('gatehouse-demo');
      expect(user.approvals.length - before).toBe(1);
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name)).toEqual(expect.arrayContaining(['whoami', 'add_note']));

      const who = (await client.callTool({ name: 'whoami', arguments: {} })).structuredContent as {
        subject: string;
        scopes: string[];
      };
      expect(who.subject).toBe(accountIdOf(demo?.dataDir ?? '', USERNAME));
      expect(who.scopes).not.toContain('mcp:write');

      const note = await client.callTool({ name: 'add_note', arguments: { note: 'through the bridge' } });
      expect(note.isError).toBeFalsy();
      expect(note.content).toEqual([{ type: 'text', text: expect.stringMatching(/^stored note \d+$/) }]);
      expect(user.approvals.length - before).toBe(2);
      const after = (await client.callTool({ name: 'whoami', arguments: {} })).structuredContent as {
        scopes: string[];
      };
      expect(after.scopes).toEqual(expect.arrayContaining(['mcp:read', 'mcp:write']));
    } finally {
      await client.close();
    }
    await Promise.all(stderr.signIns);
    expect(stderr.text()).toContain('relaying stdio to');
    expect(stderr.text()).not.toMatch(/eyJ[\w-]+\.[\w-]+\./); // no JWT on stderr
  }, 60_000);

  it('relays raw lines, answers a bad line with a parse error, and exits 0 when stdin closes', async () => {
    const store = join(work, 'store-raw');
    // Signed in beforehand with `gatehouse login`, so the bridge needs no authorization.
    const signIns: Promise<void>[] = [];
    const io: CliIo = {
      stdout: () => {},
      stderr: (text) => {
        const code = printedDeviceCode(text);
        if (code !== undefined) signIns.push(user.approve(code));
      },
      env: {},
      stopSignal: new Promise(() => {}),
    };
    expect(await runCli(['login', mcpUrl, '--no-browser', '--store', store], io)).toBe(0);
    await Promise.all(signIns);
    const before = user.approvals.length;

    const child = spawn(
      process.execPath,
      [...GATEHOUSE_ARGS, 'connect', mcpUrl, '--no-browser', '--store', store],
      {
        cwd: ROOT,
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    const stderr = watchStderr(child.stderr);
    const lines: unknown[] = [];
    createInterface({ input: child.stdout }).on('line', (line) => lines.push(JSON.parse(line)));
    const send = (message: unknown) => child.stdin.write(`${JSON.stringify(message)}\n`);
    send({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    });
    send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    child.stdin.write('this is not json\n');
    send({
      jsonrpc: '2.0',
      id: 2,
      method: 'tools/call',
      params: { name: 'echo', arguments: { text: 'hello' } },
    });
    child.stdin.end();
    const [code] = await once(child, 'exit');
    expect(code, stderr.text()).toBe(0);
    expect(lines).toContainEqual(
      expect.objectContaining({ id: 1, result: expect.objectContaining({ protocolVersion: '2025-06-18' }) }),
    );
    expect(lines).toContainEqual({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32700, message: 'Parse error' },
    });
    expect(lines).toContainEqual(
      expect.objectContaining({
        id: 2,
        result: expect.objectContaining({ content: [{ type: 'text', text: 'hello' }] }),
      }),
    );
    expect(user.approvals.length).toBe(before);
  }, 60_000);
});
