import { parseWwwAuthenticate } from '@gatehouse/core';
import { type AuthInfo, McpServer } from '@modelcontextprotocol/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestIssuer } from '../../../test/support/test-issuer.js';
import { createProtectedMcpHandler, type ProtectedMcpHandler } from './mcp-endpoint.js';
import { createResourceServer, type ResourceServer, type ResourceServerOptions } from './resource-server.js';

const RESOURCE = 'http://127.0.0.1:8080/mcp';
const PRM = 'http://127.0.0.1:8080/.well-known/oauth-protected-resource/mcp';

const issuer = useTestIssuer({ audience: RESOURCE });
let handler: ProtectedMcpHandler;

/** A resource server for RESOURCE that trusts the test issuer (JWKS over loopback). */
function trustingResourceServer(options: Partial<ResourceServerOptions> = {}): ResourceServer {
  return createResourceServer({
    resource: RESOURCE,
    authorizationServers: [issuer.issuer],
    verify: { issuer: issuer.issuer, jwksUri: issuer.jwksUri, jwksPolicy: { allowLoopback: true } },
    ...options,
  });
}

beforeAll(() => {
  handler = createProtectedMcpHandler({
    resourceServer: trustingResourceServer({
      scopes: { default: ['mcp:tools'], tools: { delete_file: ['mcp:write'] } },
    }),
    server: () => {
      const server = new McpServer({ name: 'test', version: '1.0.0' });
      server.registerTool('whoami', { description: 'who is calling' }, async (ctx) => {
        // The SDK's AuthInfo type; Gatehouse's object also carries `subject`.
        const auth = ctx.http?.authInfo as (AuthInfo & { subject?: string }) | undefined;
        const text = JSON.stringify({
          subject: auth?.subject,
          clientId: auth?.clientId,
          scopes: auth?.scopes,
        });
        return { content: [{ type: 'text', text }] };
      });
      server.registerTool('delete_file', { description: 'needs mcp:write' }, async () => ({
        content: [{ type: 'text', text: 'deleted' }],
      }));
      return server;
    },
  });
});
afterAll(async () => {
  await handler.close();
});

const initialize = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'unit', version: '1' } },
};
const call = (name: string) => ({
  jsonrpc: '2.0',
  id: 2,
  method: 'tools/call',
  params: { name, arguments: {} },
});

function post(body: string | object, headers: Record<string, string> = {}, url = RESOURCE): Request {
  return new Request(url, {
    method: 'POST',
    headers: {
      host: '127.0.0.1:8080',
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2025-06-18',
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** A CORS preflight for a POST to RESOURCE from `origin`. */
function preflightRequest(origin: string, headers: Record<string, string> = {}): Request {
  return new Request(RESOURCE, {
    method: 'OPTIONS',
    headers: { host: '127.0.0.1:8080', origin, 'access-control-request-method': 'POST', ...headers },
  });
}

async function jsonRpcResults(response: Response): Promise<Array<Record<string, unknown>>> {
  const text = await response.text();
  if ((response.headers.get('content-type') ?? '').includes('text/event-stream')) {
    return text
      .split('\n')
      .filter((line) => line.startsWith('data:'))
      .map((line) => JSON.parse(line.slice(5)));
  }
  return [JSON.parse(text)];
}

describe('createProtectedMcpHandler', () => {
  it('validates its options', () => {
    expect(() =>
      createProtectedMcpHandler({ server: () => new McpServer({ name: 'x', version: '1' }) } as never),
    ).toThrow(expect.objectContaining({ code: 'ERR_MISSING_OPTION' }));
  });

  it('S2 serves Protected Resource Metadata at both well-known URLs without a token', async () => {
    for (const path of [
      '/.well-known/oauth-protected-resource/mcp',
      '/.well-known/oauth-protected-resource',
    ]) {
      const response = await handler(new Request(`http://127.0.0.1:8080${path}`));
      expect(response.status).toBe(200);
      expect((await response.json()).resource).toBe(RESOURCE);
    }
  });

  it('answers 404 for other paths', async () => {
    const response = await handler(post(initialize, {}, 'http://127.0.0.1:8080/other'));
    expect(response.status).toBe(404);
  });

  it('S1 401 with resource_metadata and scope before anything runs', async () => {
    const response = await handler(post(initialize));
    expect(response.status).toBe(401);
    expect(parseWwwAuthenticate(response.headers.get('www-authenticate'))[0]?.params).toEqual({
      resource_metadata: PRM,
      scope: 'mcp:tools',
    });
  });

  it('passes authInfo to tool handlers (2025 stateless leg)', async () => {
    const token = await issuer.mintAccessToken({ sub: 'alice', client_id: 'app-1', scope: 'mcp:tools' });
    const auth = { authorization: `Bearer ${token}` };
    expect((await handler(post(initialize, auth))).status).toBe(200);
    const [message] = await jsonRpcResults(await handler(post(call('whoami'), auth)));
    const result = message?.result as { content: Array<{ text: string }> };
    expect(JSON.parse(result.content[0]!.text)).toMatchObject({
      subject: 'alice',
      clientId: 'app-1',
      scopes: ['mcp:tools'],
    });
  });

  it('S4 403 insufficient_scope for a tool whose scope the token lacks; the tool does not run', async () => {
    const token = await issuer.mintAccessToken({ scope: 'mcp:tools' });
    const response = await handler(post(call('delete_file'), { authorization: `Bearer ${token}` }));
    expect(response.status).toBe(403);
    expect(parseWwwAuthenticate(response.headers.get('www-authenticate'))[0]?.params).toMatchObject({
      error: 'insufficient_scope',
      scope: 'mcp:tools mcp:write',
      resource_metadata: PRM,
    });
  });

  it('checks the scopes of every message of a batch', async () => {
    const token = await issuer.mintAccessToken({ scope: 'mcp:tools' });
    const response = await handler(
      post([call('whoami'), call('delete_file')], { authorization: `Bearer ${token}` }),
    );
    expect(response.status).toBe(403);
  });

  it('bad JSON: 401 without a token, 400 JSON-RPC parse error with one (never 500)', async () => {
    expect((await handler(post('{"jsonrpc":'))).status).toBe(401);
    const token = await issuer.mintAccessToken();
    const response = await handler(post('{"jsonrpc":', { authorization: `Bearer ${token}` }));
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: -32700 }, id: null });
    const empty = await handler(post('', { authorization: `Bearer ${token}` }));
    expect(empty.status).toBe(400);
  });

  it('refuses non-JSON media types with 415 after authentication', async () => {
    expect((await handler(post(call('delete_file'), { 'content-type': 'text/plain' }))).status).toBe(401);
    const token = await issuer.mintAccessToken({ scope: 'mcp:tools' });
    const response = await handler(
      post(call('delete_file'), { 'content-type': 'text/plain', authorization: `Bearer ${token}` }),
    );
    expect(response.status).toBe(415);
  });

  it('answers 413 for an oversized body', async () => {
    const small = createProtectedMcpHandler({
      resourceServer: trustingResourceServer(),
      server: () => new McpServer({ name: 'x', version: '1' }),
      maxRequestBodySize: 64,
    });
    const response = await small(post({ ...initialize, padding: 'x'.repeat(200) }));
    expect(response.status).toBe(413);
    await small.close();
  });

  it('refuses a foreign Origin with 403 and a JSON-RPC error without id', async () => {
    const token = await issuer.mintAccessToken();
    const response = await handler(
      post(initialize, { authorization: `Bearer ${token}`, origin: 'https://evil.example' }),
    );
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ jsonrpc: '2.0', id: null });
  });

  it('lets an allowed browser origin read answers: preflight 204 without a token, CORS headers on the 401', async () => {
    const preflight = await handler(
      preflightRequest('http://localhost:5173', {
        'access-control-request-headers': 'authorization, content-type',
      }),
    );
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    const challenged = await handler(post(initialize, { origin: 'http://localhost:5173' }));
    expect(challenged.status).toBe(401);
    expect(challenged.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(challenged.headers.get('access-control-expose-headers')).toContain('WWW-Authenticate');
    const plain = await handler(post(initialize));
    expect(plain.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('gives a refused origin no CORS headers, not even on the preflight', async () => {
    const preflight = await handler(preflightRequest('https://evil.example'));
    expect(preflight.status).toBe(403);
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('authenticates GET too (the SDK then answers 405 for the stateless legacy leg)', async () => {
    const anonymous = await handler(
      new Request(RESOURCE, { headers: { host: '127.0.0.1:8080', accept: 'text/event-stream' } }),
    );
    expect(anonymous.status).toBe(401);
    const token = await issuer.mintAccessToken();
    const response = await handler(
      new Request(RESOURCE, {
        headers: { host: '127.0.0.1:8080', accept: 'text/event-stream', authorization: `Bearer ${token}` },
      }),
    );
    expect(response.status).toBe(405);
  });

  it('turns a throwing server factory into a generic error, never a stack trace', async () => {
    const broken = createProtectedMcpHandler({
      resourceServer: trustingResourceServer(),
      server: () => {
        throw new Error('secret detail at /srv/app.js:12');
      },
      onerror: () => {},
    });
    const token = await issuer.mintAccessToken();
    const response = await broken(post(initialize, { authorization: `Bearer ${token}` }));
    // A broken factory is a server bug: the SDK answers a generic JSON-RPC internal error.
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(text).not.toContain('secret detail');
    expect(text).not.toContain('app.js');
    expect(JSON.parse(text)).toMatchObject({ jsonrpc: '2.0', error: { code: -32603 } });
    await broken.close();
  });
});
