/**
 * End to end, over real HTTP on 127.0.0.1: the authorization server's modes and options — the
 * refresh token reuse window expiring, registration modes (initial access token, off) and its rate
 * limit, the default resource, the setup URL, and option validation at construction.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import {
  AUTHORIZATION_SERVER_CHANNEL,
  createAuthorizationServer,
  createMemoryStorage,
  type Storage,
} from '@gatehouse/authorization-server';
import { decodeJwt } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import {
  followAuthorization,
  pkcePair,
  postForm,
  postJson,
  startTestAs,
  type TestAs,
  type TestAsOptions,
} from './authorization-server-helpers.js';

const RESOURCE = 'http://127.0.0.1:9001/mcp';
const REDIRECT = 'http://127.0.0.1:8765/callback';
const running: TestAs[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((as) => as.close()));
});

async function start(options: Partial<TestAsOptions> = {}): Promise<TestAs> {
  const as = await startTestAs({
    storage: createMemoryStorage(),
    resources: [{ resource: RESOURCE, scopes: { 'mcp:tools': 'Use the tools' } }],
    ...options,
  });
  running.push(as);
  return as;
}

async function registerPublic(as: TestAs): Promise<string> {
  const { status, body } = await postJson(`${as.issuer}/reg`, {
    application_type: 'native',
    redirect_uris: [REDIRECT],
    token_endpoint_auth_method: 'none',
  });
  expect(status, JSON.stringify(body)).toBe(201);
  return String(body.client_id);
}

/** Authorizes (no `resource` parameter: the default resource applies) and redeems the code. */
async function tokens(as: TestAs, clientId: string) {
  const { verifier, challenge } = pkcePair();
  const url = new URL(`${as.issuer}/auth`);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: REDIRECT,
    scope: 'mcp:tools',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: 's',
  }).toString();
  const { location } = await followAuthorization(url.href, as.origin);
  const code = location?.searchParams.get('code');
  expect(code, location?.href).toBeTypeOf('string');
  const { status, body } = await postForm(`${as.issuer}/token`, {
    grant_type: 'authorization_code',
    code: code ?? '',
    redirect_uri: REDIRECT,
    code_verifier: verifier,
    client_id: clientId,
  });
  expect(status, JSON.stringify(body)).toBe(200);
  return body;
}

async function withAccount(as: TestAs): Promise<TestAs> {
  as.accountId = (await as.server.accounts.create('bob', 'a long enough password')).id;
  return as;
}

describe('refresh token reuse after the window (RFC 9700 §4.14.2)', () => {
  it('presenting a rotated refresh token after the reuse window revokes the grant: every token of it stops working', async () => {
    const as = await withAccount(await start({ refreshTokenReuseWindowSeconds: 1 }));
    const clientId = await registerPublic(as);
    const first = await tokens(as, clientId);
    const original = String(first.refresh_token);
    const rotated = await postForm(`${as.issuer}/token`, {
      grant_type: 'refresh_token',
      refresh_token: original,
      client_id: clientId,
    });
    expect(rotated.status).toBe(200);
    const successor = String(rotated.body.refresh_token);

    // The window is whole seconds on the storage clock: 1.1 s later at least one second has passed.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const reuse = await postForm(`${as.issuer}/token`, {
      grant_type: 'refresh_token',
      refresh_token: original,
      client_id: clientId,
    });
    expect(reuse.status).toBe(400);
    expect(reuse.body.error).toBe('invalid_grant');

    const afterRevocation = await postForm(`${as.issuer}/token`, {
      grant_type: 'refresh_token',
      refresh_token: successor,
      client_id: clientId,
    });
    expect(afterRevocation.status).toBe(400);
    expect(afterRevocation.body.error).toBe('invalid_grant');
  });
});

describe('default resource (RFC 8707 §2, MCP requirements §10.3)', () => {
  it('with exactly one resource, requests without `resource` get tokens for it', async () => {
    const as = await withAccount(await start());
    const clientId = await registerPublic(as);
    const body = await tokens(as, clientId);
    expect(decodeJwt(String(body.access_token)).aud).toBe(RESOURCE);

    const service = await postJson(`${as.issuer}/reg`, {
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_post',
    });
    const cc = await postForm(`${as.issuer}/token`, {
      grant_type: 'client_credentials',
      client_id: String(service.body.client_id),
      client_secret: String(service.body.client_secret),
      scope: 'mcp:tools',
    });
    expect(cc.status, JSON.stringify(cc.body)).toBe(200);
    expect(decodeJwt(String(cc.body.access_token))).toMatchObject({ aud: RESOURCE, scope: 'mcp:tools' });
  });
});

describe('registration modes (RFC 7591 §3)', () => {
  it('initial-access-token: refused without the token, accepted with one from issueInitialAccessToken()', async () => {
    const as = await start({ registration: 'initial-access-token' });
    const metadata = (await (
      await fetch(`${as.origin}/.well-known/oauth-authorization-server/oauth`)
    ).json()) as Record<string, unknown>;
    expect(metadata.registration_endpoint).toBe(`${as.issuer}/reg`);
    const document = {
      application_type: 'native',
      redirect_uris: [REDIRECT],
      token_endpoint_auth_method: 'none',
    };

    const anonymous = await postJson(`${as.issuer}/reg`, document);
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error).toBe('invalid_token');
    const forged = await postJson(`${as.issuer}/reg`, document, { authorization: 'Bearer not-a-real-token' });
    expect(forged.status).toBe(401);

    const token = await as.server.issueInitialAccessToken();
    const accepted = await postJson(`${as.issuer}/reg`, document, { authorization: `Bearer ${token}` });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(201);
    // The token is single-purpose, not single-use: it stays valid until it expires.
    const second = await postJson(`${as.issuer}/reg`, document, { authorization: `Bearer ${token}` });
    expect(second.status).toBe(201);
  });

  it('off: no registration_endpoint in the metadata, and the endpoint does not exist', async () => {
    const as = await start({ registration: 'off' });
    const metadata = (await (
      await fetch(`${as.origin}/.well-known/oauth-authorization-server/oauth`)
    ).json()) as Record<string, unknown>;
    expect(metadata.registration_endpoint).toBeUndefined();
    const attempt = await postJson(`${as.issuer}/reg`, { redirect_uris: [REDIRECT] });
    expect(attempt.status).toBe(404);
  });

  it('is rate-limited per remote address: 429 with Retry-After once the burst is spent', async () => {
    const as = await start({ registrationRateLimit: { burst: 2, perMinute: 1 } });
    const document = {
      application_type: 'native',
      redirect_uris: [REDIRECT],
      token_endpoint_auth_method: 'none',
    };
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const registered = await postJson(`${as.issuer}/reg`, document);
      expect(registered.status).toBe(201);
      expect(registered.body.client_id).toMatch(/^[A-Za-z0-9][A-Za-z0-9_-]{42}$/);
    }
    const limited = await postJson(`${as.issuer}/reg`, document);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.body.error).toBeTypeOf('string');
    // Other endpoints are not limited.
    expect((await fetch(`${as.issuer}/jwks`)).status).toBe(200);
  });
});

describe('setupUrl()', () => {
  it('issues a one-time setup URL under the issuer while no account exists, and none afterwards', async () => {
    const as = await start();
    const url = await as.server.setupUrl();
    expect(url).toMatch(
      new RegExp(`^${as.issuer.replace(/[.:/]/g, '\\$&')}/setup\\?token=[A-Za-z0-9_-]{20,}$`),
    );
    const page = await fetch(url ?? '');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    await page.arrayBuffer();
    const again = await as.server.setupUrl();
    expect(again).not.toBe(url);
    await as.server.accounts.create('carol', 'a long enough password');
    expect(await as.server.setupUrl()).toBeUndefined();
  });
});

describe('errors inside the server', () => {
  it('a storage failure answers a bare server_error (no detail) and is reported on the diagnostics channel', async () => {
    const memory = createMemoryStorage();
    let failing = false;
    const storage: Storage = {
      kind: memory.kind,
      accounts: memory.accounts,
      keys: memory.keys,
      settings: memory.settings,
      purgeExpired: (now) => memory.purgeExpired(now),
      close: () => memory.close(),
      model(name) {
        const store = memory.model(name);
        if (name !== 'Client') return store;
        return {
          upsert: (id, payload, expiresIn) => store.upsert(id, payload, expiresIn),
          async find(id) {
            if (failing) throw new Error('disk on fire: /var/secret/path');
            return store.find(id);
          },
          findByUid: (uid) => store.findByUid(uid),
          findByUserCode: (code) => store.findByUserCode(code),
          consume: (id) => store.consume(id),
          destroy: (id) => store.destroy(id),
          revokeByGrantId: (grantId) => store.revokeByGrantId(grantId),
          list: () => store.list(),
        };
      },
    };
    const as = await start({ storage });
    const clientId = await registerPublic(as);
    const seen: unknown[] = [];
    const listener = (message: unknown) => seen.push(message);
    subscribe(AUTHORIZATION_SERVER_CHANNEL, listener);
    try {
      failing = true;
      const response = await postForm(`${as.issuer}/token`, {
        grant_type: 'client_credentials',
        client_id: clientId,
      });
      expect(response.status).toBe(500);
      expect(response.body.error).toBe('server_error');
      expect(JSON.stringify(response.body)).not.toContain('disk on fire');
      expect(seen).toContainEqual(
        expect.objectContaining({ type: 'server_error', error: expect.any(Error) }),
      );
    } finally {
      unsubscribe(AUTHORIZATION_SERVER_CHANNEL, listener);
    }
  });
});

describe('createAuthorizationServer validates its options at construction', () => {
  const storage = createMemoryStorage();
  const resources = [{ resource: RESOURCE, scopes: { 'mcp:tools': 'Use the tools' } }];
  it.each([
    ['a missing issuer', { storage, resources }],
    ['a relative issuer', { issuer: '/oauth', storage, resources }],
    ['an http issuer that is not loopback', { issuer: 'http://auth.example.com/oauth', storage, resources }],
    ['an issuer with a query', { issuer: 'https://auth.example.com/oauth?x=1', storage, resources }],
    ['an issuer with a trailing slash', { issuer: 'https://auth.example.com/oauth/', storage, resources }],
    ['no resources', { issuer: 'https://auth.example.com/oauth', storage, resources: [] }],
    [
      'offline_access as a resource scope',
      {
        issuer: 'https://auth.example.com/oauth',
        storage,
        resources: [{ resource: RESOURCE, scopes: { offline_access: 'x' } }],
      },
    ],
    [
      'a bad access token TTL',
      {
        issuer: 'https://auth.example.com/oauth',
        storage,
        resources: [{ ...resources[0], accessTokenTtlSeconds: -1 }],
      },
    ],
    [
      'a bad refresh token TTL',
      { issuer: 'https://auth.example.com/oauth', storage, resources, ttl: { refreshTokenSeconds: 0 } },
    ],
    [
      'an unknown registration mode',
      { issuer: 'https://auth.example.com/oauth', storage, resources, registration: 'wide-open' },
    ],
    ['an unknown option', { issuer: 'https://auth.example.com/oauth', storage, resources, proxy: true }],
  ])('refuses %s with a TypeError carrying a code', async (_label, options) => {
    await expect(createAuthorizationServer(options as never)).rejects.toMatchObject({
      name: 'TypeError',
      code: expect.stringMatching(/^ERR_/),
    });
  });
});
