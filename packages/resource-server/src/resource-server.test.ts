import diagnostics_channel from 'node:diagnostics_channel';
import { InvalidToken, parseWwwAuthenticate, TemporarilyUnavailable } from '@gatehouse/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestIssuer } from '../../../test/support/test-issuer.js';
import { type AuthInfo, createAuthInfo } from './auth-info.js';
import { DIAGNOSTICS_CHANNEL } from './diagnostics.js';
import { createResourceServer, type ResourceServer } from './resource-server.js';

const RESOURCE = 'http://127.0.0.1:8080/mcp';
const PRM = 'http://127.0.0.1:8080/.well-known/oauth-protected-resource/mcp';

const issuer = useTestIssuer({ audience: RESOURCE });
let rs: ResourceServer;

beforeAll(() => {
  rs = createResourceServer({
    resource: RESOURCE,
    authorizationServers: [issuer.issuer],
    verify: { issuer: issuer.issuer, jwksUri: issuer.jwksUri, jwksPolicy: { allowLoopback: true } },
    scopesSupported: ['mcp:tools', 'mcp:write'],
    scopes: { default: ['mcp:tools'], tools: { delete_file: ['mcp:write'] } },
    scopeHierarchy: { 'mcp:admin': ['mcp:write', 'mcp:tools'] },
  });
});

function mcpRequest(token: string | undefined, body: unknown, headers: Record<string, string> = {}): Request {
  return new Request(RESOURCE, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      host: '127.0.0.1:8080',
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      ...headers,
    },
    body: JSON.stringify(body),
  });
}

const callTool = (name: string) => ({
  jsonrpc: '2.0',
  id: 1,
  method: 'tools/call',
  params: { name, arguments: {} },
});
const listTools = { jsonrpc: '2.0', id: 1, method: 'tools/list' };

function challenge(response: Response) {
  return parseWwwAuthenticate(response.headers.get('www-authenticate'))[0]?.params ?? {};
}

describe('createResourceServer', () => {
  it('exposes the canonical resource, its metadata and metadata URL', () => {
    expect(rs.resource).toBe(RESOURCE);
    expect(rs.metadataUrl).toBe(PRM);
    expect(rs.metadata.authorization_servers).toEqual([issuer.issuer]);
    expect(rs.needsBody).toBe(true);
  });

  it('throws at construction with hints for missing options', () => {
    const verify = { issuer: 'https://as.example', jwksUri: 'https://as.example/jwks' };
    expect(() =>
      createResourceServer({ authorizationServers: ['https://as.example'], verify } as never),
    ).toThrow(
      expect.objectContaining({
        code: 'ERR_MISSING_OPTION',
        message: expect.stringMatching(/"resource" is required/),
      }),
    );
    expect(() => createResourceServer({ resource: 'https://mcp.example/mcp', verify } as never)).toThrow(
      expect.objectContaining({
        code: 'ERR_MISSING_OPTION',
        message: expect.stringMatching(/authorizationServers/),
      }),
    );
    expect(() =>
      createResourceServer({
        resource: 'https://mcp.example/mcp',
        authorizationServers: ['https://as.example'],
      } as never),
    ).toThrow(
      expect.objectContaining({
        code: 'ERR_MISSING_OPTION',
        message: expect.stringMatching(/"verify" is required/),
      }),
    );
  });

  it('refuses unknown options and bad scope configuration', () => {
    const good = {
      resource: 'https://mcp.example/mcp',
      authorizationServers: ['https://as.example'],
      verify: { issuer: 'https://as.example', jwksUri: 'https://as.example/jwks' },
    };
    expect(() => createResourceServer({ ...good, scope: {} } as never)).toThrow(/unknown option "scope"/);
    expect(() => createResourceServer({ ...good, scopes: { tools: { x: ['offline_access'] } } })).toThrow(
      /offline_access/,
    );
    expect(() => createResourceServer({ ...good, origin: { allowedOrigins: ['*'] } })).toThrow(
      /allowedOrigins/,
    );
    expect(() => createResourceServer({ ...good, resource: 'http://mcp.example/mcp' })).toThrow(/https/);
  });

  it('defaults the verifier audience to the canonical resource', async () => {
    const token = await issuer.mintAccessToken({ aud: 'http://127.0.0.1:8080/other' });
    const response = await rs.authenticate(mcpRequest(token, listTools));
    expect((response as Response).status).toBe(401);
  });
});

describe('authenticate', () => {
  it('S8 accepts a valid token for this resource and sets resourceMetadataUrl', async () => {
    const token = await issuer.mintAccessToken({ scope: 'mcp:tools', sub: 'alice', client_id: 'app' });
    const result = await rs.authenticate(mcpRequest(token, listTools));
    expect(result).not.toBeInstanceOf(Response);
    const info = result as AuthInfo;
    expect(info.subject).toBe('alice');
    expect(info.clientId).toBe('app');
    expect(info.scopes).toEqual(['mcp:tools']);
    expect(info.resourceMetadataUrl).toBe(PRM);
    expect(info.token).toBe(token);
    expect(JSON.stringify(info)).not.toContain(token);
  });

  it('S1 401 with resource_metadata and the scopes of the operation, and no error code, when no token is sent', async () => {
    const response = (await rs.authenticate(mcpRequest(undefined, callTool('delete_file')))) as Response;
    expect(response.status).toBe(401);
    expect(challenge(response)).toEqual({ resource_metadata: PRM, scope: 'mcp:tools mcp:write' });
  });

  it('S8 401 invalid_token for an expired token, without echoing it', async () => {
    const token = await issuer.mintAccessToken({}, { expiresIn: -600 });
    const response = (await rs.authenticate(mcpRequest(token, listTools))) as Response;
    expect(response.status).toBe(401);
    expect(challenge(response)).toMatchObject({ error: 'invalid_token', resource_metadata: PRM });
    expect(await response.text()).not.toContain(token);
    expect(response.headers.get('www-authenticate')).not.toContain(token);
  });

  it('S4 403 insufficient_scope listing every scope the tool needs', async () => {
    const token = await issuer.mintAccessToken({ scope: 'mcp:tools' });
    const response = (await rs.authenticate(mcpRequest(token, callTool('delete_file')))) as Response;
    expect(response.status).toBe(403);
    expect(challenge(response)).toMatchObject({
      error: 'insufficient_scope',
      scope: 'mcp:tools mcp:write',
      resource_metadata: PRM,
    });
  });

  it('S6 honours the scope hierarchy', async () => {
    const token = await issuer.mintAccessToken({ scope: 'mcp:admin' });
    const result = await rs.authenticate(mcpRequest(token, callTool('delete_file')));
    expect(result).not.toBeInstanceOf(Response);
  });

  it('uses the body passed by the caller rather than reading the request', async () => {
    const token = await issuer.mintAccessToken({ scope: 'mcp:tools' });
    const request = mcpRequest(token, listTools);
    const response = (await rs.authenticate(request, callTool('delete_file'))) as Response;
    expect(response.status).toBe(403);
    expect(request.bodyUsed).toBe(false);
  });

  it('reads a clone when no body is passed, leaving the request readable', async () => {
    const token = await issuer.mintAccessToken({ scope: 'mcp:tools mcp:write' });
    const request = mcpRequest(token, callTool('delete_file'));
    expect(await rs.authenticate(request)).not.toBeInstanceOf(Response);
    expect(await request.json()).toEqual(callTool('delete_file'));
  });

  it('refuses (500, never guessing) when the body was consumed and not passed', async () => {
    const token = await issuer.mintAccessToken({ scope: 'mcp:tools' });
    const request = mcpRequest(token, callTool('delete_file'));
    await request.text();
    const response = (await rs.authenticate(request)) as Response;
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({
      jsonrpc: '2.0',
      error: { code: -32603, message: 'Internal error' },
      id: null,
    });
  });

  it('answers 413 for a body over maxBodyBytes when it has to read it', async () => {
    const small = createResourceServer({
      resource: RESOURCE,
      authorizationServers: [issuer.issuer],
      verify: { issuer: issuer.issuer, jwksUri: issuer.jwksUri, jwksPolicy: { allowLoopback: true } },
      scopes: { tools: { x: ['y'] } },
      maxBodyBytes: 16,
    });
    const token = await issuer.mintAccessToken();
    const response = (await small.authenticate(mcpRequest(token, callTool('a-long-tool-name')))) as Response;
    expect(response.status).toBe(413);
  });

  it('checks Origin before anything else (403 JSON-RPC body, no id)', async () => {
    const token = await issuer.mintAccessToken();
    const response = (await rs.authenticate(
      mcpRequest(token, listTools, { origin: 'https://evil.example' }),
    )) as Response;
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32000 } });
  });

  it('S10 400 invalid_request for a token in the query string', async () => {
    const token = await issuer.mintAccessToken();
    const request = new Request(`${RESOURCE}?access_token=${token}`, {
      method: 'GET',
      headers: { host: '127.0.0.1:8080' },
    });
    const response = (await rs.authenticate(request)) as Response;
    expect(response.status).toBe(400);
    expect(challenge(response)).toMatchObject({ error: 'invalid_request', resource_metadata: PRM });
    expect(await response.text()).not.toContain(token);
  });

  it('503 with Retry-After when the verifier is unavailable, and a generic 500 when it breaks', async () => {
    const make = (verify: (token: string) => Promise<AuthInfo>) =>
      createResourceServer({
        resource: RESOURCE,
        authorizationServers: [issuer.issuer],
        verify: { verify },
        retryAfterSeconds: 9,
      });
    const unavailable = make(async () => {
      throw new TemporarilyUnavailable({ description: 'JWKS unreachable' });
    });
    const down = (await unavailable.authenticate(mcpRequest('abc', listTools))) as Response;
    expect(down.status).toBe(503);
    expect(down.headers.get('retry-after')).toBe('9');

    const broken = make(async () => {
      throw new Error('boom at line 3');
    });
    const crash = (await broken.authenticate(mcpRequest('abc', listTools))) as Response;
    expect(crash.status).toBe(500);
    expect(await crash.text()).not.toContain('boom');
  });

  it('keeps a resourceMetadataUrl set by the verifier and never mutates the verifier result', async () => {
    const fields = { clientId: 'c', scopes: ['mcp:tools'], issuer: 'x', audience: [RESOURCE], claims: {} };
    const frozen = Object.freeze(createAuthInfo('tok', fields));
    const custom = createResourceServer({
      resource: RESOURCE,
      authorizationServers: [issuer.issuer],
      verify: { verify: async () => frozen },
    });
    const result = (await custom.authenticate(mcpRequest('tok', listTools))) as AuthInfo;
    expect(result.resourceMetadataUrl).toBe(PRM);
    expect(result.token).toBe('tok');
    expect(frozen.resourceMetadataUrl).toBeUndefined();
  });

  it('publishes authenticated and rejected events without tokens', async () => {
    const events: unknown[] = [];
    const listener = (event: unknown) => events.push(event);
    diagnostics_channel.subscribe(DIAGNOSTICS_CHANNEL, listener);
    try {
      const token = await issuer.mintAccessToken({ scope: 'mcp:tools', sub: 'bob' });
      await rs.authenticate(mcpRequest(token, listTools));
      await rs.authenticate(mcpRequest(issuer.tamper(token), listTools));
      expect(events).toEqual([
        { type: 'authenticated', subject: 'bob', clientId: 'client-1', scopes: ['mcp:tools'] },
        { type: 'rejected', status: 401, error: 'invalid_token' },
      ]);
      expect(JSON.stringify(events)).not.toContain(token.slice(0, 20));
    } finally {
      diagnostics_channel.unsubscribe(DIAGNOSTICS_CHANNEL, listener);
    }
  });

  it("renders application-level errors with this server's resource_metadata", () => {
    const response = rs.errorResponse(new InvalidToken({ description: 'revoked' }), ['mcp:tools']);
    expect(challenge(response)).toEqual({
      error: 'invalid_token',
      error_description: 'revoked',
      resource_metadata: PRM,
      scope: 'mcp:tools',
    });
  });

  it('serves its metadata', async () => {
    const response = rs.handleMetadataRequest(
      new Request('http://127.0.0.1:8080/.well-known/oauth-protected-resource'),
    );
    expect(await response?.json()).toMatchObject({
      resource: RESOURCE,
      scopes_supported: ['mcp:tools', 'mcp:write'],
    });
  });
});
