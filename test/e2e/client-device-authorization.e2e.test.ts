/**
 * End to end: `@gatehouse/client`'s device authorization grant (RFC 8628) against the embedded
 * authorization server over real HTTP on 127.0.0.1. The client side is `authorizeWithDevice`; the
 * user's side goes through the real verification, sign-in and consent pages (FormBrowser).
 */
import { createMemoryStorage } from '@gatehouse/authorization-server';
import {
  AuthorizationDenied,
  AuthorizationTimeout,
  authorizeWithDevice,
  type ClientRegistration,
  type Discovery,
  offersDeviceAuthorization,
  processDeviceAuthorizationResponse,
} from '@gatehouse/client';
import { validateAuthorizationServerMetadata } from '@gatehouse/core';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson } from './authorization-server-helpers.js';
import {
  type DeviceTestServer,
  FormBrowser,
  formWithButton,
  heading,
  startDeviceTestServer,
} from './device-flow-helpers.js';

const RESOURCE = 'http://127.0.0.1:9011/mcp';
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const USERNAME = 'dana';
const PASSWORD = 'a device flow passphrase';

let as: DeviceTestServer;
let discovery: Discovery;
let registration: ClientRegistration;

beforeAll(async () => {
  as = await startDeviceTestServer({
    storage: createMemoryStorage(),
    resources: [{ resource: RESOURCE, scopes: { 'mcp:tools': 'Use the tools' } }],
    registrationRateLimit: false,
  });
  await as.server.accounts.create(USERNAME, PASSWORD);
  const metadataUrl = `${as.origin}/.well-known/oauth-authorization-server/oauth`;
  const metadata = validateAuthorizationServerMetadata(await (await fetch(metadataUrl)).json(), {
    expectedIssuer: as.issuer,
  });
  discovery = {
    resource: RESOURCE,
    authorizationServer: { issuer: as.issuer, metadata, legacy: false, url: metadataUrl },
  };
  const { status, body } = await postJson(`${as.issuer}/reg`, {
    application_type: 'native',
    grant_types: [DEVICE_GRANT, 'refresh_token'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'none',
    client_name: 'Device CLI',
  });
  expect(status, JSON.stringify(body)).toBe(201);
  registration = {
    issuer: as.issuer,
    method: 'dynamic',
    clientId: String(body.client_id),
    tokenEndpointAuthMethod: 'none',
    redirectUris: [],
  };
});

afterAll(async () => {
  await as?.close();
});

/** The user's side: open the verification URL, type the code, sign in, and decide. */
async function userDecides(
  shown: { verificationUri: string; userCode: string },
  decision: 'Approve' | 'Deny',
) {
  const browser = new FormBrowser(as.origin);
  const entry = await browser.get(shown.verificationUri);
  const confirm = await browser.submit(formWithButton(entry, 'Continue'), { user_code: shown.userCode });
  expect(heading(confirm)).toBe('Connect this device?');
  const signIn = await browser.submit(formWithButton(confirm, 'Continue'));
  const consent = await browser.submit(formWithButton(signIn, 'Sign in'), {
    username: USERNAME,
    password: PASSWORD,
  });
  expect(heading(consent)).toBe('Allow access?');
  await browser.submit(formWithButton(consent, decision));
}

/** Polls without waiting the real interval, and counts the polls. */
function fastSleep() {
  const waits: number[] = [];
  return {
    waits,
    sleep: async (milliseconds: number) => {
      waits.push(milliseconds);
      await new Promise((resolve) => setTimeout(resolve, 20));
    },
  };
}

describe('the device authorization grant (RFC 8628) in @gatehouse/client', () => {
  it('the metadata offers it', () => {
    expect(offersDeviceAuthorization(discovery.authorizationServer.metadata)).toBe(true);
    expect(
      offersDeviceAuthorization({
        ...discovery.authorizationServer.metadata,
        device_authorization_endpoint: undefined,
      }),
    ).toBe(false);
  });

  it('§3.1-3.5: shows the code, polls while pending, and gets tokens for the resource once the user approves', async () => {
    const { waits, sleep } = fastSleep();
    let shown: { userCode: string; verificationUri: string; verificationUriComplete?: string } | undefined;
    let approval: Promise<void> | undefined;
    const result = await authorizeWithDevice({
      discovery,
      registration,
      policy: { allowLoopback: true },
      scope: ['mcp:tools'],
      sleep,
      onDeviceAuthorization: (authorization) => {
        shown = authorization;
        expect(authorization).not.toHaveProperty('deviceCode');
        // The user approves a little later, while the client polls.
        approval = new Promise((resolve) => setTimeout(resolve, 100)).then(() =>
          userDecides(authorization, 'Approve'),
        );
      },
    });
    await approval;
    expect(shown?.userCode).toMatch(/^[A-Z]{4}-[A-Z]{4}$/);
    expect(shown?.verificationUri).toBe(`${as.issuer}/device`);
    expect(waits.length).toBeGreaterThanOrEqual(2); // at least one authorization_pending
    expect(waits.every((ms) => ms >= 5000)).toBe(true); // the server's interval, honoured
    const claims = decodeJwt(result.tokens.access_token);
    expect(claims.aud).toBe(RESOURCE);
    expect(String(claims.scope).split(' ')).toContain('mcp:tools');
    expect(result.tokens.refresh_token).toEqual(expect.any(String));
  });

  it('§3.5 access_denied: the user denies → AuthorizationDenied', async () => {
    const { sleep } = fastSleep();
    let decision: Promise<void> | undefined;
    const outcome = authorizeWithDevice({
      discovery,
      registration,
      policy: { allowLoopback: true },
      scope: ['mcp:tools'],
      sleep,
      onDeviceAuthorization: (authorization) => {
        decision = userDecides(authorization, 'Deny');
      },
    });
    await expect(outcome).rejects.toBeInstanceOf(AuthorizationDenied);
    await decision;
  });

  it('prints the code and URL to stderr when no hook is given, never the device code', async () => {
    const controller = new AbortController();
    const written: string[] = [];
    const outcome = authorizeWithDevice({
      discovery,
      registration,
      policy: { allowLoopback: true },
      signal: controller.signal,
      stderr: { write: (text: string) => written.push(text) },
      sleep: async () => {
        controller.abort(new Error('test: stop polling'));
        throw controller.signal.reason;
      },
    });
    await expect(outcome).rejects.toThrow('test: stop polling');
    const text = written.join('');
    expect(text).toMatch(/open this URL on any device:\s+http:\/\/127\.0\.0\.1:\d+\/oauth\/device\n/);
    expect(text).toMatch(/enter the code {2}[A-Z]{4}-[A-Z]{4} {2}\(valid for \d+ minutes?\)/);
    expect(text).not.toMatch(/device_code/);
  });

  it('§3.2 expires_in: gives up with AuthorizationTimeout when the code expires before approval', async () => {
    const outcome = authorizeWithDevice({
      discovery,
      registration,
      onDeviceAuthorization: () => {},
      fetch: async (url, init) => {
        const response = await globalThis.fetch(url, init);
        if (!url.endsWith('/device/auth')) return response;
        const body = (await response.json()) as Record<string, unknown>;
        return Response.json({ ...body, expires_in: 6, interval: 5 }, { status: response.status });
      },
      sleep: async () => {},
    });
    await expect(outcome).rejects.toBeInstanceOf(AuthorizationTimeout);
    await expect(outcome).rejects.toThrow(/device code expired after 6 s/);
  });

  it('§3.5 slow_down: adds 5 seconds to the interval for every later poll', async () => {
    const { waits, sleep } = fastSleep();
    const answers = ['slow_down', 'authorization_pending', 'access_denied'];
    const outcome = authorizeWithDevice({
      discovery,
      registration,
      onDeviceAuthorization: () => {},
      sleep,
      fetch: async (url, init) => {
        if (!url.endsWith('/token')) return globalThis.fetch(url, init);
        return Response.json({ error: answers.shift() }, { status: 400 });
      },
    });
    await expect(outcome).rejects.toBeInstanceOf(AuthorizationDenied);
    expect(waits).toEqual([5000, 10_000, 10_000]);
  });

  it('§3.2: rejects a malformed device authorization response with the field named', async () => {
    const bad = async (body: Record<string, unknown>) =>
      processDeviceAuthorizationResponse(Response.json(body, { status: 200 }));
    const good = {
      device_code: 'd',
      user_code: 'ABCD-EFGH',
      verification_uri: 'https://as.example/device',
      expires_in: 600,
    };
    await expect(bad(good)).resolves.toMatchObject({ interval: 5, verificationUriComplete: undefined });
    await expect(bad({ ...good, user_code: '' })).rejects.toThrow(/"user_code"/);
    await expect(bad({ ...good, verification_uri: 'http://as.example/device' })).rejects.toThrow(
      /"verification_uri"/,
    );
    await expect(
      bad({ ...good, verification_uri_complete: 'https://evil.example/device?user_code=ABCD-EFGH' }),
    ).rejects.toThrow(/"verification_uri_complete"/);
    await expect(bad({ ...good, expires_in: 0 })).rejects.toThrow(/"expires_in"/);
    await expect(bad({ ...good, interval: -1 })).rejects.toThrow(/"interval"/);
  });
});
