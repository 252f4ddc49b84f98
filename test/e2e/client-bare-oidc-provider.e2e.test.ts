/**
 * `@gatehouse/client` against a third-party authorization server: a bare node-oidc-provider (see
 * test/support/bare-oidc-provider.ts for its configuration) and an MCP server behind
 * `@gatehouse/resource-server` that trusts it, all real HTTP on 127.0.0.1 (issue 4 item 9). The
 * client finds the authorization server through the MCP server's Protected Resource Metadata.
 *
 * The user is played over HTTP: the provider's interaction is programmatic (signs in a fixed
 * account, grants, or denies), the test follows the redirects like a browser and delivers the
 * final redirect to the client's loopback listener. Both servers count what they saw.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import {
  type AuthFetchOptions,
  AuthorizationDenied,
  authFetch,
  createFileStore,
  createMemoryStore,
  type TokenStore,
} from '@gatehouse/client';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRenewalDue } from '../../packages/client/src/store/renewal-due.test-helpers.js';
import {
  BARE_ACCOUNT_ID,
  type BareSetup,
  READ_SCOPE,
  startBareSetup,
  WRITE_SCOPE,
} from '../support/bare-oidc-provider.js';
import { printedAuthorizationUrl } from '../support/demo-sign-in.js';
import { PADDING, versionTokens, WRITER_KEY } from '../support/file-store-writer-child.js';
import { runSourceChild, SOURCE_NODE_FLAGS } from '../support/source-child.js';

const REFRESH_CHILD = fileURLToPath(new URL('../support/client-refresh-child.ts', import.meta.url));
const WRITER_CHILD = fileURLToPath(new URL('../support/file-store-writer-child.ts', import.meta.url));
const silent = { write: () => true };

let bare: BareSetup;
let root: string;

beforeAll(async () => {
  bare = await startBareSetup();
  root = await mkdtemp(join(tmpdir(), 'gatehouse-bare-oidc-'));
});

afterAll(async () => {
  await bare?.close();
  if (root !== undefined) await rm(root, { recursive: true, force: true });
});

function optionsFor(setup: BareSetup, store: TokenStore, extra: Partial<AuthFetchOptions> = {}) {
  return {
    serverUrl: setup.mcp.mcpUrl,
    store,
    policy: { allowLoopback: true },
    clientName: 'bare oidc-provider e2e',
    authorization: {
      onAuthorizationUrl: async (url: URL) => {
        await setup.as.completeAuthorization(url);
      },
      stderr: silent,
    },
    ...extra,
  } satisfies AuthFetchOptions;
}

async function connect(setup: BareSetup, fetchFn: ReturnType<typeof authFetch>): Promise<Client> {
  const client = new Client({ name: 'bare-oidc-e2e', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(setup.mcp.mcpUrl), { fetch: fetchFn }));
  return client;
}

async function whoami(client: Client): Promise<{ subject: string; scopes: string[] }> {
  return (await client.callTool({ name: 'whoami', arguments: {} })).structuredContent as {
    subject: string;
    scopes: string[];
  };
}

/** The one entry of `store`, with its tokens. */
async function onlyEntry(store: TokenStore) {
  const { entries } = await store.list();
  expect(entries).toHaveLength(1);
  const key = entries[0]?.key;
  if (key === undefined) throw new Error('test: nothing stored');
  const tokens = await store.get(key);
  if (tokens === undefined) throw new Error('test: nothing stored');
  return { key, tokens };
}

/** Requests and grants recorded from now on. */
function mark(setup: BareSetup) {
  const requests = setup.mcp.requests.length;
  const grants = setup.as.grants.length;
  const authorizations = setup.as.authorizations.length;
  return {
    requests: () => setup.mcp.requests.slice(requests),
    grants: () => setup.as.grants.slice(grants),
    authorizations: () => setup.as.authorizations.slice(authorizations),
  };
}

const rpc = (method: string, params: object = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
  body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
});

function occupyPort(port = 0): Promise<Server> {
  const server = createServer();
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

/** Two consecutive free loopback ports, the first held by a server (the "other program"). */
async function takenPortWithFreeNext(): Promise<{ blocker: Server; port: number }> {
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const blocker = await occupyPort();
    const port = (blocker.address() as AddressInfo).port;
    const next = await occupyPort(port + 1).catch(() => undefined);
    if (next !== undefined) {
      await new Promise((resolve) => next.close(resolve));
      return { blocker, port };
    }
    await new Promise((resolve) => blocker.close(resolve));
  }
  throw new Error('test: no two consecutive free ports');
}

/** Registers a public web client with fixed-port redirect URIs, as an operator would out of band. */
async function preRegister(setup: BareSetup, redirectUris: string[]): Promise<string> {
  const response = await fetch(`${setup.as.issuer}/reg`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      client_name: 'pre-registered e2e',
      application_type: 'web',
      redirect_uris: redirectUris,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    }),
  });
  const body = (await response.json()) as { client_id?: string };
  if (response.status !== 201 || body.client_id === undefined) {
    throw new Error(`test: registration failed with HTTP ${response.status}`);
  }
  return body.client_id;
}

describe('@gatehouse/client against a bare node-oidc-provider', () => {
  it('full flow: 401 → PRM → AS metadata → DCR → code + PKCE → JWT for the resource; SDK v2 tools/list and tools/call', async () => {
    const seen = mark(bare);
    const store = createMemoryStore();
    const client = await connect(bare, authFetch(optionsFor(bare, store)));
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual(['add_note', 'whoami']);
    const who = await whoami(client);
    await client.close();

    expect(who.subject).toBe(BARE_ACCOUNT_ID);
    expect(who.scopes).toContain(READ_SCOPE);
    expect(seen.authorizations()).toHaveLength(1);
    const asked = seen.authorizations()[0];
    expect(asked?.searchParams.get('resource')).toBe(bare.mcp.mcpUrl);
    expect(asked?.searchParams.get('code_challenge_method')).toBe('S256');
    // OpenID Connect Core §11: offline_access (listed by the provider) asked for with prompt=consent,
    // so the stock provider keeps it and issues the refresh token checked below.
    expect(asked?.searchParams.get('scope')?.split(' ')).toContain('offline_access');
    expect(asked?.searchParams.get('prompt')).toBe('consent');
    const requests = seen.requests();
    expect(requests[0]).toMatchObject({ path: '/mcp', status: 401, bearer: false });
    expect(requests).toContainEqual(
      expect.objectContaining({ path: '/.well-known/oauth-protected-resource/mcp', status: 200 }),
    );
    // After the first 401 every MCP request carries the token and is accepted (the stateless
    // server answers the SDK's GET stream and DELETE with 405, not with an authorization error).
    const mcpAfter = requests.slice(1).filter((request) => request.path === '/mcp');
    expect(mcpAfter.filter((request) => request.method === 'POST').length).toBeGreaterThanOrEqual(3);
    for (const request of mcpAfter) {
      expect(request.bearer).toBe(true);
      expect(request.status === 405 ? request.method : request.status).toSatisfy(
        (value) => value === 'GET' || value === 'DELETE' || (typeof value === 'number' && value < 300),
      );
    }
    expect(seen.grants()).toEqual([{ grantType: 'authorization_code', outcome: 'success' }]);

    const { tokens } = await onlyEntry(store);
    expect(decodeProtectedHeader(tokens.access_token).typ).toBe('at+jwt');
    expect(decodeJwt(tokens.access_token)).toMatchObject({ aud: bare.mcp.mcpUrl, iss: bare.as.issuer });
    expect(tokens.refresh_token).toBeDefined();
  });

  it('refresh before expiry: tokens of a few seconds are renewed ahead of time, the server never answers 401', async () => {
    const setup = await startBareSetup({ accessTokenTtlSeconds: 6 });
    try {
      const store = createMemoryStore();
      const fetchFn = authFetch(optionsFor(setup, store, { refreshSkewSeconds: 4 }));
      const client = await connect(setup, fetchFn);
      const first = (await onlyEntry(store)).tokens;
      const seen = mark(setup);
      // 6 s tokens renewed when fewer than 3 s remain (the 4 s skew capped at half the lifetime):
      // every call 3.5 s after the last renewal renews first, and the renewed token has seconds to
      // spare when the server checks it.
      for (let call = 0; call < 3; call += 1) {
        await sleep(3_500);
        expect((await whoami(client)).scopes).toContain(READ_SCOPE);
      }
      await client.close();

      const statuses = seen.requests().map((request) => request.status);
      expect(statuses.length).toBeGreaterThanOrEqual(3);
      expect(statuses).not.toContain(401);
      const refreshes = seen.grants().filter((grant) => grant.grantType === 'refresh_token');
      expect(refreshes.length).toBeGreaterThanOrEqual(2);
      expect(refreshes.every((grant) => grant.outcome === 'success')).toBe(true);
      expect(seen.authorizations()).toHaveLength(0);
      // The first token has expired by now: sent as is, it would have been refused.
      const stale = await fetch(setup.mcp.mcpUrl, {
        ...rpc('tools/list'),
        headers: { ...(rpc('tools/list').headers as object), authorization: `Bearer ${first.access_token}` },
      });
      await stale.arrayBuffer();
      expect(stale.status).toBe(401);
    } finally {
      await setup.close();
    }
  }, 30_000);

  it('two processes refreshing the same rotating token at once share a file store: both succeed, one redemption', async () => {
    const setup = await startBareSetup({ accessTokenTtlSeconds: 20 });
    try {
      const directory = join(root, 'two-processes');
      const store = createFileStore({ directory });
      const response = await authFetch(optionsFor(setup, store))(setup.mcp.mcpUrl, rpc('tools/list'));
      await response.arrayBuffer();
      expect(response.status).toBe(200);
      expect((await onlyEntry(store)).tokens.expires_in).toBe(20);
      const go = join(root, 'go');
      const seen = mark(setup);
      const ready = [1, 2].map((n) => join(root, `ready-${n}`));
      const children = ready.map((file) =>
        runSourceChild([REFRESH_CHILD, setup.mcp.mcpUrl, directory, go, file]),
      );
      // Both loaded and waiting: release them together.
      for (let wait = 0; wait < 600; wait += 1) {
        const found = await Promise.all(
          ready.map((file) =>
            stat(file).then(
              () => true,
              () => false,
            ),
          ),
        );
        if (found.every(Boolean)) break;
        await sleep(25);
      }
      // The stored token (valid 20 s at the server) has 5 s left: within its renewal margin (the
      // 60 s default capped at half its lifetime, 10 s), so each child must refresh before sending;
      // the renewed 20 s token is fresh for 10 s, so whichever child comes second uses it.
      const { tokens: before } = await makeRenewalDue(store);
      await writeFile(go, '');
      const results = await Promise.all(children);

      for (const result of results) {
        expect(result, result.err).toMatchObject({ code: 0 });
        expect(JSON.parse(result.out)).toEqual({ status: 200, tools: 2 });
      }
      expect(seen.grants()).toEqual([{ grantType: 'refresh_token', outcome: 'success' }]);
      // Each child discovers the token endpoint (PRM), then sends its call once, with a renewed token.
      const calls = seen.requests().filter((request) => request.path === '/mcp');
      expect(calls.map((request) => [request.status, request.bearer])).toEqual([
        [200, true],
        [200, true],
      ]);
      expect(seen.requests().map((request) => request.status)).not.toContain(401);
      const after = (await onlyEntry(store)).tokens;
      expect(after.refresh_token).not.toBe(before.refresh_token);
      expect(after.access_token).not.toBe(before.access_token);
    } finally {
      await setup.close();
    }
  }, 30_000);

  it('a token shorter-lived than refreshSkewSeconds is not refreshed on every call (renewed in its last half only)', async () => {
    const setup = await startBareSetup({ accessTokenTtlSeconds: 20 });
    try {
      const store = createMemoryStore();
      const client = await connect(setup, authFetch(optionsFor(setup, store)));
      const seen = mark(setup);
      for (let call = 0; call < 5; call += 1) {
        expect((await whoami(client)).scopes).toContain(READ_SCOPE);
      }
      await client.close();
      // 20 s tokens against the default 60 s skew: with the skew alone every call would refresh.
      expect((await onlyEntry(store)).tokens.expires_in).toBe(20);
      expect(seen.grants()).toEqual([]);
      expect(
        seen.requests().filter((request) => request.path === '/mcp' && request.method === 'POST'),
      ).toHaveLength(5);
    } finally {
      await setup.close();
    }
  });

  it('step-up: 403 insufficient_scope → re-authorization with the union of scopes → the call succeeds', async () => {
    const seen = mark(bare);
    const store = createMemoryStore();
    const client = await connect(bare, authFetch(optionsFor(bare, store, { scope: READ_SCOPE })));
    expect((await whoami(client)).scopes).not.toContain(WRITE_SCOPE);
    const result = await client.callTool({ name: 'add_note', arguments: { note: 'hello' } });
    expect(result.isError).toBeFalsy();
    expect(result.content).toEqual([{ type: 'text', text: 'stored: hello' }]);
    expect((await whoami(client)).scopes).toEqual(expect.arrayContaining([READ_SCOPE, WRITE_SCOPE]));
    await client.close();

    expect(seen.authorizations()).toHaveLength(2);
    expect(seen.authorizations()[0]?.searchParams.get('scope')?.split(' ')).not.toContain(WRITE_SCOPE);
    expect(seen.authorizations()[1]?.searchParams.get('scope')?.split(' ')).toEqual(
      expect.arrayContaining([READ_SCOPE, WRITE_SCOPE]),
    );
    expect(seen.requests().filter((request) => request.status === 403)).toHaveLength(1);
    expect((await onlyEntry(store)).tokens.scope?.split(' ')).toEqual(
      expect.arrayContaining([READ_SCOPE, WRITE_SCOPE]),
    );
  });

  it('callback port collision: a pre-registered fixed port in use → the next port of the range is used', async () => {
    const { blocker, port } = await takenPortWithFreeNext();
    try {
      const clientId = await preRegister(bare, [
        `http://127.0.0.1:${port}/callback`,
        `http://127.0.0.1:${port + 1}/callback`,
      ]);
      const seen = mark(bare);
      const fetchFn = authFetch(
        optionsFor(bare, createMemoryStore(), {
          preRegistered: { clientId, issuer: bare.as.issuer },
          authorization: {
            ...optionsFor(bare, createMemoryStore()).authorization,
            listener: { port: { from: port, to: port + 1 } },
          },
        }),
      );
      const response = await fetchFn(bare.mcp.mcpUrl, rpc('tools/list'));
      await response.arrayBuffer();
      expect(response.status).toBe(200);
      const asked = seen.authorizations()[0];
      expect(asked?.searchParams.get('client_id')).toBe(clientId);
      expect(asked?.searchParams.get('redirect_uri')).toBe(`http://127.0.0.1:${port + 1}/callback`);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('callback port collision: a single fixed port in use → a clear EADDRINUSE error, nothing presented', async () => {
    const blocker = await occupyPort();
    const port = (blocker.address() as AddressInfo).port;
    try {
      const seen = mark(bare);
      const fetchFn = authFetch(
        optionsFor(bare, createMemoryStore(), {
          authorization: { ...optionsFor(bare, createMemoryStore()).authorization, listener: { port } },
        }),
      );
      const error = await fetchFn(bare.mcp.mcpUrl, rpc('tools/list')).catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: 'EADDRINUSE' });
      expect((error as Error).message).toContain(`port ${port} on 127.0.0.1 is in use`);
      expect(seen.authorizations()).toHaveLength(0);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('headless: the URL is printed to the writer, the browser is not started, completing it finishes the call', async () => {
    let printed = '';
    const opened: string[] = [];
    const fetchFn = authFetch({
      serverUrl: bare.mcp.mcpUrl,
      store: createMemoryStore(),
      policy: { allowLoopback: true },
      authorization: {
        headless: true,
        openBrowser: async (url) => {
          opened.push(url);
        },
        stderr: {
          write: (text: string) => {
            printed += text;
            return true;
          },
        },
      },
    });
    const call = fetchFn(bare.mcp.mcpUrl, rpc('tools/list'));
    let url: URL | undefined;
    for (let wait = 0; wait < 200 && url === undefined; wait += 1) {
      url = printedAuthorizationUrl(printed);
      if (url === undefined) await sleep(25);
    }
    if (url === undefined) throw new Error(`test: no URL printed: ${printed}`);
    expect(url.origin).toBe(bare.as.issuer);
    await bare.as.completeAuthorization(url);
    const response = await call;
    await response.arrayBuffer();
    expect(response.status).toBe(200);
    expect(opened).toEqual([]);
    expect(printed).toContain('Waiting for the authorization to complete');
  });

  it('denied consent: AuthorizationDenied reaches the caller after one authorization, nothing stored, no retry', async () => {
    const seen = mark(bare);
    const store = createMemoryStore();
    bare.as.decision = 'deny';
    try {
      const error = await authFetch(optionsFor(bare, store))(bare.mcp.mcpUrl, rpc('tools/list')).catch(
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(AuthorizationDenied);
      expect((error as AuthorizationDenied).error).toBe('access_denied');
    } finally {
      bare.as.decision = 'approve';
    }
    expect(seen.authorizations()).toHaveLength(1);
    expect(seen.requests().map((request) => request.status)).toEqual([401, 200]); // the call, then PRM
    expect(seen.grants()).toEqual([]);
    expect((await store.list()).entries).toEqual([]);
  });

  it('file store: after a full authorization the directory is 0700 and every file 0600, no lease left behind', async () => {
    const directory = join(root, 'permissions', 'nested', 'gatehouse');
    const store = createFileStore({ directory });
    const response = await authFetch(optionsFor(bare, store))(bare.mcp.mcpUrl, rpc('tools/list'));
    await response.arrayBuffer();
    expect(response.status).toBe(200);
    const { tokens } = await onlyEntry(store);

    expect((await stat(directory)).mode & 0o777).toBe(0o700);
    const names = await readdir(directory);
    expect(names.filter((name) => name.startsWith('tokens-'))).toHaveLength(1);
    expect(names.filter((name) => name.startsWith('client-'))).toHaveLength(1);
    expect(names.filter((name) => name.endsWith('.lock') || name.endsWith('.tmp'))).toEqual([]);
    for (const name of names) {
      expect((await stat(join(directory, name))).mode & 0o777, name).toBe(0o600);
      expect(name).not.toContain(tokens.access_token.slice(0, 16));
    }
  });

  /** Polls `directory` until a `.tmp` file (a write in progress) exists, or `timeoutMs` passes. */
  async function untilTempFileExists(directory: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if ((await readdir(directory)).some((name) => name.endsWith('.tmp'))) return;
    }
  }

  it('file store atomicity: a writer killed with SIGKILL mid-write never leaves a corrupt or torn entry', async () => {
    const directory = join(root, 'killed-writer');
    await mkdir(directory, { recursive: true, mode: 0o700 });
    const store = createFileStore({ directory });
    await store.set(WRITER_KEY, versionTokens(0));
    let version = 0;
    let killedMidWrite = 0;
    /** Reads the entry with a new store: a whole value of a version in [min, max]. */
    const check = async (min: number, max = Number.POSITIVE_INFINITY) => {
      const tokens = await createFileStore({ directory }).get(WRITER_KEY);
      const match = /^v(\d+)\.(x*)$/.exec(tokens?.access_token ?? '');
      expect(match?.[2]?.length).toBe(PADDING);
      const read = Number(match?.[1]);
      expect(read).toBeGreaterThanOrEqual(min);
      expect(read).toBeLessThanOrEqual(max);
      expect(tokens?.refresh_token).toBe(`r${read}`);
      return read;
    };
    for (let round = 0; round < 10 && killedMidWrite < 2; round += 1) {
      const child = spawn(
        process.execPath,
        [...SOURCE_NODE_FLAGS, WRITER_CHILD, directory, String(version + 1)],
        {
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      let running = true;
      const exited = new Promise((resolve) => child.on('close', resolve)).finally(() => {
        running = false;
      });
      let reported = version;
      createInterface({ input: child.stdout }).on('line', (line) => {
        reported = Math.max(reported, Number(line));
      });
      try {
        // Readers while the child writes see whole values only, never older than the last reported.
        while (running && reported < version + 3) await check(reported);
        expect(running, 'the writer exited on its own').toBe(true);
        // Kill while a temporary file exists (a write under way) when one shows up soon.
        await untilTempFileExists(directory, 250);
      } finally {
        child.kill('SIGKILL');
        await exited;
      }
      const temps = (await readdir(directory)).filter((name) => name.endsWith('.tmp'));
      if (temps.length > 0) killedMidWrite += 1;
      // The last version reported, or the next one if it was renamed into place before it was reported.
      version = await check(reported, reported + 1);
      expect((await createFileStore({ directory }).list()).problems).toEqual([]);
    }
    // At least one kill landed between the temp file's creation and its rename.
    expect(killedMidWrite).toBeGreaterThanOrEqual(1);
    await store.set(WRITER_KEY, versionTokens(version + 1));
    await check(version + 1, version + 1);
  }, 60_000);
});
