import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestIssuer } from '../../../../../test/support/test-issuer.js';
import type { RunningGateway } from '../start-gateway.js';
import {
  capturingLogger,
  connectWithToken,
  fixture,
  isAlive,
  REPO_ROOT,
  startUpstreamGateway,
  textOf,
  tokenFor,
} from './upstream.test-helpers.js';

const EVERYTHING = `${REPO_ROOT}node_modules/@modelcontextprotocol/server-everything/dist/index.js`;

const stdio = (
  args: string[],
  overrides: { maxProcesses?: number; idleTimeoutMs?: number; passEnv?: string[] } = {},
) => ({
  kind: 'stdio' as const,
  command: process.execPath,
  args,
  maxProcesses: overrides.maxProcesses ?? 4,
  idleTimeoutMs: overrides.idleTimeoutMs ?? 60_000,
  passEnv: overrides.passEnv ?? [],
});

describe('stdio upstream: @modelcontextprotocol/server-everything behind OAuth', () => {
  const issuer = useTestIssuer();
  let gateway: RunningGateway;

  beforeAll(async () => {
    gateway = await startUpstreamGateway(issuer, stdio([EVERYTHING, 'stdio']));
  });
  afterAll(async () => {
    await gateway?.close();
  });

  it('lists and calls the upstream tools for a client with a valid token', async () => {
    const client = await connectWithToken(gateway.mcpUrl, await tokenFor(issuer, gateway, 'alice'));
    try {
      const { tools } = await client.listTools();
      const names = tools.map((tool) => tool.name);
      expect(names).toContain('echo');
      expect(names).toContain('get-sum');
      const echo = await client.callTool({ name: 'echo', arguments: { message: 'through the gateway' } });
      expect(textOf(echo)).toContain('through the gateway');
      const sum = await client.callTool({ name: 'get-sum', arguments: { a: 2, b: 40 } });
      expect(textOf(sum)).toContain('42');
      const { resources } = await client.listResources();
      expect(resources.length).toBeGreaterThan(0);
      const { prompts } = await client.listPrompts();
      expect(prompts.length).toBeGreaterThan(0);
    } finally {
      await client.close();
    }
  });

  it('passes the upstream tool errors through', async () => {
    const client = await connectWithToken(gateway.mcpUrl, await tokenFor(issuer, gateway, 'alice'));
    try {
      const result = await client.callTool({ name: 'no-such-tool', arguments: {} });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/no-such-tool not found/);
    } finally {
      await client.close();
    }
  });

  it('serves a 2026-07-28 client too, relaying progress notifications', async () => {
    const token = await tokenFor(issuer, gateway, 'alice');
    const client = new Client(
      { name: 'modern-test', version: '1.0.0' },
      { versionNegotiation: { mode: 'auto' } },
    );
    await client.connect(
      new StreamableHTTPClientTransport(new URL(gateway.mcpUrl), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      }),
    );
    try {
      expect(client.getNegotiatedProtocolVersion()).toBe('2026-07-28');
      const progress: number[] = [];
      const result = await client.callTool(
        { name: 'trigger-long-running-operation', arguments: { duration: 1, steps: 2 } },
        { onprogress: (update) => progress.push(update.progress) },
      );
      expect(textOf(result)).toMatch(/Long running operation completed/);
      expect(progress.length).toBeGreaterThan(0);
    } finally {
      await client.close();
    }
  });

  it('refuses a request without a token (401) before any process is started for it', async () => {
    const response = await fetch(gateway.mcpUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(response.status).toBe(401);
  });
});

describe('stdio upstream: one child process per principal', () => {
  const issuer = useTestIssuer();

  it('gives two users two different processes, and one user the same process across requests', async () => {
    const logs = capturingLogger();
    const gateway = await startUpstreamGateway(issuer, stdio([fixture('pid-stdio-server.mjs')]), {
      log: logs.log,
    });
    try {
      const alice = await connectWithToken(gateway.mcpUrl, await tokenFor(issuer, gateway, 'alice'));
      const bob = await connectWithToken(gateway.mcpUrl, await tokenFor(issuer, gateway, 'bob'));
      const alicePid = Number(textOf(await alice.callTool({ name: 'pid', arguments: {} })));
      const bobPid = Number(textOf(await bob.callTool({ name: 'pid', arguments: {} })));
      expect(alicePid).toBeGreaterThan(0);
      expect(bobPid).toBeGreaterThan(0);
      expect(alicePid).not.toBe(bobPid);
      expect(alicePid).not.toBe(process.pid);
      expect(Number(textOf(await alice.callTool({ name: 'pid', arguments: {} })))).toBe(alicePid);
      // The same user through another OAuth client is another principal.
      const aliceElsewhere = await connectWithToken(
        gateway.mcpUrl,
        await tokenFor(issuer, gateway, 'alice', 'another-client'),
      );
      const elsewherePid = Number(textOf(await aliceElsewhere.callTool({ name: 'pid', arguments: {} })));
      expect(new Set([alicePid, bobPid, elsewherePid]).size).toBe(3);
      await Promise.all([alice.close(), bob.close(), aliceElsewhere.close()]);

      // The children's stderr reached the log with their PID and principal, and no token did.
      const stderrLines = logs.records().filter((record) => record.msg === 'upstream stderr');
      const aliceLine = stderrLines.find((record) => record.pid === alicePid);
      expect(aliceLine).toMatchObject({ sub: 'alice', client_id: 'test-client' });
      expect(String(aliceLine?.stderr)).toContain(`pid ${alicePid}`);
      expect(logs.lines.join('\n')).not.toMatch(/eyJ[\w-]+\.[\w-]+\./);

      await gateway.close();
      // Shutdown stopped every child.
      for (const pid of [alicePid, bobPid, elsewherePid]) expect(isAlive(pid)).toBe(false);
    } finally {
      await gateway.close();
    }
  });

  it('passes only the safe default environment and the --pass-env names to children', async () => {
    const env = { FIXTURE_VISIBLE: 'yes', FIXTURE_HIDDEN: 'no', GATEHOUSE_UPSTREAM_SECRET: 's3cret' };
    const gateway = await startUpstreamGateway(
      issuer,
      stdio([fixture('pid-stdio-server.mjs')], { passEnv: ['FIXTURE_VISIBLE'] }),
      { env },
    );
    try {
      const client = await connectWithToken(gateway.mcpUrl, await tokenFor(issuer, gateway, 'carol'));
      const names = textOf(await client.callTool({ name: 'env', arguments: {} })).split(' ');
      expect(names).toContain('FIXTURE_VISIBLE');
      expect(names).not.toContain('FIXTURE_HIDDEN');
      expect(names).not.toContain('GATEHOUSE_UPSTREAM_SECRET');
      await client.close();
    } finally {
      await gateway.close();
    }
  });

  it('stops a child after the idle timeout, and starts a new one on the next request', async () => {
    const logs = capturingLogger();
    const gateway = await startUpstreamGateway(
      issuer,
      stdio([fixture('pid-stdio-server.mjs')], { idleTimeoutMs: 300 }),
      { log: logs.log },
    );
    try {
      const client = await connectWithToken(gateway.mcpUrl, await tokenFor(issuer, gateway, 'dave'));
      const first = Number(textOf(await client.callTool({ name: 'pid', arguments: {} })));
      await expect.poll(() => isAlive(first), { timeout: 10_000, interval: 100 }).toBe(false);
      expect(
        logs
          .records()
          .some((record) => record.msg === 'stopping idle upstream process' && record.pid === first),
      ).toBe(true);
      const second = Number(textOf(await client.callTool({ name: 'pid', arguments: {} })));
      expect(second).not.toBe(first);
      expect(isAlive(second)).toBe(true);
      await client.close();
    } finally {
      await gateway.close();
    }
  });

  it('does not stop a child while a request is in flight, even past the idle timeout', async () => {
    const gateway = await startUpstreamGateway(
      issuer,
      stdio([fixture('pid-stdio-server.mjs')], { idleTimeoutMs: 200 }),
    );
    try {
      const client = await connectWithToken(gateway.mcpUrl, await tokenFor(issuer, gateway, 'erin'));
      const slow = await client.callTool({ name: 'slow_echo', arguments: { text: 'still here', ms: 800 } });
      expect(textOf(slow)).toBe('still here');
      await client.close();
    } finally {
      await gateway.close();
    }
  });

  it('answers 503 with a clear JSON-RPC error beyond --max-processes, and keeps serving the others', async () => {
    const gateway = await startUpstreamGateway(
      issuer,
      stdio([fixture('pid-stdio-server.mjs')], { maxProcesses: 1 }),
    );
    try {
      const first = await connectWithToken(gateway.mcpUrl, await tokenFor(issuer, gateway, 'frank'));
      expect(Number(textOf(await first.callTool({ name: 'pid', arguments: {} })))).toBeGreaterThan(0);
      const response = await fetch(gateway.mcpUrl, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${await tokenFor(issuer, gateway, 'grace')}`,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-protocol-version': '2025-06-18',
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/list' }),
      });
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('30');
      const body = (await response.json()) as { error: { message: string } };
      expect(body.error.message).toMatch(/all 1 upstream processes are in use.*--max-processes/);
      expect(Number(textOf(await first.callTool({ name: 'pid', arguments: {} })))).toBeGreaterThan(0);
      await first.close();
    } finally {
      await gateway.close();
    }
  });
});

describe('stdio upstream: limits and shutdown', () => {
  const issuer = useTestIssuer();

  it('answers a 2026-07-28 client beyond the limit with 503 too, keeping the JSON-RPC id', async () => {
    const gateway = await startUpstreamGateway(
      issuer,
      stdio([fixture('pid-stdio-server.mjs')], { maxProcesses: 1 }),
    );
    try {
      const holder = await connectWithToken(gateway.mcpUrl, await tokenFor(issuer, gateway, 'holder'));
      const answers: { status: number; body: string }[] = [];
      const recording: typeof fetch = async (input, init) => {
        const response = await fetch(input, init);
        answers.push({ status: response.status, body: await response.clone().text() });
        return response;
      };
      const modern = new Client(
        { name: 'modern-test', version: '1.0.0' },
        { versionNegotiation: { mode: 'auto' } },
      );
      const token = await tokenFor(issuer, gateway, 'latecomer');
      await expect(
        modern.connect(
          new StreamableHTTPClientTransport(new URL(gateway.mcpUrl), {
            requestInit: { headers: { authorization: `Bearer ${token}` } },
            fetch: recording,
          }),
        ),
      ).rejects.toThrow(/503/);
      expect(answers[0]?.status).toBe(503);
      const body = JSON.parse(answers[0]?.body ?? '{}') as { id: unknown; error: { message: string } };
      expect(body.id).not.toBeNull();
      expect(body.error.message).toMatch(/upstream processes are in use/);
      await holder.close();
    } finally {
      await gateway.close();
    }
  });

  it('tells the client when the child dies during a call, and starts a fresh child for the next request', async () => {
    const logs = capturingLogger();
    const gateway = await startUpstreamGateway(issuer, stdio([fixture('pid-stdio-server.mjs')]), {
      log: logs.log,
    });
    try {
      const token = await tokenFor(issuer, gateway, 'jack');
      const legacy = await connectWithToken(gateway.mcpUrl, token);
      const first = Number(textOf(await legacy.callTool({ name: 'pid', arguments: {} })));
      // 2025 revisions: the answer is already streaming (SSE, HTTP 200); the JSON-RPC error says why.
      await expect(legacy.callTool({ name: 'crash', arguments: {} })).rejects.toThrow(
        /did not answer tools\/call: the connection to it was lost/,
      );
      expect(
        logs.records().some((record) => record.msg === 'upstream process exited' && record.pid === first),
      ).toBe(true);
      const second = Number(textOf(await legacy.callTool({ name: 'pid', arguments: {} })));
      expect(second).not.toBe(first);
      await legacy.close();

      // 2026-07-28: a plain JSON answer, so the gateway can say 502.
      const statuses: number[] = [];
      const recording: typeof fetch = async (input, init) => {
        const response = await fetch(input, init);
        statuses.push(response.status);
        return response;
      };
      const modern = new Client(
        { name: 'modern-test', version: '1.0.0' },
        { versionNegotiation: { mode: 'auto' } },
      );
      await modern.connect(
        new StreamableHTTPClientTransport(new URL(gateway.mcpUrl), {
          requestInit: { headers: { authorization: `Bearer ${token}` } },
          fetch: recording,
        }),
      );
      await expect(modern.callTool({ name: 'crash', arguments: {} })).rejects.toThrow();
      expect(statuses.at(-1)).toBe(502);
      await modern.close();
    } finally {
      await gateway.close();
    }
  });

  it('lets an in-flight call finish on shutdown, then stops the child', async () => {
    const gateway = await startUpstreamGateway(issuer, stdio([fixture('pid-stdio-server.mjs')]));
    const client = await connectWithToken(gateway.mcpUrl, await tokenFor(issuer, gateway, 'ivy'));
    const pid = Number(textOf(await client.callTool({ name: 'pid', arguments: {} })));
    const call = client.callTool({ name: 'slow_echo', arguments: { text: 'finished', ms: 700 } });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const closed = gateway.close();
    expect(textOf(await call)).toBe('finished');
    await closed;
    expect(isAlive(pid)).toBe(false);
    await client.close();
  });
});

describe('stdio upstream: a command that fails', () => {
  const issuer = useTestIssuer();

  it('refuses to start when the command exits at once, quoting its stderr', async () => {
    const error = await startUpstreamGateway(issuer, stdio([fixture('exit-at-once.mjs')])).then(
      async (gateway) => {
        await gateway.close();
        return undefined;
      },
      (caught: unknown) => caught as Error,
    );
    expect(error?.message).toMatch(/did not start/);
    expect(error?.message).toContain('the config file /etc/fixture.conf is missing');
  });

  it('refuses to start with a usage error when the command does not exist', async () => {
    const error = await startUpstreamGateway(issuer, {
      ...stdio([]),
      command: 'gatehouse-no-such-command-here',
    }).then(
      async (gateway) => {
        await gateway.close();
        return undefined;
      },
      (caught: unknown) => caught as Error & { exitCode?: number },
    );
    expect(error?.message).toMatch(/cannot run "gatehouse-no-such-command-here"/);
    expect(error?.exitCode).toBe(2);
  });
});
