/**
 * End to end over real HTTP on 127.0.0.1: `authorizeWithBrowser` against Gatehouse's authorization
 * server (memory storage). The `onAuthorizationUrl` hook plays the browser: it follows the
 * authorization server's redirects with cookies (sign-in and consent completed by the test driver of
 * test/e2e/authorization-server-helpers.ts) and delivers the final redirect to the real loopback
 * listener. Then the refresh token is used.
 */
import { createMemoryStorage } from '@gatehouse/authorization-server';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  followAuthorization,
  startTestAs,
  type TestAs,
} from '../../../../test/e2e/authorization-server-helpers.js';
import { discoverAuthorizationServer } from '../discovery/authorization-server.js';
import type { Discovery } from '../discovery/discover.js';
import { refreshTokenGrantRequest } from '../grants/token-request.js';
import { processTokenResponse } from '../grants/token-response.js';
import { resolveClientRegistration } from '../registration/resolve-client-registration.js';
import { authorizeWithBrowser } from './authorize.js';

const RESOURCE = 'http://127.0.0.1:9001/mcp';
const http = { policy: { allowLoopback: true } } as const;
let as: TestAs;

beforeAll(async () => {
  as = await startTestAs({
    storage: createMemoryStorage(),
    resources: [{ resource: RESOURCE, scopes: { 'mcp:tools': 'Use the tools' } }],
    registrationRateLimit: false,
  });
  as.accountId = (await as.server.accounts.create('alice', 'correct horse battery staple')).id;
});

afterAll(async () => {
  await as?.close();
});

describe('authorizeWithBrowser against the Gatehouse authorization server', () => {
  it('PKCE + state + iss + resource through a loopback listener → JWT for the resource, then refresh', async () => {
    const authorizationServer = await discoverAuthorizationServer(as.issuer, http);
    expect(authorizationServer.metadata.authorization_response_iss_parameter_supported).toBe(true);
    const discovery: Discovery = { resource: RESOURCE, authorizationServer, challengedScopes: ['mcp:tools'] };
    const registration = await resolveClientRegistration({
      metadata: authorizationServer.metadata,
      redirectUris: ['http://127.0.0.1/callback'],
      clientName: 'Gatehouse authorize e2e',
      env: {},
      ...http,
    });

    const printed: string[] = [];
    const seen: { authorizationUrl?: URL; callbackStatus?: number; page?: string } = {};
    const result = await authorizeWithBrowser({
      discovery,
      registration,
      ...http,
      stderr: { write: (text: string) => printed.push(text) },
      onAuthorizationUrl: async (url) => {
        seen.authorizationUrl = url;
        const { location } = await followAuthorization(url.href, as.origin);
        if (location === undefined) throw new Error('test: the authorization server did not redirect back');
        const page = await fetch(location);
        seen.callbackStatus = page.status;
        seen.page = await page.text();
      },
    });

    const sent = seen.authorizationUrl?.searchParams;
    expect(sent?.get('resource')).toBe(RESOURCE);
    expect(sent?.get('code_challenge_method')).toBe('S256');
    expect(sent?.get('scope')).toBe('mcp:tools offline_access');
    expect(sent?.get('redirect_uri')).toBe(result.redirectUri);
    expect(result.redirectUri).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    expect(printed.join('')).toContain(seen.authorizationUrl?.href);
    expect(seen.callbackStatus).toBe(200);
    expect(seen.page).toContain('Signed in');
    expect(result.requestedScopes).toEqual(['mcp:tools', 'offline_access']);

    const { tokens } = result;
    expect(tokens).toMatchObject({ token_type: 'Bearer', resource: RESOURCE });
    expect(tokens.expiresAt).toBeGreaterThan(Date.now() / 1000);
    const claims = decodeJwt(tokens.access_token);
    expect(claims.aud).toBe(RESOURCE);
    expect(claims.iss).toBe(as.issuer);
    expect(String(claims.scope).split(' ')).toContain('mcp:tools');
    expect(typeof tokens.refresh_token).toBe('string');

    const refreshed = await processTokenResponse(
      await refreshTokenGrantRequest(
        authorizationServer.metadata,
        registration,
        { refreshToken: tokens.refresh_token ?? '', resource: RESOURCE },
        http,
      ),
      { expectedResource: RESOURCE },
    );
    expect(decodeJwt(refreshed.access_token).aud).toBe(RESOURCE);
    expect(refreshed.access_token).not.toBe(tokens.access_token);
    expect(refreshed.refresh_token).toBeDefined();
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token); // rotated for a public client
  });
});
