import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InvalidToken, TemporarilyUnavailable } from '@gatehouse/core';
import { beforeEach, describe, expect, it } from 'vitest';
import { useTestIssuer } from '../../../../test/support/test-issuer.js';
import {
  createIntrospectionVerifier,
  type IntrospectionVerifierOptions,
  processIntrospectionResponse,
} from './introspection-verifier.js';
import {
  expectDefaultAuthInfo,
  expectRejected,
  introspectionOptionsFor,
  NOW,
} from './verify.test-helpers.js';

const issuer = useTestIssuer();
let counter = 0;

beforeEach(() => {
  issuer.failIntrospection(undefined);
});

function options(overrides: Partial<IntrospectionVerifierOptions> = {}): IntrospectionVerifierOptions {
  return introspectionOptionsFor(issuer, { now: () => NOW * 1000, ...overrides });
}

/** A fresh opaque token string, registered with the given introspection answer. */
function opaqueToken(answer?: Record<string, unknown>): string {
  counter += 1;
  const token = `opaque-${counter}-Zm9vYmFyYmF6cXV4`;
  if (answer !== undefined) issuer.setIntrospection(token, answer);
  return token;
}

function activeAnswer(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    active: true,
    token_type: 'Bearer',
    ...issuer.defaultClaims({ iat: NOW, exp: NOW + 300 }),
    ...overrides,
  };
}

describe('createIntrospectionVerifier (RFC 7662)', () => {
  it('maps an active answer to an AuthInfo with every field', async () => {
    const token = opaqueToken(activeAnswer({ jti: 'intro-1' }));
    const info = await createIntrospectionVerifier(options()).verify(token);
    expectDefaultAuthInfo(info, token, issuer);
    expect(info.claims).toMatchObject({ active: true, jti: 'intro-1' });
  });

  it('sends the token form-encoded with client_secret_basic credentials (RFC 7662 §2.1)', async () => {
    const token = opaqueToken(activeAnswer());
    await createIntrospectionVerifier(options({ cacheTtlSeconds: 0 })).verify(token);
    const recorded = issuer.introspectionRequests.at(-1);
    expect(recorded?.contentType).toBe('application/x-www-form-urlencoded');
    expect(recorded?.params.get('token')).toBe(token);
    expect(recorded?.params.get('token_type_hint')).toBe('access_token');
    const basic = recorded?.authorization?.replace(/^Basic /, '') ?? '';
    const decoded = Buffer.from(basic, 'base64').toString('utf8');
    // RFC 6749 §2.3.1: each half is form-urlencoded, so the ':' in the secret is escaped.
    expect(decoded.split(':')).toHaveLength(2);
    expect(decoded.startsWith(`${issuer.introspectionClient.clientId}:`)).toBe(true);
  });

  it('refuses active: false and unknown tokens', async () => {
    const verifier = createIntrospectionVerifier(options());
    const inactive = opaqueToken({ active: false });
    await expectRejected(verifier.verify(inactive), InvalidToken, 'token is not active', [inactive]);
    const unknown = opaqueToken();
    await expectRejected(verifier.verify(unknown), InvalidToken, 'token is not active', [unknown]);
  });

  it.each([
    ['wrong aud', { aud: 'https://other.example.com/mcp' }, 'token audience does not include this resource'],
    ['no aud', { aud: undefined }, 'token has no "aud" claim'],
    ['wrong iss', { iss: 'https://evil.example.com' }, 'token issuer is not accepted'],
    ['a refresh token', { token_type: 'refresh_token' }, 'token is not an access token'],
    ['expired', { exp: NOW - 60 }, 'token expired'],
    ['not yet valid', { nbf: NOW + 60 }, 'token is not yet valid'],
    ['no client id', { client_id: undefined }, 'token has no "client_id" claim'],
  ])('refuses an active answer with %s', async (_name, overrides, description) => {
    const answer = activeAnswer();
    for (const [key, value] of Object.entries(overrides)) {
      if (value === undefined) delete answer[key];
      else answer[key] = value;
    }
    const token = opaqueToken(answer);
    await expectRejected(createIntrospectionVerifier(options()).verify(token), InvalidToken, description, [
      token,
    ]);
  });

  it('accepts an answer without iss, and an aud array containing the resource', async () => {
    const token = opaqueToken(activeAnswer({ iss: undefined, aud: ['urn:other', issuer.audience] }));
    const info = await createIntrospectionVerifier(options()).verify(token);
    expect(info.audience).toEqual(['urn:other', issuer.audience]);
  });

  it('reuses an answer within cacheTtlSeconds and asks again after it', async () => {
    let now = NOW * 1000;
    const verifier = createIntrospectionVerifier(options({ now: () => now, cacheTtlSeconds: 30 }));
    const token = opaqueToken(activeAnswer());
    const before = issuer.introspectionRequests.length;
    const first = await verifier.verify(token);
    now += 29_000;
    expect(await verifier.verify(token)).toEqual(first);
    expect(issuer.introspectionRequests.length - before).toBe(1);
    now += 2_000;
    await verifier.verify(token);
    expect(issuer.introspectionRequests.length - before).toBe(2);
  });

  it('never reuses an answer beyond the token exp', async () => {
    let now = NOW * 1000;
    const verifier = createIntrospectionVerifier(options({ now: () => now, cacheTtlSeconds: 30 }));
    const token = opaqueToken(activeAnswer({ exp: NOW + 10 }));
    const before = issuer.introspectionRequests.length;
    await verifier.verify(token);
    now += 11_000;
    issuer.setIntrospection(token, { active: false });
    await expectRejected(verifier.verify(token), InvalidToken, 'token is not active');
    expect(issuer.introspectionRequests.length - before).toBe(2);
  });

  it('asks every time with cacheTtlSeconds: 0 (revocation takes effect at once)', async () => {
    const verifier = createIntrospectionVerifier(options({ cacheTtlSeconds: 0 }));
    const token = opaqueToken(activeAnswer());
    await verifier.verify(token);
    issuer.setIntrospection(token, { active: false });
    await expectRejected(verifier.verify(token), InvalidToken, 'token is not active');
  });

  it('answers 503 when the endpoint fails, answers non-JSON or refuses our credentials', async () => {
    const token = opaqueToken(activeAnswer());
    const verifier = createIntrospectionVerifier(options({ cacheTtlSeconds: 0 }));
    issuer.failIntrospection({ status: 500, body: '{}' });
    await expectRejected(verifier.verify(token), TemporarilyUnavailable, /HTTP 500/, [token]);
    issuer.failIntrospection({ status: 200, body: 'not json' });
    await expectRejected(verifier.verify(token), TemporarilyUnavailable, /not JSON/, [token]);
    issuer.failIntrospection({ status: 200, body: '{"active":"yes"}' });
    await expectRejected(verifier.verify(token), TemporarilyUnavailable, /"active"/, [token]);
    issuer.failIntrospection(undefined);

    const wrongSecret = createIntrospectionVerifier(options({ clientSecret: 'wrong' }));
    const error = await expectRejected(wrongSecret.verify(token), TemporarilyUnavailable, /HTTP 401/, [
      token,
      issuer.introspectionClient.clientSecret,
    ]);
    expect(error.status).toBe(503);
  });

  it('answers 503 when the endpoint is down', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const verifier = createIntrospectionVerifier(
      options({ introspectionEndpoint: `http://127.0.0.1:${port}/introspect` }),
    );
    const token = opaqueToken();
    await expectRejected(verifier.verify(token), TemporarilyUnavailable, /could not be reached/, [token]);
  });

  it.each([
    ['missing clientSecret', { clientSecret: undefined }, 'ERR_MISSING_OPTION'],
    ['missing audience', { audience: undefined }, 'ERR_MISSING_OPTION'],
    ['missing issuer', { issuer: undefined }, 'ERR_MISSING_OPTION'],
    ['missing endpoint', { introspectionEndpoint: undefined }, 'ERR_MISSING_OPTION'],
    ['a non-http endpoint', { introspectionEndpoint: 'ftp://127.0.0.1/x' }, 'ERR_INVALID_ARG_VALUE'],
    ['a TTL above 300', { cacheTtlSeconds: 301 }, 'ERR_INVALID_ARG_VALUE'],
    ['a JWT option', { jwksUri: 'https://auth.example.com/jwks' }, 'ERR_INVALID_ARG_VALUE'],
  ])('throws at construction on %s', (_name, overrides, code) => {
    const merged: Record<string, unknown> = { ...options(), ...overrides };
    for (const [key, value] of Object.entries(overrides)) if (value === undefined) delete merged[key];
    expect(() => createIntrospectionVerifier(merged as unknown as IntrospectionVerifierOptions)).toThrow(
      expect.objectContaining({ code }),
    );
  });
});

describe('processIntrospectionResponse', () => {
  it('returns the object of an active answer', async () => {
    const body = await processIntrospectionResponse(Response.json({ active: true, scope: 'a' }));
    expect(body).toEqual({ active: true, scope: 'a' });
  });

  it.each([
    ['an array', '[]'],
    ['null', 'null'],
    ['no active', '{"scope":"a"}'],
  ])('refuses %s with 503', async (_name, text) => {
    const response = new Response(text, { headers: { 'content-type': 'application/json' } });
    await expectRejected(processIntrospectionResponse(response), TemporarilyUnavailable, undefined);
  });
});
