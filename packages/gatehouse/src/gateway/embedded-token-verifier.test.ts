import {
  type AuthorizationServer,
  createAuthorizationServer,
  createMemoryStorage,
  rotateSigningKey,
  type Storage,
} from '@gatehouse/authorization-server';
import { type JWK, SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { createEmbeddedTokenVerifier } from './embedded-token-verifier.js';

const ISSUER = 'http://127.0.0.1:8080/oauth';
const AUDIENCE = 'http://127.0.0.1:8080/mcp';

const servers: AuthorizationServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

async function startServer(storage: Storage): Promise<AuthorizationServer> {
  const server = await createAuthorizationServer({
    issuer: ISSUER,
    storage,
    resources: [{ resource: AUDIENCE, scopes: { 'mcp:read': 'Read' } }],
    keyReloadIntervalSeconds: 0,
  });
  servers.push(server);
  return server;
}

/** An access token as the provider would sign it, with `key` (a private JWK from a KeySet). */
async function signWith(key: JWK | undefined): Promise<string> {
  if (key === undefined) throw new Error('test: no key');
  return new SignJWT({ client_id: 'c1', scope: 'mcp:read' })
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: String(key.kid) })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject('user-1')
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(key);
}

/** `server` with its reloadKeys calls counted (and failing while `down`). */
function counted(server: AuthorizationServer) {
  const probe = {
    reloads: 0,
    down: false,
    get keys() {
      return server.keys;
    },
    reloadKeys() {
      probe.reloads += 1;
      return probe.down ? Promise.reject(new Error('database down')) : server.reloadKeys();
    },
  };
  return probe;
}

describe('createEmbeddedTokenVerifier', () => {
  it('accepts a token signed with a key rotated elsewhere: reloads the keys once, then verifies', async () => {
    const storage = createMemoryStorage();
    const server = await startServer(storage);
    const probe = counted(server);
    const verifier = createEmbeddedTokenVerifier(probe, { issuer: ISSUER, audience: AUDIENCE });
    const old = await signWith(server.keys.signing.keys[0]);
    expect((await verifier.verify(old)).subject).toBe('user-1');
    expect(probe.reloads).toBe(0);

    // Another instance rotated and signs with the new key; this server has not reloaded yet.
    const rotated = await rotateSigningKey(storage.keys, { retainSeconds: 600 });
    const fresh = await signWith(rotated.signing.keys[0]);
    expect((await verifier.verify(fresh)).subject).toBe('user-1');
    expect(probe.reloads).toBe(1);
    expect(server.keys.signing.keys[0]?.kid).toBe(rotated.signing.keys[0]?.kid);
    // The retired key still verifies, with no further reload.
    expect((await verifier.verify(old)).subject).toBe('user-1');
    expect(probe.reloads).toBe(1);
  });

  it('follows a key set the server reloaded by itself, without asking for a reload', async () => {
    const storage = createMemoryStorage();
    const server = await startServer(storage);
    const probe = counted(server);
    const verifier = createEmbeddedTokenVerifier(probe, { issuer: ISSUER, audience: AUDIENCE });
    await verifier.verify(await signWith(server.keys.signing.keys[0]));
    await rotateSigningKey(storage.keys, { retainSeconds: 600 });
    expect(await server.reloadKeys()).toBe(true);
    expect((await verifier.verify(await signWith(server.keys.signing.keys[0]))).subject).toBe('user-1');
    expect(probe.reloads).toBe(0);
  });

  it('reloads at most once per cooldown for tokens with keys nobody has, and refuses them with 401', async () => {
    let clock = 1_000_000;
    const server = await startServer(createMemoryStorage());
    const probe = counted(server);
    const verifier = createEmbeddedTokenVerifier(probe, {
      issuer: ISSUER,
      audience: AUDIENCE,
      reloadCooldownMs: 5000,
      now: () => clock,
    });
    const stranger = await createAuthorizationServer({
      issuer: ISSUER,
      storage: createMemoryStorage(),
      resources: [{ resource: AUDIENCE, scopes: { 'mcp:read': 'Read' } }],
      keyReloadIntervalSeconds: 0,
    });
    servers.push(stranger);
    const forged = await signWith(stranger.keys.signing.keys[0]);
    for (let i = 0; i < 5; i++) {
      await expect(verifier.verify(forged)).rejects.toMatchObject({
        error: 'invalid_token',
        error_description: 'unknown signing key',
      });
    }
    expect(probe.reloads).toBe(1);
    clock += 5000;
    await expect(verifier.verify(forged)).rejects.toMatchObject({ error: 'invalid_token' });
    expect(probe.reloads).toBe(2);
  });

  it('answers 503 temporarily_unavailable when the keys cannot be reloaded (the token may be valid)', async () => {
    const storage = createMemoryStorage();
    const server = await startServer(storage);
    const probe = counted(server);
    const verifier = createEmbeddedTokenVerifier(probe, { issuer: ISSUER, audience: AUDIENCE });
    const rotated = await rotateSigningKey(storage.keys, { retainSeconds: 600 });
    probe.down = true;
    await expect(verifier.verify(await signWith(rotated.signing.keys[0]))).rejects.toMatchObject({
      error: 'temporarily_unavailable',
      status: 503,
    });
  });

  it('does not reload for a token that fails for another reason (expired, wrong audience)', async () => {
    const server = await startServer(createMemoryStorage());
    const probe = counted(server);
    const verifier = createEmbeddedTokenVerifier(probe, { issuer: ISSUER, audience: `${AUDIENCE}/other` });
    await expect(verifier.verify(await signWith(server.keys.signing.keys[0]))).rejects.toMatchObject({
      error: 'invalid_token',
    });
    expect(probe.reloads).toBe(0);
  });
});
