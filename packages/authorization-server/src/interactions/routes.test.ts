import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccountService } from '../accounts/accounts.js';
import { type AuthorizationServer, createAuthorizationServer } from '../create-authorization-server.js';
import type { Storage } from '../storage/contract.js';
import { createMemoryStorage } from '../storage/memory.js';
import { StorageUnavailable } from '../storage/postgres-errors.js';
import { SqliteWriteError } from '../storage/sqlite-writer.js';
import { createInteractionRoutes } from './routes.js';
import { isLoopbackAddress } from './setup-routes.js';

let server: Server;
let base: string;
let as: AuthorizationServer;
let storage: Storage;

beforeAll(async () => {
  let routes: ReturnType<typeof createInteractionRoutes> | undefined;
  server = createServer(async (req, res) => {
    if (routes === undefined || !(await routes(req, res))) res.writeHead(404).end('not mine');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  storage = createMemoryStorage();
  as = await createAuthorizationServer({
    issuer: `${base}/oauth`,
    storage,
    resources: [{ resource: `${base}/mcp`, scopes: { read: 'Read' } }],
  });
  routes = createInteractionRoutes({
    provider: as.provider,
    accounts: as.accounts,
    storage,
    mountPath: '/oauth',
    resources: new Map([[`${base}/mcp`, { scopes: { read: 'Read' } }]]),
  });
});

afterAll(async () => {
  await as.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function expectPageHeaders(response: Response) {
  expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
  expect(response.headers.get('x-frame-options')).toBe('DENY');
  expect(response.headers.get('cache-control')).toBe('no-store');
  expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
}

const form = { 'content-type': 'application/x-www-form-urlencoded' };

describe('createInteractionRoutes', () => {
  it('validates its options when created', () => {
    const options = { provider: as.provider, accounts: as.accounts, storage, resources: new Map() };
    expect(() => createInteractionRoutes({ ...options, mountPath: 'oauth' })).toThrow(TypeError);
    expect(() => createInteractionRoutes({ ...options, mountPath: '/oauth/' })).toThrow(TypeError);
    expect(() => createInteractionRoutes({ ...options, mountPath: '' })).not.toThrow();
  });

  it('leaves paths that are not its own to the caller', async () => {
    for (const path of ['/oauth/auth', '/oauth/interactions', '/other/interaction/abc', '/oauth/setup/x']) {
      expect(await (await fetch(`${base}${path}`)).text()).toBe('not mine');
    }
  });

  it('answers unknown sub-paths with 404 and wrong methods with 405, with the page headers', async () => {
    const notFound = await fetch(`${base}/oauth/interaction/abc/unknown`);
    expect(notFound.status).toBe(404);
    expectPageHeaders(notFound);
    expect((await fetch(`${base}/oauth/interaction/a%3Cb`)).status).toBe(404);
    const post = await fetch(`${base}/oauth/interaction/abc`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    const get = await fetch(`${base}/oauth/interaction/abc/confirm`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
  });

  it('shows the expired page when there is no interaction cookie (GET and POST)', async () => {
    const shown = await fetch(`${base}/oauth/interaction/abc`);
    expect(shown.status).toBe(400);
    expectPageHeaders(shown);
    expect(await shown.text()).toContain('This sign-in has expired');
    const posted = await fetch(`${base}/oauth/interaction/abc/confirm`, {
      method: 'POST',
      headers: form,
      body: 'csrf=x',
    });
    expect(posted.status).toBe(400);
    expect(posted.headers.get('location')).toBeNull();
  });

  it('refuses oversized and non-form bodies before anything else', async () => {
    const big = await fetch(`${base}/oauth/interaction/abc/login`, {
      method: 'POST',
      headers: form,
      body: `csrf=${'x'.repeat(17 * 1024)}`,
    });
    expect(big.status).toBe(413);
    expectPageHeaders(big);
    const json = await fetch(`${base}/oauth/interaction/abc/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(json.status).toBe(415);
  });
});

describe('setup route', () => {
  it('needs a well-formed token and refuses other methods', async () => {
    expect((await fetch(`${base}/oauth/setup`)).status).toBe(400);
    const put = await fetch(`${base}/oauth/setup`, { method: 'PUT' });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, HEAD, POST');
  });

  it('refuses a token it did not issue, and keeps the form for a bad password', async () => {
    const token = 'A'.repeat(43);
    const shown = await fetch(`${base}/oauth/setup?token=${token}`);
    expect(shown.status).toBe(200);
    expectPageHeaders(shown);
    const short = await fetch(`${base}/oauth/setup`, {
      method: 'POST',
      headers: form,
      body: new URLSearchParams({ token, username: 'owner', password: 'short', confirm: 'short' }),
    });
    expect(short.status).toBe(400);
    expect(await short.text()).toContain('at least 12 characters');
    const forged = await fetch(`${base}/oauth/setup`, {
      method: 'POST',
      headers: form,
      body: new URLSearchParams({
        token,
        username: 'owner',
        password: 'long enough pass',
        confirm: 'long enough pass',
      }),
    });
    expect(forged.status).toBe(400);
    expect(await forged.text()).toContain('This setup link is not valid');
    expect(await as.accounts.count()).toBe(0);
  });
});

describe('when the storage is unavailable', () => {
  it.each([
    [
      'PostgreSQL unreachable',
      () => new StorageUnavailable('the PostgreSQL database is unavailable (ECONNREFUSED)'),
    ],
    ['SQLite locked', () => new SqliteWriteError('SQLITE_BUSY', 'database is locked')],
  ])('%s: answers 503 with Retry-After and a plain-words page, no detail', async (_case, failure) => {
    let down = true;
    const accounts = new Proxy(storage.accounts, {
      get(target, name) {
        if (name === 'count') return () => (down ? Promise.reject(failure()) : target.count());
        const value = Reflect.get(target, name, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const flaky: Storage = Object.create(storage, { accounts: { value: accounts } });
    const routes = createInteractionRoutes({
      provider: as.provider,
      accounts: createAccountService(flaky),
      storage: flaky,
      mountPath: '/flaky',
      resources: new Map(),
    });
    const flakyServer = createServer(async (req, res) => {
      if (!(await routes(req, res))) res.writeHead(404).end();
    });
    flakyServer.listen(0, '127.0.0.1');
    await once(flakyServer, 'listening');
    const url = `http://127.0.0.1:${(flakyServer.address() as AddressInfo).port}/flaky/setup?token=${'A'.repeat(43)}`;
    try {
      const unavailable = await fetch(url);
      expect(unavailable.status).toBe(503);
      expect(unavailable.headers.get('retry-after')).toBe('5');
      expectPageHeaders(unavailable);
      const page = await unavailable.text();
      expect(page).toContain('Temporarily unavailable');
      expect(page).toContain('cannot reach its database');
      expect(page).not.toMatch(/ECONNREFUSED|SQLITE_BUSY|locked/);
      down = false;
      expect((await fetch(url)).status).toBe(200);
    } finally {
      await new Promise<void>((resolve) => flakyServer.close(() => resolve()));
    }
  });
});

describe('isLoopbackAddress', () => {
  it('accepts 127.0.0.0/8, ::1 and IPv4-mapped loopback only', () => {
    for (const address of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1'])
      expect(isLoopbackAddress(address)).toBe(true);
    for (const address of [
      undefined,
      '',
      '10.0.0.1',
      '::ffff:10.0.0.1',
      '128.0.0.1',
      '::2',
      '0.0.0.0',
      '127.0.0.1.evil',
    ]) {
      expect(isLoopbackAddress(address)).toBe(false);
    }
  });
});
