/**
 * End to end: `@gatehouse/authorization-server` over real HTTP on 127.0.0.1 (port 0), memory
 * storage. The browser steps (sign-in, consent) are driven programmatically through the provider's
 * interaction API (see authorization-server-helpers.ts); the pages have their own browser tests.
 *
 * Test names cite the requirement they cover: MCP requirements §10.3, RFC 9700 (OAuth 2.0 Security
 * BCP), RFC 8707, RFC 9068, RFC 7591/7592, RFC 8252 §7.3, RFC 9207, RFC 8414.
 */
import { createMemoryStorage } from '@gatehouse/authorization-server';
import { createJwtVerifier } from '@gatehouse/resource-server';
import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  followAuthorization,
  pkcePair,
  postForm,
  postJson,
  startTestAs,
  type TestAs,
} from './authorization-server-helpers.js';

const RESOURCE_A = 'http://127.0.0.1:9001/mcp';
const RESOURCE_B = 'http://127.0.0.1:9002/mcp';
const REDIRECT = 'http://127.0.0.1:8765/callback';

let as: TestAs;
const storage = createMemoryStorage();

beforeAll(async () => {
  as = await startTestAs({
    storage,
    resources: [
      {
        resource: RESOURCE_A,
        scopes: { 'mcp:tools': 'Use the tools', 'mcp:write': 'Change files' },
        name: 'A',
      },
      { resource: RESOURCE_B, scopes: { 'b:read': 'Read B' } },
    ],
    registrationRateLimit: false,
  });
  const account = await as.server.accounts.create('alice', 'correct horse battery staple');
  as.accountId = account.id;
});

afterAll(async () => {
  await as?.close();
});

interface RegisteredClient {
  client_id: string;
  client_secret?: string;
  registration_access_token?: string;
  registration_client_uri?: string;
  [key: string]: unknown;
}

async function registerPublicClient(extra: Record<string, unknown> = {}): Promise<RegisteredClient> {
  const { status, body } = await postJson(`${as.issuer}/reg`, {
    application_type: 'native',
    redirect_uris: [REDIRECT],
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    client_name: 'e2e public',
    ...extra,
  });
  expect(status, JSON.stringify(body)).toBe(201);
  return body as RegisteredClient;
}

async function registerConfidentialClient(
  method: 'client_secret_basic' | 'client_secret_post',
): Promise<RegisteredClient> {
  const { status, body } = await postJson(`${as.issuer}/reg`, {
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: method,
    client_name: 'e2e service',
  });
  expect(status, JSON.stringify(body)).toBe(201);
  expect(body.client_secret).toBeTypeOf('string');
  return body as RegisteredClient;
}

function authorizeUrl(client: RegisteredClient, params: Record<string, string | undefined>): string {
  const url = new URL(`${as.issuer}/auth`);
  const all: Record<string, string | undefined> = {
    response_type: 'code',
    client_id: client.client_id,
    redirect_uri: REDIRECT,
    scope: 'mcp:tools offline_access',
    resource: RESOURCE_A,
    state: 'st-123',
    ...params,
  };
  for (const [key, value] of Object.entries(all)) if (value !== undefined) url.searchParams.set(key, value);
  return url.href;
}

/** Runs the authorization request through login and consent; returns the redirect back to the client. */
async function authorize(client: RegisteredClient, params: Record<string, string | undefined> = {}) {
  const { location, response } = await followAuthorization(authorizeUrl(client, params), as.origin);
  if (location === undefined) throw new Error(`no redirect to the client (status ${response.status})`);
  return location;
}

async function codeFlow(client: RegisteredClient) {
  const { verifier, challenge } = pkcePair();
  const back = await authorize(client, { code_challenge: challenge, code_challenge_method: 'S256' });
  const code = back.searchParams.get('code');
  expect(code).toBeTypeOf('string');
  const token = await postForm(`${as.issuer}/token`, {
    grant_type: 'authorization_code',
    code: code ?? '',
    redirect_uri: REDIRECT,
    code_verifier: verifier,
    client_id: client.client_id,
  });
  return { back, code: code ?? '', verifier, token };
}

function verifierFor(audience: string) {
  return createJwtVerifier({
    issuer: as.issuer,
    audience,
    jwksUri: `${as.issuer}/jwks`,
    jwksPolicy: { allowLoopback: true },
    acceptGenericJwt: false,
    cache: false,
  });
}

describe('metadata (RFC 8414, OIDC Discovery, MCP requirements §10.3)', () => {
  const urls = () => [
    `${as.origin}/.well-known/oauth-authorization-server/oauth`,
    `${as.origin}/.well-known/openid-configuration/oauth`,
    `${as.issuer}/.well-known/openid-configuration`,
  ];

  it('serves the same document at the path-inserted RFC 8414 URL, the OIDC path-inserted URL and the appended OIDC URL', async () => {
    const documents: Record<string, unknown>[] = [];
    for (const url of urls()) {
      const response = await fetch(url);
      expect(response.status, url).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/application\/json/);
      documents.push((await response.json()) as Record<string, unknown>);
    }
    for (const document of documents) {
      expect(document.issuer).toBe(as.issuer);
      expect(document.code_challenge_methods_supported).toEqual(['S256']);
      expect(document.authorization_response_iss_parameter_supported).toBe(true);
      expect(document.response_types_supported).toEqual(['code']);
      expect(document.registration_endpoint).toBe(`${as.issuer}/reg`);
      expect(document.scopes_supported).toEqual(
        expect.arrayContaining(['openid', 'offline_access', 'mcp:tools', 'mcp:write', 'b:read']),
      );
      expect(document.grant_types_supported).toEqual(
        expect.arrayContaining(['authorization_code', 'refresh_token', 'client_credentials']),
      );
      expect(document).toEqual(documents[0]);
    }
  });

  it('every endpoint URL in the metadata answers under the mount path (never 404 or 500)', async () => {
    const document = (await (await fetch(urls()[0] ?? '')).json()) as Record<string, unknown>;
    const endpoints = Object.entries(document).filter(
      ([key, value]) => (key.endsWith('_endpoint') || key === 'jwks_uri') && typeof value === 'string',
    );
    expect(endpoints.map(([key]) => key)).toEqual(
      expect.arrayContaining([
        'authorization_endpoint',
        'token_endpoint',
        'jwks_uri',
        'registration_endpoint',
        'revocation_endpoint',
        'introspection_endpoint',
      ]),
    );
    for (const [key, value] of endpoints) {
      const url = String(value);
      expect(url.startsWith(`${as.issuer}/`), key).toBe(true);
      // GET-only endpoints (authorization, JWKS, logout) answer GET; the rest are POST endpoints.
      const getOnly = ['authorization_endpoint', 'jwks_uri', 'end_session_endpoint'].includes(key);
      const response = getOnly
        ? await fetch(url, { redirect: 'manual' })
        : await fetch(url, {
            method: 'POST',
            redirect: 'manual',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: '',
          });
      await response.arrayBuffer();
      expect(response.status, `${key} ${url}`).not.toBe(404);
      expect(response.status, `${key} ${url}`).toBeLessThan(500);
    }
  });

  it('the root metadata URL answers cross-origin requests (CORS) for browser-based clients', async () => {
    const response = await fetch(`${as.origin}/.well-known/oauth-authorization-server/oauth`, {
      headers: { origin: 'https://inspector.example' },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toMatch(
      /^(\*|https:\/\/inspector\.example)$/,
    );
    await response.arrayBuffer();
  });

  it('answers 404 JSON outside the mount path and the well-known routes', async () => {
    for (const path of ['/', '/nope', '/.well-known/oauth-authorization-server', '/oauthx/token']) {
      const response = await fetch(`${as.origin}${path}`);
      expect(response.status, path).toBe(404);
      expect(await response.json()).toMatchObject({ error: 'not_found' });
    }
  });
});

describe('client_credentials (RFC 6749 §4.4, RFC 8707, RFC 9068)', () => {
  it.each(['client_secret_basic', 'client_secret_post'] as const)(
    'issues a JWT access token (typ at+jwt, ES256, aud = the resource) to a client using %s',
    async (method) => {
      const client = await registerConfidentialClient(method);
      const form = { grant_type: 'client_credentials', resource: RESOURCE_A, scope: 'mcp:tools' };
      const secret = client.client_secret ?? '';
      const { status, body } =
        method === 'client_secret_basic'
          ? await postForm(`${as.issuer}/token`, form, { id: client.client_id, secret })
          : await postForm(`${as.issuer}/token`, {
              ...form,
              client_id: client.client_id,
              client_secret: secret,
            });
      expect(status, JSON.stringify(body)).toBe(200);
      expect(body.token_type).toBe('Bearer');
      expect(body.expires_in).toBeLessThanOrEqual(600);
      const token = String(body.access_token);
      expect(decodeProtectedHeader(token)).toMatchObject({ typ: 'at+jwt', alg: 'ES256' });
      expect(decodeJwt(token)).toMatchObject({
        aud: RESOURCE_A,
        iss: as.issuer,
        client_id: client.client_id,
        scope: 'mcp:tools',
      });

      const info = await verifierFor(RESOURCE_A).verify(token);
      expect(info.clientId).toBe(client.client_id);
      expect(info.scopes).toEqual(['mcp:tools']);
    },
  );

  it('issues a token to a client authenticating with private_key_jwt (RFC 7523 §2.2)', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    const registered = await postJson(`${as.issuer}/reg`, {
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'private_key_jwt',
      token_endpoint_auth_signing_alg: 'ES256',
      jwks: { keys: [jwk] },
    });
    expect(registered.status, JSON.stringify(registered.body)).toBe(201);
    const clientId = String(registered.body.client_id);
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(clientId)
      .setSubject(clientId)
      .setAudience(as.issuer)
      .setJti(crypto.randomUUID())
      .setIssuedAt()
      .setExpirationTime('1m')
      .sign(privateKey);
    const { status, body } = await postForm(`${as.issuer}/token`, {
      grant_type: 'client_credentials',
      resource: RESOURCE_A,
      scope: 'mcp:tools',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
    });
    expect(status, JSON.stringify(body)).toBe(200);
    await verifierFor(RESOURCE_A).verify(String(body.access_token));
  });

  it('RFC 9700 §4.10 / RFC 8707: a token for resource A is refused by the verifier of resource B', async () => {
    const client = await registerConfidentialClient('client_secret_basic');
    const { body } = await postForm(
      `${as.issuer}/token`,
      { grant_type: 'client_credentials', resource: RESOURCE_A, scope: 'mcp:tools' },
      { id: client.client_id, secret: client.client_secret ?? '' },
    );
    await expect(verifierFor(RESOURCE_B).verify(String(body.access_token))).rejects.toMatchObject({
      error: 'invalid_token',
    });
  });

  it('an unknown resource → invalid_target', async () => {
    const client = await registerConfidentialClient('client_secret_basic');
    const { status, body } = await postForm(
      `${as.issuer}/token`,
      { grant_type: 'client_credentials', resource: 'http://127.0.0.1:9999/other', scope: 'mcp:tools' },
      { id: client.client_id, secret: client.client_secret ?? '' },
    );
    expect(status).toBe(400);
    expect(body.error).toBe('invalid_target');
  });

  it('a wrong client secret → invalid_client, and a public client cannot use client_credentials', async () => {
    const client = await registerConfidentialClient('client_secret_basic');
    const wrong = await postForm(
      `${as.issuer}/token`,
      { grant_type: 'client_credentials', resource: RESOURCE_A },
      { id: client.client_id, secret: 'not-the-secret' },
    );
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toBe('invalid_client');

    const refused = await postJson(`${as.issuer}/reg`, {
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'none',
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe('invalid_client_metadata');
  });
});

describe('authorization code + PKCE (OAuth 2.1 §4.1, RFC 9700 §2.1.1, RFC 9207)', () => {
  it('completes the flow: the code comes back with state and iss, the token is a JWT for the resource', async () => {
    const client = await registerPublicClient();
    const { back, token } = await codeFlow(client);
    expect(back.origin + back.pathname).toBe(REDIRECT);
    expect(back.searchParams.get('state')).toBe('st-123');
    expect(back.searchParams.get('iss')).toBe(as.issuer);
    expect(token.status, JSON.stringify(token.body)).toBe(200);
    expect(token.body.refresh_token).toBeTypeOf('string');
    const info = await verifierFor(RESOURCE_A).verify(String(token.body.access_token));
    expect(info.subject).toBe(as.accountId);
    expect(info.scopes).toEqual(['mcp:tools']);
  });

  it('with scope openid also returns an ES256 ID token for the signed-in account', async () => {
    const client = await registerPublicClient();
    const { verifier, challenge } = pkcePair();
    const back = await authorize(client, {
      scope: 'openid mcp:tools',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    const token = await postForm(`${as.issuer}/token`, {
      grant_type: 'authorization_code',
      code: back.searchParams.get('code') ?? '',
      redirect_uri: REDIRECT,
      code_verifier: verifier,
      client_id: client.client_id,
    });
    expect(token.status, JSON.stringify(token.body)).toBe(200);
    const idToken = String(token.body.id_token);
    expect(decodeProtectedHeader(idToken).alg).toBe('ES256');
    expect(decodeJwt(idToken)).toMatchObject({ sub: as.accountId, aud: client.client_id, iss: as.issuer });
    expect(decodeJwt(String(token.body.access_token)).aud).toBe(RESOURCE_A);
  });

  it('uses the only resource the grant covers when the token request names none (useGrantedResource)', async () => {
    const client = await registerPublicClient();
    const { verifier, challenge } = pkcePair();
    const back = await authorize(client, { code_challenge: challenge, code_challenge_method: 'S256' });
    const token = await postForm(`${as.issuer}/token`, {
      grant_type: 'authorization_code',
      code: back.searchParams.get('code') ?? '',
      redirect_uri: REDIRECT,
      code_verifier: verifier,
      client_id: client.client_id,
    });
    expect(token.status).toBe(200);
    expect(decodeJwt(String(token.body.access_token)).aud).toBe(RESOURCE_A);
  });

  it('RFC 9700 §2.1.1: PKCE missing → invalid_request, sent back to the client with iss', async () => {
    const client = await registerPublicClient();
    const back = await authorize(client, {});
    expect(back.searchParams.get('error')).toBe('invalid_request');
    expect(back.searchParams.get('iss')).toBe(as.issuer);
    expect(back.searchParams.get('state')).toBe('st-123');
    expect(back.searchParams.get('code')).toBeNull();
  });

  it('RFC 8707 §2: an unknown resource in the authorization request → invalid_target, sent back with iss', async () => {
    const client = await registerPublicClient();
    const { challenge } = pkcePair();
    const back = await authorize(client, {
      resource: 'http://127.0.0.1:9999/unknown',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    expect(back.searchParams.get('error')).toBe('invalid_target');
    expect(back.searchParams.get('iss')).toBe(as.issuer);
    expect(back.searchParams.get('code')).toBeNull();
  });

  it('RFC 9700 §2.1.1: PKCE plain → refused', async () => {
    const client = await registerPublicClient();
    const back = await authorize(client, { code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' });
    expect(back.searchParams.get('error')).toBe('invalid_request');
    expect(back.searchParams.get('code')).toBeNull();
  });

  it('RFC 9700 §2.1.1: a wrong code_verifier → invalid_grant', async () => {
    const client = await registerPublicClient();
    const { challenge } = pkcePair();
    const back = await authorize(client, { code_challenge: challenge, code_challenge_method: 'S256' });
    const token = await postForm(`${as.issuer}/token`, {
      grant_type: 'authorization_code',
      code: back.searchParams.get('code') ?? '',
      redirect_uri: REDIRECT,
      code_verifier: pkcePair().verifier,
      client_id: client.client_id,
    });
    expect(token.status).toBe(400);
    expect(token.body.error).toBe('invalid_grant');
  });

  it('RFC 9700 §4.1.3: a redirect URI not exactly registered is refused with an error page, never a redirect', async () => {
    const client = await registerPublicClient({ application_type: 'web', redirect_uris: [REDIRECT] });
    for (const redirect of [
      `${REDIRECT}/x`,
      `${REDIRECT}?x=1`,
      'http://127.0.0.1:8766/callback',
      'https://evil.example/callback',
    ]) {
      const { challenge } = pkcePair();
      const response = await fetch(
        authorizeUrl(client, {
          redirect_uri: redirect,
          code_challenge: challenge,
          code_challenge_method: 'S256',
          state: '<script>x</script>',
        }),
        { redirect: 'manual' },
      );
      expect(response.status, redirect).toBe(400);
      expect(response.headers.get('location')).toBeNull();
      const html = await response.text();
      expect(html).toContain('redirect_uri');
      expect(html).not.toContain('<script>');
      expect(html).not.toMatch(/at .*\.js:\d+/);
    }
  });

  it('RFC 9700 §4.5: code replay is refused and revokes the tokens the code issued', async () => {
    const client = await registerPublicClient();
    const { code, verifier, token } = await codeFlow(client);
    expect(token.status).toBe(200);
    const replay = await postForm(`${as.issuer}/token`, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT,
      code_verifier: verifier,
      client_id: client.client_id,
    });
    expect(replay.status).toBe(400);
    expect(replay.body.error).toBe('invalid_grant');
    const refresh = await postForm(`${as.issuer}/token`, {
      grant_type: 'refresh_token',
      refresh_token: String(token.body.refresh_token),
      client_id: client.client_id,
    });
    expect(refresh.status).toBe(400);
    expect(refresh.body.error).toBe('invalid_grant');
  });
});

describe('refresh tokens (OAuth 2.1 §4.3.1, RFC 9700 §4.14)', () => {
  async function refresh(client: RegisteredClient, refreshToken: string) {
    return postForm(`${as.issuer}/token`, {
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      client_id: client.client_id,
    });
  }

  it('are issued without offline_access to a client allowed the refresh_token grant', async () => {
    const client = await registerPublicClient();
    const { verifier, challenge } = pkcePair();
    const back = await authorize(client, {
      scope: 'mcp:tools',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    const token = await postForm(`${as.issuer}/token`, {
      grant_type: 'authorization_code',
      code: back.searchParams.get('code') ?? '',
      redirect_uri: REDIRECT,
      code_verifier: verifier,
      client_id: client.client_id,
    });
    expect(token.status).toBe(200);
    expect(token.body.refresh_token).toBeTypeOf('string');
  });

  it('are not issued to a client without the refresh_token grant', async () => {
    const client = await registerPublicClient({ grant_types: ['authorization_code'] });
    const { token } = await codeFlow(client);
    expect(token.status).toBe(200);
    expect(token.body.refresh_token).toBeUndefined();
  });

  it('are rotated on every use by a public client; the new one works', async () => {
    const client = await registerPublicClient();
    const { token } = await codeFlow(client);
    const first = String(token.body.refresh_token);
    const next = await refresh(client, first);
    expect(next.status, JSON.stringify(next.body)).toBe(200);
    expect(next.body.refresh_token).toBeTypeOf('string');
    expect(next.body.refresh_token).not.toBe(first);
    await verifierFor(RESOURCE_A).verify(String(next.body.access_token));
    const again = await refresh(client, String(next.body.refresh_token));
    expect(again.status).toBe(200);
  });

  it('outlive the browser session at the authorization server: they follow the grant, not the session', async () => {
    const client = await registerPublicClient();
    const { token } = await codeFlow(client);
    const refreshToken = String(token.body.refresh_token);
    const stored = await storage.model('RefreshToken').find(refreshToken);
    const session = await storage.model('Session').findByUid(String(stored?.sessionUid));
    expect(session?.jti).toBeTypeOf('string');
    await storage.model('Session').destroy(String(session?.jti)); // signed out, cookies cleared
    const next = await refresh(client, refreshToken);
    expect(next.status, JSON.stringify(next.body)).toBe(200);
    await verifierFor(RESOURCE_A).verify(String(next.body.access_token));
  });

  it('reuse window: two racing refreshes with the same token both succeed, and every token they return works', async () => {
    const client = await registerPublicClient();
    const { token } = await codeFlow(client);
    const original = String(token.body.refresh_token);
    const [a, b] = await Promise.all([refresh(client, original), refresh(client, original)]);
    expect(a?.status, JSON.stringify(a?.body)).toBe(200);
    expect(b?.status, JSON.stringify(b?.body)).toBe(200);
    expect(a?.body.refresh_token).not.toBe(b?.body.refresh_token);
    expect((await refresh(client, String(a?.body.refresh_token))).status).toBe(200);
    expect((await refresh(client, String(b?.body.refresh_token))).status).toBe(200);
  });

  it('a refresh token of another client → invalid_grant', async () => {
    const client = await registerPublicClient();
    const other = await registerPublicClient();
    const { token } = await codeFlow(client);
    const stolen = await refresh(other, String(token.body.refresh_token));
    expect(stolen.status).toBe(400);
    expect(stolen.body.error).toBe('invalid_grant');
  });
});

describe('dynamic client registration (RFC 7591, RFC 7592, RFC 8252 §7.3)', () => {
  it('is open on a loopback issuer, and the client can read its registration (RFC 7592)', async () => {
    // A client sending the internal policy property name gets nothing stored under it.
    const client = await registerPublicClient({ gatehouse_redirect_uri_policy: 'anything' });
    expect(client.registration_access_token).toBeTypeOf('string');
    expect(client.gatehouse_redirect_uri_policy).toBeUndefined();
    expect(client.registration_client_uri).toBe(`${as.issuer}/reg/${client.client_id}`);
    const read = await fetch(String(client.registration_client_uri), {
      headers: { authorization: `Bearer ${client.registration_access_token}` },
    });
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({ client_id: client.client_id, redirect_uris: [REDIRECT] });
  });

  it('native clients: a loopback redirect URI matches on any port (127.0.0.1 and [::1]); web clients: exact only', async () => {
    const native = await registerPublicClient({
      redirect_uris: ['http://127.0.0.1:1111/cb', 'http://[::1]:1111/cb'],
    });
    for (const redirect of ['http://127.0.0.1:54321/cb', 'http://[::1]:2222/cb', 'http://127.0.0.1/cb']) {
      const { challenge } = pkcePair();
      const { location, response } = await followAuthorization(
        authorizeUrl(native, {
          redirect_uri: redirect,
          code_challenge: challenge,
          code_challenge_method: 'S256',
        }),
        as.origin,
      );
      expect(response.status, redirect).not.toBe(400);
      expect(location?.href.startsWith(redirect), redirect).toBe(true);
      expect(location?.searchParams.get('code'), redirect).toBeTypeOf('string');
    }
    for (const redirect of [
      'http://127.0.0.1:54321/cb/x',
      'http://localhost:1111/cb',
      'http://127.0.0.2:1111/cb',
    ]) {
      const { challenge } = pkcePair();
      const response = await fetch(
        authorizeUrl(native, {
          redirect_uri: redirect,
          code_challenge: challenge,
          code_challenge_method: 'S256',
        }),
        { redirect: 'manual' },
      );
      expect(response.status, redirect).toBe(400);
      await response.arrayBuffer();
    }
    const web = await registerPublicClient({
      application_type: 'web',
      redirect_uris: ['http://127.0.0.1:1111/cb'],
    });
    const { challenge } = pkcePair();
    const response = await fetch(
      authorizeUrl(web, {
        redirect_uri: 'http://127.0.0.1:2222/cb',
        code_challenge: challenge,
        code_challenge_method: 'S256',
      }),
      { redirect: 'manual' },
    );
    expect(response.status).toBe(400);
    await response.arrayBuffer();
  });

  it.each([
    ['userinfo', 'http://localhost:1@evil.example/cb'],
    ['userinfo on a loopback host', 'http://user:pass@127.0.0.1:1/cb'],
    ['a fragment', 'http://127.0.0.1:1/cb#frag'],
    ['a javascript: URI', 'javascript:alert(1)'],
    ['a data: URI', 'data:text/html,hi'],
    ['non-loopback http', 'http://evil.example/cb'],
    ['not a URL', 'not a url'],
  ])('refuses a redirect URI with %s (400, never 500)', async (_label, uri) => {
    for (const applicationType of ['native', 'web']) {
      const { status, body } = await postJson(`${as.issuer}/reg`, {
        application_type: applicationType,
        redirect_uris: [uri],
        token_endpoint_auth_method: 'none',
      });
      expect(status, `${applicationType} ${uri}`).toBe(400);
      expect(['invalid_redirect_uri', 'invalid_client_metadata']).toContain(body.error);
    }
  });

  it('refuses an oversized registration document and malformed JSON cleanly (4xx, never 500)', async () => {
    const big = await postJson(`${as.issuer}/reg`, {
      redirect_uris: [REDIRECT],
      client_name: 'x'.repeat(200_000),
    });
    expect(big.status).toBeGreaterThanOrEqual(400);
    expect(big.status).toBeLessThan(500);
    const malformed = await postJson(`${as.issuer}/reg`, '{"redirect_uris": [');
    expect(malformed.status).toBe(400);
    const notObject = await postJson(`${as.issuer}/reg`, '[1,2]');
    expect(notObject.status).toBe(400);
    const wrongTypes = await postJson(`${as.issuer}/reg`, {
      redirect_uris: 'http://127.0.0.1/cb',
      grant_types: 7,
    });
    expect(wrongTypes.status).toBe(400);
  });

  it('accepts resource scopes in the registration and refuses unknown ones', async () => {
    const ok = await postJson(`${as.issuer}/reg`, {
      redirect_uris: [REDIRECT],
      token_endpoint_auth_method: 'none',
      application_type: 'native',
      scope: 'mcp:tools offline_access',
    });
    expect(ok.status).toBe(201);
    const unknown = await postJson(`${as.issuer}/reg`, {
      redirect_uris: [REDIRECT],
      token_endpoint_auth_method: 'none',
      application_type: 'native',
      scope: 'admin:everything',
    });
    expect(unknown.status).toBe(400);
  });
});

describe('bad input gets a clear error, never a 500 or a stack trace (DESIGN.md, Security baseline)', () => {
  it.each([
    ['GET', '/oauth/auth'],
    ['GET', '/oauth/auth?client_id=%3Cscript%3Ealert(1)%3C%2Fscript%3E&response_type=code'],
    ['GET', '/oauth/auth?response_type=token&client_id=x'],
    ['GET', `/oauth/auth?client_id=${'x'.repeat(5000)}`],
    ['GET', '/oauth/auth/not-an-interaction'],
    ['GET', '/oauth/interaction/not-an-interaction'],
    ['POST', '/oauth/token'],
    ['POST', '/oauth/token/introspection'],
    ['POST', '/oauth/token/revocation'],
    ['GET', '/oauth/reg/unknown-client'],
    ['GET', '/oauth/%E0%A4%A'],
    ['GET', '/.well-known/oauth-authorization-server/oauth/extra'],
  ])('%s %s', async (method, path) => {
    const response = await fetch(`${as.origin}${path}`, {
      method,
      redirect: 'manual',
      ...(method === 'POST'
        ? { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=%%%' }
        : {}),
    });
    const text = await response.text();
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    expect(text).not.toContain('<script>');
    expect(text).not.toMatch(/\bat .+:\d+:\d+/);
  });

  it('token endpoint: JSON bodies and unknown grant types → OAuth JSON errors', async () => {
    const json = await postJson(`${as.issuer}/token`, { grant_type: 'client_credentials' });
    expect(json.status).toBe(400);
    expect(json.body.error).toBeTypeOf('string');
    const unknown = await postForm(`${as.issuer}/token`, { grant_type: 'urn:nope', client_id: 'x' });
    expect(unknown.status).toBeGreaterThanOrEqual(400);
    expect(unknown.status).toBeLessThan(500);
    expect(unknown.body.error).toBeTypeOf('string');
  });
});

describe('revocation (RFC 7009) and introspection (RFC 7662)', () => {
  it('a public client revokes its refresh token; it no longer refreshes', async () => {
    const client = await registerPublicClient();
    const { token } = await codeFlow(client);
    const refreshToken = String(token.body.refresh_token);
    const revoked = await postForm(`${as.issuer}/token/revocation`, {
      token: refreshToken,
      token_type_hint: 'refresh_token',
      client_id: client.client_id,
    });
    expect(revoked.status).toBe(200);
    const after = await postForm(`${as.issuer}/token`, {
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      client_id: client.client_id,
    });
    expect(after.body.error).toBe('invalid_grant');
  });

  it('an authenticated confidential client introspects a refresh token; a public client is refused', async () => {
    const publicClient = await registerPublicClient();
    const { token } = await codeFlow(publicClient);
    const refreshToken = String(token.body.refresh_token);
    const service = await registerConfidentialClient('client_secret_basic');
    const active = await postForm(
      `${as.issuer}/token/introspection`,
      { token: refreshToken },
      { id: service.client_id, secret: service.client_secret ?? '' },
    );
    expect(active.status).toBe(200);
    expect(active.body).toMatchObject({ active: true, client_id: publicClient.client_id, sub: as.accountId });

    const refused = await postForm(`${as.issuer}/token/introspection`, {
      token: refreshToken,
      client_id: publicClient.client_id,
    });
    expect(refused.body.active).not.toBe(true);
    expect(refused.status).toBeGreaterThanOrEqual(400);
  });
});
