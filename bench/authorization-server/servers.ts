/**
 * Child process of the authorization-server benchmark. Serves, on loopback:
 *
 * - Gatehouse's authorization server (`createAuthorizationServer`, SQLite storage in a temporary
 *   directory, issuer `<origin>/oauth`, one resource), with two clients registered through its
 *   registration endpoint (RFC 7591) like any client would be: a confidential `client_credentials`
 *   client (`client_secret_basic`) and a public native client (`none`) for the refresh grant;
 * - the same Gatehouse server on the memory storage (nothing durable: not a way to run it, but the
 *   line that tells Gatehouse's own overhead from the cost of SQLite's reads and commits);
 * - bare oidc-provider (the floor): its default in-memory adapter, the same grants, resource
 *   indicator, access token format (JWT, ES256, `at+jwt`), lifetimes and client authentication,
 *   and the same two clients, registered the same way (so that both servers look the client up in
 *   their storage on every request); nothing else configured;
 * - a control endpoint, `POST /mint?target=gatehouse|gatehouse-memory|bare&count=N`, answering N fresh refresh
 *   tokens as a JSON array.
 *
 * Minting: each refresh token is stored through the provider's own models exactly as a code
 * exchange for `scope=offline_access mcp:tools` stores it (one Grant with the OIDC scope
 * `offline_access` and the resource scope, then a RefreshToken bound to that grant, client,
 * account and resource), without running the browser part of N authorization code flows. With
 * `offline_access` the token is not bound to a sign-in session, so neither server looks one up.
 *
 * Prints one JSON line with the URLs and credentials, then serves until SIGTERM, when it closes the
 * database and deletes the temporary directory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { RequestListener } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryStorage, openSqliteStorage } from '@gatehouse/authorization-server';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';
import {
  basic,
  CLIENT_CREDENTIALS_CLIENT,
  listen,
  listenMintControl,
  mintRefreshTokens,
  REFRESH_CLIENT,
  register,
  BENCH_SCOPE as SCOPE,
  serveGatehouse,
} from '../support/servers.ts';
import type { TokenTarget } from '../support/token-load.ts';

/** The line the child prints. */
export interface Setup {
  gatehouse: TokenTarget;
  gatehouseMemory: TokenTarget;
  bare: TokenTarget;
  controlUrl: string;
}

const TOKEN_TTL = 600;
const REFRESH_TTL = 14 * 24 * 3600;

// --- Gatehouse, SQLite (the subject) and Gatehouse, memory (where the storage's cost shows) -----
const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));
const storage = openSqliteStorage({ path: join(dataDir, 'gatehouse.db') });
const memoryStorage = createMemoryStorage();

const gatehouse = await serveGatehouse(storage);
const gatehouseMemory = await serveGatehouse(memoryStorage);

// --- bare oidc-provider, in-memory -------------------------------------------------------------
const { privateKey } = await generateKeyPair('ES256', { extractable: true });
const signingKey = { ...(await exportJWK(privateKey)), kid: 'bench', alg: 'ES256', use: 'sig' };
let bareListener: RequestListener = (_req, res) => res.writeHead(503).end();
const bareOrigin = await listen((req, res) => bareListener(req, res));
const bareResource = `${bareOrigin}/mcp`;
const bare = new Provider(bareOrigin, {
  jwks: { keys: [signingKey] },
  // The only key is ES256 (as in Gatehouse): ID token signing must not default to RS256.
  clientDefaults: { id_token_signed_response_alg: 'ES256' },
  cookies: { keys: ['bench-cookie-key-0123456789abcdef'] },
  findAccount: async (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) }),
  ttl: {
    AccessToken: TOKEN_TTL,
    ClientCredentials: TOKEN_TTL,
    RefreshToken: REFRESH_TTL,
    Grant: REFRESH_TTL,
  },
  features: {
    devInteractions: { enabled: false },
    registration: { enabled: true },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: async () => bareResource,
      useGrantedResource: async () => true,
      getResourceServerInfo: async () => ({
        scope: SCOPE,
        audience: bareResource,
        accessTokenTTL: TOKEN_TTL,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'ES256' } },
      }),
    },
  },
});
(bare as unknown as { on(event: string, listener: () => void): void }).on('server_error', () => undefined);
bareListener = bare.callback();
const bareCc = await register(`${bareOrigin}/reg`, CLIENT_CREDENTIALS_CLIENT);
const bareRefresh = await register(`${bareOrigin}/reg`, REFRESH_CLIENT);

// --- control -----------------------------------------------------------------------------------
const minters: Record<string, (count: number) => Promise<string[]>> = {
  gatehouse: gatehouse.mint,
  'gatehouse-memory': gatehouseMemory.mint,
  bare: (count) =>
    mintRefreshTokens(
      bare,
      { clientId: bareRefresh.clientId, accountId: 'bench-user', resource: bareResource },
      count,
    ),
};
const controlUrl = await listenMintControl(async (target, count) =>
  Object.hasOwn(minters, target) ? minters[target]?.(count) : undefined,
);

const setup: Setup = {
  gatehouse: gatehouse.target,
  gatehouseMemory: gatehouseMemory.target,
  bare: {
    tokenUrl: `${bareOrigin}/token`,
    resource: bareResource,
    basic: basic(bareCc.clientId, bareCc.clientSecret),
    refreshClientId: bareRefresh.clientId,
  },
  controlUrl,
};
process.stdout.write(`${JSON.stringify(setup)}\n`);

// Exit normally on SIGTERM (so that `--cpu-prof` can write its file), after closing the database.
process.once('SIGTERM', () => {
  void Promise.allSettled([
    gatehouse.server.close(),
    gatehouseMemory.server.close(),
    storage.close(),
    memoryStorage.close(),
  ]).then(() => {
    rmSync(dataDir, { recursive: true, force: true });
    process.exit(0);
  });
});
