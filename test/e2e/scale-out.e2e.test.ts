/**
 * Several gatehouse instances on one PostgreSQL database behind one public URL (issue #6): a
 * loopback front proxy stands in for the load balancer, so that every instance has the same
 * issuer and resource URI; each request is pinned to the instance the test names.
 *
 * Instances A and B run in process (`startGateway`, `--database` through a TCP forwarder that the
 * last test takes down); the SIGKILL test starts two more as `gatehouse serve` child processes.
 * A reloads its keys every second, B only when a token signed with a key it does not know arrives.
 */
import { createHash, randomBytes } from 'node:crypto';
import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runGatehouse } from '../../packages/gatehouse/src/cli/admin-test-io.test-helpers.js';
import { type RunningGateway, startGateway } from '../../packages/gatehouse/src/gateway/start-gateway.js';
import { createFirstAccount, demoServeOptions } from '../support/demo-account.ts';
import { createTestDatabase, type TestDatabase, testPostgresUrl } from '../support/postgres.ts';
import {
  type FrontProxy,
  fetchAt,
  isLoginPost,
  mcpInitialize,
  PageBrowser,
  type ServeChild,
  startFrontProxy,
  startServeChild,
} from '../support/scale-out.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';

const A = 0;
const B = 1;
const ACCOUNT = { username: 'alice', password: 'correct horse battery staple' };
const REDIRECT = 'http://127.0.0.1:8765/callback';

let db: TestDatabase;
let pgForwarder: TcpProxy;
let front: FrontProxy;
const gateways: RunningGateway[] = [];
const children: ServeChild[] = [];

beforeAll(async () => {
  db = await createTestDatabase('gatehouse_scaleout');
  const server = new URL(testPostgresUrl);
  pgForwarder = await startTcpProxy({ host: server.hostname, port: Number(server.port || 5432) });
  const throughForwarder = new URL(db.url);
  throughForwarder.hostname = '127.0.0.1';
  throughForwarder.port = String(pgForwarder.port);
  front = await startFrontProxy();
  const options = (keyReloadIntervalSeconds: number) => ({
    ...demoServeOptions('/nonexistent-data-dir'),
    database: throughForwarder.href,
    publicUrl: front.url,
    keyReloadIntervalSeconds,
  });
  // Both start at the same moment: migrations and the first keys must come out once.
  gateways.push(...(await Promise.all([startGateway(options(1)), startGateway(options(0))])));
  front.targets = gateways.map((gateway) => gateway.http.address.port);
  await createFirstAccount(gateways[A] as RunningGateway, ACCOUNT);
}, 60_000);

afterAll(async () => {
  for (const child of children) await child.stop();
  for (const gateway of gateways) await gateway.close();
  await front?.close();
  await pgForwarder?.close();
  await db?.drop();
}, 60_000);

const issuer = () => `${front.url}/oauth`;
const mcpUrl = () => `${front.url}/mcp`;

interface Client {
  client_id: string;
  registration_access_token: string;
  registration_client_uri: string;
}

async function registerClient(instance: number): Promise<Client> {
  const response = await fetchAt(instance, `${issuer()}/reg`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      application_type: 'native',
      redirect_uris: [REDIRECT],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      client_name: 'scale-out test',
    }),
  });
  expect(response.status).toBe(201);
  return (await response.json()) as Client;
}

function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

function authorizeUrl(clientId: string, challenge: string): string {
  const url = new URL(`${issuer()}/auth`);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: REDIRECT,
    scope: 'mcp:read',
    resource: mcpUrl(),
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: 'st',
  }).toString();
  return url.href;
}

async function token(
  instance: number,
  form: Record<string, string>,
): Promise<{ status: number; body: Record<string, string> }> {
  const response = await fetchAt(instance, `${issuer()}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form),
  });
  return { status: response.status, body: (await response.json()) as Record<string, string> };
}

function redeem(instance: number, clientId: string, code: string, verifier: string) {
  return token(instance, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: REDIRECT,
    code_verifier: verifier,
    client_id: clientId,
  });
}

function refresh(instance: number, clientId: string, refreshToken: string) {
  return token(instance, { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: clientId });
}

/** Sign-in and consent at `instance` (skipped when the browser's session and grant exist); the code. */
async function codeAt(instance: number, browser: PageBrowser, clientId: string) {
  const { verifier, challenge } = pkcePair();
  const back = await browser.run(authorizeUrl(clientId, challenge), () => instance);
  const code = back.searchParams.get('code');
  if (code === null) throw new Error(`test: no code in ${back.search}`);
  return { code, verifier };
}

async function signingKidsAt(instance: number): Promise<string[]> {
  const response = await fetchAt(instance, `${issuer()}/jwks`);
  return ((await response.json()) as { keys: { kid: string }[] }).keys.map((key) => key.kid);
}

describe('two instances, one database, one public URL', () => {
  it('sign-in starts on A and consent completes on B; a client registered at A is known at B; a token from A works at B; B refreshes it', async () => {
    const client = await registerClient(A);
    const read = await fetchAt(B, client.registration_client_uri, {
      headers: { authorization: `Bearer ${client.registration_access_token}` },
    });
    expect(read.status).toBe(200);
    expect(((await read.json()) as Client).client_id).toBe(client.client_id);

    const browser = new PageBrowser(front.url, ACCOUNT);
    const { verifier, challenge } = pkcePair();
    let signedIn = false;
    const from = front.log.length;
    const back = await browser.run(authorizeUrl(client.client_id, challenge), (method, url) => {
      if (signedIn) return B;
      if (isLoginPost(method, url)) signedIn = true; // the sign-in form goes to A, all after it to B
      return A;
    });
    const steps = front.log.slice(from).map((entry) => `${entry.instance} ${entry.method} ${entry.path}`);
    expect(steps).toContainEqual(expect.stringMatching(/^0 GET \/oauth\/interaction\/[\w-]+$/));
    expect(steps).toContainEqual(expect.stringMatching(/^0 POST \/oauth\/interaction\/[\w-]+\/login$/));
    expect(steps).toContainEqual(expect.stringMatching(/^1 POST \/oauth\/interaction\/[\w-]+\/confirm$/));
    expect(back.searchParams.get('iss')).toBe(issuer());

    const issued = await redeem(A, client.client_id, back.searchParams.get('code') ?? '', verifier);
    expect(issued.status, JSON.stringify(issued.body)).toBe(200);
    expect(await mcpInitialize(B, mcpUrl(), issued.body.access_token ?? '')).toBe(200);
    expect(await mcpInitialize(B, mcpUrl(), 'not-a-token')).toBe(401);

    const refreshed = await refresh(B, client.client_id, issued.body.refresh_token ?? '');
    expect(refreshed.status, JSON.stringify(refreshed.body)).toBe(200);
    expect(await mcpInitialize(A, mcpUrl(), refreshed.body.access_token ?? '')).toBe(200);
  });

  it('the same authorization code redeemed at A and B at the same moment: exactly one token set, and the grant is revoked', async () => {
    const client = await registerClient(B);
    const browser = new PageBrowser(front.url, ACCOUNT);
    for (let round = 0; round < 3; round++) {
      const { code, verifier } = await codeAt(round % 2, browser, client.client_id);
      const results = await Promise.all(
        [A, B].map((instance) => redeem(instance, client.client_id, code, verifier)),
      );
      expect(results.map((result) => result.status).sort()).toEqual([200, 400]);
      const winner = results.find((result) => result.status === 200);
      const loser = results.find((result) => result.status === 400);
      expect(loser?.body.error).toBe('invalid_grant');
      // RFC 6749 §4.1.2: a code used twice revokes what it issued; the refresh token is dead.
      const reuse = await refresh(A, client.client_id, winner?.body.refresh_token ?? '');
      expect(reuse.status).toBe(400);
      expect(reuse.body.error).toBe('invalid_grant');
    }
  });

  it('a signing key rotated while both run: A signs with it after its reload, B accepts it at once (reloads on the unknown kid), old tokens still verify', async () => {
    const client = await registerClient(A);
    const browser = new PageBrowser(front.url, ACCOUNT);
    const { code, verifier } = await codeAt(A, browser, client.client_id);
    const before = await redeem(A, client.client_id, code, verifier);
    expect(before.status).toBe(200);
    const oldKid = decodeProtectedHeader(before.body.access_token ?? '').kid;
    expect((await signingKidsAt(B))[0]).toBe(oldKid);

    const rotated = await runGatehouse(['keys', 'rotate', '--use', 'signing', '--database', db.url]);
    expect(rotated.code, rotated.stderr).toBe(0);
    await expect.poll(async () => (await signingKidsAt(A))[0], { timeout: 10_000 }).not.toBe(oldKid);
    const newKid = (await signingKidsAt(A))[0];
    expect(await signingKidsAt(B)).toEqual([oldKid]); // B has not looked at the database since

    const after = await refresh(A, client.client_id, before.body.refresh_token ?? '');
    expect(after.status).toBe(200);
    expect(decodeProtectedHeader(after.body.access_token ?? '').kid).toBe(newKid);
    expect(await mcpInitialize(B, mcpUrl(), after.body.access_token ?? '')).toBe(200);
    expect(await signingKidsAt(B)).toEqual([newKid, oldKid]);
    expect(await mcpInitialize(B, mcpUrl(), before.body.access_token ?? '')).toBe(200);
    expect(await mcpInitialize(A, mcpUrl(), before.body.access_token ?? '')).toBe(200);
  });

  it('an instance killed with SIGKILL mid-flow: the other one finishes the flow', async () => {
    const env = { GATEHOUSE_DATABASE_URL: db.url, GATEHOUSE_LOG_LEVEL: 'warn' };
    const args = ['--demo', '--public-url', front.url];
    const started = await Promise.all([startServeChild(args, env), startServeChild(args, env)]);
    children.push(...started);
    const [doomed, survivor] = started as [ServeChild, ServeChild];
    const doomedIndex = front.targets.push(doomed.port) - 1;
    const survivorIndex = front.targets.push(survivor.port) - 1;

    const client = await registerClient(doomedIndex);
    const browser = new PageBrowser(front.url, ACCOUNT);
    const { verifier, challenge } = pkcePair();
    let signedIn = false;
    const back = await browser.run(authorizeUrl(client.client_id, challenge), async (method, url) => {
      if (signedIn) {
        if (doomed.process.exitCode === null && doomed.process.signalCode === null) {
          doomed.process.kill('SIGKILL');
          await doomed.exited;
        }
        return survivorIndex;
      }
      if (isLoginPost(method, url)) signedIn = true;
      return doomedIndex;
    });
    expect(await doomed.exited).toBe('SIGKILL');
    expect((await fetchAt(doomedIndex, `${issuer()}/jwks`)).status).toBe(502);

    const issued = await redeem(
      survivorIndex,
      client.client_id,
      back.searchParams.get('code') ?? '',
      verifier,
    );
    expect(issued.status, JSON.stringify(issued.body)).toBe(200);
    expect(await mcpInitialize(survivorIndex, mcpUrl(), issued.body.access_token ?? '')).toBe(200);
    expect(await mcpInitialize(A, mcpUrl(), issued.body.access_token ?? '')).toBe(200);
  }, 90_000);

  it('PostgreSQL unreachable mid-run: clean 503s and no crash; afterwards everything works again and nothing is lost', async () => {
    const client = await registerClient(A);
    const browser = new PageBrowser(front.url, ACCOUNT);
    const { code, verifier } = await codeAt(B, browser, client.client_id);
    const issued = await redeem(A, client.client_id, code, verifier);
    expect(issued.status).toBe(200);
    // A sign-in begun before the outage (its interaction is stored).
    const { challenge } = pkcePair();
    const fresh = new PageBrowser(front.url, ACCOUNT);
    const begun = await fetchAt(A, authorizeUrl(client.client_id, challenge));
    fresh.jar.store(begun);
    const signInPage = new URL(begun.headers.get('location') ?? '', front.url).href;
    await begun.arrayBuffer();

    await pgForwarder.down();
    try {
      const refreshDuringOutage = await refresh(B, client.client_id, issued.body.refresh_token ?? '');
      expect(refreshDuringOutage.status).toBe(503);
      expect(refreshDuringOutage.body.error).toBe('temporarily_unavailable');
      const registration = await fetchAt(A, `${issuer()}/reg`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' }),
      });
      expect(registration.status).toBe(503);
      const page = await fetchAt(B, signInPage, { headers: { cookie: fresh.jar.header(signInPage) } });
      expect(page.status).toBe(503);
      expect(await page.text()).toContain('Temporarily unavailable');
      // Access tokens are verified without the database: the MCP endpoint keeps serving.
      expect(await mcpInitialize(A, mcpUrl(), issued.body.access_token ?? '')).toBe(200);
      expect(await mcpInitialize(B, mcpUrl(), issued.body.access_token ?? '')).toBe(200);
    } finally {
      await pgForwarder.up();
    }

    // The refresh token presented during the outage was not consumed: it works now, at either instance.
    await expect
      .poll(async () => (await refresh(B, client.client_id, issued.body.refresh_token ?? '')).status, {
        timeout: 20_000,
        interval: 500,
      })
      .toBe(200);
    const resumed = await fetchAt(A, signInPage, { headers: { cookie: fresh.jar.header(signInPage) } });
    expect(resumed.status).toBe(200);
    expect(await resumed.text()).toContain('name="password"');
  }, 60_000);
});
