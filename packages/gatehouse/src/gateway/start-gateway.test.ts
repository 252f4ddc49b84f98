import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ProtocolError, parseWwwAuthenticate, validateProtectedResourceMetadata } from '@gatehouse/core';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIssuer, type TestIssuer } from '../../../../test/support/test-issuer.js';
import type { ServeOptions } from '../cli/serve-options.js';
import { type RunningGateway, startGateway } from './start-gateway.js';

const baseOptions = (issuer: string, jwksUri?: string): ServeOptions => ({
  demo: true,
  host: '127.0.0.1',
  port: 0,
  publicUrl: undefined,
  issuer,
  jwksUri,
  dataDir: '.gatehouse-unused',
  registration: undefined,
  allowedOrigins: [],
  scopes: ['mcp:read'],
});

async function connectClient(url: string, token: string): Promise<Client> {
  const client = new Client({ name: 'gateway-test', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    }),
  );
  return client;
}

describe('gatehouse serve --demo (gateway)', () => {
  let issuer: TestIssuer;
  let gateway: RunningGateway;

  beforeAll(async () => {
    issuer = await startTestIssuer();
    gateway = await startGateway(baseOptions(issuer.issuer, issuer.jwksUri));
  });
  afterAll(async () => {
    await gateway?.close();
    await issuer?.close();
  });

  it('serves the demo tools to a client with a valid token, and whoami reports the token holder', async () => {
    const token = await issuer.mintAccessToken({
      aud: gateway.mcpUrl,
      sub: 'alice',
      client_id: 'cli-1',
      scope: 'mcp:read',
    });
    const client = await connectClient(gateway.mcpUrl, token);
    try {
      const tools = await client.listTools();
      expect(tools.tools.map((tool) => tool.name).sort()).toEqual(['add', 'add_note', 'echo', 'whoami']);
      const whoami = await client.callTool({ name: 'whoami', arguments: {} });
      expect(whoami.structuredContent).toEqual({
        subject: 'alice',
        client_id: 'cli-1',
        scopes: ['mcp:read'],
      });
      const sum = await client.callTool({ name: 'add', arguments: { a: 2, b: 40 } });
      expect(sum.content).toEqual([{ type: 'text', text: '42' }]);
    } finally {
      await client.close();
    }
  });

  it('answers add_note without mcp:write with 403 insufficient_scope, and runs it with the scope', async () => {
    const body = {
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'add_note', arguments: { note: 'hi' } },
    };
    const post = (token: string) =>
      fetch(gateway.mcpUrl, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-protocol-version': '2025-11-25',
        },
        body: JSON.stringify(body),
      });
    const refused = await post(await issuer.mintAccessToken({ aud: gateway.mcpUrl, scope: 'mcp:read' }));
    expect(refused.status).toBe(403);
    const [challenge] = parseWwwAuthenticate(refused.headers.get('www-authenticate') ?? '');
    expect(challenge?.params).toMatchObject({
      error: 'insufficient_scope',
      resource_metadata: gateway.metadataUrl,
    });
    expect(challenge?.params.scope?.split(' ')).toContain('mcp:write');

    const allowed = await post(
      await issuer.mintAccessToken({ aud: gateway.mcpUrl, scope: 'mcp:read mcp:write' }),
    );
    expect(allowed.status).toBe(200);
    expect(await allowed.text()).toContain('stored note');
  });

  it('refuses a request without a token with a challenge pointing at its metadata, which names the issuer', async () => {
    const response = await fetch(gateway.mcpUrl, { method: 'POST', body: '{}' });
    expect(response.status).toBe(401);
    const [challenge] = parseWwwAuthenticate(response.headers.get('www-authenticate') ?? '');
    expect(challenge?.params.error).toBeUndefined();
    expect(challenge?.params.resource_metadata).toBe(gateway.metadataUrl);
    const metadata = validateProtectedResourceMetadata(await (await fetch(gateway.metadataUrl)).json(), {
      expectedResource: gateway.mcpUrl,
    });
    expect(metadata.authorization_servers).toEqual([issuer.issuer]);
    expect(metadata.scopes_supported).toEqual(expect.arrayContaining(['mcp:read', 'mcp:write']));
  });

  it('refuses a token issued for another resource on the same host', async () => {
    const token = await issuer.mintAccessToken({ aud: new URL('/other', gateway.mcpUrl).href });
    const response = await fetch(gateway.mcpUrl, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: '{}',
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('answers other paths with 404', async () => {
    const response = await fetch(new URL('/elsewhere', gateway.mcpUrl));
    expect(response.status).toBe(404);
  });
});

describe('external issuer discovery', () => {
  let metadataServer: Server;
  let metadataOrigin: string;
  let advertisedIssuer: string;
  let issuer: TestIssuer;

  beforeAll(async () => {
    issuer = await startTestIssuer();
    metadataServer = createServer((req, res) => {
      if (req.url === '/.well-known/oauth-authorization-server') {
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({
            issuer: advertisedIssuer,
            authorization_endpoint: `${metadataOrigin}/authorize`,
            token_endpoint: `${metadataOrigin}/token`,
            response_types_supported: ['code'],
            code_challenge_methods_supported: ['S256'],
            jwks_uri: issuer.jwksUri,
          }),
        );
        return;
      }
      res.statusCode = 404;
      res.end();
    });
    await new Promise<void>((resolve) => metadataServer.listen(0, '127.0.0.1', resolve));
    metadataOrigin = `http://127.0.0.1:${(metadataServer.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => metadataServer.close(resolve));
    await issuer.close();
  });

  it('finds jwks_uri in the issuer metadata when --jwks-uri is not given', async () => {
    advertisedIssuer = metadataOrigin;
    const gateway = await startGateway(baseOptions(metadataOrigin));
    try {
      expect(gateway.keysLocation).toBe(issuer.jwksUri);
    } finally {
      await gateway.close();
    }
  });

  it('stops when the metadata names another issuer (RFC 8414 §3.3)', async () => {
    advertisedIssuer = 'http://127.0.0.1:1/evil';
    const failure = startGateway(baseOptions(metadataOrigin));
    await expect(failure).rejects.toBeInstanceOf(ProtocolError);
    await expect(failure).rejects.toMatchObject({ attribute: 'issuer', expected: metadataOrigin });
  });
});

describe('external issuer discovery failures', () => {
  it('names every metadata URL it tried and why each failed', async () => {
    const closed = await startTestIssuer();
    const issuerUrl = closed.issuer;
    await closed.close();
    const failure = startGateway(baseOptions(`${issuerUrl}/realm`));
    await expect(failure).rejects.toBeInstanceOf(ProtocolError);
    await expect(failure).rejects.toThrow(
      /\.well-known\/oauth-authorization-server\/realm: [\s\S]*openid-configuration/,
    );
  });
});
