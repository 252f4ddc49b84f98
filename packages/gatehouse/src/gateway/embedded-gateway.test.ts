import { mkdtemp, rm, stat } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateAuthorizationServerMetadata, validateProtectedResourceMetadata } from '@gatehouse/core';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoServeOptions } from '../../../../test/support/demo-account.js';
import type { ServeOptions } from '../cli/serve-options.js';
import { type RunningGateway, startGateway } from './start-gateway.js';

const optionsFor = (dataDir: string, port = 0): ServeOptions => ({ ...demoServeOptions(dataDir), port });

/** Registers a confidential client_credentials client through RFC 7591 and gets a token for the MCP endpoint. */
async function clientCredentialsToken(
  gateway: RunningGateway,
): Promise<{ clientId: string; accessToken: string }> {
  const metadataUrl = new URL(
    `/.well-known/oauth-authorization-server${new URL(gateway.issuer).pathname}`,
    gateway.issuer,
  );
  const metadata = validateAuthorizationServerMetadata(await (await fetch(metadataUrl)).json(), {
    expectedIssuer: gateway.issuer,
  });
  const registration = await fetch(metadata.registration_endpoint ?? '', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      client_name: 'embedded gateway test',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
    }),
  });
  expect(registration.status).toBe(201);
  const { client_id: clientId, client_secret: clientSecret } = (await registration.json()) as Record<
    string,
    string
  >;
  const token = await fetch(metadata.token_endpoint, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId ?? '')}:${encodeURIComponent(clientSecret ?? '')}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      resource: gateway.mcpUrl,
      scope: 'mcp:read',
    }),
  });
  expect(token.status).toBe(200);
  const { access_token: accessToken } = (await token.json()) as Record<string, string>;
  return { clientId: clientId ?? '', accessToken: accessToken ?? '' };
}

async function whoami(gateway: RunningGateway, accessToken: string): Promise<unknown> {
  const client = new Client({ name: 'embedded-gateway-test', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(gateway.mcpUrl), {
      requestInit: { headers: { authorization: `Bearer ${accessToken}` } },
    }),
  );
  try {
    return (await client.callTool({ name: 'whoami', arguments: {} })).structuredContent;
  } finally {
    await client.close();
  }
}

describe('gatehouse serve --demo with the embedded authorization server', () => {
  let dataDir: string;
  let gateway: RunningGateway | undefined;

  beforeAll(async () => {
    dataDir = join(await mkdtemp(join(tmpdir(), 'gatehouse-serve-')), 'data');
  });
  afterAll(async () => {
    await gateway?.close();
    await rm(join(dataDir, '..'), { recursive: true, force: true });
  });

  it('publishes its issuer at <public-url>/oauth in the resource metadata and answers RFC 8414 discovery', async () => {
    gateway = await startGateway(optionsFor(dataDir));
    expect(gateway.issuer).toBe(new URL('/oauth', gateway.mcpUrl).href);
    const prm = validateProtectedResourceMetadata(await (await fetch(gateway.metadataUrl)).json(), {
      expectedResource: gateway.mcpUrl,
    });
    expect(prm.authorization_servers).toEqual([gateway.issuer]);
    expect(await gateway.setupUrl()).toMatch(new RegExp(`^${gateway.issuer}/setup\\?token=`));
    expect((await stat(join(dataDir, 'gatehouse.db'))).mode & 0o777).toBe(0o600);
  });

  it('issues tokens the MCP endpoint accepts, and they survive a restart on the same data directory', async () => {
    if (gateway === undefined) throw new Error('the first test starts the gateway');
    const { clientId, accessToken } = await clientCredentialsToken(gateway);
    // RFC 9068 §2.2: a client_credentials token's `sub` is the client itself.
    expect(await whoami(gateway, accessToken)).toEqual({
      subject: clientId,
      client_id: clientId,
      scopes: ['mcp:read'],
    });

    const port = gateway.http.address.port;
    await gateway.close();
    gateway = await startGateway(optionsFor(dataDir, port));
    expect(await whoami(gateway, accessToken)).toEqual({
      subject: clientId,
      client_id: clientId,
      scopes: ['mcp:read'],
    });
  });

  it('refuses its own token for another resource path (audience)', async () => {
    if (gateway === undefined) throw new Error('the first test starts the gateway');
    const response = await fetch(gateway.mcpUrl, {
      method: 'POST',
      headers: { authorization: 'Bearer x.y.z' },
      body: '{}',
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('refuses a rebound Host name at the authorization server (DNS rebinding)', async () => {
    if (gateway === undefined) throw new Error('the first test starts the gateway');
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const url = new URL('/.well-known/oauth-authorization-server/oauth', gateway?.mcpUrl);
      const req = request(url, { headers: { host: `attacker.example:${url.port}` } }, (res) => {
        res.resume();
        resolve(res.statusCode);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(403);
    const allowed = await fetch(new URL('/.well-known/oauth-authorization-server/oauth', gateway.mcpUrl));
    expect(allowed.status).toBe(200);
  });
});
