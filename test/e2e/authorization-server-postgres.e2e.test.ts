/**
 * End to end, over real HTTP on 127.0.0.1, with the authorization server on a real PostgreSQL
 * database: what the provider answers while the database is unreachable (503, no crash, nothing
 * lost), and one authorization code redeemed by concurrent requests.
 */
import { openPostgresStorage, type PostgresStorage } from '@gatehouse/authorization-server';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import {
  followAuthorization,
  pkcePair,
  postForm,
  postJson,
  startTestAs,
  type TestAs,
} from './authorization-server-helpers.js';

const RESOURCE = 'http://127.0.0.1:9001/mcp';
const REDIRECT = 'http://127.0.0.1:8765/callback';

let db: TestDatabase;
let proxy: TcpProxy;
const running: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  const target = new URL(db.url);
  proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
});
afterEach(async () => {
  for (const item of running.splice(0)) await item.close();
  await proxy.up().catch(() => undefined);
});
afterAll(async () => {
  await proxy?.close();
  await db?.drop();
});

/** An authorization server whose storage reaches PostgreSQL through the proxy. */
async function start(): Promise<{ as: TestAs; storage: PostgresStorage }> {
  const url = new URL(db.url);
  url.port = String(proxy.port);
  const storage = await openPostgresStorage({
    connectionString: url.toString(),
    connectionTimeoutMs: 1000,
    purgeIntervalSeconds: 0,
  });
  const as = await startTestAs({
    storage,
    resources: [{ resource: RESOURCE, scopes: { 'mcp:tools': 'Use the tools' } }],
  });
  running.push(storage, as);
  return { as, storage };
}

describe('PostgreSQL down while serving', () => {
  it('answers 503 temporarily_unavailable while the database is unreachable, and 200 again after', async () => {
    const { as } = await start();
    const registered = await postJson(`${as.issuer}/reg`, {
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
    });
    expect(registered.status, JSON.stringify(registered.body)).toBe(201);
    const credentials = {
      id: String(registered.body.client_id),
      secret: String(registered.body.client_secret),
    };
    const request = () =>
      postForm(`${as.issuer}/token`, { grant_type: 'client_credentials', scope: 'mcp:tools' }, credentials);
    expect((await request()).status).toBe(200);

    await proxy.down();
    const during = await request();
    expect(during.status).toBe(503);
    expect(during.body.error).toBe('temporarily_unavailable');
    expect(JSON.stringify(during.body)).not.toContain(db.name);

    await proxy.up();
    const after = await request();
    expect(after.status, JSON.stringify(after.body)).toBe(200);
    expect(after.body.access_token).toBeTypeOf('string');
  });
});

describe('one authorization code redeemed by concurrent requests', () => {
  it('exactly one request gets tokens; the others get invalid_grant and the grant is revoked', async () => {
    const { as } = await start();
    as.accountId = (await as.server.accounts.create('dana', 'a long enough password')).id;
    const registered = await postJson(`${as.issuer}/reg`, {
      application_type: 'native',
      redirect_uris: [REDIRECT],
      grant_types: ['authorization_code', 'refresh_token'],
      token_endpoint_auth_method: 'none',
    });
    expect(registered.status, JSON.stringify(registered.body)).toBe(201);
    const clientId = String(registered.body.client_id);

    for (let round = 0; round < 3; round++) {
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
      const code = location?.searchParams.get('code') ?? '';
      expect(code).not.toBe('');
      const redeem = () =>
        postForm(`${as.issuer}/token`, {
          grant_type: 'authorization_code',
          code,
          redirect_uri: REDIRECT,
          code_verifier: verifier,
          client_id: clientId,
        });
      const results = await Promise.all([redeem(), redeem(), redeem()]);
      const winners = results.filter((r) => r.status === 200);
      expect(winners).toHaveLength(1);
      for (const loser of results.filter((r) => r.status !== 200)) {
        expect(loser.status).toBe(400);
        expect(loser.body.error).toBe('invalid_grant');
      }
      // The code was replayed: the grant is revoked, so the winner's refresh token is dead too.
      const refresh = await postForm(`${as.issuer}/token`, {
        grant_type: 'refresh_token',
        refresh_token: String(winners[0]?.body.refresh_token),
        client_id: clientId,
      });
      expect(refresh.status).toBe(400);
      expect(refresh.body.error).toBe('invalid_grant');
    }
  });
});
