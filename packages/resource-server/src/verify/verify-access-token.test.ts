import { InvalidRequest, InvalidToken } from '@gatehouse/core';
import { describe, expect, it } from 'vitest';
import { useTestIssuer } from '../../../../test/support/test-issuer.js';
import { createAuthInfo } from '../auth-info.js';
import type { AccessTokenVerifier } from './types.js';
import { expectRejected, introspectionOptionsFor, jwtOptionsFor, secretsOf } from './verify.test-helpers.js';
import {
  createAccessTokenVerifier,
  type VerifyAccessTokenOptions,
  verifyAccessToken,
} from './verify-access-token.js';

const issuer = useTestIssuer();

function jwtOptions(): VerifyAccessTokenOptions {
  return jwtOptionsFor(issuer, { cache: false });
}

function bearerRequest(token?: string, url = `${issuer.audience}`): Request {
  const headers = token === undefined ? undefined : { authorization: `Bearer ${token}` };
  return new Request(url, { method: 'POST', headers });
}

describe('verifyAccessToken', () => {
  it('extracts the bearer token and verifies it', async () => {
    const token = await issuer.mintAccessToken();
    const info = await verifyAccessToken(bearerRequest(token), jwtOptions());
    expect(info.token).toBe(token);
    expect(info.subject).toBe('user-1');
  });

  it('reuses the verifier (and its JWKS cache) for the same options object', async () => {
    const options = jwtOptions();
    const before = issuer.requestCount;
    await verifyAccessToken(bearerRequest(await issuer.mintAccessToken({ jti: 'a' })), options);
    await verifyAccessToken(bearerRequest(await issuer.mintAccessToken({ jti: 'b' })), options);
    expect(issuer.requestCount - before).toBe(1);
    // A new options object builds a new verifier, which fetches the JWKS again.
    await verifyAccessToken(bearerRequest(await issuer.mintAccessToken({ jti: 'c' })), jwtOptions());
    expect(issuer.requestCount - before).toBe(2);
  });

  it('rejects a request without a token as "missing" (401, no error code)', async () => {
    const error = await expectRejected(
      verifyAccessToken(bearerRequest(), jwtOptions()),
      InvalidToken,
      undefined,
    );
    expect((error as InvalidToken).tokenPresent).toBe(false);
  });

  it('rejects a token in the query string with 400', async () => {
    const token = await issuer.mintAccessToken();
    const request = bearerRequest(token, `${issuer.audience}?access_token=${token}`);
    await expect(verifyAccessToken(request, jwtOptions())).rejects.toBeInstanceOf(InvalidRequest);
  });

  it('rejects an invalid token with 401 without echoing it', async () => {
    const token = issuer.tamper(await issuer.mintAccessToken());
    await expectRejected(
      verifyAccessToken(bearerRequest(token), jwtOptions()),
      InvalidToken,
      /signature/,
      secretsOf(token),
    );
  });

  it('accepts a verifier instance, or { verifier }', async () => {
    const custom: AccessTokenVerifier = {
      verify: async (token) =>
        createAuthInfo(token, { clientId: 'c', scopes: [], issuer: 'i', audience: ['a'], claims: {} }),
    };
    expect((await verifyAccessToken(bearerRequest('abc'), custom)).clientId).toBe('c');
    expect((await verifyAccessToken(bearerRequest('abc'), { verifier: custom })).token).toBe('abc');
  });
});

describe('createAccessTokenVerifier', () => {
  it('builds an introspection verifier when introspectionEndpoint is given', async () => {
    const verifier = createAccessTokenVerifier(introspectionOptionsFor(issuer));
    const before = issuer.introspectionRequests.length;
    await expectRejected(verifier.verify('opaque-unknown'), InvalidToken, 'token is not active');
    expect(issuer.introspectionRequests.length - before).toBe(1);
  });

  it('validates options at construction', () => {
    expect(() => createAccessTokenVerifier({ ...jwtOptions(), audience: undefined } as never)).toThrow(
      expect.objectContaining({ code: 'ERR_MISSING_OPTION' }),
    );
    expect(() => createAccessTokenVerifier({ verifier: {} } as never)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }),
    );
    const verifier: AccessTokenVerifier = { verify: async () => Promise.reject(new Error('unused')) };
    expect(() => createAccessTokenVerifier({ verifier, issuer: 'x' } as never)).toThrow(/cannot be combined/);
  });
});
