/**
 * End to end, over real HTTP on 127.0.0.1: `authFetch` with the device authorization grant (RFC
 * 8628) against the real gateway (`gatehouse serve --demo` in process). The user's side goes
 * through the real verification, sign-in and consent pages (FormBrowser, test/e2e).
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson } from '../../../../test/e2e/authorization-server-helpers.js';
import { FormBrowser, formWithButton, heading } from '../../../../test/e2e/device-flow-helpers.js';
import { type DemoGateway, startDemoGatewayWithAccount } from '../../../../test/support/demo-gateway.js';
import { createDemoUser, printedAuthorizationUrl } from '../../../../test/support/demo-sign-in.js';
import type { RunningGateway } from '../../../gatehouse/src/gateway/start-gateway.js';
import { DEVICE_CODE_GRANT_TYPE } from '../authorize/device-authorization.js';
import { createMemoryStore } from '../store/memory-store.js';
import type { TokenStore } from '../store/types.js';
import { type AuthFetchOptions, authFetch } from './auth-fetch.js';

const USERNAME = 'devon';
const PASSWORD = 'a long enough password';
let demo: DemoGateway | undefined;
let gateway: RunningGateway;

/** The user codes shown, one per device authorization. */
const shown: string[] = [];
const approvals: Promise<void>[] = [];

/** The user: opens the verification URL on "another device", types the code, signs in, approves. */
async function approveOnAnotherDevice(authorization: { verificationUri: string; userCode: string }) {
  const browser = new FormBrowser(new URL(gateway.issuer).origin);
  const entry = await browser.get(authorization.verificationUri);
  const confirm = await browser.submit(formWithButton(entry, 'Continue'), {
    user_code: authorization.userCode,
  });
  expect(heading(confirm)).toBe('Connect this device?');
  const signIn = await browser.submit(formWithButton(confirm, 'Continue'));
  const consent = await browser.submit(formWithButton(signIn, 'Sign in'), {
    username: USERNAME,
    password: PASSWORD,
  });
  expect(heading(consent)).toBe('Allow access?');
  const done = await browser.submit(formWithButton(consent, 'Approve'));
  expect(done.status).toBe(200);
}

/** Options of a client on a machine without a browser: an SSH session, no display. */
function headlessOptions(store: TokenStore, extra: Partial<AuthFetchOptions> = {}): AuthFetchOptions {
  return {
    serverUrl: gateway.mcpUrl,
    store,
    policy: { allowLoopback: true },
    clientName: 'authFetch device e2e',
    authorization: {
      env: { SSH_CONNECTION: '203.0.113.9 52144 10.0.0.5 22' },
      platform: 'linux',
      stderr: { write: () => true },
      onDeviceAuthorization: (authorization) => {
        shown.push(authorization.userCode);
        approvals.push(approveOnAnotherDevice(authorization));
      },
      // Polls without the real 5 s wait (the server answers slow_down meanwhile; the client copes).
      sleep: () => new Promise((resolve) => setTimeout(resolve, 150)),
    },
    ...extra,
  };
}

async function connect(fetchFn: ReturnType<typeof authFetch>): Promise<Client> {
  const client = new Client({ name: 'auth-fetch-device-e2e', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(gateway.mcpUrl), { fetch: fetchFn }));
  return client;
}

async function whoami(client: Client): Promise<{ scopes: string[] }> {
  return (await client.callTool({ name: 'whoami', arguments: {} })).structuredContent as { scopes: string[] };
}

beforeAll(async () => {
  demo = await startDemoGatewayWithAccount({ username: USERNAME, password: PASSWORD });
  gateway = demo.gateway;
}, 60_000);

afterAll(async () => {
  await Promise.allSettled(approvals);
  await demo?.close();
});

describe('authFetch with the device authorization grant', () => {
  it("flow 'auto' in an SSH session: registers with the device grant and authorizes through the device pages", async () => {
    const store = createMemoryStore();
    const before = shown.length;
    const client = await connect(authFetch(headlessOptions(store)));
    expect((await whoami(client)).scopes).toContain('mcp:read');
    await client.close();
    await Promise.all(approvals);
    expect(shown.length - before).toBe(1);
    const [entry] = (await store.list()).entries;
    const registration = await store.getClient(entry?.key.issuer ?? '');
    expect(registration?.grantTypes).toContain(DEVICE_CODE_GRANT_TYPE);
    expect(
      (await store.get(entry?.key ?? { issuer: '', resource: '', clientId: '' }))?.refresh_token,
    ).toEqual(expect.any(String));
  });

  it('steps up on 403 insufficient_scope through a second device authorization with the union of scopes', async () => {
    const before = shown.length;
    const client = await connect(authFetch(headlessOptions(createMemoryStore(), { scope: 'mcp:read' })));
    expect((await whoami(client)).scopes).not.toContain('mcp:write');
    const note = await client.callTool({ name: 'add_note', arguments: { note: 'from a device' } });
    expect(note.isError).toBeFalsy();
    expect((await whoami(client)).scopes).toEqual(expect.arrayContaining(['mcp:read', 'mcp:write']));
    await client.close();
    await Promise.all(approvals);
    expect(shown.length - before).toBe(2);
  });

  it('replaces (once) a cached registration that lacks the device grant', async () => {
    const store = createMemoryStore();
    // A registration made before: authorization code only, as older clients registered.
    const { status, body } = await postJson(`${gateway.issuer}/reg`, {
      application_type: 'native',
      client_name: 'older registration',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: ['http://127.0.0.1/callback'],
      token_endpoint_auth_method: 'none',
    });
    expect(status, JSON.stringify(body)).toBe(201);
    await store.setClient(gateway.issuer, {
      issuer: gateway.issuer,
      method: 'dynamic',
      clientId: String(body.client_id),
      tokenEndpointAuthMethod: 'none',
      redirectUris: ['http://127.0.0.1/callback'],
    });
    const before = shown.length;
    const client = await connect(authFetch(headlessOptions(store)));
    await whoami(client);
    await client.close();
    await Promise.all(approvals);
    expect(shown.length - before).toBe(1);
    const replaced = await store.getClient(gateway.issuer);
    expect(replaced?.clientId).not.toBe(body.client_id);
    expect(replaced?.grantTypes).toContain(DEVICE_CODE_GRANT_TYPE);
    const [entry] = (await store.list()).entries;
    expect(entry?.key.clientId).toBe(replaced?.clientId);
  });

  it("flow 'auto': a pre-registered client the server refuses the device grant (unauthorized_client) signs in through the printed URL", async () => {
    const { status, body } = await postJson(`${gateway.issuer}/reg`, {
      application_type: 'native',
      client_name: 'pre-registered without the device grant',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: ['http://127.0.0.1/callback'],
      token_endpoint_auth_method: 'none',
    });
    expect(status, JSON.stringify(body)).toBe(201);
    const user = createDemoUser({ issuer: gateway.issuer, username: USERNAME, password: PASSWORD });
    const signIns: Promise<void>[] = [];
    const printed: string[] = [];
    const before = shown.length;
    const options = headlessOptions(createMemoryStore(), {
      preRegistered: { clientId: String(body.client_id) },
    });
    const client = await connect(
      authFetch({
        ...options,
        authorization: {
          ...options.authorization,
          stderr: {
            write: (text: string) => {
              printed.push(text);
              const url = printedAuthorizationUrl(text);
              if (url !== undefined) signIns.push(user.authorize(url));
            },
          },
        },
      }),
    );
    expect((await whoami(client)).scopes).toContain('mcp:read');
    await client.close();
    await Promise.all(signIns);
    expect(shown.length).toBe(before); // no code was shown
    expect(user.authorizations).toHaveLength(1);
    expect(printed.join('')).toMatch(/Waiting for the authorization/); // headless: no browser started
  });

  it("refuses a misspelt 'flow' or a non-boolean 'interactive' with a TypeError", () => {
    const store = createMemoryStore();
    expect(() => authFetch(headlessOptions(store, { flow: 'devices' as never }))).toThrow(TypeError);
    expect(() => authFetch(headlessOptions(store, { interactive: 'no' as never }))).toThrow(TypeError);
  });

  it("flow 'auto' with a display, or the caller's hook: the browser flow; flow 'device' forces the device grant", async () => {
    const urls: URL[] = [];
    const hooked = authFetch(
      headlessOptions(createMemoryStore(), {
        authorization: {
          ...headlessOptions(createMemoryStore()).authorization,
          onAuthorizationUrl: (url) => {
            urls.push(url);
            throw new Error('test: stop at the authorization URL');
          },
        },
      }),
    );
    await expect(hooked(gateway.mcpUrl, { method: 'POST', body: '{}' })).rejects.toThrow(
      'test: stop at the authorization URL',
    );
    expect(urls).toHaveLength(1);

    const before = shown.length;
    const forced = await connect(
      authFetch({
        ...headlessOptions(createMemoryStore()),
        flow: 'device',
        authorization: {
          ...headlessOptions(createMemoryStore()).authorization,
          env: { DISPLAY: ':0' },
        },
      }),
    );
    await whoami(forced);
    await forced.close();
    await Promise.all(approvals);
    expect(shown.length - before).toBe(1);
  });
});
