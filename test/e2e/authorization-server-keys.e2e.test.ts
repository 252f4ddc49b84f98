/**
 * Keys rotated in the storage by someone else (`gatehouse keys rotate`, another instance on the
 * same database) reach a running authorization server: `reloadKeys()` and its timer rebuild the
 * provider with the stored keys. Plus `trustProxy`: forwarded host, scheme and client address.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import {
  AUTHORIZATION_SERVER_CHANNEL,
  createMemoryStorage,
  rotateCookieKey,
  rotateSigningKey,
  type Storage,
} from '@gatehouse/authorization-server';
import { createJwtVerifier } from '@gatehouse/resource-server';
import { decodeProtectedHeader } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CookieJar,
  followAuthorization,
  pkcePair,
  postForm,
  postJson,
  startTestAs,
  type TestAs,
} from './authorization-server-helpers.js';

const RESOURCE = 'http://127.0.0.1:9001/mcp';
const REDIRECT = 'http://127.0.0.1:8765/callback';
const resources = [{ resource: RESOURCE, scopes: { 'mcp:tools': 'Use the tools' } }];

const running: TestAs[] = [];
afterEach(async () => {
  for (const as of running.splice(0)) await as.close();
});

async function start(
  storage: Storage,
  extra: { keyReloadIntervalSeconds?: number; trustProxy?: boolean } = {},
) {
  const as = await startTestAs({ storage, resources, keyReloadIntervalSeconds: 0, ...extra });
  running.push(as);
  as.accountId = (await as.server.accounts.create('erin', 'a long enough password')).id;
  return as;
}

async function registerClient(as: TestAs): Promise<string> {
  const { status, body } = await postJson(`${as.issuer}/reg`, {
    application_type: 'native',
    redirect_uris: [REDIRECT],
    token_endpoint_auth_method: 'none',
  });
  expect(status, JSON.stringify(body)).toBe(201);
  return String(body.client_id);
}

function authorizeUrl(as: TestAs, clientId: string, challenge: string): string {
  const url = new URL(`${as.issuer}/auth`);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: REDIRECT,
    scope: 'mcp:tools',
    resource: RESOURCE,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: 's',
  }).toString();
  return url.href;
}

async function redeem(as: TestAs, clientId: string, back: URL | undefined, verifier: string) {
  const code = back?.searchParams.get('code');
  expect(code).toBeTypeOf('string');
  const token = await postForm(`${as.issuer}/token`, {
    grant_type: 'authorization_code',
    code: code ?? '',
    redirect_uri: REDIRECT,
    code_verifier: verifier,
    client_id: clientId,
  });
  expect(token.status, JSON.stringify(token.body)).toBe(200);
  return String(token.body.access_token);
}

/** Sign-in, consent and code exchange; resolves the access token. */
async function accessToken(as: TestAs, clientId: string): Promise<string> {
  const { verifier, challenge } = pkcePair();
  const { location } = await followAuthorization(authorizeUrl(as, clientId, challenge), as.origin);
  return redeem(as, clientId, location, verifier);
}

const kidOf = (token: string) => decodeProtectedHeader(token).kid;

async function publishedKids(as: TestAs): Promise<string[]> {
  const jwks = (await (await fetch(`${as.issuer}/jwks`)).json()) as { keys: { kid: string }[] };
  return jwks.keys.map((key) => key.kid);
}

function resourceVerifier(as: TestAs) {
  return createJwtVerifier({
    issuer: as.issuer,
    audience: RESOURCE,
    jwksUri: `${as.issuer}/jwks`,
    jwksPolicy: { allowLoopback: true },
    acceptGenericJwt: false,
    cache: false,
  });
}

describe('keys rotated in the storage reach a running server', () => {
  it('reloadKeys(): new tokens carry the new kid, old ones still verify, a sign-in begun before the switch completes', async () => {
    const storage = createMemoryStorage();
    const as = await start(storage);
    const clientId = await registerClient(as);
    const before = await accessToken(as, clientId);
    const oldKid = kidOf(before);
    expect(oldKid).toBe(as.server.keys.signing.keys[0]?.kid);
    const oldProvider = as.server.provider;
    expect(await as.server.reloadKeys()).toBe(false); // nothing changed: same provider
    expect(as.server.provider).toBe(oldProvider);

    // A sign-in starts on the old keys: its interaction cookie is signed with the old cookie key.
    const jar = new CookieJar();
    const { verifier, challenge } = pkcePair();
    const started = await fetch(authorizeUrl(as, clientId, challenge), { redirect: 'manual' });
    jar.store(started);
    const interaction = new URL(started.headers.get('location') ?? '', as.origin).href;
    await started.arrayBuffer();

    // Another process rotates both kinds of key in the shared storage.
    await rotateSigningKey(storage.keys, { retainSeconds: 3600 });
    await rotateCookieKey(storage.keys, { retainSeconds: 3600 });
    expect(as.server.keys.signing.keys[0]?.kid).toBe(oldKid); // not seen until a reload
    expect(await as.server.reloadKeys()).toBe(true);
    expect(as.server.provider).not.toBe(oldProvider);
    const newKid = as.server.keys.signing.keys[0]?.kid;
    expect(newKid).not.toBe(oldKid);
    expect(await publishedKids(as)).toEqual([newKid, oldKid]); // the retired key stays published

    const { location } = await followAuthorization(interaction, as.origin, jar);
    const after = await redeem(as, clientId, location, verifier);
    expect(kidOf(after)).toBe(newKid);
    const verify = resourceVerifier(as);
    expect((await verify.verify(before)).subject).toBe(as.accountId);
    expect((await verify.verify(after)).subject).toBe(as.accountId);
  });

  it('a request in flight when the keys switch finishes on the provider it started on (signed with the old key)', async () => {
    const storage = createMemoryStorage();
    // Holds the token request inside its client lookup until the test lets it go.
    let hold: { reached: () => void; release: Promise<void> } | undefined;
    const gated: Storage = Object.create(storage, {
      model: {
        value: (name: string) => {
          const store = storage.model(name);
          if (name !== 'Client') return store;
          return new Proxy(store, {
            get(target, property) {
              if (property !== 'find') {
                const value = Reflect.get(target, property, target);
                return typeof value === 'function' ? value.bind(target) : value;
              }
              return async (id: string) => {
                const held = hold;
                hold = undefined;
                if (held !== undefined) {
                  held.reached();
                  await held.release;
                }
                return target.find(id);
              };
            },
          });
        },
      },
    });
    const as = await start(gated);
    const { status, body } = await postJson(`${as.issuer}/reg`, {
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_post',
    });
    expect(status, JSON.stringify(body)).toBe(201);
    const oldKid = as.server.keys.signing.keys[0]?.kid;
    let reached = () => {};
    let release = () => {};
    const atLookup = new Promise<void>((resolve) => {
      reached = resolve;
    });
    hold = {
      reached,
      release: new Promise<void>((resolve) => {
        release = resolve;
      }),
    };
    const inFlight = postForm(`${as.issuer}/token`, {
      grant_type: 'client_credentials',
      client_id: String(body.client_id),
      client_secret: String(body.client_secret),
      resource: RESOURCE,
      scope: 'mcp:tools',
    });
    await atLookup;
    await rotateSigningKey(storage.keys, { retainSeconds: 3600 });
    expect(await as.server.reloadKeys()).toBe(true);
    const newKid = as.server.keys.signing.keys[0]?.kid;
    release();
    const finished = await inFlight;
    expect(finished.status, JSON.stringify(finished.body)).toBe(200);
    expect(kidOf(String(finished.body.access_token))).toBe(oldKid);
    const next = await postForm(`${as.issuer}/token`, {
      grant_type: 'client_credentials',
      client_id: String(body.client_id),
      client_secret: String(body.client_secret),
      resource: RESOURCE,
      scope: 'mcp:tools',
    });
    expect(next.status).toBe(200);
    expect(kidOf(String(next.body.access_token))).toBe(newKid);
  });

  it('a retired key leaves the JWKS once it expires, and tokens it signed stop verifying', async () => {
    const storage = createMemoryStorage();
    const as = await start(storage);
    const clientId = await registerClient(as);
    const before = await accessToken(as, clientId);
    await rotateSigningKey(storage.keys, { retainSeconds: 1 });
    expect(await as.server.reloadKeys()).toBe(true);
    expect(await publishedKids(as)).toContain(kidOf(before));
    await new Promise((resolve) => setTimeout(resolve, 2100)); // expiry has a one-second resolution
    expect(await as.server.reloadKeys()).toBe(true);
    expect(await publishedKids(as)).not.toContain(kidOf(before));
    await expect(resourceVerifier(as).verify(before)).rejects.toMatchObject({ error: 'invalid_token' });
  });

  it('the keyReloadIntervalSeconds timer picks up a rotation by itself and reports it on the diagnostics channel', async () => {
    const storage = createMemoryStorage();
    const as = await start(storage, { keyReloadIntervalSeconds: 1 });
    const events: { type?: string; kids?: string[] }[] = [];
    const listener = (message: unknown) => events.push(message as { type?: string; kids?: string[] });
    subscribe(AUTHORIZATION_SERVER_CHANNEL, listener);
    try {
      const oldKid = as.server.keys.signing.keys[0]?.kid;
      await rotateSigningKey(storage.keys, { retainSeconds: 3600 });
      for (let i = 0; i < 50 && as.server.keys.signing.keys[0]?.kid === oldKid; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const newKid = as.server.keys.signing.keys[0]?.kid;
      expect(newKid).not.toBe(oldKid);
      expect(events).toContainEqual({ type: 'keys_reloaded', kids: [newKid, oldKid] });
      expect(await publishedKids(as)).toEqual([newKid, oldKid]);
    } finally {
      unsubscribe(AUTHORIZATION_SERVER_CHANNEL, listener);
    }
  });

  it('a rotated cookie key signs only one reload interval after its creation: instances that have not reloaded yet accept every cookie', async () => {
    const storage = createMemoryStorage();
    const a = await start(storage, { keyReloadIntervalSeconds: 2 });
    // B does not reload during the test (and shares A's account, so it is started without one).
    const b = await startTestAs({ storage, resources, keyReloadIntervalSeconds: 3600 });
    running.push(b);
    const [oldKey] = a.server.keys.cookieKeys;
    await rotateCookieKey(storage.keys, { retainSeconds: 3600 });
    expect(await a.server.reloadKeys()).toBe(true);
    const [signing, accepted] = a.server.keys.cookieKeys;
    expect(signing).toBe(oldKey); // A knows the new key but does not sign with it yet…
    expect(accepted).not.toBe(oldKey);
    expect(b.server.keys.cookieKeys).toEqual([oldKey]); // …so B, still on the old keys, accepts A's cookies.
    // Once B has had an interval to reload, A's timer switches it to the new key.
    await expect.poll(() => a.server.keys.cookieKeys[0], { timeout: 8_000, interval: 250 }).toBe(accepted);
    expect(a.server.keys.cookieKeys).toEqual([accepted, oldKey]);
  });

  it('a failed reload keeps the keys in use and rejects with the storage error', async () => {
    const storage = createMemoryStorage();
    const as = await start(storage);
    const keys = as.server.keys;
    const failure = new Error('storage down');
    const list = storage.keys.list;
    storage.keys.list = () => Promise.reject(failure);
    try {
      await expect(as.server.reloadKeys()).rejects.toBe(failure);
    } finally {
      storage.keys.list = list;
    }
    expect(as.server.keys).toBe(keys);
    expect(await publishedKids(as)).toEqual([keys.signing.keys[0]?.kid]);
  });
});

describe('trustProxy', () => {
  const forwarded = { 'x-forwarded-host': 'as.example', 'x-forwarded-proto': 'https' };

  it('with it, metadata URLs follow X-Forwarded-Host and -Proto; without it they follow Host', async () => {
    const trusting = await start(createMemoryStorage(), { trustProxy: true });
    const plain = await start(createMemoryStorage());
    const tokenEndpoint = async (as: TestAs) => {
      const response = await fetch(`${as.origin}/.well-known/oauth-authorization-server/oauth`, {
        headers: forwarded,
      });
      return ((await response.json()) as { token_endpoint: string }).token_endpoint;
    };
    expect(await tokenEndpoint(trusting)).toBe('https://as.example/oauth/token');
    expect(await tokenEndpoint(plain)).toBe(`${plain.origin}/oauth/token`);
  });

  it('with it, the registration rate limit counts the address the proxy appended, not the proxy', async () => {
    const limit = { burst: 1, perMinute: 1 };
    const storage = createMemoryStorage();
    const trusting = await startTestAs({
      storage,
      resources,
      trustProxy: true,
      registrationRateLimit: limit,
    });
    running.push(trusting);
    const register = (from: string) =>
      postJson(
        `${trusting.issuer}/reg`,
        { application_type: 'native', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' },
        { 'x-forwarded-for': from },
      );
    expect((await register('198.51.100.1, 203.0.113.1')).status).toBe(201);
    // A different client behind the same proxy has its own allowance; a spoofed first entry does not help.
    expect((await register('203.0.113.2')).status).toBe(201);
    expect((await register('198.51.100.9, 203.0.113.1')).status).toBe(429);
  });

  it('with it, the setup page refuses a client the proxy says is remote', async () => {
    const trusting = await startTestAs({ storage: createMemoryStorage(), resources, trustProxy: true });
    running.push(trusting);
    const setup = await trusting.server.setupUrl();
    expect(setup).toBeTypeOf('string');
    const remote = await fetch(setup ?? '', { headers: { 'x-forwarded-for': '203.0.113.5' } });
    expect(remote.status).toBe(403);
    expect((await fetch(setup ?? '', { headers: { 'x-forwarded-for': '127.0.0.1' } })).status).toBe(200);
  });
});
