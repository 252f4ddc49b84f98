/**
 * End to end, DPoP (RFC 9449) across the three packages over real HTTP on 127.0.0.1: the embedded
 * authorization server (oidc-provider's DPoP support, memory storage), a resource server that
 * requires DPoP-bound tokens (`dpop: { required: true }`), and `authFetch` in automatic mode (it
 * reads `dpop_bound_access_tokens_required` from the resource metadata). Sign-in and consent are
 * driven through the provider's interaction API (authorization-server-helpers.ts).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMemoryStorage } from '@gatehouse/authorization-server';
import { authFetch, createMemoryStore, type TokenStore } from '@gatehouse/client';
import { parseWwwAuthenticate } from '@gatehouse/core';
import { createResourceServer, type ResourceServer } from '@gatehouse/resource-server';
import { calculateJwkThumbprint, decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRenewalDue } from '../../packages/client/src/store/renewal-due.test-helpers.js';
import { CookieJar, followAuthorization, startTestAs, type TestAs } from './authorization-server-helpers.js';

let as: TestAs;
let rs: ResourceServer | undefined;
let http: Server;
let mcpUrl: string;
/** Token-endpoint answers, by grant, as the resource server saw nothing of them: counted at the AS. */
const tokenGrants: string[] = [];

beforeAll(async () => {
  http = createServer(async (req, res) => {
    const request = new Request(new URL(req.url ?? '/', mcpUrl), {
      method: req.method ?? 'GET',
      headers: Object.entries(req.headers).flatMap(([name, value]) =>
        value === undefined
          ? []
          : (Array.isArray(value) ? value : [value]).map((v) => [name, v] as [string, string]),
      ),
    });
    req.resume();
    const server = rs as ResourceServer;
    const answer =
      server.handleMetadataRequest(request) ??
      (await (async () => {
        const result = await server.authenticate(request, null);
        if (result instanceof Response) return result;
        return Response.json({ subject: result.subject, cnf: result.claims.cnf });
      })());
    res.writeHead(answer.status, Object.fromEntries(answer.headers));
    res.end(Buffer.from(await answer.arrayBuffer()));
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  mcpUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`;

  as = await startTestAs({
    storage: createMemoryStorage(),
    resources: [{ resource: mcpUrl, scopes: { 'mcp:tools': 'Use the tools' }, accessTokenTtlSeconds: 60 }],
    registrationRateLimit: false,
  });
  as.accountId = (await as.server.accounts.create('dora', 'a long enough password')).id;
  as.server.provider.on('grant.success', (ctx) => {
    tokenGrants.push(String((ctx.oidc.params as { grant_type?: string } | undefined)?.grant_type));
  });
  const metadata = (await (
    await fetch(`${as.origin}/.well-known/oauth-authorization-server/oauth`)
  ).json()) as {
    jwks_uri: string;
    dpop_signing_alg_values_supported?: string[];
  };
  expect(metadata.dpop_signing_alg_values_supported).toContain('ES256');
  rs = createResourceServer({
    resource: mcpUrl,
    authorizationServers: [as.issuer],
    verify: { issuer: as.issuer, jwksUri: metadata.jwks_uri, jwksPolicy: { allowLoopback: true } },
    dpop: { required: true },
  });
});

afterAll(async () => {
  await as?.close();
  http?.closeAllConnections();
  await new Promise<void>((resolve) => (http ? http.close(() => resolve()) : resolve()));
});

/** The user: the interaction driver signs in and consents; the final redirect reaches the listener. */
async function approve(authorizationUrl: URL): Promise<void> {
  const { location } = await followAuthorization(authorizationUrl.href, as.origin, new CookieJar());
  if (location === undefined) throw new Error('test: the authorization did not redirect back');
  await (await fetch(location)).arrayBuffer();
}

function clientFor(store: TokenStore, extra: Record<string, unknown> = {}) {
  return authFetch({
    serverUrl: mcpUrl,
    store,
    policy: { allowLoopback: true },
    authorization: { onAuthorizationUrl: approve, stderr: { write: () => true } },
    ...extra,
  });
}

async function storedTokens(store: TokenStore) {
  const [entry] = (await store.list()).entries;
  if (entry === undefined) throw new Error('test: nothing stored');
  const tokens = await store.get(entry.key);
  if (tokens === undefined) throw new Error('test: entry vanished');
  return tokens;
}

describe('DPoP end to end: embedded AS, resource server requiring DPoP, authFetch', () => {
  it('the client gets a DPoP-bound token (cnf.jkt = its stored key) and calls with DPoP proofs', async () => {
    const store = createMemoryStore();
    const fetchFn = clientFor(store);
    const first = await fetchFn(mcpUrl, { method: 'POST', body: '{}' });
    expect(first.status).toBe(200);
    const body = (await first.json()) as { cnf: { jkt: string } };
    const tokens = await storedTokens(store);
    expect(tokens.token_type).toBe('DPoP');
    const jkt = await calculateJwkThumbprint({
      kty: 'EC',
      crv: 'P-256',
      x: tokens.dpop_jwk?.x ?? '',
      y: tokens.dpop_jwk?.y ?? '',
    });
    expect(decodeJwt(tokens.access_token).cnf).toEqual({ jkt });
    expect(body.cnf).toEqual({ jkt });
    const second = await fetchFn(mcpUrl, { method: 'POST', body: '{}' });
    expect(second.status).toBe(200);

    // RFC 9449 §7.2: the same token presented as a bearer token is refused.
    const stolen = await fetch(mcpUrl, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(stolen.status).toBe(401);
    const challenges = parseWwwAuthenticate(stolen.headers.get('www-authenticate'));
    expect(challenges.map((challenge) => challenge.scheme)).toEqual(['DPoP']);
    expect(challenges[0]?.params.error).toBe('invalid_token');
    // …and so is the token with a proof of another key (the thief's).
    const replayed = await fetch(mcpUrl, {
      method: 'POST',
      headers: { authorization: `DPoP ${tokens.access_token}`, dpop: 'eyJhbGciOiJub25lIn0.e30.' },
    });
    expect(replayed.status).toBe(401);
    expect(parseWwwAuthenticate(replayed.headers.get('www-authenticate'))[0]?.params.error).toBe(
      'invalid_dpop_proof',
    );
  });

  it('a new authFetch on the same store refreshes with the stored key: a new bound token, same jkt', async () => {
    const store = createMemoryStore();
    expect((await clientFor(store)(mcpUrl, { method: 'POST', body: '{}' })).status).toBe(200);
    const before = await storedTokens(store);
    const grantsBefore = tokenGrants.length;

    await makeRenewalDue(store);
    const later = clientFor(store, { interactive: false });
    const response = await later(mcpUrl, { method: 'POST', body: '{}' });
    expect(response.status).toBe(200);
    const after = await storedTokens(store);
    expect(tokenGrants.slice(grantsBefore)).toEqual(['refresh_token']);
    expect(after.access_token).not.toBe(before.access_token);
    expect(after.dpop_jwk).toEqual(before.dpop_jwk);
    expect(decodeJwt(after.access_token).cnf).toEqual(decodeJwt(before.access_token).cnf);
  });
});
