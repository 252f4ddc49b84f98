/**
 * Upstream sign-in in a real browser (Debian's Chromium, headless): the "Sign in with <name>"
 * button on our sign-in page, the round trip through a bare node-oidc-provider's development login
 * and consent pages, back to our consent page, and the code the MCP client exchanges for a token
 * whose `sub` is the local account the upstream subject was mapped to.
 *
 * Also checks that the sign-in page's CSP `form-action` lets Chromium follow the 303 to the
 * upstream (Chromium applies form-action to the redirects after a form submission).
 */
import { join } from 'node:path';
import {
  type AuthorizationServer,
  createAuthorizationServer,
  createMemoryStorage,
} from '@gatehouse/authorization-server';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startUpstreamIdp, type UpstreamIdp } from '../e2e/upstream-idp.js';
import { launchBrowser, type TestBrowser } from '../support/browser.js';
import { close, listen, pkce, SCREENSHOT_DIR, SCREENSHOTS, startCallbackListener } from './harness.js';

describe('upstream sign-in in Chromium', () => {
  let browser: TestBrowser;
  let page: Page;
  let idp: UpstreamIdp;
  let as: AuthorizationServer;
  let server: Awaited<ReturnType<typeof listen>>;
  let callback: Awaited<ReturnType<typeof startCallbackListener>>;
  let resource: string;

  beforeAll(async () => {
    idp = await startUpstreamIdp();
    let ready: AuthorizationServer | undefined;
    server = await listen((req, res) => {
      if (ready === undefined) res.writeHead(503).end();
      else ready.listener(req, res);
    });
    resource = `${server.origin}/mcp`;
    as = await createAuthorizationServer({
      issuer: `${server.origin}/oauth`,
      storage: createMemoryStorage(),
      resources: [{ resource, name: 'Notes MCP server', scopes: { 'notes:read': 'Read your notes' } }],
      upstream: {
        issuer: idp.issuer,
        clientId: idp.clientId,
        clientSecret: idp.clientSecret,
        name: 'Example SSO',
        dangerouslyAllowLoopback: true,
      },
    });
    ready = as;
    await idp.configure(`${as.issuer}/upstream/callback`);
    callback = await startCallbackListener();
    browser = await launchBrowser();
    // The upstream's development pages import a web font: nothing leaves the machine.
    await browser.context.route(/^https?:\/\/(?!127\.0\.0\.1[:/])/, (route) => route.abort());
    page = await browser.context.newPage();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await as?.close();
    if (server) await close(server.server);
    if (callback) await close(callback.server);
    await idp?.close();
  });

  it('signs in with the upstream button, consents, and the client gets a token for the mapped account', async () => {
    const registered = await fetch(`${as.issuer}/reg`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_name: 'Notes Desktop',
        application_type: 'native',
        redirect_uris: [callback.redirectUri],
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code'],
        response_types: ['code'],
      }),
    });
    expect(registered.status).toBe(201);
    const clientId = ((await registered.json()) as { client_id: string }).client_id;
    const { verifier, challenge } = pkce();
    const url = new URL(`${as.issuer}/auth`);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: clientId,
      redirect_uri: callback.redirectUri,
      scope: 'notes:read',
      resource,
      state: 'browser-state',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    }).toString();

    await page.goto(url.href);
    expect(await page.locator('h1').textContent()).toBe('Sign in');
    const button = page.getByRole('button', { name: 'Sign in with Example SSO' });
    await button.waitFor();
    expect(await page.getByLabel('Password').count()).toBe(1); // local sign-in still offered
    if (SCREENSHOTS)
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'sign-in-upstream.png'), fullPage: true });

    await button.click();
    await page.waitForURL((u) => u.origin === idp.issuer);
    await page.locator('input[name="login"]').fill('carol');
    await page.locator('input[name="password"]').fill('anything');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    await page.getByRole('button', { name: 'Continue' }).click(); // the upstream's consent
    await page.getByRole('heading', { name: 'Allow access?' }).waitFor();
    expect(new URL(page.url()).origin).toBe(server.origin);
    expect(await page.locator('main').textContent()).toContain('Signed in as carol');

    const arrived = callback.next();
    await page.getByRole('button', { name: 'Approve' }).click();
    const query = await arrived;
    expect(query.get('state')).toBe('browser-state');
    const response = await fetch(`${as.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: query.get('code') ?? '',
        redirect_uri: callback.redirectUri,
        client_id: clientId,
        code_verifier: verifier,
        resource,
      }),
    });
    expect(response.status).toBe(200);
    const { access_token } = (await response.json()) as { access_token: string };
    const { payload } = await jwtVerify(access_token, createRemoteJWKSet(new URL(`${as.issuer}/jwks`)), {
      issuer: as.issuer,
      audience: resource,
    });
    const [account] = await as.accounts.list();
    expect(account).toMatchObject({ username: 'carol', upstream: { issuer: idp.issuer, subject: 'carol' } });
    expect(payload.sub).toBe(account?.id);
  });
});
