/**
 * `authFetch` with DPoP (RFC 9449) over real HTTP against the loopback fixture, whose resource
 * requires DPoP-bound tokens (`dpop_bound_access_tokens_required`) and checks every proof (`htm`,
 * `htu`, `ath`, key = the token's binding, `jti` never reused).
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createFileStore } from '../store/file-store.js';
import { createMemoryStore } from '../store/memory-store.js';
import { makeRenewalDue } from '../store/renewal-due.test-helpers.js';
import type { TokenStore } from '../store/types.js';
import { type AuthFetchOptions, authFetch } from './auth-fetch.js';
import {
  approveAtOnce,
  type OAuthFixture,
  type OAuthFixtureOptions,
  startOAuthFixture,
} from './oauth-fixture.test-helpers.js';

let root: string;
let fixture: OAuthFixture | undefined;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'gatehouse-dpop-'));
});
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function serve(options: OAuthFixtureOptions): Promise<OAuthFixture> {
  fixture = await startOAuthFixture(options);
  return fixture;
}

function optionsFor(served: OAuthFixture, store: TokenStore, extra: Partial<AuthFetchOptions> = {}) {
  return {
    serverUrl: served.mcpUrl,
    store,
    policy: { allowLoopback: true },
    preRegistered: { clientId: 'dpop-client' },
    authorization: { onAuthorizationUrl: approveAtOnce(served.url), stderr: { write: () => true } },
    ...extra,
  } satisfies AuthFetchOptions;
}

async function call(fetchFn: ReturnType<typeof authFetch>, url: string): Promise<number> {
  const response = await fetchFn(`${url}?query=dropped-from-htu`, { method: 'POST', body: '{}' });
  await response.arrayBuffer();
  return response.status;
}

describe('authFetch with DPoP-bound tokens', () => {
  it('a resource requiring DPoP: token request with a proof, every call with the DPoP scheme and a fresh proof', async () => {
    const served = await serve({ dpop: {} });
    const fetchFn = authFetch(optionsFor(served, createMemoryStore()));
    for (let i = 0; i < 3; i += 1) expect(await call(fetchFn, served.mcpUrl)).toBe(200);

    expect(served.grants).toHaveLength(1);
    expect(served.grants[0]).toMatchObject({ grantType: 'authorization_code', jkt: expect.any(String) });
    expect(served.mcp.map((answer) => `${answer.status} ${answer.scheme}`)).toEqual([
      '401 undefined',
      '200 DPoP',
      '200 DPoP',
      '200 DPoP',
    ]);
    expect(new Set(served.jtis).size).toBe(3);
  });

  it('nonces: retries the token request and the MCP request once each with the server nonce', async () => {
    const served = await serve({ dpop: { requireNonce: true } });
    const fetchFn = authFetch(optionsFor(served, createMemoryStore()));
    expect(await call(fetchFn, served.mcpUrl)).toBe(200);
    expect(await call(fetchFn, served.mcpUrl)).toBe(200);

    // One use_dpop_nonce answer from the token endpoint, then the code redeemed with the nonce.
    expect(served.grants.map((grant) => grant.grantType)).toEqual([
      'authorization_code',
      'authorization_code',
    ]);
    // The second call reuses the remembered nonce: no second use_dpop_nonce.
    expect(served.mcp.map((answer) => answer.status)).toEqual([401, 401, 200, 200]);
  });

  it('a new instance on the same file store refreshes with the stored key (same jkt), no 401', async () => {
    const served = await serve({ dpop: {}, expiresIn: 30 });
    const directory = join(root, 'file-store');
    expect(await call(authFetch(optionsFor(served, createFileStore({ directory }))), served.mcpUrl)).toBe(
      200,
    );

    const files = (await readdir(directory)).filter((name) => /^tokens-.*\.json$/.test(name));
    expect(files).toHaveLength(1);
    const { tokens } = JSON.parse(await readFile(join(directory, files[0] ?? ''), 'utf8'));
    expect(tokens).toMatchObject({ token_type: 'DPoP', dpop_jwk: { kty: 'EC', crv: 'P-256' } });

    await makeRenewalDue(createFileStore({ directory }));
    const second = authFetch(optionsFor(served, createFileStore({ directory }), { interactive: false }));
    const seen = served.mcp.length;
    expect(await call(second, served.mcpUrl)).toBe(200);
    expect(served.mcp.slice(seen).map((answer) => answer.status)).toEqual([200]);
    expect(served.grants.map((grant) => grant.grantType)).toEqual(['authorization_code', 'refresh_token']);
    expect(served.grants[1]?.jkt).toBe(served.grants[0]?.jkt);
  });

  it('dpop: false never sends a proof: the server requiring one refuses the token request', async () => {
    const served = await serve({ dpop: {} });
    const fetchFn = authFetch(optionsFor(served, createMemoryStore(), { dpop: false }));
    await expect(call(fetchFn, served.mcpUrl)).rejects.toMatchObject({ error: 'invalid_dpop_proof' });
    expect(served.grants.map((grant) => grant.jkt)).toEqual([undefined]);
  });
});
