/**
 * End to end over real HTTP on 127.0.0.1 (port 0): Gatehouse's authorization server (memory
 * storage) mounted at `/oauth` and a protected MCP endpoint at `/mcp` on the same origin. From an
 * unauthenticated 401, the client discovers the whole chain (challenge → Protected Resource Metadata
 * → authorization server metadata) and registers dynamically with a loopback redirect URI.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type AuthorizationServer,
  createAuthorizationServer,
  createMemoryStorage,
  toPublicJwks,
} from '@gatehouse/authorization-server';
import { createResourceServer } from '@gatehouse/resource-server';
import { createProtectedMcpHandler, type ProtectedMcpHandler } from '@gatehouse/resource-server/mcp';
import { toNodeListener } from '@gatehouse/resource-server/node';
import { McpServer } from '@modelcontextprotocol/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discover } from './discovery/discover.js';
import { resolveClientRegistration } from './registration/resolve-client-registration.js';
import type { ClientRegistration } from './registration/types.js';

let http: Server;
let as: AuthorizationServer;
let handler: ProtectedMcpHandler;
let origin: string;
let resource: string;

beforeAll(async () => {
  let route: (req: Parameters<typeof as.listener>[0], res: Parameters<typeof as.listener>[1]) => void = (
    _,
    res,
  ) => res.writeHead(503).end();
  http = createServer((req, res) => route(req, res));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  resource = `${origin}/mcp`;

  as = await createAuthorizationServer({
    issuer: `${origin}/oauth`,
    storage: createMemoryStorage(),
    resources: [{ resource, scopes: { 'mcp:tools': 'Use the tools' } }],
    registrationRateLimit: false,
  });
  const resourceServer = createResourceServer({
    resource,
    authorizationServers: [as.issuer],
    verify: { issuer: as.issuer, jwks: toPublicJwks(as.keys) },
    scopesSupported: ['mcp:tools'],
    scopes: { default: ['mcp:tools'] },
  });
  handler = createProtectedMcpHandler({
    resourceServer,
    server: () => new McpServer({ name: 'client-e2e', version: '1.0.0' }),
  });
  const mcp = toNodeListener(handler);
  const asPrefixes = [
    '/oauth/',
    '/.well-known/oauth-authorization-server/oauth',
    '/.well-known/openid-configuration/oauth',
  ];
  route = (req, res) => {
    const path = new URL(req.url ?? '/', origin).pathname;
    if (path === '/oauth' || asPrefixes.some((prefix) => path.startsWith(prefix))) as.listener(req, res);
    else void mcp(req, res);
  };
});

afterAll(async () => {
  await handler?.close();
  await as?.close();
  http?.closeAllConnections();
  await new Promise((resolve) => http?.close(resolve));
});

describe('client discovery and registration against Gatehouse servers', () => {
  it('401 → PRM → AS metadata → dynamic registration with a loopback redirect', async () => {
    const unauthenticated = await fetch(resource, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(unauthenticated.status).toBe(401);

    const found = await discover(resource, {
      challenge: unauthenticated,
      policy: { allowLoopback: true },
      protocolVersion: '2025-11-25',
    });
    expect(found.resource).toBe(resource);
    expect(found.protectedResource?.url).toBe(`${origin}/.well-known/oauth-protected-resource/mcp`);
    expect(found.protectedResource?.metadata.authorization_servers).toEqual([as.issuer]);
    expect(found.authorizationServer).toMatchObject({
      issuer: as.issuer,
      legacy: false,
      url: `${origin}/.well-known/oauth-authorization-server/oauth`,
    });
    expect(found.authorizationServer.metadata.code_challenge_methods_supported).toContain('S256');
    expect(found.challengedScopes).toEqual(['mcp:tools']);

    const saved = new Map<string, ClientRegistration>();
    const redirectUri = 'http://127.0.0.1:8765/callback';
    const registration = await resolveClientRegistration({
      metadata: found.authorizationServer.metadata,
      redirectUris: [redirectUri],
      clientName: 'Gatehouse client e2e',
      env: {},
      policy: { allowLoopback: true },
      store: { get: (issuer) => saved.get(issuer), set: (issuer, value) => void saved.set(issuer, value) },
    });
    expect(registration).toMatchObject({
      issuer: as.issuer,
      method: 'dynamic',
      tokenEndpointAuthMethod: 'none',
      redirectUris: [redirectUri],
    });
    expect(saved.get(as.issuer)).toEqual(registration);

    const client = await as.provider.Client.find(registration.clientId);
    expect(client?.redirectUris).toEqual([redirectUri]);
    expect(client?.metadata()).toMatchObject({
      application_type: 'native',
      // The embedded server offers the device authorization grant (RFC 8628): it is asked for too.
      grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
    });
  });
});
