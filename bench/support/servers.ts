/**
 * Server-side pieces of the token benchmarks' child processes: a loopback listener, client
 * registration (RFC 7591) of the two bench clients, a Gatehouse authorization server set up with
 * them, refresh tokens minted through the provider's models as a code exchange stores them, and the
 * control endpoint that hands them to the parent.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type AuthorizationServer,
  createAuthorizationServer,
  type Storage,
} from '@gatehouse/authorization-server';
import type Provider from 'oidc-provider';
import type { ClientMetadata } from 'oidc-provider';
import type { TokenTarget } from './token-load.ts';

/** The resource scope every bench token carries. */
export const BENCH_SCOPE = 'mcp:tools';

/** Serves `listener` on 127.0.0.1, a free port; resolves its origin. */
export async function listen(listener: RequestListener): Promise<string> {
  const server = createServer({ keepAliveTimeout: 60_000 }, listener);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** `Authorization: Basic …` for `client_secret_basic` (RFC 6749 §2.3.1: form-encoded id and secret). */
export function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

/** Registers a client at `registrationUrl` (RFC 7591); resolves its id and secret (`''` when public). */
export async function register(
  registrationUrl: string,
  metadata: Record<string, unknown>,
): Promise<{ clientId: string; clientSecret: string }> {
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

/** The confidential `client_credentials` client (`client_secret_basic`). */
export const CLIENT_CREDENTIALS_CLIENT: Omit<ClientMetadata, 'client_id'> = {
  client_name: 'bench service',
  grant_types: ['client_credentials'],
  response_types: [],
  redirect_uris: [],
  token_endpoint_auth_method: 'client_secret_basic',
};

/** The public native client (`none`) of the refresh grant. */
export const REFRESH_CLIENT: Omit<ClientMetadata, 'client_id'> = {
  client_name: 'bench native app',
  application_type: 'native',
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  redirect_uris: ['http://127.0.0.1/callback'],
  token_endpoint_auth_method: 'none',
};

/** Whose refresh tokens {@link mintRefreshTokens} stores. */
export interface MintFor {
  clientId: string;
  accountId: string;
  resource: string;
}

/**
 * Stores `count` refresh tokens exactly as a code exchange for `scope=offline_access mcp:tools`
 * stores them (one Grant with the OIDC scope `offline_access` and the resource scope, then a
 * RefreshToken bound to that grant, client, account and resource), without running the browser
 * part of `count` authorization code flows; resolves their values. With `offline_access` the token
 * is not bound to a sign-in session, so the server looks none up.
 */
export async function mintRefreshTokens(
  provider: Provider,
  mintFor: MintFor,
  count: number,
): Promise<string[]> {
  const { clientId, accountId, resource } = mintFor;
  const client = await provider.Client.find(clientId);
  if (client === undefined) throw new Error('bench: refresh client not found');
  const tokens: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const grant = new provider.Grant({ accountId, clientId });
    grant.addOIDCScope('offline_access');
    grant.addResourceScope(resource, BENCH_SCOPE);
    const grantId = await grant.save();
    const token = new provider.RefreshToken({
      accountId,
      client,
      grantId,
      gty: 'authorization_code',
      resource,
      rotations: 0,
      scope: `offline_access ${BENCH_SCOPE}`,
      authTime: Math.floor(Date.now() / 1000),
    });
    tokens.push(await token.save());
  }
  return tokens;
}

/**
 * Serves the control endpoint `POST /mint?target=<name>&count=N`, answering N fresh refresh tokens
 * of `target` as a JSON array; `mint` resolves `undefined` for an unknown target (HTTP 400).
 * Resolves the endpoint's origin.
 */
export function listenMintControl(
  mint: (target: string, count: number) => Promise<string[] | undefined>,
): Promise<string> {
  const control = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const count = Number(url.searchParams.get('count'));
    const target = url.searchParams.get('target');
    const tokens =
      req.method === 'POST' &&
      url.pathname === '/mint' &&
      Number.isSafeInteger(count) &&
      count >= 1 &&
      target !== null
        ? await mint(target, count)
        : undefined;
    if (tokens === undefined) {
      res.writeHead(400).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(tokens));
  };
  return listen((req, res) => {
    control(req, res).catch((error: unknown) => {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error));
    });
  });
}

/** A Gatehouse authorization server of the benchmarks, its token target and its minter. */
export interface BenchGatehouse {
  readonly server: AuthorizationServer;
  readonly target: TokenTarget;
  /** `count` fresh refresh tokens of the bench account for the refresh client (see {@link mintRefreshTokens}). */
  mint(count: number): Promise<string[]>;
}

/**
 * Serves a Gatehouse authorization server on `storage` on loopback (issuer `<origin>/oauth`, one
 * resource with {@link BENCH_SCOPE}), with the bench account and the two bench clients registered
 * through its registration endpoint, as any client would be.
 */
export async function serveGatehouse(storage: Storage): Promise<BenchGatehouse> {
  let listener: RequestListener = (_req, res) => res.writeHead(503).end();
  const origin = await listen((req, res) => listener(req, res));
  const resource = `${origin}/mcp`;
  const server = await createAuthorizationServer({
    issuer: `${origin}/oauth`,
    storage,
    resources: [{ resource, scopes: { [BENCH_SCOPE]: 'Use the tools' } }],
  });
  listener = server.listener;
  const account = await server.accounts.create('bench', 'a long benchmark passphrase');
  const cc = await register(`${server.issuer}/reg`, CLIENT_CREDENTIALS_CLIENT);
  const refresh = await register(`${server.issuer}/reg`, REFRESH_CLIENT);
  return {
    server,
    target: {
      tokenUrl: `${server.issuer}/token`,
      resource,
      basic: basic(cc.clientId, cc.clientSecret),
      refreshClientId: refresh.clientId,
    },
    mint: (count) =>
      mintRefreshTokens(
        server.provider,
        { clientId: refresh.clientId, accountId: account.id, resource },
        count,
      ),
  };
}
