/**
 * The consent page for a Client ID Metadata Document client in Chromium (MCP requirements §1.4 A6:
 * the authorization server MUST clearly display the hostname, and SHOULD warn about localhost
 * redirect URIs). The document is served from a loopback server, so the authorization server runs
 * with `cimd.dangerouslyAllowLoopback`.
 */
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import {
  type AuthorizationServer,
  createAuthorizationServer,
  createMemoryStorage,
} from '@gatehouse/authorization-server';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type TestBrowser } from '../support/browser.js';
import { close, listen, pkce, startCallbackListener } from './harness.js';

describe('consent page for a CIMD client in Chromium', () => {
  let browser: TestBrowser;
  let page: Page;
  let as: AuthorizationServer | undefined;
  let asServer: Server;
  let asOrigin: string;
  let docServer: Server;
  let clientId: string;
  let callback: Awaited<ReturnType<typeof startCallbackListener>>;

  beforeAll(async () => {
    browser = await launchBrowser();
    page = await browser.context.newPage();
    callback = await startCallbackListener();
    const docs = await listen((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=600' }).end(
        JSON.stringify({
          client_id: clientId,
          client_name: 'Notes Desktop',
          redirect_uris: [callback.redirectUri],
          token_endpoint_auth_method: 'none',
        }),
      );
    });
    docServer = docs.server;
    clientId = `${docs.origin}/notes-desktop/client.json`;
    const listening = await listen((req, res) => {
      if (as === undefined) res.writeHead(503).end();
      else as.listener(req, res);
    });
    asServer = listening.server;
    asOrigin = listening.origin;
    as = await createAuthorizationServer({
      issuer: `${asOrigin}/oauth`,
      storage: createMemoryStorage(),
      resources: [
        { resource: `${asOrigin}/mcp`, name: 'Notes MCP server', scopes: { 'notes:read': 'Read notes' } },
      ],
      cimd: { dangerouslyAllowLoopback: true },
    });
    await as.accounts.create('alice', 'correct horse battery staple');
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await as?.close();
    for (const server of [asServer, docServer, callback?.server]) if (server) await close(server);
  });

  it('shows the document host prominently, warns about the loopback redirect, and completes the flow', async () => {
    const { verifier, challenge } = pkce();
    const state = randomBytes(16).toString('base64url');
    const url = new URL(`${asOrigin}/oauth/auth`);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: clientId,
      redirect_uri: callback.redirectUri,
      scope: 'notes:read',
      state,
      code_challenge: challenge,
      code_challenge_method: 'S256',
    }).toString();

    await page.goto(url.href);
    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password').fill('correct horse battery staple');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Allow access?' }).waitFor();

    const host = new URL(clientId).host;
    expect(await page.locator('main p.host').textContent()).toBe(host);
    const text = (await page.locator('main').textContent()) ?? '';
    expect(text).toContain('calling itself Notes Desktop');
    expect(await page.getByRole('note').textContent()).toContain('a program on this computer');

    const arrived = callback.next();
    await page.getByRole('button', { name: 'Approve' }).click();
    const query = await arrived;
    expect(query.get('state')).toBe(state);
    const response = await fetch(`${asOrigin}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: query.get('code') ?? '',
        redirect_uri: callback.redirectUri,
        client_id: clientId,
        code_verifier: verifier,
      }),
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { access_token?: unknown }).access_token).toBeTypeOf('string');
  });
});
