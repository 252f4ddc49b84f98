/**
 * End to end: Client ID Metadata Documents (CIMD draft; MCP requirements §1.3/§1.4 A5–A6, §2.6,
 * §10.3) in `@gatehouse/authorization-server`, over real HTTP on 127.0.0.1. The documents are served
 * by a loopback server, so the authorization server runs with `cimd.dangerouslyAllowLoopback`.
 * Nothing is ever sent to a non-loopback address: the private-address case is refused by the
 * policy before any connection.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMemoryStorage } from '@gatehouse/authorization-server';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  followAuthorization,
  pkcePair,
  postForm,
  startTestAs,
  type TestAs,
} from './authorization-server-helpers.js';

const RESOURCE = 'http://127.0.0.1:9001/mcp';
const REDIRECT = 'http://127.0.0.1:8765/callback';
const TIMEOUT_MS = 300;

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** The loopback server hosting the client documents; counts requests per path. */
const documents = new Map<string, Handler>();
const hits = new Map<string, number>();
let docServer: Server;
let docOrigin: string;
let as: TestAs;
let restricted: TestAs;
let disabled: TestAs;

const urlOf = (path: string) => `${docOrigin}${path}`;

function documentFor(path: string, extra: Record<string, unknown> = {}) {
  return {
    client_id: urlOf(path),
    client_name: 'CIMD e2e client',
    redirect_uris: [REDIRECT],
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    ...extra,
  };
}

/** Serves `body` as JSON at `path` with `headers`. */
function serveJson(path: string, body: unknown, headers: Record<string, string> = {}): string {
  documents.set(path, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
  });
  return urlOf(path);
}

beforeAll(async () => {
  docServer = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const handler = documents.get(path);
    if (handler === undefined) res.writeHead(404).end();
    else handler(req, res);
  });
  await new Promise<void>((resolve) => docServer.listen(0, '127.0.0.1', resolve));
  docOrigin = `http://127.0.0.1:${(docServer.address() as AddressInfo).port}`;

  const resources = [{ resource: RESOURCE, scopes: { 'mcp:tools': 'Use the tools' } }];
  as = await startTestAs({
    storage: createMemoryStorage(),
    resources,
    registrationRateLimit: false,
    cimd: { dangerouslyAllowLoopback: true, fetchTimeoutMs: TIMEOUT_MS, maxDocumentBytes: 2048 },
  });
  as.accountId = (await as.server.accounts.create('alice', 'correct horse battery staple')).id;
  restricted = await startTestAs({
    storage: createMemoryStorage(),
    resources,
    cimd: { dangerouslyAllowLoopback: true, trustedHosts: ['cimd.example.com'] },
  });
  disabled = await startTestAs({
    storage: createMemoryStorage(),
    resources,
    cimd: { enabled: false, dangerouslyAllowLoopback: true },
  });
});

afterAll(async () => {
  await as?.close();
  await restricted?.close();
  await disabled?.close();
  docServer?.closeAllConnections();
  await new Promise<void>((resolve) => (docServer ? docServer.close(() => resolve()) : resolve()));
});

function authorizeUrl(server: TestAs, clientId: string, params: Record<string, string> = {}): string {
  const url = new URL(`${server.issuer}/auth`);
  const { challenge } = pkcePair();
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: REDIRECT,
    scope: 'mcp:tools',
    resource: RESOURCE,
    state: 'st-cimd',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...params,
  }).toString();
  return url.href;
}

/** Runs login + consent and the token request for `clientId`; returns the token response. */
async function codeFlow(clientId: string) {
  const { verifier, challenge } = pkcePair();
  const { location, response } = await followAuthorization(
    authorizeUrl(as, clientId, { code_challenge: challenge }),
    as.origin,
  );
  if (location === undefined) throw new Error(`no redirect to the client (status ${response.status})`);
  expect(location.origin + location.pathname).toBe(REDIRECT);
  const code = location.searchParams.get('code');
  expect(code, location.href).toBeTypeOf('string');
  return postForm(`${as.issuer}/token`, {
    grant_type: 'authorization_code',
    code: code ?? '',
    redirect_uri: REDIRECT,
    code_verifier: verifier,
    client_id: clientId,
  });
}

/** Expects the authorization request for `clientId` to be refused on the error page with `error`. */
async function expectRefused(server: TestAs, clientId: string, error: string, description: RegExp) {
  const response = await fetch(authorizeUrl(server, clientId), { redirect: 'manual' });
  const html = await response.text();
  expect(response.status, html).toBe(400);
  expect(response.headers.get('location')).toBeNull();
  expect(html).toContain(`<code>${error}</code>`);
  expect(html).toMatch(description);
  expect(html).not.toMatch(/at .*\.js:\d+/);
  return html;
}

describe('Client ID Metadata Documents (MCP requirements §1.3 A5, §10.3)', () => {
  it('advertises client_id_metadata_document_supported in both metadata documents', async () => {
    for (const url of [
      `${as.origin}/.well-known/oauth-authorization-server/oauth`,
      `${as.origin}/.well-known/openid-configuration/oauth`,
    ]) {
      const metadata = (await (await fetch(url)).json()) as Record<string, unknown>;
      expect(metadata.client_id_metadata_document_supported, url).toBe(true);
    }
  });

  it('a CIMD client completes the authorization code flow and gets a JWT access token', async () => {
    const clientId = serveJson('/app/client.json', documentFor('/app/client.json'), {
      'cache-control': 'max-age=3600',
    });
    const token = await codeFlow(clientId);
    expect(token.status, JSON.stringify(token.body)).toBe(200);
    const claims = decodeJwt(String(token.body.access_token));
    expect(claims.client_id).toBe(clientId);
    expect(claims.aud).toBe(RESOURCE);
    expect(token.body.refresh_token).toBeTypeOf('string');
  });

  it('caches a document for its max-age: a second authorization does not fetch it again', async () => {
    const path = '/cached/client.json';
    const clientId = serveJson(path, documentFor(path), { 'cache-control': 'public, max-age=600' });
    expect((await codeFlow(clientId)).status).toBe(200);
    expect(hits.get(path)).toBe(1);
    expect((await codeFlow(clientId)).status).toBe(200);
    expect(hits.get(path)).toBe(1);
  });

  it('fetches a Cache-Control: no-store document again on the next authorization', async () => {
    const path = '/no-store/client.json';
    const clientId = serveJson(path, documentFor(path), { 'cache-control': 'no-store' });
    expect((await codeFlow(clientId)).status).toBe(200);
    const first = hits.get(path) ?? 0;
    expect(first).toBeGreaterThanOrEqual(1);
    expect((await codeFlow(clientId)).status).toBe(200);
    expect(hits.get(path) ?? 0).toBeGreaterThan(first);
  });

  it('MUST: a document whose client_id differs from its URL is refused (invalid_client)', async () => {
    const clientId = serveJson('/mismatch.json', documentFor('/other.json'));
    await expectRefused(as, clientId, 'invalid_client', /&quot;client_id&quot; does not equal the URL/);
  });

  it('MUST: a redirect_uri not listed in the document is refused, never redirected to', async () => {
    const clientId = serveJson('/redirects/client.json', documentFor('/redirects/client.json'));
    const response = await fetch(authorizeUrl(as, clientId, { redirect_uri: 'https://evil.example/cb' }), {
      redirect: 'manual',
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    expect(await response.text()).toContain('<code>invalid_redirect_uri</code>');
  });

  it('SSRF: a document URL that answers with a redirect is refused, the redirect not followed', async () => {
    documents.set('/moved.json', (_req, res) => {
      res.writeHead(302, { location: urlOf('/app/client.json') }).end();
    });
    const before = hits.get('/app/client.json') ?? 0;
    await expectRefused(as, urlOf('/moved.json'), 'invalid_client', /redirect/);
    expect(hits.get('/app/client.json') ?? 0).toBe(before);
  });

  it('an oversized document is refused', async () => {
    const clientId = serveJson('/big.json', documentFor('/big.json', { padding: 'x'.repeat(4096) }));
    await expectRefused(as, clientId, 'invalid_client', /larger than this server accepts/);
  });

  it('a document slower than the time limit is refused', async () => {
    const held: ServerResponse[] = [];
    documents.set('/slow.json', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"client_id":');
      held.push(res); // never finished: the authorization server must give up on its own
    });
    await expectRefused(as, urlOf('/slow.json'), 'invalid_client', /did not arrive within the time limit/);
    for (const res of held) res.destroy();
  });

  it('SSRF: a document on a private address is refused before any connection', async () => {
    // 10.0.0.1 is an IP literal: safe-fetch refuses it from the URL alone, so no packet is sent.
    await expectRefused(
      as,
      'https://10.0.0.1/client.json',
      'invalid_client',
      /private, loopback or reserved address/,
    );
  });

  it('trust policy: a host not in trustedHosts is refused without fetching', async () => {
    const path = '/untrusted/client.json';
    const clientId = serveJson(path, documentFor(path));
    await expectRefused(restricted, clientId, 'invalid_client', /not trusted/);
    expect(hits.get(path) ?? 0).toBe(0);
  });

  it('with cimd.enabled false: not advertised, and a URL client_id is an unknown client (nothing fetched)', async () => {
    const metadata = (await (
      await fetch(`${disabled.origin}/.well-known/oauth-authorization-server/oauth`)
    ).json()) as Record<string, unknown>;
    expect(metadata.client_id_metadata_document_supported).toBeUndefined();
    const path = '/disabled/client.json';
    const clientId = serveJson(path, documentFor(path));
    await expectRefused(disabled, clientId, 'invalid_client', /client is invalid/);
    expect(hits.get(path) ?? 0).toBe(0);
  });

  it('a document that is not JSON, or not found, is refused with an OAuth error', async () => {
    documents.set('/html.json', (_req, res) =>
      res.writeHead(200, { 'content-type': 'text/html' }).end('<p>'),
    );
    await expectRefused(as, urlOf('/html.json'), 'invalid_client', /not a JSON object/);
    await expectRefused(as, urlOf('/missing.json'), 'invalid_client', /answered HTTP 404/);
  });

  it('a document with a shared secret is refused', async () => {
    const clientId = serveJson(
      '/secret.json',
      documentFor('/secret.json', { token_endpoint_auth_method: 'client_secret_basic' }),
    );
    await expectRefused(as, clientId, 'invalid_client', /token_endpoint_auth_method/);
  });

  it('the token endpoint refuses an unusable CIMD client_id with invalid_client JSON, not a 500', async () => {
    const clientId = serveJson('/token-mismatch.json', documentFor('/elsewhere.json'));
    const response = await postForm(`${as.issuer}/token`, {
      grant_type: 'authorization_code',
      code: 'x',
      redirect_uri: REDIRECT,
      code_verifier: 'y'.repeat(43),
      client_id: clientId,
    });
    expect(response.status).toBeLessThan(500);
    expect(response.body.error).toBe('invalid_client');
  });
});
