/**
 * `gatehouse grants`, `clients` and `users remove` against a running authorization server on the
 * same SQLite data directory: real registrations, a real code flow (sign-in and consent driven by
 * the test interaction driver), and the token endpoint's answer after each revocation.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStorage, type SqliteStorage } from '@gatehouse/authorization-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  followAuthorization,
  pkcePair,
  postForm,
  postJson,
  startTestAs,
  type TestAs,
} from '../../../../test/e2e/authorization-server-helpers.js';
import { pipedStdin, runGatehouse } from './admin-test-io.test-helpers.js';

const RESOURCE = 'http://127.0.0.1:9/mcp';
const REDIRECT = 'http://127.0.0.1:8765/callback';

let dir: string;
let storage: SqliteStorage;
let as: TestAs;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-admin-'));
  storage = openSqliteStorage({ path: join(dir, 'gatehouse.db'), purgeIntervalSeconds: 0 });
  as = await startTestAs({
    storage,
    resources: [{ resource: RESOURCE, scopes: { 'mcp:tools': 'Use the tools', 'mcp:write': 'Write' } }],
    registrationRateLimit: false,
  });
  for (const name of ['alice', 'bob']) {
    const added = await runGatehouse(['users', 'add', name, '--data-dir', dir, '--password-stdin'], {
      stdin: pipedStdin('correct horse battery staple\n'),
    });
    expect(added.code, added.stderr).toBe(0);
  }
});

afterAll(async () => {
  await as?.close();
  await storage?.close();
  await rm(dir, { recursive: true, force: true });
});

function admin(...args: string[]) {
  return runGatehouse([...args, '--data-dir', dir]);
}

/** `admin` with a generated id after "--": one in 4096 begins with "--", which only "--" makes an argument. */
function adminOnId(command: string, subcommand: string, id: string) {
  return runGatehouse([command, subcommand, '--data-dir', dir, '--', id]);
}

async function registerPublicClient(name: string): Promise<string> {
  const { status, body } = await postJson(`${as.issuer}/reg`, {
    application_type: 'native',
    redirect_uris: [REDIRECT],
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    client_name: name,
  });
  expect(status, JSON.stringify(body)).toBe(201);
  return String(body.client_id);
}

/** Signs `username` in to the client and returns its refresh token. */
async function signIn(clientId: string, username: string): Promise<string> {
  as.accountId = (await storage.accounts.findByUsername(username))?.id;
  const { verifier, challenge } = pkcePair();
  const url = new URL(`${as.issuer}/auth`);
  for (const [key, value] of Object.entries({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: REDIRECT,
    scope: 'mcp:tools',
    resource: RESOURCE,
    state: 'st',
    code_challenge: challenge,
    code_challenge_method: 'S256',
  }))
    url.searchParams.set(key, value);
  const { location } = await followAuthorization(url.href, as.origin);
  const token = await postForm(`${as.issuer}/token`, {
    grant_type: 'authorization_code',
    code: location?.searchParams.get('code') ?? '',
    redirect_uri: REDIRECT,
    code_verifier: verifier,
    client_id: clientId,
  });
  expect(token.status, JSON.stringify(token.body)).toBe(200);
  return String(token.body.refresh_token);
}

function refresh(clientId: string, refreshToken: string) {
  return postForm(`${as.issuer}/token`, {
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
    client_id: clientId,
  });
}

/** The grant id of the table row for `username` and `clientId`. */
function grantIdIn(listing: string, username: string, clientId: string): string | undefined {
  return listing
    .split('\n')
    .map((line) => line.split(/\s{2,}/))
    .find((cells) => cells[1] === username && cells[2] === clientId)?.[0];
}

describe('gatehouse grants', () => {
  it('lists a grant with its user, client, scopes, resource and times; revoke stops its refresh token', async () => {
    const clientId = await registerPublicClient('grants test');
    const refreshToken = await signIn(clientId, 'alice');
    const listed = await admin('grants', 'list');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^GRANT ID\s+USER\s+CLIENT\s+SCOPES\s+RESOURCES\s+CREATED\s+EXPIRES\n/);
    const grantId = grantIdIn(listed.stdout, 'alice', clientId);
    expect(grantId).toBeTypeOf('string');
    const row = listed.stdout.split('\n').find((line) => line.startsWith(`${grantId} `)) ?? '';
    expect(row).toMatch(
      new RegExp(`mcp:tools\\s+${RESOURCE.replaceAll('.', '\\.')}\\s+\\d{4}-\\S+Z\\s+\\d{4}-\\S+Z$`),
    );
    expect(listed.stdout).not.toContain(refreshToken);

    // The refresh token works before the revocation (and rotates).
    const before = await refresh(clientId, refreshToken);
    expect(before.status, JSON.stringify(before.body)).toBe(200);
    const current = String(before.body.refresh_token);

    const revoked = await adminOnId('grants', 'revoke', grantId ?? '');
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toMatch(/Revoked grant/);
    const after = await refresh(clientId, current);
    expect(after.status).toBe(400);
    expect(after.body.error).toBe('invalid_grant');
    expect(grantIdIn((await admin('grants', 'list')).stdout, 'alice', clientId)).toBeUndefined();

    const again = await adminOnId('grants', 'revoke', grantId ?? '');
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/no grant/);
  });

  it('filters by --user and --client, and refuses an unknown user', async () => {
    const clientId = await registerPublicClient('filter test');
    await signIn(clientId, 'alice');
    await signIn(clientId, 'bob');
    const bobs = await admin('grants', 'list', '--user', 'BOB');
    expect(bobs.code).toBe(0);
    expect(grantIdIn(bobs.stdout, 'bob', clientId)).toBeTypeOf('string');
    expect(bobs.stdout).not.toMatch(/\balice\b/);
    const byClient = await admin('grants', 'list', '--client', clientId);
    expect(byClient.code, byClient.stderr).toBe(0);
    expect(byClient.stdout.trimEnd().split('\n')).toHaveLength(3);
    const unknown = await admin('grants', 'list', '--user', 'nobody');
    expect(unknown.code).toBe(1);
    expect((await admin('grants', 'revoke')).code).toBe(2);
    expect((await admin('grants', 'list', '--user')).code).toBe(2);
  });
});

describe('gatehouse clients', () => {
  it('lists and shows clients without their secret or registration access token', async () => {
    const { status, body } = await postJson(`${as.issuer}/reg`, {
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
      client_name: 'confidential service',
    });
    expect(status).toBe(201);
    const clientId = String(body.client_id);
    const secret = String(body.client_secret);
    const registrationToken = String(body.registration_access_token);
    expect(secret.length).toBeGreaterThan(10);

    const listed = await admin('clients', 'list');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^CLIENT ID\s+NAME\s+AUTH\s+REGISTERED\n/);
    expect(listed.stdout).toMatch(
      new RegExp(`${clientId}\\s+confidential service\\s+client_secret_basic\\s+\\d{4}-`),
    );

    const shown = await admin('clients', 'show', clientId);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/client_name:\s+confidential service/);
    expect(shown.stdout).toMatch(/client_secret:\s+\(set, not shown\)/);
    expect(shown.stdout).toMatch(/grant_types:\s+client_credentials/);
    for (const output of [listed.stdout, shown.stdout]) {
      expect(output).not.toContain(secret);
      expect(output).not.toContain(registrationToken);
    }
    expect((await admin('clients', 'show', 'no-such-client')).code).toBe(1);
  });

  it('revoke deletes the registration and every grant and token of the client', async () => {
    const clientId = await registerPublicClient('revoked client');
    const aliceToken = await signIn(clientId, 'alice');
    const bobToken = await signIn(clientId, 'bob');
    const otherClient = await registerPublicClient('bystander');
    const otherToken = await signIn(otherClient, 'alice');

    const revoked = await admin('clients', 'revoke', clientId);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toMatch(/registration deleted, 2 grant\(s\)/);
    for (const token of [aliceToken, bobToken]) {
      // The client is unknown now (401 invalid_client), and its tokens are gone from the store too.
      const after = await refresh(clientId, token);
      expect(after.status).toBe(401);
      expect(after.body.error).toBe('invalid_client');
      expect(await storage.model('RefreshToken').find(token)).toBeUndefined();
    }
    expect(await storage.model('RefreshToken').find(otherToken)).toBeDefined();
    expect((await refresh(otherClient, otherToken)).status).toBe(200);
    expect((await admin('clients', 'list')).stdout).not.toContain(clientId);
    expect((await admin('clients', 'show', clientId)).code).toBe(1);
    expect((await admin('clients', 'revoke', clientId)).code).toBe(1);
  });
});

describe('ids that begin with "-" (about one in 32 of the generated ones)', () => {
  it('are taken as the argument and as the value of --client, not as options', async () => {
    const clientId = '-Dash3dQx9clientIdFromTheTest';
    await storage.model('Client').upsert(clientId, {
      client_id: clientId,
      client_id_issued_at: Math.floor(Date.now() / 1000),
      client_name: 'dash client',
      application_type: 'native',
      redirect_uris: [REDIRECT],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    });
    await signIn(clientId, 'alice');

    const shown = await admin('clients', 'show', clientId);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/client_name:\s+dash client/);
    const byClient = await admin('grants', 'list', '--client', clientId);
    expect(byClient.code, byClient.stderr).toBe(0);
    const grantId = grantIdIn(byClient.stdout, 'alice', clientId);
    expect(grantId).toBeTypeOf('string');
    const revoked = await adminOnId('grants', 'revoke', grantId ?? '');
    expect(revoked.code, revoked.stderr).toBe(0);
    const removed = await admin('clients', 'revoke', clientId);
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toMatch(/registration deleted, 0 grant\(s\)/);

    const mistyped = await admin('clients', 'show', clientId, '--dta-dir', dir);
    expect(mistyped.code).toBe(2);
    expect(mistyped.stderr).toMatch(/Unknown option '--dta-dir'[\s\S]*goes after "--"/);
  });
});

describe('gatehouse users remove', () => {
  it("revokes the user's grants: their refresh tokens stop working", async () => {
    const added = await runGatehouse(['users', 'add', 'carol', '--data-dir', dir, '--password-stdin'], {
      stdin: pipedStdin('correct horse battery staple\n'),
    });
    expect(added.code).toBe(0);
    const clientId = await registerPublicClient('carol app');
    const token = await signIn(clientId, 'carol');
    const removed = await admin('users', 'remove', 'carol');
    expect(removed.code).toBe(0);
    expect(removed.stdout).toMatch(/revoked 1 grant/);
    expect(await storage.model('RefreshToken').find(token)).toBeUndefined();
    expect((await refresh(clientId, token)).status).toBe(400);
  });
});
