/**
 * End to end: the server answers 401 to an access token the client holds valid (not expired). Made
 * real, not simulated: the demo gateway's signing key is rotated with no retention (`gatehouse keys
 * rotate --use signing --retain-seconds 0`) and the gateway restarted on the same port and data
 * directory, so every access token issued before no longer verifies while the refresh tokens,
 * kept in its SQLite database, still work. `authFetch` must refresh once, not sign in again; only
 * when that refresh is refused does it authorize interactively.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFirstAccount, demoServeOptions } from '../../../../test/support/demo-account.js';
import { createDemoUser, type DemoUser } from '../../../../test/support/demo-sign-in.js';
import { runCli } from '../../../gatehouse/src/cli/main.js';
import { type RunningGateway, startGateway } from '../../../gatehouse/src/gateway/start-gateway.js';
import { createMemoryStore } from '../store/memory-store.js';
import type { StoredTokens, TokenStore } from '../store/types.js';
import { type AuthFetchOptions, authFetch } from './auth-fetch.js';

const USERNAME = 'robin';
const PASSWORD = 'a long enough password';
let dataDir: string;
let gateway: RunningGateway | undefined;
let port: number;
let user: DemoUser;
const store: TokenStore = createMemoryStore();

function options(statuses: number[]): AuthFetchOptions {
  return {
    serverUrl: gateway?.mcpUrl ?? '',
    store,
    policy: { allowLoopback: true },
    clientName: 'rejected-token e2e',
    authorization: { onAuthorizationUrl: (url) => user.authorize(url), stderr: { write: () => true } },
    fetch: async (input, init) => {
      const response = await fetch(input, init);
      statuses.push(response.status);
      return response;
    },
  };
}

async function whoamiThrough(fetchFn: ReturnType<typeof authFetch>): Promise<string[]> {
  const client = new Client({ name: 'rejected-token-e2e', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(gateway?.mcpUrl ?? ''), { fetch: fetchFn }));
  try {
    const result = await client.callTool({ name: 'whoami', arguments: {} });
    return (result.structuredContent as { scopes: string[] }).scopes;
  } finally {
    await client.close();
  }
}

/** Retires the signing key at once and restarts the gateway on the same port and data directory. */
async function rotateSigningKeyAndRestart(): Promise<void> {
  await gateway?.close();
  gateway = undefined;
  const out: string[] = [];
  const io = {
    stdout: (text: string) => out.push(text),
    stderr: (text: string) => out.push(text),
    env: {},
    stopSignal: new Promise<string>(() => {}),
  };
  const code = await runCli(
    ['keys', 'rotate', '--use', 'signing', '--retain-seconds', '0', '--data-dir', dataDir],
    io,
  );
  expect(code, out.join('')).toBe(0);
  gateway = await startGateway({ ...demoServeOptions(dataDir), port });
}

async function storedTokens(): Promise<StoredTokens> {
  const [entry] = (await store.list()).entries;
  const tokens = entry === undefined ? undefined : await store.get(entry.key);
  if (tokens === undefined) throw new Error('test: nothing stored');
  return tokens;
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-rejected-'));
  gateway = await startGateway(demoServeOptions(dataDir));
  port = Number(new URL(gateway.mcpUrl).port);
  await createFirstAccount(gateway, { username: USERNAME, password: PASSWORD });
  user = createDemoUser({ issuer: gateway.issuer, username: USERNAME, password: PASSWORD });
  expect(await whoamiThrough(authFetch(options([])))).toContain('mcp:read');
  expect(user.authorizations).toHaveLength(1);
}, 60_000);

afterAll(async () => {
  await gateway?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('authFetch: a 401 to a token that has not expired', () => {
  it('refreshes once (no new sign-in) when the server stopped accepting the token', async () => {
    const before = await storedTokens();
    await rotateSigningKeyAndRestart();
    expect(before.expires_at ?? 0).toBeGreaterThan(Date.now() / 1000 + 60); // still "valid" to the client
    const statuses: number[] = [];
    const scopes = await whoamiThrough(authFetch(options(statuses)));
    expect(scopes).toContain('mcp:read');
    expect(user.authorizations).toHaveLength(1); // no interactive authorization
    expect(statuses.filter((status) => status === 401)).toHaveLength(1);
    const after = await storedTokens();
    expect(after.access_token).not.toBe(before.access_token);
    expect(after.refresh_token).not.toBe(before.refresh_token); // rotated by the server, stored
  }, 30_000);

  it('authorizes interactively only when that refresh is refused', async () => {
    await rotateSigningKeyAndRestart();
    const held = await storedTokens();
    const [entry] = (await store.list()).entries;
    if (entry === undefined) throw new Error('test: nothing stored');
    await store.set(entry.key, { ...held, refresh_token: 'a-refresh-token-the-server-never-issued' });
    const statuses: number[] = [];
    const scopes = await whoamiThrough(authFetch(options(statuses)));
    expect(scopes).toContain('mcp:read');
    expect(user.authorizations).toHaveLength(2);
    expect(statuses.filter((status) => status === 401)).toHaveLength(1);
    expect((await storedTokens()).access_token).not.toBe(held.access_token);
  }, 30_000);

  it('concurrent 401s with the same token share one refresh', async () => {
    await rotateSigningKeyAndRestart();
    const held = await storedTokens();
    const fetchFn = authFetch(options([]));
    const rpc = {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
    };
    const url = gateway?.mcpUrl ?? '';
    const responses = await Promise.all([fetchFn(url, rpc), fetchFn(url, rpc), fetchFn(url, rpc)]);
    for (const response of responses) {
      expect(response.status).not.toBe(401);
      await response.arrayBuffer();
    }
    expect(user.authorizations).toHaveLength(2);
    const after = await storedTokens();
    expect(after.access_token).not.toBe(held.access_token);
    // One redemption: a second one of the rotated refresh token would have been refused, and the
    // server revokes the whole grant on refresh-token reuse, so a further refresh proves there was none.
    await rotateSigningKeyAndRestart();
    expect(await whoamiThrough(authFetch(options([])))).toContain('mcp:read');
    expect(user.authorizations).toHaveLength(2);
  }, 40_000);
});
