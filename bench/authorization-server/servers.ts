/**
 * Child process of the authorization-server benchmark. Serves, on loopback:
 *
 * - Gatehouse's authorization server (`createAuthorizationServer`, SQLite storage in a temporary
 *   directory, issuer `<origin>/oauth`, one resource), with two clients registered through its
 *   registration endpoint (RFC 7591) like any client would be: a confidential `client_credentials`
 *   client (`client_secret_basic`) and a public native client (`none`) for the refresh grant;
 * - bare oidc-provider (the floor): its default in-memory adapter, the same grants, resource
 *   indicator, access token format (JWT, ES256, `at+jwt`), lifetimes and client authentication,
 *   and the same two clients, registered the same way (so that both servers look the client up in
 *   their storage on every request); nothing else configured;
 * - a control endpoint, `POST /mint?target=gatehouse|bare&count=N`, answering N fresh refresh
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
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAuthorizationServer, openSqliteStorage } from '@gatehouse/authorization-server';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { type ClientMetadata } from 'oidc-provider';

/** What the parent needs to load one server's token endpoint. */
export interface Target {
  tokenUrl: string;
  resource: string;
  /** `Authorization: Basic …` of the client_credentials client. */
  basic: string;
  /** The public client of the refresh grant. */
  refreshClientId: string;
}

/** The line the child prints. */
export interface Setup {
  gatehouse: Target;
  bare: Target;
  controlUrl: string;
}

const SCOPE = 'mcp:tools';
const TOKEN_TTL = 600;
const REFRESH_TTL = 14 * 24 * 3600;

async function listen(listener: RequestListener): Promise<string> {
  const server = createServer({ keepAliveTimeout: 60_000 }, listener);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

async function register(registrationUrl: string, metadata: Record<string, unknown>) {
  const response = await fetch(registrationUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(metadata),
  });
  const body = (await response.json()) as { client_id?: string; client_secret?: string };
  if (response.status !== 201 || body.client_id === undefined) {
    throw new Error(`registration failed: HTTP ${response.status} ${JSON.stringify(body)}`);
  }
  return { clientId: body.client_id, clientSecret: body.client_secret ?? '' };
}

const CLIENT_CREDENTIALS_CLIENT: Omit<ClientMetadata, 'client_id'> = {
  client_name: 'bench service',
  grant_types: ['client_credentials'],
  response_types: [],
  redirect_uris: [],
  token_endpoint_auth_method: 'client_secret_basic',
};

const REFRESH_CLIENT: Omit<ClientMetadata, 'client_id'> = {
  client_name: 'bench native app',
  application_type: 'native',
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  redirect_uris: ['http://127.0.0.1/callback'],
  token_endpoint_auth_method: 'none',
};

/** Stores `count` refresh tokens as a code exchange would (see the file comment); resolves their values. */
async function mintRefreshTokens(
  provider: Provider,
  clientId: string,
  accountId: string,
  resource: string,
  count: number,
): Promise<string[]> {
  const client = await provider.Client.find(clientId);
  if (client === undefined) throw new Error('bench: refresh client not found');
  const tokens: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const grant = new provider.Grant({ accountId, clientId });
    grant.addOIDCScope('offline_access');
    grant.addResourceScope(resource, SCOPE);
    const grantId = await grant.save();
    const token = new provider.RefreshToken({
      accountId,
      client,
      grantId,
      gty: 'authorization_code',
      resource,
      rotations: 0,
      scope: `offline_access ${SCOPE}`,
      authTime: Math.floor(Date.now() / 1000),
    });
    tokens.push(await token.save());
  }
  return tokens;
}

// --- Gatehouse, SQLite -------------------------------------------------------------------------
const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));
const storage = openSqliteStorage({ path: join(dataDir, 'gatehouse.db') });
let gatehouseListener: RequestListener = (_req, res) => res.writeHead(503).end();
const gatehouseOrigin = await listen((req, res) => gatehouseListener(req, res));
const gatehouseResource = `${gatehouseOrigin}/mcp`;
const gatehouse = await createAuthorizationServer({
  issuer: `${gatehouseOrigin}/oauth`,
  storage,
  resources: [{ resource: gatehouseResource, scopes: { [SCOPE]: 'Use the tools' } }],
});
gatehouseListener = gatehouse.listener;
const account = await gatehouse.accounts.create('bench', 'a long benchmark passphrase');
const gatehouseCc = await register(`${gatehouse.issuer}/reg`, CLIENT_CREDENTIALS_CLIENT);
const gatehouseRefresh = await register(`${gatehouse.issuer}/reg`, REFRESH_CLIENT);

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
async function control(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const count = Number(url.searchParams.get('count'));
  const target = url.searchParams.get('target');
  if (req.method !== 'POST' || url.pathname !== '/mint' || !Number.isSafeInteger(count) || count < 1) {
    res.writeHead(400).end();
    return;
  }
  const tokens =
    target === 'gatehouse'
      ? await mintRefreshTokens(
          gatehouse.provider,
          gatehouseRefresh.clientId,
          account.id,
          gatehouseResource,
          count,
        )
      : target === 'bare'
        ? await mintRefreshTokens(bare, bareRefresh.clientId, 'bench-user', bareResource, count)
        : undefined;
  if (tokens === undefined) {
    res.writeHead(400).end();
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(tokens));
}
const controlUrl = await listen((req, res) => {
  control(req, res).catch((error: unknown) => {
    res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error));
  });
});

const setup: Setup = {
  gatehouse: {
    tokenUrl: `${gatehouse.issuer}/token`,
    resource: gatehouseResource,
    basic: basic(gatehouseCc.clientId, gatehouseCc.clientSecret),
    refreshClientId: gatehouseRefresh.clientId,
  },
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
  void Promise.allSettled([gatehouse.close(), storage.close()]).then(() => {
    rmSync(dataDir, { recursive: true, force: true });
    process.exit(0);
  });
});
