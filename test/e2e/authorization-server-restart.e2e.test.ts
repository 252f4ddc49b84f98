/**
 * End to end on SQLite: the process restarts between the authorization response and the token
 * request, and the flow completes (issue #3 "restart the server mid-way"; nothing is lost on
 * restart: clients, codes, accounts, grants and keys are all in the database).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStorage, type SqliteStorage } from '@gatehouse/authorization-server';
import { createJwtVerifier } from '@gatehouse/resource-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
const resources = [{ resource: RESOURCE, scopes: { 'mcp:tools': 'Use the tools' } }];

let dir: string;
const opened: SqliteStorage[] = [];
const running: TestAs[] = [];

function open(path: string): SqliteStorage {
  const storage = openSqliteStorage({ path, purgeIntervalSeconds: 0 });
  opened.push(storage);
  return storage;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-as-restart-'));
});

afterAll(async () => {
  for (const as of running) await as.close().catch(() => undefined);
  for (const storage of opened) await storage.close().catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

describe('restart between authorization and token request (SQLite storage)', () => {
  it('a code issued before the restart is redeemed after it, with the same signing key; refresh works too', async () => {
    const path = join(dir, 'gatehouse.db');
    const first = await startTestAs({ storage: open(path), resources });
    running.push(first);
    first.accountId = (await first.server.accounts.create('dave', 'a long enough password')).id;
    const registration = await postJson(`${first.issuer}/reg`, {
      application_type: 'native',
      redirect_uris: [REDIRECT],
      token_endpoint_auth_method: 'none',
    });
    expect(registration.status).toBe(201);
    const clientId = String(registration.body.client_id);
    const { verifier, challenge } = pkcePair();
    const url = new URL(`${first.issuer}/auth`);
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
    const { location } = await followAuthorization(url.href, first.origin);
    const code = location?.searchParams.get('code');
    expect(code).toBeTypeOf('string');
    const firstKid = first.server.keys.signing.keys[0]?.kid;

    await first.close();
    await opened[0]?.close();

    const second = await startTestAs({ storage: open(path), resources, port: first.port });
    running.push(second);
    expect(second.issuer).toBe(first.issuer);
    expect(second.server.keys.signing.keys[0]?.kid).toBe(firstKid);

    const token = await postForm(`${second.issuer}/token`, {
      grant_type: 'authorization_code',
      code: code ?? '',
      redirect_uri: REDIRECT,
      code_verifier: verifier,
      client_id: clientId,
    });
    expect(token.status, JSON.stringify(token.body)).toBe(200);
    const verifierA = createJwtVerifier({
      issuer: second.issuer,
      audience: RESOURCE,
      jwksUri: `${second.issuer}/jwks`,
      jwksPolicy: { allowLoopback: true },
      acceptGenericJwt: false,
    });
    const info = await verifierA.verify(String(token.body.access_token));
    expect(info.subject).toBe(first.accountId);

    const refreshed = await postForm(`${second.issuer}/token`, {
      grant_type: 'refresh_token',
      refresh_token: String(token.body.refresh_token),
      client_id: clientId,
    });
    expect(refreshed.status).toBe(200);

    // The reuse window on SQLite: two racing refreshes with the same token both succeed.
    const current = String(refreshed.body.refresh_token);
    const race = await Promise.all(
      [1, 2].map(() =>
        postForm(`${second.issuer}/token`, {
          grant_type: 'refresh_token',
          refresh_token: current,
          client_id: clientId,
        }),
      ),
    );
    expect(race.map((r) => r.status)).toEqual([200, 200]);
  });
});
