/**
 * The authorization server's pages in a real browser (Debian's Chromium, headless): sign-in,
 * consent, deny, remembered consent, lockout, CSRF and clickjacking defences, driven
 * through complete authorization-code + PKCE flows against `createAuthorizationServer` on loopback.
 *
 * Screenshots of the pages go to docs/screenshots/ when UPDATE_SCREENSHOTS=1.
 */
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type TestBrowser } from '../support/browser.js';
import {
  close,
  listen,
  pkce,
  SCREENSHOT_DIR,
  SCREENSHOTS,
  startAuthorizationServer,
  startCallbackListener,
} from './harness.js';

const USERNAME = 'alice';
const PASSWORD = 'correct horse battery staple';

describe('authorization server pages in Chromium', () => {
  let browser: TestBrowser;
  let page: Page;
  let env: Awaited<ReturnType<typeof startAuthorizationServer>>;
  let callback: Awaited<ReturnType<typeof startCallbackListener>>;

  beforeAll(async () => {
    browser = await launchBrowser();
    page = await browser.context.newPage();
    env = await startAuthorizationServer();
    callback = await startCallbackListener();
    await env.as.accounts.create(USERNAME, PASSWORD);
    if (SCREENSHOTS) await mkdir(SCREENSHOT_DIR, { recursive: true });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await env?.as.close();
    if (env) await close(env.server);
    if (callback) await close(callback.server);
  });

  async function registerClient(
    name: string | undefined,
    applicationType: 'native' | 'web' = 'native',
  ): Promise<string> {
    const response = await fetch(env.metadata.registration_endpoint as string, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        ...(name === undefined ? {} : { client_name: name }),
        application_type: applicationType,
        redirect_uris: [callback.redirectUri],
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
      }),
    });
    expect(response.status).toBe(201);
    return ((await response.json()) as { client_id: string }).client_id;
  }

  function authorizationUrl(clientId: string, scope: string) {
    const { verifier, challenge } = pkce();
    const state = randomBytes(16).toString('base64url');
    const url = new URL(env.metadata.authorization_endpoint as string);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: clientId,
      redirect_uri: callback.redirectUri,
      scope,
      resource: env.resource,
      state,
      code_challenge: challenge,
      code_challenge_method: 'S256',
    }).toString();
    return { url: url.toString(), verifier, state };
  }

  async function exchange(clientId: string, code: string, verifier: string) {
    const response = await fetch(env.metadata.token_endpoint as string, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: callback.redirectUri,
        client_id: clientId,
        code_verifier: verifier,
        resource: env.resource,
      }),
    });
    expect(response.status).toBe(200);
    return (await response.json()) as { access_token: string; refresh_token?: string; scope?: string };
  }

  /** The page's h1, or undefined (the client's callback page has none). */
  async function heading(): Promise<string | undefined> {
    const h1 = page.locator('h1');
    return (await h1.count()) === 0 ? undefined : ((await h1.textContent()) ?? undefined);
  }

  /** Opens an authorization URL and signs in when the sign-in page shows (the session may already exist). */
  async function open(url: string) {
    await page.goto(url);
    if ((await heading()) === 'Sign in') {
      await page.getByLabel('Username').fill(USERNAME);
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL((u) => !u.pathname.endsWith('/login'));
    }
  }

  async function screenshot(name: string) {
    if (SCREENSHOTS) await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
  }

  it('signs in (a wrong password first), consents, and the client gets a code it can exchange for a JWT', async () => {
    const clientId = await registerClient('Notes Desktop <beta>');
    const { url, verifier, state } = authorizationUrl(clientId, 'notes:read notes:write');

    const signIn = await page.goto(url);
    expect(page.url()).toMatch(/\/oauth\/interaction\/[\w-]+$/);
    expect(await page.locator('h1').textContent()).toBe('Sign in');
    const headers = signIn?.headers() ?? {};
    expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(headers['x-frame-options']).toBe('DENY');
    // The POSTs end in a redirect to the client: form-action must allow exactly its origin (headers.ts).
    expect(headers['content-security-policy']).toContain(
      `form-action 'self' ${new URL(callback.redirectUri).origin};`,
    );
    await screenshot('sign-in');

    await page.getByLabel('Username').fill(USERNAME);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('Wrong username or password.');
    expect(await page.getByLabel('Username').inputValue()).toBe(USERNAME);

    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Allow access?' }).waitFor();
    const text = (await page.locator('main').textContent()) ?? '';
    expect(text).toContain('Notes Desktop <beta>'); // shown as text, not markup
    expect(text).toContain(clientId);
    expect(text).toContain(new URL(callback.redirectUri).host);
    expect(text).toContain('Notes MCP server');
    expect(text).toContain(env.resource);
    expect(text).toContain('notes:read');
    expect(text).toContain('Read your notes');
    expect(text).toContain('Create and change your notes');
    expect(text).toContain('Signed in as alice');
    expect(text).not.toContain('No description'); // resource scopes are not repeated as account scopes
    await screenshot('consent');
    if (SCREENSHOTS) {
      await page.emulateMedia({ colorScheme: 'dark' });
      await screenshot('consent-dark');
      await page.emulateMedia({ colorScheme: 'light' });
    }

    const arrived = callback.next();
    await page.getByRole('button', { name: 'Approve' }).click();
    const query = await arrived;
    expect(query.get('state')).toBe(state);
    expect(query.get('iss')).toBe(env.as.issuer);
    const code = query.get('code');
    expect(code).toBeTruthy();

    const tokens = await exchange(clientId, code as string, verifier);
    const jwks = createRemoteJWKSet(new URL(env.metadata.jwks_uri as string));
    const { payload, protectedHeader } = await jwtVerify(tokens.access_token, jwks, {
      issuer: env.as.issuer,
      audience: env.resource,
    });
    expect(protectedHeader.typ).toBe('at+jwt');
    expect(String(payload.scope).split(' ').sort()).toEqual(['notes:read', 'notes:write']);
    expect(tokens.refresh_token).toBeTruthy();
  });

  /** Runs one authorization and records whether an interaction page was shown. */
  async function authorizeRecordingPages(clientId: string, scope: string) {
    const request = authorizationUrl(clientId, scope);
    const visited: string[] = [];
    const onNavigate = (frame: { url(): string }) => visited.push(frame.url());
    page.on('framenavigated', onNavigate);
    const arrived = callback.next();
    await open(request.url);
    const shownConsent = (await heading()) === 'Allow access?';
    if (shownConsent) await page.getByRole('button', { name: 'Approve' }).click();
    const query = await arrived;
    page.off('framenavigated', onNavigate);
    expect(query.get('state')).toBe(request.state);
    await exchange(clientId, query.get('code') as string, request.verifier);
    return { pages: visited.filter((u) => u.includes('/interaction/')).length, shownConsent };
  }

  it('remembers consent: a second authorization for the same client, scopes and resource shows no page', async () => {
    const clientId = await registerClient('Remembered web app', 'web');
    expect((await authorizeRecordingPages(clientId, 'notes:read')).shownConsent).toBe(true);
    expect(await authorizeRecordingPages(clientId, 'notes:read')).toEqual({ pages: 0, shownConsent: false });
    // Asking for more than was granted brings the consent page back.
    expect((await authorizeRecordingPages(clientId, 'notes:read notes:write')).shownConsent).toBe(true);
    expect(await authorizeRecordingPages(clientId, 'notes:write')).toEqual({ pages: 0, shownConsent: false });
  });

  it('asks again every time for a native client (RFC 8252 §8.6: its identity cannot be proven)', async () => {
    const clientId = await registerClient('Native app');
    expect((await authorizeRecordingPages(clientId, 'notes:read')).shownConsent).toBe(true);
    const again = authorizationUrl(clientId, 'notes:read');
    await open(again.url);
    await page.getByRole('heading', { name: 'Allow access?' }).waitFor();
    // The page still lists what is asked for, although it was granted before.
    const text = (await page.locator('main').textContent()) ?? '';
    expect(text).toContain('notes:read');
    expect(text).toContain('Read your notes');
    const arrived = callback.next();
    await page.getByRole('button', { name: 'Approve' }).click();
    expect((await arrived).get('code')).toBeTruthy();
  });

  it('deny sends access_denied with iss back to the client', async () => {
    const clientId = await registerClient(undefined);
    const { url, state } = authorizationUrl(clientId, 'notes:read');
    await open(url);
    expect(await page.locator('main').textContent()).toContain('Unnamed application');
    const arrived = callback.next();
    await page.getByRole('button', { name: 'Deny' }).click();
    const query = await arrived;
    expect(query.get('error')).toBe('access_denied');
    expect(query.get('iss')).toBe(env.as.issuer);
    expect(query.get('state')).toBe(state);
    expect(query.get('code')).toBeNull();
  });

  it('CSRF: a consent POST without or with a wrong token is refused, the real form still works', async () => {
    const clientId = await registerClient('CSRF target');
    await open(authorizationUrl(clientId, 'notes:read').url);
    await page.getByRole('heading', { name: 'Allow access?' }).waitFor();
    const confirm = `${page.url()}/confirm`;
    const token = await page.locator('input[name=csrf]').first().inputValue();
    const forged: Array<Record<string, string>> = [
      {},
      { csrf: 'x'.repeat(43) },
      { csrf: `${token.startsWith('A') ? 'B' : 'A'}${token.slice(1)}` },
    ];
    // A valid token of another interaction (as an attacker gets from their own) does not transfer.
    const other = await browser.context.newPage();
    const otherClient = await registerClient('Attacker');
    await other.goto(authorizationUrl(otherClient, 'notes:read').url);
    await other.getByRole('heading', { name: 'Allow access?' }).waitFor();
    forged.push({ csrf: await other.locator('input[name=csrf]').first().inputValue() });
    await other.close();
    expect(forged.at(-1)?.csrf).not.toBe(token);
    for (const form of forged) {
      // page.request shares the browser's cookies: the interaction cookie is sent, as in a real attack.
      const response = await page.request.post(confirm, { form, maxRedirects: 0 });
      expect(response.status()).toBe(403);
      expect(await response.text()).toContain('This form has expired');
      expect(response.headers().location).toBeUndefined();
    }
    const arrived = callback.next();
    await page.getByRole('button', { name: 'Approve' }).click();
    expect((await arrived).get('code')).toBeTruthy();
  });

  it('clickjacking: the pages refuse to be framed', async () => {
    const clientId = await registerClient('Framed');
    await open(authorizationUrl(clientId, 'notes:read').url);
    await page.getByRole('heading', { name: 'Allow access?' }).waitFor();
    const consentUrl = page.url();
    const response = await page.request.get(consentUrl);
    expect(response.headers()['content-security-policy']).toMatch(/frame-ancestors 'none'/);
    expect(response.headers()['x-frame-options']).toBe('DENY');

    // A page on another origin tries to frame it: Chromium refuses, naming the directive.
    const attacker = await listen((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' }).end(`<iframe src="${consentUrl}"></iframe>`);
    });
    try {
      const refused = page.waitForEvent('console', (message) =>
        message.text().includes("frame-ancestors 'none'"),
      );
      await page.goto(attacker.origin);
      await refused;
      const frame = page.frames().find((f) => f !== page.mainFrame());
      expect(await frame?.locator('button').count()).toBe(0);
    } finally {
      await close(attacker.server);
    }
  });

  it('an unknown or expired interaction shows an error page in plain words', async () => {
    const response = await page.goto(`${env.as.issuer}/interaction/${'a'.repeat(21)}?x=<script>`);
    expect(response?.status()).toBe(400);
    expect(await page.locator('h1').textContent()).toBe('This sign-in has expired');
    expect(await page.content()).not.toContain('<script>');
    await screenshot('error');
  });

  it('locks sign-in after repeated failures and says for how long', async () => {
    await env.as.accounts.create('bob', 'bobs own password');
    await browser.context.clearCookies();
    const clientId = await registerClient('Lockout');
    await page.goto(authorizationUrl(clientId, 'notes:read').url);
    let message: string | null = null;
    for (let attempt = 0; attempt < 8 && !message?.startsWith('Too many'); attempt++) {
      await page.getByLabel('Username').fill('bob');
      await page.getByLabel('Password').fill(`wrong password ${attempt}`);
      const response = page.waitForResponse((r) => r.url().endsWith('/login'));
      await page.getByRole('button', { name: 'Sign in' }).click();
      await response;
      message = await page.getByRole('alert').textContent();
    }
    expect(message).toMatch(/^Too many attempts: try again in \d+ minutes?\.$/);
    // Even the right password is refused while locked.
    await page.getByLabel('Password').fill('bobs own password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/^Too many attempts/);
  });
});
