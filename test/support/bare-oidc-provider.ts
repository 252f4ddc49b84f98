/**
 * Test support: a third-party authorization server and an MCP server that trusts it, both on
 * 127.0.0.1 port 0, for testing `@gatehouse/client` against something that is not Gatehouse's own
 * authorization server.
 *
 * The authorization server is a bare `oidc-provider` (its defaults, in-memory adapter) with only
 * what an operator of a third-party AS would switch on for MCP clients:
 *
 * | setting | value |
 * | --- | --- |
 * | dynamic registration (RFC 7591) | open |
 * | PKCE | required (oidc-provider knows S256 only) |
 * | resource indicators (RFC 8707) | one resource, the MCP server; JWT access tokens (ES256, `at+jwt`) |
 * | access token lifetime | `accessTokenTtlSeconds` (default 600) |
 * | refresh tokens | oidc-provider's default: only with `offline_access` granted (to a client allowed the grant); rotated on every use (`rotateRefreshToken: true`) |
 * | interactions | dev interactions off; {@link BareAuthorizationServer.decision} below |
 *
 * Refresh tokens are left to oidc-provider's OpenID Connect rules: it keeps `offline_access` in a
 * request only with `prompt=consent` (OpenID Connect Core 1.0 §11), and issues a refresh token only
 * when `offline_access` is granted; `@gatehouse/client` asks for both (it lists `offline_access`).
 *
 * Interactions are programmatic, no HTML: `/interaction/<uid>` signs in the fixed account
 * {@link BARE_ACCOUNT_ID}, then grants every scope asked for, or answers `access_denied` when
 * `decision` is `'deny'`. The "user" is then a redirect follower with cookies
 * ({@link BareAuthorizationServer.completeAuthorization}).
 *
 * Each server counts what it saw: the MCP server every request (path, status, whether it carried a
 * token), the authorization server every token endpoint grant (type and outcome) from the
 * provider's `grant.success` / `grant.error` events.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createResourceServer, type ScopeRequirements } from '@gatehouse/resource-server';
import { createProtectedMcpHandler } from '@gatehouse/resource-server/mcp';
import { getRequestListener } from '@hono/node-server';
import { McpServer } from '@modelcontextprotocol/server';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { type KoaContextWithOIDC } from 'oidc-provider';
import * as z from 'zod';
import { CookieJar, followAuthorization, grantMissingScopes } from '../e2e/authorization-server-helpers.js';

/** The `sub` of every token the bare authorization server issues. */
export const BARE_ACCOUNT_ID = 'bare-user-1';

/** One token endpoint request, as the provider reported it. */
export interface GrantRecord {
  readonly grantType: string;
  readonly outcome: 'success' | 'error';
  /** The provider's error code on failure (`invalid_grant`, …). */
  readonly error?: string;
}

/** A running bare oidc-provider. */
export interface BareAuthorizationServer {
  readonly issuer: string;
  readonly provider: Provider;
  /** What the interaction answers next: sign in and grant, or `access_denied`. Default `'approve'`. */
  decision: 'approve' | 'deny';
  /** Every token endpoint request, in order. */
  readonly grants: GrantRecord[];
  /** Every authorization URL completed through {@link completeAuthorization}. */
  readonly authorizations: URL[];
  /**
   * Plays the user's browser for one authorization URL: follows the redirects (with cookies) through
   * the interaction, then requests the redirect URI the AS sent the browser to (the client's
   * loopback listener) and resolves with that URL.
   */
  completeAuthorization(authorizationUrl: URL): Promise<URL>;
  close(): Promise<void>;
}

/** Options of {@link startBareAuthorizationServer}. */
export interface BareAuthorizationServerOptions {
  /** The MCP server's canonical URI: the one resource indicator the AS accepts. */
  readonly resource: string;
  /** The resource's scopes. */
  readonly scopes: readonly string[];
  /** Access token lifetime in seconds. Default 600. */
  readonly accessTokenTtlSeconds?: number;
}

async function listenOnLoopback(server: Server): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Binds a server that is not yet listening, so the resource URI (its port) is known first. */
export async function reserveLoopbackServer(): Promise<{ server: Server; origin: string }> {
  const server = createServer();
  return { server, origin: await listenOnLoopback(server) };
}

async function interact(
  as: BareAuthorizationServer,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const { provider } = as;
  const details = await provider.interactionDetails(req, res);
  if (as.decision === 'deny') {
    await provider.interactionFinished(
      req,
      res,
      { error: 'access_denied', error_description: 'The user denied the request' },
      { mergeWithLastSubmission: false },
    );
    return;
  }
  if (details.prompt.name === 'login') {
    await provider.interactionFinished(
      req,
      res,
      { login: { accountId: BARE_ACCOUNT_ID } },
      { mergeWithLastSubmission: false },
    );
    return;
  }
  const grantId = await grantMissingScopes(provider, details, BARE_ACCOUNT_ID);
  await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

/** Starts the bare authorization server described in the module comment, issuer at its origin root. */
export async function startBareAuthorizationServer(
  options: BareAuthorizationServerOptions,
): Promise<BareAuthorizationServer> {
  const { server, origin } = await reserveLoopbackServer();
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const signingKey = { ...(await exportJWK(privateKey)), kid: 'bare-1', alg: 'ES256', use: 'sig' };
  const ttl = options.accessTokenTtlSeconds ?? 600;
  const provider = new Provider(origin, {
    jwks: { keys: [signingKey] },
    clientDefaults: { id_token_signed_response_alg: 'ES256' },
    cookies: { keys: [randomBytes(24).toString('base64url')] },
    scopes: ['openid', 'offline_access', ...options.scopes],
    findAccount: async (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) }),
    pkce: { required: () => true },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    rotateRefreshToken: true,
    ttl: {
      AccessToken: ttl,
      AuthorizationCode: 60,
      IdToken: 600,
      RefreshToken: 86_400,
      Grant: 86_400,
      Session: 86_400,
      Interaction: 600,
    },
    features: {
      devInteractions: { enabled: false },
      registration: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => options.resource,
        useGrantedResource: async () => true,
        getResourceServerInfo: async () => ({
          scope: options.scopes.join(' '),
          audience: options.resource,
          accessTokenTTL: ttl,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'ES256' } },
        }),
      },
    },
  });
  const grants: GrantRecord[] = [];
  const grantType = (ctx: KoaContextWithOIDC) => String(ctx.oidc.params?.grant_type ?? '');
  provider.on('grant.success', (ctx: KoaContextWithOIDC) => {
    grants.push({ grantType: grantType(ctx), outcome: 'success' });
  });
  provider.on('grant.error', (ctx: KoaContextWithOIDC, error: { error?: string }) => {
    grants.push({ grantType: grantType(ctx), outcome: 'error', error: String(error.error) });
  });
  provider.on('server_error', () => undefined);

  const authorizations: URL[] = [];
  const jar = new CookieJar();
  const providerListener = provider.callback();
  const as: BareAuthorizationServer = {
    issuer: origin,
    provider,
    decision: 'approve',
    grants,
    authorizations,
    async completeAuthorization(authorizationUrl) {
      authorizations.push(authorizationUrl);
      const { location } = await followAuthorization(authorizationUrl.href, origin, jar);
      if (location === undefined) throw new Error('test: the authorization did not redirect back');
      const page = await fetch(location);
      await page.arrayBuffer();
      return location;
    },
    close: () => closeServer(server),
  };
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (req.method === 'GET' && /^\/interaction\/[^/?]+(\?|$)/.test(req.url ?? '')) {
      interact(as, req, res).catch((error: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error));
      });
      return;
    }
    providerListener(req, res);
  });
  return as;
}

/** One request the MCP server answered. */
export interface McpRequestRecord {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly bearer: boolean;
}

/** A running MCP server behind `@gatehouse/resource-server`, trusting one external issuer. */
export interface ProtectedMcpServer {
  /** The MCP endpoint, also the resource identifier. */
  readonly mcpUrl: string;
  /** Every request answered, in order. */
  readonly requests: McpRequestRecord[];
  close(): Promise<void>;
}

/** The scope every request needs, and the one the `add_note` tool needs on top. */
export const READ_SCOPE = 'mcp:read';
export const WRITE_SCOPE = 'mcp:write';
const SCOPE_REQUIREMENTS: ScopeRequirements = { default: [READ_SCOPE], tools: { add_note: [WRITE_SCOPE] } };

function toolServer(): McpServer {
  const server = new McpServer({ name: 'bare-oidc-test-server', version: '1.0.0' });
  server.registerTool('whoami', { description: 'The token subject and scopes.' }, (ctx) => {
    const auth = ctx.http?.authInfo as { scopes?: string[]; subject?: string } | undefined;
    const who = { subject: auth?.subject ?? null, scopes: auth?.scopes ?? [] };
    return { content: [{ type: 'text', text: JSON.stringify(who) }], structuredContent: who };
  });
  server.registerTool(
    'add_note',
    { description: `Needs "${WRITE_SCOPE}".`, inputSchema: z.object({ note: z.string() }) },
    ({ note }) => ({ content: [{ type: 'text', text: `stored: ${note}` }] }),
  );
  return server;
}

/**
 * Starts the MCP server at `<origin>/mcp` (the `server` from {@link reserveLoopbackServer}), wired
 * as `gatehouse serve` wires its own: `createResourceServer` (JWT verified against the issuer's
 * JWKS, clock tolerance 0 so an expired token is refused at once) + `createProtectedMcpHandler`
 * around an SDK v2 `McpServer` with `whoami` and `add_note`.
 */
export function startProtectedMcpServer(
  reserved: { server: Server; origin: string },
  issuer: string,
): ProtectedMcpServer {
  const mcpUrl = `${reserved.origin}/mcp`;
  const resourceServer = createResourceServer({
    resource: mcpUrl,
    authorizationServers: [issuer],
    verify: {
      issuer,
      jwksUri: `${issuer}/jwks`,
      jwksPolicy: { allowLoopback: true },
      clockToleranceSeconds: 0,
    },
    scopesSupported: [READ_SCOPE, WRITE_SCOPE],
    scopes: SCOPE_REQUIREMENTS,
  });
  const handler = createProtectedMcpHandler({ resourceServer, server: toolServer });
  const requests: McpRequestRecord[] = [];
  const listener = getRequestListener((request) => handler(request));
  reserved.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const bearer = /^bearer /i.test(req.headers.authorization ?? '');
    res.on('finish', () => {
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      requests.push({ method: req.method ?? '', path, status: res.statusCode, bearer });
    });
    void listener(req, res);
  });
  return {
    mcpUrl,
    requests,
    close: async () => {
      await handler.close();
      await closeServer(reserved.server);
    },
  };
}

/** The bare authorization server and the MCP server trusting it, started together. */
export interface BareSetup {
  readonly as: BareAuthorizationServer;
  readonly mcp: ProtectedMcpServer;
  close(): Promise<void>;
}

/** Starts both (see the module comment). */
export async function startBareSetup(options: { accessTokenTtlSeconds?: number } = {}): Promise<BareSetup> {
  const reserved = await reserveLoopbackServer();
  const as = await startBareAuthorizationServer({
    resource: `${reserved.origin}/mcp`,
    scopes: [READ_SCOPE, WRITE_SCOPE],
    ...options,
  });
  const mcp = startProtectedMcpServer(reserved, as.issuer);
  return {
    as,
    mcp,
    close: async () => {
      await mcp.close();
      await as.close();
    },
  };
}
