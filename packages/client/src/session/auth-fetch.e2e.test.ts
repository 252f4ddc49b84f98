/**
 * End to end, in process, over real HTTP on 127.0.0.1: `authFetch` in the SDK v2 transport against
 * the real gateway (`startGateway`: embedded authorization server + demo MCP server, sqlite in a temp
 * directory). The `onAuthorizationUrl` hook plays the user over HTTP: it follows redirects with
 * cookies, fills the real sign-in form and approves the real consent page (CSRF fields read from the
 * HTML), then delivers the redirect to the loopback listener.
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoGateway, startDemoGatewayWithAccount } from '../../../../test/support/demo-gateway.js';
import { createDemoUser, type DemoUser } from '../../../../test/support/demo-sign-in.js';
import type { RunningGateway } from '../../../gatehouse/src/gateway/start-gateway.js';
import { createMemoryStore } from '../store/memory-store.js';
import type { TokenStore } from '../store/types.js';
import { type AuthFetchOptions, authFetch } from './auth-fetch.js';
import { AuthorizationRejectedError, AuthorizationStormError, StepUpLimitError } from './errors.js';

const USERNAME = 'alice';
const PASSWORD = 'a long enough password';
let demo: DemoGateway | undefined;
let gateway: RunningGateway;
/** The user (sign-in, consent, loopback redirect); keeps every authorization URL it was given. */
let user: DemoUser;

function optionsFor(store: TokenStore, extra: Partial<AuthFetchOptions> = {}): AuthFetchOptions {
  return {
    serverUrl: gateway.mcpUrl,
    store,
    policy: { allowLoopback: true },
    clientName: 'authFetch e2e',
    authorization: { onAuthorizationUrl: (url) => user.authorize(url), stderr: { write: () => true } },
    ...extra,
  };
}

/** A transport fetch that records the statuses the MCP server answered. */
function recording(statuses: number[]): AuthFetchOptions['fetch'] {
  return async (input, init) => {
    const response = await fetch(input, init);
    statuses.push(response.status);
    return response;
  };
}

async function connect(fetchFn: ReturnType<typeof authFetch>): Promise<Client> {
  const client = new Client({ name: 'auth-fetch-e2e', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(gateway.mcpUrl), { fetch: fetchFn }));
  return client;
}

async function whoami(client: Client): Promise<{ scopes: string[] }> {
  return (await client.callTool({ name: 'whoami', arguments: {} })).structuredContent as { scopes: string[] };
}

beforeAll(async () => {
  demo = await startDemoGatewayWithAccount({ username: USERNAME, password: PASSWORD });
  gateway = demo.gateway;
  user = createDemoUser({ issuer: gateway.issuer, username: USERNAME, password: PASSWORD });
}, 60_000);

afterAll(async () => {
  await demo?.close();
});

describe('authFetch in the SDK v2 transport against the gateway', () => {
  it('authorizes once on the first 401; a second client on the same store needs no authorization', async () => {
    const store = createMemoryStore();
    const before = user.authorizations.length;
    const first = await connect(authFetch(optionsFor(store)));
    expect((await whoami(first)).scopes).toContain('mcp:read');
    await first.close();
    expect(user.authorizations.length - before).toBe(1);
    expect(user.authorizations.at(-1)?.searchParams.get('resource')).toBe(gateway.mcpUrl);

    const statuses: number[] = [];
    const second = await connect(authFetch(optionsFor(store, { fetch: recording(statuses) })));
    expect((await whoami(second)).scopes).toContain('mcp:read');
    await second.close();
    expect(user.authorizations.length - before).toBe(1);
    expect(statuses).not.toContain(401);
  });

  it('renews a token about to expire before sending it (no 401 seen), keeping its scope', async () => {
    const store = createMemoryStore();
    const first = await connect(authFetch(optionsFor(store)));
    await whoami(first);
    await first.close();
    const [entry] = (await store.list()).entries;
    if (entry === undefined) throw new Error('test: nothing stored');
    const old = await store.get(entry.key);
    if (old === undefined) throw new Error('test: nothing stored');
    await store.set(entry.key, { ...old, expires_at: Math.floor(Date.now() / 1000) + 10 });

    const before = user.authorizations.length;
    const statuses: number[] = [];
    const second = await connect(authFetch(optionsFor(store, { fetch: recording(statuses) })));
    expect((await whoami(second)).scopes).toContain('mcp:read');
    await second.close();
    const renewed = await store.get(entry.key);
    expect(renewed?.access_token).not.toBe(old.access_token);
    expect(renewed?.refresh_token).not.toBe(old.refresh_token);
    expect(renewed?.expires_at).toBeGreaterThan(Date.now() / 1000 + 60);
    expect(renewed?.scope).toBe(old.scope);
    expect(statuses).not.toContain(401);
    expect(user.authorizations.length).toBe(before);
  });

  it('steps up on 403 insufficient_scope with the union of held and challenged scopes', async () => {
    const before = user.authorizations.length;
    const client = await connect(authFetch(optionsFor(createMemoryStore(), { scope: 'mcp:read' })));
    expect((await whoami(client)).scopes).not.toContain('mcp:write');
    const result = await client.callTool({ name: 'add_note', arguments: { note: 'from authFetch' } });
    expect(result.isError).toBeFalsy();
    const scopes = (await whoami(client)).scopes;
    expect(scopes).toEqual(expect.arrayContaining(['mcp:read', 'mcp:write']));
    await client.close();
    expect(user.authorizations.length - before).toBe(2);
    const asked = user.authorizations.at(-1)?.searchParams.get('scope')?.split(' ');
    expect(asked).toEqual(expect.arrayContaining(['mcp:read', 'mcp:write']));
  });

  it('brakes an authorization storm against a server that always answers 401', async () => {
    // The MCP requests reach the real server without their token, so it always answers 401.
    const alwaysUnauthorized: AuthFetchOptions['fetch'] = (input, init) => {
      const headers = new Headers(init?.headers);
      headers.delete('authorization');
      return fetch(input, { ...init, headers });
    };
    const fetchFn = authFetch(
      optionsFor(createMemoryStore(), { fetch: alwaysUnauthorized, maxAuthorizationsPerMinute: 2 }),
    );
    const call = () => fetchFn(gateway.mcpUrl, { method: 'POST', body: '{}' });
    const before = user.authorizations.length;
    await expect(call()).rejects.toBeInstanceOf(AuthorizationRejectedError);
    await expect(call()).rejects.toBeInstanceOf(AuthorizationRejectedError);
    const storm = await call().catch((error: unknown) => error);
    expect(storm).toBeInstanceOf(AuthorizationStormError);
    expect((storm as AuthorizationStormError).code).toBe('ERR_AUTHORIZATION_STORM');
    expect(user.authorizations.length - before).toBe(2);
  });

  const rpc = (method: string, params: object) => ({
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });

  it('shares one authorization between concurrent 401s', async () => {
    const fetchFn = authFetch(optionsFor(createMemoryStore()));
    const before = user.authorizations.length;
    const responses = await Promise.all([
      fetchFn(gateway.mcpUrl, rpc('tools/list', {})),
      fetchFn(gateway.mcpUrl, rpc('tools/list', {})),
    ]);
    for (const response of responses) {
      expect(response.status).not.toBe(401);
      await response.arrayBuffer();
    }
    expect(user.authorizations.length - before).toBe(1);
  });

  it('stops stepping up after maxStepUps with a StepUpLimitError', async () => {
    const fetchFn = authFetch(optionsFor(createMemoryStore(), { scope: 'mcp:read', maxStepUps: 0 }));
    const error = await fetchFn(
      gateway.mcpUrl,
      rpc('tools/call', { name: 'add_note', arguments: { note: 'x' } }),
    )
      .then(async (response) => `HTTP ${response.status}: ${await response.text()}`)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StepUpLimitError);
    expect((error as StepUpLimitError).scopes).toEqual(expect.arrayContaining(['mcp:read', 'mcp:write']));
  });

  it('refuses misspelt options and a stream body with a TypeError', async () => {
    expect(() => authFetch({ ...optionsFor(createMemoryStore()), scopes: 'x' } as AuthFetchOptions)).toThrow(
      TypeError,
    );
    const fetchFn = authFetch(optionsFor(createMemoryStore()));
    await expect(
      fetchFn(gateway.mcpUrl, {
        method: 'POST',
        body: new Blob(['{}']).stream(),
        duplex: 'half',
      } as RequestInit),
    ).rejects.toThrow(TypeError);
  });
});
