/**
 * The device authorization grant (RFC 8628) in a real browser (Debian's Chromium, headless): a
 * device with no browser (an SSH session, a container) asks for a code and polls; the user opens
 * the verification URI, mistypes the code, types it again, signs in, approves, and sees the
 * success page; the device's polling loop then gets a JWT the resource server accepts.
 *
 * Screenshots of the device pages go to docs/screenshots/ when UPDATE_SCREENSHOTS=1.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createJwtVerifier } from '@gatehouse/resource-server';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type TestBrowser } from '../support/browser.js';
import { close, SCREENSHOT_DIR, SCREENSHOTS, startAuthorizationServer } from './harness.js';

const USERNAME = 'alice';
const PASSWORD = 'correct horse battery staple';
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

interface DeviceAuthorization {
  device_code: string;
  user_code: string;
  verification_uri: string;
  expires_in: number;
  interval: number;
}

describe('device authorization grant in Chromium', () => {
  let browser: TestBrowser;
  let page: Page;
  let env: Awaited<ReturnType<typeof startAuthorizationServer>>;

  beforeAll(async () => {
    browser = await launchBrowser();
    page = await browser.context.newPage();
    env = await startAuthorizationServer();
    await env.as.accounts.create(USERNAME, PASSWORD);
    if (SCREENSHOTS) await mkdir(SCREENSHOT_DIR, { recursive: true });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await env?.as.close();
    if (env) await close(env.server);
  });

  async function screenshot(name: string) {
    if (SCREENSHOTS) await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
  }

  async function registerDeviceClient(): Promise<string> {
    const response = await fetch(env.metadata.registration_endpoint as string, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_name: 'Notes CLI',
        application_type: 'native',
        grant_types: [DEVICE_GRANT, 'refresh_token'],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'none',
      }),
    });
    expect(response.status).toBe(201);
    return ((await response.json()) as { client_id: string }).client_id;
  }

  /**
   * The device's side, as RFC 8628 §3.4–3.5 tells a client to poll: wait `interval` seconds
   * between requests, add 5 on `slow_down`, stop on anything but `authorization_pending`.
   */
  async function pollForTokens(clientId: string, device: DeviceAuthorization) {
    const answers: string[] = [];
    let interval = device.interval;
    for (;;) {
      const response = await fetch(env.metadata.token_endpoint as string, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: DEVICE_GRANT,
          device_code: device.device_code,
          client_id: clientId,
        }),
      });
      const body = (await response.json()) as Record<string, unknown>;
      if (response.status === 200) return { body, answers };
      answers.push(String(body.error));
      if (body.error === 'slow_down') interval += 5;
      else if (body.error !== 'authorization_pending') return { body, answers };
      await new Promise((resolve) => setTimeout(resolve, interval * 1000));
    }
  }

  it('the user enters the code, signs in and approves; the polling device gets its tokens', async () => {
    const clientId = await registerDeviceClient();
    const response = await fetch(env.metadata.device_authorization_endpoint as string, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        client_id: clientId,
        scope: 'notes:read offline_access',
        resource: env.resource,
      }),
    });
    expect(response.status).toBe(200);
    const device = (await response.json()) as DeviceAuthorization;
    expect(device.interval).toBe(5);
    const polling = pollForTokens(clientId, device);

    // The verification URI, typed by hand on another device (here: the browser).
    const entry = await page.goto(device.verification_uri);
    expect(entry?.status()).toBe(200);
    const headers = entry?.headers() ?? {};
    expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(headers['content-security-policy']).not.toContain('script-src');
    expect(headers['x-frame-options']).toBe('DENY');
    expect(await page.locator('h1').textContent()).toBe('Connect a device');
    expect(await page.locator('script').count()).toBe(0);

    // A mistyped code: the page says so in plain words and keeps the form.
    const wrong = device.user_code === 'BCDF-GHJK' ? 'BCDF-GHJL' : 'BCDF-GHJK';
    await page.getByLabel('Code').fill(wrong);
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect
      .poll(() => page.getByRole('alert').textContent())
      .toBe('That code was not recognised. Check it against the code shown on your device and try again.');
    expect(await page.getByLabel('Code').getAttribute('aria-invalid')).toBe('true');

    // The right code, on the page opened afresh, typed in lower case without the dash.
    await page.goto(device.verification_uri);
    await page.getByLabel('Code').fill(device.user_code.replace('-', '').toLowerCase());
    await screenshot('device-code');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { name: 'Connect this device?' }).waitFor();
    expect(await page.locator('p.user-code').textContent()).toBe(device.user_code);
    expect(await page.getByText('Notes CLI').count()).toBeGreaterThan(0);
    await screenshot('device-confirm');
    await page.getByRole('button', { name: 'Continue' }).click();

    // The usual sign-in and consent pages.
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByLabel('Username').fill(USERNAME);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Allow access?' }).waitFor();
    expect(await page.getByText('Read your notes').count()).toBe(1);
    await page.getByRole('button', { name: 'Approve' }).click();

    await page.getByRole('heading', { name: 'Device connected' }).waitFor();
    expect(await page.getByRole('status').textContent()).toContain('Notes CLI');
    await screenshot('device-success');

    const { body, answers } = await polling;
    expect(body.error, JSON.stringify(body)).toBeUndefined();
    // A device that keeps the interval is never told to slow down.
    expect(answers.every((answer) => answer === 'authorization_pending')).toBe(true);
    expect(body.refresh_token).toBeTypeOf('string');
    const verifier = createJwtVerifier({
      issuer: env.as.issuer,
      audience: env.resource,
      jwksUri: env.metadata.jwks_uri as string,
      jwksPolicy: { allowLoopback: true },
      acceptGenericJwt: false,
      cache: false,
    });
    const info = await verifier.verify(String(body.access_token));
    expect(info.scopes).toEqual(['notes:read']);
    expect(info.clientId).toBe(clientId);
  }, 60_000);
});
