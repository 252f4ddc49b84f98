/**
 * End to end: the device authorization grant (RFC 8628) of `@gatehouse/authorization-server` over
 * real HTTP on 127.0.0.1 (port 0), memory storage. The device side is plain HTTP requests; the
 * user's side goes through the real pages (entry, confirmation, sign-in, consent, success), with
 * a cookie-keeping form client (device-flow-helpers.ts).
 *
 * Test names cite the section they cover.
 */
import { createMemoryStorage, type Storage } from '@gatehouse/authorization-server';
import { createJwtVerifier } from '@gatehouse/resource-server';
import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postForm, postJson } from './authorization-server-helpers.js';
import {
  alertText,
  type DeviceTestServer,
  FormBrowser,
  formWithButton,
  heading,
  type Page,
  startDeviceTestServer,
} from './device-flow-helpers.js';

const RESOURCE = 'http://127.0.0.1:9001/mcp';
const OTHER_RESOURCE = 'http://127.0.0.1:9002/mcp';
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const USERNAME = 'alice';
const PASSWORD = 'correct horse battery staple';
const USER_CODE = /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/;

let as: DeviceTestServer;
let storage: Storage;
let clientId: string;

beforeAll(async () => {
  storage = createMemoryStorage();
  as = await startDeviceTestServer({
    storage,
    resources: [
      { resource: RESOURCE, scopes: { 'mcp:tools': 'Use the tools' }, name: 'Tools' },
      { resource: OTHER_RESOURCE, scopes: { 'b:read': 'Read B' } },
    ],
    registrationRateLimit: false,
  });
  await as.server.accounts.create(USERNAME, PASSWORD);
  clientId = await registerDeviceClient();
});

afterAll(async () => {
  await as?.close();
});

/** A public client that may use the device grant and refresh tokens (a CLI in an SSH session). */
async function registerDeviceClient(extra: Record<string, unknown> = {}): Promise<string> {
  const { status, body } = await postJson(`${as.issuer}/reg`, {
    application_type: 'native',
    grant_types: [DEVICE_GRANT, 'refresh_token'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'none',
    client_name: 'Terminal CLI',
    ...extra,
  });
  expect(status, JSON.stringify(body)).toBe(201);
  return String(body.client_id);
}

interface DeviceAuthorization {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete: string;
  expires_in: number;
  interval: number;
}

async function startDevice(
  form: Record<string, string> = {},
  client = clientId,
): Promise<DeviceAuthorization> {
  const { status, body, headers } = await postForm(`${as.issuer}/device/auth`, {
    client_id: client,
    scope: 'mcp:tools offline_access',
    resource: RESOURCE,
    ...form,
  });
  expect(status, JSON.stringify(body)).toBe(200);
  expect(headers.get('cache-control')).toBe('no-store');
  return body as unknown as DeviceAuthorization;
}

function poll(deviceCode: string, client = clientId) {
  return postForm(`${as.issuer}/token`, {
    grant_type: DEVICE_GRANT,
    device_code: deviceCode,
    client_id: client,
  });
}

/** The user opens the verification URI, types the code, and confirms it on the next page. */
async function enterCode(browser: FormBrowser, device: DeviceAuthorization, typed = device.user_code) {
  const entry = await browser.get(device.verification_uri);
  expect(entry.status).toBe(200);
  expect(heading(entry)).toBe('Connect a device');
  const confirm = await browser.submit(formWithButton(entry, 'Continue'), { user_code: typed });
  expect(heading(confirm), alertText(confirm)).toBe('Connect this device?');
  return confirm;
}

/** Continue → sign-in → consent: returns the consent page. */
async function signInToConsent(browser: FormBrowser, confirm: Page): Promise<Page> {
  const signIn = await browser.submit(formWithButton(confirm, 'Continue'));
  expect(signIn.url).toMatch(/\/oauth\/interaction\/[\w-]+$/);
  expect(heading(signIn)).toBe('Sign in');
  const consent = await browser.submit(formWithButton(signIn, 'Sign in'), {
    username: USERNAME,
    password: PASSWORD,
  });
  expect(heading(consent)).toBe('Allow access?');
  return consent;
}

async function approve(device: DeviceAuthorization): Promise<Page> {
  const browser = new FormBrowser(as.origin);
  const consent = await signInToConsent(browser, await enterCode(browser, device));
  return browser.submit(formWithButton(consent, 'Approve'));
}

function verifier(audience: string) {
  return createJwtVerifier({
    issuer: as.issuer,
    audience,
    jwksUri: `${as.issuer}/jwks`,
    jwksPolicy: { allowLoopback: true },
    acceptGenericJwt: false,
    cache: false,
  });
}

function expectStrictPage(page: Page) {
  const csp = page.headers.get('content-security-policy') ?? '';
  expect(csp).toContain("default-src 'none'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).not.toContain('script-src');
  expect(page.headers.get('x-frame-options')).toBe('DENY');
  expect(page.headers.get('cache-control')).toBe('no-store');
  expect(page.html).not.toMatch(/<script|\son[a-z]+=/i);
}

describe('metadata and registration (RFC 8628 §4, RFC 8414)', () => {
  it('advertises the device authorization endpoint and the device code grant type', async () => {
    const response = await fetch(`${as.origin}/.well-known/oauth-authorization-server/oauth`);
    const metadata = (await response.json()) as Record<string, unknown>;
    expect(metadata.device_authorization_endpoint).toBe(`${as.issuer}/device/auth`);
    expect(metadata.grant_types_supported).toContain(DEVICE_GRANT);
  });

  it('a client not registered with the device code grant may not start it', async () => {
    const { status, body } = await postJson(`${as.issuer}/reg`, {
      application_type: 'native',
      redirect_uris: ['http://127.0.0.1:8765/callback'],
      token_endpoint_auth_method: 'none',
    });
    expect(status).toBe(201);
    const other = String(body.client_id);
    const refused = await postForm(`${as.issuer}/device/auth`, { client_id: other, resource: RESOURCE });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe('invalid_request');
    expect(String(refused.body.error_description)).toContain(DEVICE_GRANT);
  });
});

describe('device authorization request (RFC 8628 §3.1, §3.2)', () => {
  it('answers a device code, an easy-to-type user code, the verification URIs, a 10-minute lifetime and a 5-second interval', async () => {
    const device = await startDevice();
    expect(device.device_code).toMatch(/^[\w-]{20,}$/);
    expect(device.user_code).toMatch(USER_CODE);
    expect(device.verification_uri).toBe(`${as.issuer}/device`);
    expect(new URL(device.verification_uri_complete).searchParams.get('user_code')).toBe(device.user_code);
    expect(device.expires_in).toBe(600);
    expect(device.interval).toBe(5);
  });

  it('an unknown resource is refused with invalid_target', async () => {
    const { status, body } = await postForm(`${as.issuer}/device/auth`, {
      client_id: clientId,
      resource: 'http://127.0.0.1:9999/unknown',
    });
    expect(status).toBe(400);
    expect(body.error).toBe('invalid_target');
  });
});

describe('polling the token endpoint (RFC 8628 §3.4, §3.5)', () => {
  it('answers authorization_pending before approval, and slow_down to a device polling faster than the interval', async () => {
    const device = await startDevice();
    const first = await poll(device.device_code);
    expect(first.status).toBe(400);
    expect(first.body.error).toBe('authorization_pending');
    // At once again: well inside the 5-second interval.
    const second = await poll(device.device_code);
    expect(second.status).toBe(400);
    expect(second.body.error).toBe('slow_down');
    expect(String(second.body.error_description)).toContain('10 seconds');
    const third = await poll(device.device_code);
    expect(third.body.error).toBe('slow_down');
    expect(String(third.body.error_description)).toContain('15 seconds');
  });

  it('approved: the device gets a JWT access token for the resource (verified by the resource server) and a refresh token', async () => {
    const device = await startDevice();
    expect((await poll(device.device_code)).body.error).toBe('authorization_pending');

    const success = await approve(device);
    expect(success.status).toBe(200);
    expect(heading(success)).toBe('Device connected');
    expect(success.html).toContain('<strong>Terminal CLI</strong>');
    expectStrictPage(success);

    // Right after the previous poll: an approved code is answered at once, never slow_down.
    const token = await poll(device.device_code);
    expect(token.status, JSON.stringify(token.body)).toBe(200);
    expect(token.body.token_type).toBe('Bearer');
    // The access token's scope: the resource's scopes (offline_access is the refresh token's business).
    expect(String(token.body.scope).split(' ')).toEqual(['mcp:tools']);
    expect(token.body.refresh_token).toBeTypeOf('string');
    const accessToken = String(token.body.access_token);
    expect(decodeProtectedHeader(accessToken)).toMatchObject({ typ: 'at+jwt', alg: 'ES256' });
    const info = await verifier(RESOURCE).verify(accessToken);
    expect(info.scopes).toContain('mcp:tools');
    expect(info.clientId).toBe(clientId);
    await expect(verifier(OTHER_RESOURCE).verify(accessToken)).rejects.toThrow();

    const refresh = () =>
      postForm(`${as.issuer}/token`, {
        grant_type: 'refresh_token',
        refresh_token: String(token.body.refresh_token),
        client_id: clientId,
      });
    const refreshed = await refresh();
    expect(refreshed.status, JSON.stringify(refreshed.body)).toBe(200);
    await verifier(RESOURCE).verify(String(refreshed.body.access_token));
  });

  it('a device code is redeemed once; presenting it again revokes what it issued (RFC 9700 §4.5 by analogy)', async () => {
    const device = await startDevice();
    await approve(device);
    const token = await poll(device.device_code);
    expect(token.status).toBe(200);
    const again = await poll(device.device_code);
    expect(again.status).toBe(400);
    expect(again.body.error).toBe('invalid_grant');
    const refreshed = await postForm(`${as.issuer}/token`, {
      grant_type: 'refresh_token',
      refresh_token: String(token.body.refresh_token),
      client_id: clientId,
    });
    expect(refreshed.status).toBe(400);
    expect(refreshed.body.error).toBe('invalid_grant');
  });

  it('denied on the confirmation page (Cancel): the device gets access_denied', async () => {
    const device = await startDevice();
    const browser = new FormBrowser(as.origin);
    const confirm = await enterCode(browser, device);
    const cancelled = await browser.submit(formWithButton(confirm, 'Cancel'));
    expect(cancelled.status).toBe(200);
    expect(heading(cancelled)).toBe('Device not connected');
    expectStrictPage(cancelled);
    const { status, body } = await poll(device.device_code);
    expect(status).toBe(400);
    expect(body.error).toBe('access_denied');
  });

  it('denied on the consent page (Deny): the device gets access_denied', async () => {
    const device = await startDevice();
    const browser = new FormBrowser(as.origin);
    const consent = await signInToConsent(browser, await enterCode(browser, device));
    const denied = await browser.submit(formWithButton(consent, 'Deny'));
    expect(heading(denied)).toBe('Device not connected');
    const { status, body } = await poll(device.device_code);
    expect(status).toBe(400);
    expect(body.error).toBe('access_denied');
  });

  it('expired: the device gets expired_token, and the page says the code expired', async () => {
    const device = await startDevice();
    // Age the stored device code past its expiry (the provider reads `exp` from the payload).
    const model = storage.model('DeviceCode');
    const stored = await model.find(device.device_code);
    expect(stored).toBeDefined();
    await model.upsert(device.device_code, { ...stored, exp: Math.floor(Date.now() / 1000) - 1 }, 600);

    const { status, body } = await poll(device.device_code);
    expect(status).toBe(400);
    expect(body.error).toBe('expired_token');

    const browser = new FormBrowser(as.origin);
    const entry = await browser.get(device.verification_uri);
    const refused = await browser.submit(formWithButton(entry, 'Continue'), { user_code: device.user_code });
    expect(refused.status).toBe(400);
    expect(alertText(refused)).toBe('That code has expired. Start again on your device to get a new code.');
  });

  it('a device code of another client is refused (invalid_grant), and unknown codes too', async () => {
    const device = await startDevice();
    const other = await registerDeviceClient({ client_name: 'Other CLI' });
    expect((await poll(device.device_code, other)).body.error).toBe('invalid_grant');
    expect((await poll('not-a-device-code')).body.error).toBe('invalid_grant');
  });
});

describe('verification pages (RFC 8628 §3.3, §5.4)', () => {
  it('the entry and confirmation pages are ours: strict CSP, no script, the code and the client shown', async () => {
    const device = await startDevice();
    const browser = new FormBrowser(as.origin);
    const entry = await browser.get(device.verification_uri);
    expectStrictPage(entry);
    expect(entry.html).toContain('<label for="user-code">Code</label>');
    // Lower case and no dash are accepted: the provider normalises the input.
    const typed = device.user_code.replace('-', '').toLowerCase();
    const confirm = await browser.submit(formWithButton(entry, 'Continue'), { user_code: typed });
    expect(heading(confirm)).toBe('Connect this device?');
    expectStrictPage(confirm);
    expect(confirm.html).toContain(`<p class="user-code">${device.user_code}</p>`);
    expect(confirm.html).toContain('<strong>Terminal CLI</strong>');
    expect(confirm.html).toContain(clientId);
  });

  it('a wrong code gets a plain-words error on the page (400, not 500) and the form again', async () => {
    const browser = new FormBrowser(as.origin);
    const entry = await browser.get(`${as.issuer}/device`);
    const wrong = await browser.submit(formWithButton(entry, 'Continue'), { user_code: 'BCDF-GHJK' });
    expect(wrong.status).toBe(400);
    expect(alertText(wrong)).toBe(
      'That code was not recognised. Check it against the code shown on your device and try again.',
    );
    expect(wrong.html).toContain('value="BCDF-GHJK"');
    expectStrictPage(wrong);

    const hostile = await browser.submit(formWithButton(wrong, 'Continue'), {
      user_code: '"><script>alert(1)</script>',
    });
    expect(hostile.status).toBe(400);
    expect(hostile.html).not.toContain('<script>');

    const empty = await browser.submit(formWithButton(hostile, 'Continue'), { user_code: '' });
    expect(empty.status).toBe(400);
    expect(alertText(empty)).toBe('Enter the code shown on your device.');
  });

  it('a form with a wrong anti-forgery token is refused with a plain-words error', async () => {
    const device = await startDevice();
    const browser = new FormBrowser(as.origin);
    const entry = await browser.get(device.verification_uri);
    const forged = await browser.submit(formWithButton(entry, 'Continue'), {
      user_code: device.user_code,
      xsrf: 'forged',
    });
    expect(forged.status).toBe(400);
    expect(alertText(forged)).toBe('This form has expired. Enter the code again.');
  });

  it('a form without its browser session (cookies blocked or lost), or a made-up resume URL, gets a 400 page, not a 500', async () => {
    const noCookies = await fetch(`${as.issuer}/device`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ xsrf: 'x', user_code: 'BCDF-GHJK' }),
    });
    expect(noCookies.status).toBe(400);
    expect(noCookies.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(await noCookies.text()).toContain('<h1>This page has expired</h1>');

    const resume = await new FormBrowser(as.origin).get(`${as.issuer}/device/not-an-interaction`);
    expect(resume.status).toBeGreaterThanOrEqual(400);
    expect(resume.status).toBeLessThan(500);
    expect(resume.headers.get('content-type')).toMatch(/^text\/html/);
  });

  it('an already used code says so', async () => {
    const device = await startDevice();
    await approve(device);
    const browser = new FormBrowser(as.origin);
    const entry = await browser.get(device.verification_uri);
    const used = await browser.submit(formWithButton(entry, 'Continue'), { user_code: device.user_code });
    expect(used.status).toBe(400);
    expect(alertText(used)).toBe(
      'That code has already been used. Start again on your device to get a new code.',
    );
  });

  it('verification_uri_complete opens the entry page with the code filled in (no self-submitting script)', async () => {
    const device = await startDevice();
    const browser = new FormBrowser(as.origin);
    const entry = await browser.get(device.verification_uri_complete);
    expect(entry.status).toBe(200);
    expect(heading(entry)).toBe('Connect a device');
    expectStrictPage(entry);
    expect(entry.html).toContain(`value="${device.user_code}"`);
    expect(entry.html).toContain('Check that this code is the one shown on your device');
    const confirm = await browser.submit(formWithButton(entry, 'Continue'), { user_code: device.user_code });
    expect(heading(confirm)).toBe('Connect this device?');
  });
});

describe('user code guessing (RFC 8628 §5.1)', () => {
  it('POSTs to the verification URI are limited per address: 429 with Retry-After and a page, never a 500', async () => {
    const fresh = await startDeviceTestServer({
      storage: createMemoryStorage(),
      resources: [{ resource: RESOURCE, scopes: { 'mcp:tools': 'Use the tools' } }],
    });
    try {
      const statuses: number[] = [];
      let last: Response | undefined;
      for (let i = 0; i < 31; i++) {
        last = await fetch(`${fresh.issuer}/device`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ xsrf: 'x', user_code: `BCDF-GH${i}` }),
        });
        statuses.push(last.status);
        if (i < 30) await last.arrayBuffer();
      }
      expect(statuses.slice(0, 30).every((status) => status === 400)).toBe(true);
      expect(last?.status).toBe(429);
      expect(Number(last?.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(last?.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(await last?.text()).toContain('<h1>Too many attempts</h1>');
    } finally {
      await fresh.close();
    }
  });
});
