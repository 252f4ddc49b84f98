/**
 * End to end: `@gatehouse/resource-server` in front of an MCP SDK v2 server over real HTTP on
 * 127.0.0.1 (port 0), with tokens from a test issuer whose JWKS is served on loopback, reached by
 * stock MCP clients (SDK v2 in both protocol eras, SDK v1) and by raw HTTP for the attacks.
 *
 * Test names cite the resource-server checklist (requirements §10.2) and the MCP 2026-07-28 server
 * requirement they cover (S1 … S10 of §1.4 (b)).
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  canonicalResourceUri,
  parseWwwAuthenticate,
  validateProtectedResourceMetadata,
} from '@gatehouse/core';
import { type AuthInfo, createResourceServer } from '@gatehouse/resource-server';
import { createProtectedMcpHandler, type ProtectedMcpHandler } from '@gatehouse/resource-server/mcp';
import { toNodeListener } from '@gatehouse/resource-server/node';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as StreamableHTTPClientTransportV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServer } from '@modelcontextprotocol/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIssuer, type TestIssuer } from '../support/test-issuer.js';

let http: Server;
let issuer: TestIssuer;
let handler: ProtectedMcpHandler;
let origin: string;
let resource: string;
let prmUrl: string;
const openClients: Array<{ close(): Promise<void> }> = [];

interface Whoami {
  subject?: string;
  clientId?: string;
  scopes?: string[];
  resourceMetadataUrl?: string;
  era?: string;
}

beforeAll(async () => {
  http = createServer();
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  resource = `${origin}/mcp`;
  prmUrl = `${origin}/.well-known/oauth-protected-resource/mcp`;
  issuer = await startTestIssuer({ audience: resource });

  const resourceServer = createResourceServer({
    resource,
    authorizationServers: [issuer.issuer],
    verify: { issuer: issuer.issuer, jwksUri: issuer.jwksUri, jwksPolicy: { allowLoopback: true } },
    scopesSupported: ['mcp:tools', 'mcp:write'],
    scopes: { default: ['mcp:tools'], tools: { delete_file: ['mcp:write'] } },
    scopeHierarchy: { 'mcp:admin': ['mcp:tools', 'mcp:write'] },
    resourceName: 'Gatehouse e2e',
  });
  handler = createProtectedMcpHandler({
    resourceServer,
    server: ({ era }) => {
      const server = new McpServer({ name: 'e2e', version: '1.0.0' });
      server.registerTool('whoami', { description: 'Reports the caller seen by the server' }, async (ctx) => {
        // The object handed to the SDK is Gatehouse's AuthInfo (a structural superset of the SDK's).
        const auth = ctx.http?.authInfo as AuthInfo | undefined;
        const seen: Whoami = {
          subject: auth?.subject,
          clientId: auth?.clientId,
          scopes: auth?.scopes,
          resourceMetadataUrl: auth?.resourceMetadataUrl,
          era,
        };
        return { content: [{ type: 'text', text: JSON.stringify(seen) }] };
      });
      server.registerTool('delete_file', { description: 'Needs mcp:write' }, async () => ({
        content: [{ type: 'text', text: 'deleted' }],
      }));
      return server;
    },
  });
  http.on('request', toNodeListener(handler));
});

afterAll(async () => {
  for (const client of openClients) await client.close().catch(() => {});
  await handler?.close();
  http?.closeAllConnections();
  await new Promise((resolve) => http?.close(resolve));
  await issuer?.close();
});

function textOf(result: unknown): string {
  const content = (result as { content?: Array<{ type: string; text?: string }> }).content ?? [];
  return content.map((block) => block.text ?? '').join('');
}

async function connectV2(token: string, mode?: 'legacy' | 'auto' | { pin: string }): Promise<Client> {
  const client = new Client(
    { name: 'e2e-v2', version: '1.0.0' },
    mode === undefined ? {} : { versionNegotiation: { mode } },
  );
  const transport = new StreamableHTTPClientTransport(new URL(resource), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  await client.connect(transport);
  openClients.push(client);
  return client;
}

async function connectV1(token: string): Promise<ClientV1> {
  const client = new ClientV1({ name: 'e2e-v1', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransportV1(new URL(resource), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  await client.connect(transport);
  openClients.push(client);
  return client;
}

/** A raw `tools/call` POST on the 2025-06-18 wire. */
async function postTool(
  name: string,
  headers: Record<string, string> = {},
  url = resource,
): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2025-06-18',
      ...headers,
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name, arguments: {} } }),
  });
}

/**
 * Every refusal: never a 500, no stack trace, no token in the body or headers; returns the
 * parsed Bearer challenge parameters.
 */
async function expectRefusal(
  response: Response,
  status: number,
  token?: string,
): Promise<Record<string, string>> {
  expect(response.status).toBe(status);
  const body = await response.text();
  expect(body).not.toMatch(/\n\s+at /);
  expect(body).not.toMatch(/Error:/);
  if (token !== undefined) {
    expect(body).not.toContain(token);
    for (const [, value] of response.headers) expect(value).not.toContain(token);
  }
  expect(response.headers.get('cache-control')).toBe('no-store');
  const challenges = parseWwwAuthenticate(response.headers.get('www-authenticate'));
  return challenges.find((challenge) => challenge.scheme.toLowerCase() === 'bearer')?.params ?? {};
}

async function expectInvalidToken(token: string): Promise<void> {
  const params = await expectRefusal(
    await postTool('whoami', { authorization: `Bearer ${token}` }),
    401,
    token,
  );
  expect(params.error).toBe('invalid_token');
  expect(params.resource_metadata).toBe(prmUrl);
}

describe('stock MCP clients with a valid token reach the tool with authInfo', () => {
  /** A token for `sub` from client `client-e2e` with scope `mcp:tools`. */
  const tokenFor = (sub: string) =>
    issuer.mintAccessToken({ sub, client_id: 'client-e2e', scope: 'mcp:tools' });

  /** Calls `whoami` and checks the caller the tool saw. */
  const expectWhoami = async (client: Client | ClientV1, subject: string, era: string) => {
    const seen: Whoami = JSON.parse(textOf(await client.callTool({ name: 'whoami', arguments: {} })));
    expect(seen).toEqual({
      subject,
      clientId: 'client-e2e',
      scopes: ['mcp:tools'],
      resourceMetadataUrl: prmUrl,
      era,
    });
  };

  it('S8 SDK v2 client, 2025 era (default legacy negotiation)', async () => {
    const client = await connectV2(await tokenFor('alice'));
    expect(client.getNegotiatedProtocolVersion()).toMatch(/^2025-/);
    await expectWhoami(client, 'alice', 'legacy');
  });

  it('S8 SDK v2 client, 2026-07-28 era (pinned)', async () => {
    const client = await connectV2(await tokenFor('bob'), { pin: '2026-07-28' });
    expect(client.getNegotiatedProtocolVersion()).toBe('2026-07-28');
    await expectWhoami(client, 'bob', 'modern');
  });

  it('S8 SDK v2 client, auto negotiation lands on 2026-07-28', async () => {
    await expectWhoami(await connectV2(await tokenFor('carol'), 'auto'), 'carol', 'modern');
  });

  it('S8 SDK v1 client (2025 era)', async () => {
    await expectWhoami(await connectV1(await tokenFor('dave')), 'dave', 'legacy');
  });

  it('S6 MUST account for scope hierarchies: mcp:admin may call a tool needing mcp:write (both eras)', async () => {
    const token = await issuer.mintAccessToken({ scope: 'mcp:admin' });
    for (const mode of ['legacy', { pin: '2026-07-28' }] as const) {
      const client = await connectV2(token, mode);
      expect(textOf(await client.callTool({ name: 'delete_file', arguments: {} }))).toBe('deleted');
    }
  });
});

describe('S1/S2/S7: Protected Resource Metadata (RFC 9728)', () => {
  it('S1 MUST serve PRM with authorization_servers at the path-inserted and the root well-known URL; S7 no offline_access', async () => {
    for (const url of [prmUrl, `${origin}/.well-known/oauth-protected-resource`]) {
      const response = await fetch(url);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/json');
      const metadata = validateProtectedResourceMetadata(await response.json(), {
        expectedResource: resource,
      });
      expect(metadata.resource).toBe(canonicalResourceUri(resource));
      expect(metadata.authorization_servers).toEqual([issuer.issuer]);
      expect(metadata.scopes_supported).toEqual(['mcp:tools', 'mcp:write']);
      expect(metadata.scopes_supported).not.toContain('offline_access');
      expect(metadata.bearer_methods_supported).toEqual(['header']);
    }
  });
});

describe('S8/S10: tokens are validated; failures are 401/403/400 with resource_metadata', () => {
  it('S2 MUST send resource_metadata on 401 when no token is sent (no error code, RFC 6750 §3.1), with scope', async () => {
    const params = await expectRefusal(await postTool('whoami'), 401);
    expect(params).toEqual({ resource_metadata: prmUrl, scope: 'mcp:tools' });
  });

  it('S2 the 401 challenge names every scope the operation needs', async () => {
    const params = await expectRefusal(await postTool('delete_file'), 401);
    expect(params.scope).toBe('mcp:tools mcp:write');
  });

  it('S8 MUST reject expired tokens (401 invalid_token)', async () => {
    await expectInvalidToken(await issuer.mintAccessToken({}, { expiresIn: -600 }));
  });

  it('S8 MUST reject tokens that are not yet valid (401 invalid_token)', async () => {
    await expectInvalidToken(await issuer.mintAccessToken({}, { notBefore: 600 }));
  });

  it('S8 MUST reject tokens from another issuer (401 invalid_token)', async () => {
    await expectInvalidToken(await issuer.mintAccessToken({ iss: 'http://127.0.0.1:1/other-issuer' }));
  });

  it('S8 MUST reject tokens whose audience is not this server (401 invalid_token)', async () => {
    await expectInvalidToken(await issuer.mintAccessToken({ aud: 'https://other.example/mcp' }));
  });

  it('S8 MUST reject tokens for another resource on the same host (401 invalid_token)', async () => {
    await expectInvalidToken(await issuer.mintAccessToken({ aud: `${origin}/other-mcp` }));
    await expectInvalidToken(await issuer.mintAccessToken({ aud: origin }));
  });

  it('S8 MUST reject unsigned tokens (alg none)', async () => {
    await expectInvalidToken(issuer.mintUnsignedToken());
  });

  it('S8 MUST reject HS256 tokens signed with the public key (algorithm confusion)', async () => {
    await expectInvalidToken(await issuer.mintHs256WithPublicKey());
    await expectInvalidToken(await issuer.mintHs256WithPublicKey({}, 'jwk'));
  });

  it('S8 MUST reject tokens signed by an unknown key (unknown kid)', async () => {
    await expectInvalidToken(await issuer.mintAccessToken({}, { key: issuer.otherKey }));
  });

  it('S8 MUST reject tampered tokens', async () => {
    await expectInvalidToken(issuer.tamper(await issuer.mintAccessToken({ scope: 'mcp:tools' })));
  });

  it('S10 400 invalid_request for a token in the query string (MCP § Token Requirements)', async () => {
    const token = await issuer.mintAccessToken();
    const params = await expectRefusal(
      await postTool('whoami', {}, `${resource}?access_token=${token}`),
      400,
      token,
    );
    expect(params.error).toBe('invalid_request');
    expect(params.resource_metadata).toBe(prmUrl);
  });

  it('S10 400 invalid_request for a malformed Authorization header', async () => {
    const token = await issuer.mintAccessToken();
    for (const authorization of [`Bearer ${token} extra`, `Bearer ${token}@`, 'Bearer']) {
      const params = await expectRefusal(await postTool('whoami', { authorization }), 400, token);
      expect(params.error).toBe('invalid_request');
      expect(params.resource_metadata).toBe(prmUrl);
    }
  });

  it('S4 403 insufficient_scope listing every scope the tool needs, with resource_metadata', async () => {
    const token = await issuer.mintAccessToken({ scope: 'mcp:tools' });
    const params = await expectRefusal(
      await postTool('delete_file', { authorization: `Bearer ${token}` }),
      403,
      token,
    );
    expect(params.error).toBe('insufficient_scope');
    expect(params.scope).toBe('mcp:tools mcp:write');
    expect(params.resource_metadata).toBe(prmUrl);
    expect(params.error_description).toBeTruthy();
  });

  it('S4 the same 403 reaches an SDK v2 client on 2026-07-28, and the tool does not run', async () => {
    const token = await issuer.mintAccessToken({ scope: 'mcp:tools' });
    const client = await connectV2(token, { pin: '2026-07-28' });
    // The SDK client reads our challenge: the scope set and the metadata URL come back parsed.
    await expect(client.callTool({ name: 'delete_file', arguments: {} })).rejects.toMatchObject({
      name: 'InsufficientScopeError',
      requiredScope: 'mcp:tools mcp:write',
      resourceMetadataUrl: new URL(prmUrl),
    });
  });
});

describe('Transport: Origin and Host (DNS rebinding)', () => {
  it('MUST answer 403 with a JSON-RPC error without id for a foreign Origin', async () => {
    const token = await issuer.mintAccessToken();
    const response = await postTool('whoami', {
      authorization: `Bearer ${token}`,
      origin: 'https://evil.example',
    });
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32000 }, id: null });
  });

  it('MUST refuse a rebound Host name on a loopback server (403), even with a valid token', async () => {
    const token = await issuer.mintAccessToken();
    const { port } = new URL(origin);
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          path: '/mcp',
          method: 'POST',
          headers: {
            host: `attacker.example:${port}`,
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            text += chunk;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }));
    });
    expect(status).toBe(403);
    expect(JSON.parse(body)).toMatchObject({ jsonrpc: '2.0', id: null });
    expect(body).not.toContain('attacker');
  });

  it('allows a loopback browser Origin', async () => {
    const token = await issuer.mintAccessToken({ scope: 'mcp:tools' });
    const response = await postTool('whoami', {
      authorization: `Bearer ${token}`,
      origin: 'http://localhost:5173',
    });
    expect(response.status).toBe(200);
    await response.body?.cancel();
  });
});
