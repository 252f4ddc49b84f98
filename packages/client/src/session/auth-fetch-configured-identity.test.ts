/**
 * Pre-registered and CIMD identities are configuration, never written to the store: a new `authFetch`
 * (as in a new process: a new file store object over the same directory, nothing in memory) must
 * still refresh the stored token with them, before it expires, without a 401 or a new authorization.
 * Over real HTTP against the loopback fixture.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createFileStore } from '../store/file-store.js';
import { makeRenewalDue } from '../store/renewal-due.test-helpers.js';
import { type AuthFetchOptions, authFetch } from './auth-fetch.js';
import { approveAtOnce, type OAuthFixture, startOAuthFixture } from './oauth-fixture.test-helpers.js';

let root: string;
let fixture: OAuthFixture | undefined;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'gatehouse-configured-'));
});
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function optionsFor(
  served: OAuthFixture,
  directory: string,
  extra: Partial<AuthFetchOptions>,
): AuthFetchOptions {
  return {
    serverUrl: served.mcpUrl,
    store: createFileStore({ directory }),
    policy: { allowLoopback: true },
    authorization: { onAuthorizationUrl: approveAtOnce(served.url), stderr: { write: () => true } },
    ...extra,
  };
}

async function call(fetchFn: ReturnType<typeof authFetch>, url: string): Promise<number> {
  const response = await fetchFn(url, { method: 'POST', body: '{}' });
  await response.arrayBuffer();
  return response.status;
}

describe('authFetch refreshes with a configured identity in a new instance sharing the store', () => {
  it('pre-registered client: the second instance refreshes before expiry, no 401, no authorization', async () => {
    const served = await startOAuthFixture({ expiresIn: 30 });
    fixture = served;
    const directory = join(root, 'pre-registered');
    const preRegistered = { clientId: 'pre-registered-1', clientSecret: 'a client secret' };

    expect(await call(authFetch(optionsFor(served, directory, { preRegistered })), served.mcpUrl)).toBe(200);
    expect(served.grants.map((grant) => grant.grantType)).toEqual(['authorization_code']);

    await makeRenewalDue(createFileStore({ directory }));
    const second = authFetch(optionsFor(served, directory, { preRegistered, interactive: false }));
    const seenBefore = served.mcp.length;
    expect(await call(second, served.mcpUrl)).toBe(200);
    expect(served.grants.map((grant) => [grant.grantType, grant.clientId])).toEqual([
      ['authorization_code', 'pre-registered-1'],
      ['refresh_token', 'pre-registered-1'],
    ]);
    expect(served.mcp.slice(seenBefore).map((answer) => answer.status)).toEqual([200]);
  });

  it('CIMD client: the second instance refreshes with the metadata URL as client_id', async () => {
    const served = await startOAuthFixture({ expiresIn: 30, cimd: true });
    fixture = served;
    const directory = join(root, 'cimd');
    const clientMetadataUrl = 'https://client.example/gatehouse-client.json';

    expect(await call(authFetch(optionsFor(served, directory, { clientMetadataUrl })), served.mcpUrl)).toBe(
      200,
    );
    await makeRenewalDue(createFileStore({ directory }));
    const second = authFetch(optionsFor(served, directory, { clientMetadataUrl, interactive: false }));
    const seenBefore = served.mcp.length;
    expect(await call(second, served.mcpUrl)).toBe(200);
    expect(served.grants.map((grant) => [grant.grantType, grant.clientId])).toEqual([
      ['authorization_code', clientMetadataUrl],
      ['refresh_token', clientMetadataUrl],
    ]);
    expect(served.mcp.slice(seenBefore).map((answer) => answer.status)).toEqual([200]);
  });
});
