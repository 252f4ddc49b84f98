/**
 * Enterprise-managed authorization (ID-JAG) against a real identity provider and a real MCP
 * authorization server on 127.0.0.1 (port 0): the identity provider verifies the ID token with jose
 * and signs an ID-JAG (`typ: oauth-id-jag+jwt`); the authorization server verifies that ID-JAG
 * (signature, `aud` = its issuer, `resource`, `client_id` = the authenticated client) before issuing
 * an access token. Every request the servers receive is recorded and asserted.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AuthorizationServerMetadata } from '@gatehouse/core';
import { OAuthError, ProtocolError } from '@gatehouse/core';
import { type CryptoKey, decodeProtectedHeader, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Discovery } from '../discovery/discover.js';
import { authorizeWithIdJag } from './enterprise-managed-authorization.js';
import {
  ID_JAG_TOKEN_TYPE,
  ID_TOKEN_TOKEN_TYPE,
  idJagTokenExchangeRequest,
  processIdJagResponse,
  TOKEN_EXCHANGE_GRANT_TYPE,
} from './id-jag-token-exchange.js';
import { JWT_BEARER_GRANT_TYPE, jwtBearerGrantRequest } from './jwt-bearer-grant.js';
import { processTokenResponse } from './token-response.js';

const SSO_CLIENT = 'sso-client';
const MCP_CLIENT = { clientId: 'mcp-client', clientSecret: 'mcp secret:1' };
const policy = { allowLoopback: true };

interface Received {
  readonly path: string;
  readonly authorization: string | undefined;
  readonly body: Record<string, string>;
}

let server: Server;
let origin: string;
let idpIssuer: string;
let asIssuer: string;
let resource: string;
let idpKeys: { publicKey: CryptoKey; privateKey: CryptoKey };
let jagKeys: { publicKey: CryptoKey; privateKey: CryptoKey };
let received: Received[] = [];
/** When set, the identity provider answers this instead of an ID-JAG. */
let idpOverride: { status: number; body: unknown } | undefined;

function readBody(request: IncomingMessage): Promise<Record<string, string>> {
  return new Promise((resolve) => {
    let text = '';
    request.setEncoding('utf8').on('data', (chunk: string) => {
      text += chunk;
    });
    request.on('end', () => resolve(Object.fromEntries(new URLSearchParams(text))));
  });
}

/** The identity provider's token endpoint: RFC 8693 exchange of an ID token for an ID-JAG. */
async function identityProviderToken(body: Record<string, string>) {
  if (idpOverride !== undefined) return idpOverride;
  if (body.grant_type !== TOKEN_EXCHANGE_GRANT_TYPE)
    return { status: 400, body: { error: 'unsupported_grant_type' } };
  try {
    const { payload } = await jwtVerify(body.subject_token ?? '', idpKeys.publicKey, {
      issuer: idpIssuer,
      audience: body.client_id,
    });
    const jag = await new SignJWT({
      sub: payload.sub,
      resource: body.resource,
      client_id: MCP_CLIENT.clientId,
    })
      .setProtectedHeader({ alg: 'ES256', typ: 'oauth-id-jag+jwt' })
      .setIssuer(idpIssuer)
      .setAudience(body.audience ?? '')
      .setIssuedAt()
      .setExpirationTime('5m')
      .setJti(crypto.randomUUID())
      .sign(jagKeys.privateKey);
    return {
      status: 200,
      body: { access_token: jag, issued_token_type: ID_JAG_TOKEN_TYPE, token_type: 'N_A', expires_in: 300 },
    };
  } catch {
    return { status: 400, body: { error: 'invalid_grant', error_description: 'the ID token is not valid' } };
  }
}

/** The MCP authorization server's token endpoint: the jwt-bearer grant with an ID-JAG. */
async function authorizationServerToken(body: Record<string, string>, authorization: string | undefined) {
  const [id, secret] = Buffer.from((authorization ?? '').replace(/^Basic /, ''), 'base64')
    .toString()
    .split(':')
    .map((part) => decodeURIComponent(part.replaceAll('+', ' ')));
  if (id !== MCP_CLIENT.clientId || secret !== MCP_CLIENT.clientSecret) {
    return { status: 401, body: { error: 'invalid_client' } };
  }
  if (body.grant_type !== JWT_BEARER_GRANT_TYPE)
    return { status: 400, body: { error: 'unsupported_grant_type' } };
  try {
    const assertion = body.assertion ?? '';
    if (decodeProtectedHeader(assertion).typ !== 'oauth-id-jag+jwt') throw new Error('typ');
    const { payload } = await jwtVerify(assertion, jagKeys.publicKey, {
      issuer: idpIssuer,
      audience: asIssuer,
    });
    if (payload.resource !== resource || payload.client_id !== id) throw new Error('claims');
    return {
      status: 200,
      body: {
        access_token: `at-for-${payload.sub}`,
        token_type: 'Bearer',
        expires_in: 600,
        scope: 'mcp:tools',
      },
    };
  } catch {
    return { status: 400, body: { error: 'invalid_grant' } };
  }
}

beforeAll(async () => {
  idpKeys = await generateKeyPair('ES256');
  jagKeys = await generateKeyPair('ES256');
  server = createServer(async (request, response) => {
    const body = await readBody(request);
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    received.push({ path, authorization: request.headers.authorization, body });
    const answer =
      path === '/idp/token'
        ? await identityProviderToken(body)
        : path === '/as/token'
          ? await authorizationServerToken(body, request.headers.authorization)
          : { status: 404, body: { error: 'not_found' } };
    response
      .writeHead(answer.status, { 'content-type': 'application/json' })
      .end(JSON.stringify(answer.body));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  idpIssuer = `${origin}/idp`;
  asIssuer = `${origin}/as`;
  resource = `${origin}/mcp`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((done) => server.close(() => done()));
});

beforeEach(() => {
  received = [];
  idpOverride = undefined;
});

const idpMetadata = () => ({ issuer: idpIssuer, token_endpoint: `${idpIssuer}/token` });

function discovery(): Discovery {
  const metadata = {
    issuer: asIssuer,
    token_endpoint: `${asIssuer}/token`,
    response_types_supported: ['code'],
    grant_types_supported: [JWT_BEARER_GRANT_TYPE],
    token_endpoint_auth_methods_supported: ['client_secret_basic'],
  } as AuthorizationServerMetadata;
  return {
    resource,
    authorizationServer: { issuer: asIssuer, metadata, legacy: false, url: `${asIssuer}/.well-known` },
  };
}

async function idToken(audience = SSO_CLIENT, issuer = idpIssuer): Promise<string> {
  return new SignJWT({ sub: 'alice', email: 'alice@example.com' })
    .setProtectedHeader({ alg: 'ES256' })
    .setIssuer(issuer)
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(idpKeys.privateKey);
}

describe('idJagTokenExchangeRequest + processIdJagResponse (RFC 8693 at the identity provider)', () => {
  it('sends every parameter of the profile, client_id for a public SSO client, and returns the ID-JAG', async () => {
    const subjectToken = await idToken();
    const response = await idJagTokenExchangeRequest(
      idpMetadata(),
      { clientId: SSO_CLIENT },
      { subjectToken, audience: asIssuer, resource, scope: ['mcp:tools'] },
      { policy },
    );
    const grant = await processIdJagResponse(response, { now: () => 1_000_000 });
    expect(received).toHaveLength(1);
    expect(received[0]?.path).toBe('/idp/token');
    expect(received[0]?.authorization).toBeUndefined();
    expect(received[0]?.body).toEqual({
      grant_type: TOKEN_EXCHANGE_GRANT_TYPE,
      requested_token_type: ID_JAG_TOKEN_TYPE,
      audience: asIssuer,
      subject_token: subjectToken,
      subject_token_type: ID_TOKEN_TOKEN_TYPE,
      resource,
      scope: 'mcp:tools',
      client_id: SSO_CLIENT,
    });
    expect(grant.issued_token_type).toBe(ID_JAG_TOKEN_TYPE);
    expect(grant.expiresAt).toBe(1000 + 300);
    expect(decodeProtectedHeader(grant.assertion).typ).toBe('oauth-id-jag+jwt');
    expect(Object.isFrozen(grant)).toBe(true);
  });

  it('authenticates a confidential SSO client with client_secret_basic and omits resource when not given', async () => {
    await idJagTokenExchangeRequest(
      idpMetadata(),
      { clientId: SSO_CLIENT, clientSecret: 'sso-secret' },
      { subjectToken: await idToken(), audience: asIssuer },
      { policy },
    );
    expect(received[0]?.authorization).toBe(
      `Basic ${Buffer.from(`${SSO_CLIENT}:sso-secret`).toString('base64')}`,
    );
    expect(received[0]?.body).not.toHaveProperty('resource');
    expect(received[0]?.body).not.toHaveProperty('client_secret');
  });

  it("surfaces the identity provider's refusal as an OAuthError without the ID token in the message", async () => {
    const subjectToken = await idToken('another-client');
    const response = await idJagTokenExchangeRequest(
      idpMetadata(),
      { clientId: SSO_CLIENT },
      { subjectToken, audience: asIssuer, resource },
      { policy },
    );
    const error = await processIdJagResponse(response).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OAuthError);
    expect(error).toMatchObject({ error: 'invalid_grant', status: 400 });
    expect(String((error as Error).message)).not.toContain(subjectToken);
  });

  it.each([
    [
      'issued_token_type of an access token',
      {
        access_token: 'x.y.z',
        issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        token_type: 'Bearer',
      },
      'issued_token_type',
    ],
    ['no issued_token_type', { access_token: 'x.y.z', token_type: 'N_A' }, 'issued_token_type'],
    [
      'token_type Bearer',
      { access_token: 'x.y.z', issued_token_type: ID_JAG_TOKEN_TYPE, token_type: 'Bearer' },
      'token_type',
    ],
    ['no access_token', { issued_token_type: ID_JAG_TOKEN_TYPE, token_type: 'N_A' }, 'access_token'],
    [
      'a negative expires_in',
      { access_token: 'x.y.z', issued_token_type: ID_JAG_TOKEN_TYPE, token_type: 'N_A', expires_in: -1 },
      'expires_in',
    ],
  ])('refuses a response with %s (ProtocolError naming the attribute)', async (_, body, attribute) => {
    idpOverride = { status: 200, body };
    const response = await idJagTokenExchangeRequest(
      idpMetadata(),
      { clientId: SSO_CLIENT },
      { subjectToken: 'id-token', audience: asIssuer },
      { policy },
    );
    const error = await processIdJagResponse(response).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error).toMatchObject({ attribute });
    expect(String((error as Error).message)).not.toContain('x.y.z');
  });

  it('refuses misuse synchronously: no audience, no subject token, an unknown subject token type', () => {
    const call = (exchange: Record<string, unknown>) => () =>
      idJagTokenExchangeRequest(idpMetadata(), { clientId: SSO_CLIENT }, exchange as never, { policy });
    expect(call({ subjectToken: 't' })).toThrow(/"audience"/);
    expect(call({ audience: asIssuer })).toThrow(/"subjectToken"/);
    expect(call({ subjectToken: 't', audience: asIssuer, subjectTokenType: 'urn:x' })).toThrow(
      /subjectTokenType/,
    );
    expect(received).toHaveLength(0);
  });

  it('refuses an identity provider token endpoint that is plain http off loopback', () => {
    expect(() =>
      idJagTokenExchangeRequest(
        { issuer: 'http://idp.example', token_endpoint: 'http://idp.example/token' },
        { clientId: SSO_CLIENT },
        { subjectToken: 't', audience: asIssuer },
      ),
    ).toThrow(ProtocolError);
  });
});

describe('jwtBearerGrantRequest (RFC 7523 at the MCP authorization server)', () => {
  it('sends grant_type, assertion, resource and scope with client_secret_basic', async () => {
    const response = await jwtBearerGrantRequest(
      discovery().authorizationServer.metadata,
      MCP_CLIENT,
      { assertion: 'not-a-valid-jag', resource, scope: ['mcp:tools'] },
      { policy },
    );
    expect(received[0]?.body).toEqual({
      grant_type: JWT_BEARER_GRANT_TYPE,
      assertion: 'not-a-valid-jag',
      resource,
      scope: 'mcp:tools',
    });
    expect(received[0]?.authorization).toMatch(/^Basic /);
    await expect(processTokenResponse(response)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('refuses a grant without an assertion', () => {
    expect(() =>
      jwtBearerGrantRequest(
        discovery().authorizationServer.metadata,
        MCP_CLIENT,
        { assertion: '' },
        { policy },
      ),
    ).toThrow(/"assertion"/);
  });
});

describe('authorizeWithIdJag: ID token → ID-JAG → access token, no user interaction', () => {
  it('obtains an access token whose grant the authorization server verified (aud, resource, client_id)', async () => {
    const tokens = await authorizeWithIdJag({
      discovery: discovery(),
      client: MCP_CLIENT,
      identityProvider: { metadata: idpMetadata(), client: { clientId: SSO_CLIENT } },
      idToken: await idToken(),
      policy,
    });
    expect(tokens).toMatchObject({
      access_token: 'at-for-alice',
      token_type: 'Bearer',
      scope: 'mcp:tools',
      resource,
    });
    expect(received.map((entry) => entry.path)).toEqual(['/idp/token', '/as/token']);
    expect(received[0]?.body).toMatchObject({ audience: asIssuer, resource });
    expect(received[1]?.body).toMatchObject({ grant_type: JWT_BEARER_GRANT_TYPE, resource });
  });

  it('stops at the identity provider when it refuses: the authorization server is never called', async () => {
    const error = await authorizeWithIdJag({
      discovery: discovery(),
      client: MCP_CLIENT,
      identityProvider: { metadata: idpMetadata(), client: { clientId: SSO_CLIENT } },
      idToken: await idToken(SSO_CLIENT, 'https://forged.example'),
      policy,
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OAuthError);
    expect(received.map((entry) => entry.path)).toEqual(['/idp/token']);
  });

  it('passes the authorization server refusal through (wrong client secret → invalid_client)', async () => {
    await expect(
      authorizeWithIdJag({
        discovery: discovery(),
        client: { clientId: MCP_CLIENT.clientId, clientSecret: 'wrong' },
        identityProvider: { metadata: idpMetadata(), client: { clientId: SSO_CLIENT } },
        idToken: await idToken(),
        policy,
      }),
    ).rejects.toMatchObject({ error: 'invalid_client', status: 401 });
  });

  it('refuses unknown options and a missing identity provider', async () => {
    const base = { discovery: discovery(), client: MCP_CLIENT, idToken: 't', policy };
    await expect(authorizeWithIdJag({ ...base, idp: {} } as never)).rejects.toThrow(/unknown option "idp"/);
    await expect(authorizeWithIdJag(base as never)).rejects.toThrow(/"identityProvider" is required/);
    expect(received).toHaveLength(0);
  });
});
