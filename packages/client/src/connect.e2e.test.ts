/**
 * `connect()` against the real gateway (embedded authorization server + demo MCP server, in
 * process, port 0): the first call authorizes through the hook (the user played over HTTP), a second
 * one on the same store needs none.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoGateway, startDemoGatewayWithAccount } from '../../../test/support/demo-gateway.js';
import { createDemoUser, type DemoUser } from '../../../test/support/demo-sign-in.js';
import { connect } from './connect.js';
import { createMemoryStore } from './store/memory-store.js';

let demo: DemoGateway | undefined;
let user: DemoUser;

beforeAll(async () => {
  demo = await startDemoGatewayWithAccount({ username: 'carol', password: 'a long enough password' });
  user = createDemoUser({
    issuer: demo.gateway.issuer,
    username: 'carol',
    password: 'a long enough password',
  });
}, 60_000);

afterAll(async () => {
  await demo?.close();
});

describe('connect()', () => {
  it('returns an initialized SDK v2 client that authorized on demand, then reuses the stored token', async () => {
    const gateway = demo?.gateway;
    if (gateway === undefined) throw new Error('test: no gateway');
    const store = createMemoryStore();
    const options = {
      store,
      policy: { allowLoopback: true },
      clientName: 'connect e2e',
      authorization: { onAuthorizationUrl: user.authorize, stderr: { write: () => true } },
    };
    const before = user.authorizations.length;
    const client = await connect(gateway.mcpUrl, options);
    expect(client.getServerVersion()?.name).toBe('gatehouse-demo');
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toEqual(
      expect.arrayContaining(['whoami', 'echo', 'add', 'add_note']),
    );
    const who = (await client.callTool({ name: 'whoami', arguments: {} })).structuredContent as {
      subject: string;
      scopes: string[];
    };
    expect(who.subject).toBeTruthy();
    expect(who.scopes).toContain('mcp:read');
    await client.close();
    expect(user.authorizations.length - before).toBe(1);

    const again = await connect(gateway.mcpUrl, options);
    expect((await again.callTool({ name: 'add', arguments: { a: 2, b: 3 } })).content).toEqual([
      { type: 'text', text: '5' },
    ]);
    await again.close();
    expect(user.authorizations.length - before).toBe(1);
  });

  it('refuses a transport fetch or auth provider of its own (authFetch owns them)', async () => {
    await expect(
      connect('http://127.0.0.1:9/mcp', { transportOptions: { fetch: globalThis.fetch } as never }),
    ).rejects.toThrow(TypeError);
    await expect(
      connect('http://127.0.0.1:9/mcp', {
        transportOptions: { authProvider: { token: async () => 'x' } } as never,
      }),
    ).rejects.toThrow(/set by connect/);
  });
});
