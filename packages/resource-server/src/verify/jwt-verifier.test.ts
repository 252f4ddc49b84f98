import { InvalidToken } from '@gatehouse/core';
import { describe, expect, it } from 'vitest';
import { generateTestKey, useTestIssuer } from '../../../../test/support/test-issuer.js';
import { createJwtVerifier, type JwtVerifierOptions } from './jwt-verifier.js';
import {
  expectDefaultAuthInfo,
  expectRejected,
  jwtOptionsFor,
  NOW,
  secretsOf,
} from './verify.test-helpers.js';

const issuer = useTestIssuer();

function verifierOptions(overrides: Partial<JwtVerifierOptions> = {}): JwtVerifierOptions {
  return jwtOptionsFor(issuer, { now: () => NOW * 1000, ...overrides });
}

async function rejectsToken(
  token: string,
  description: string | RegExp,
  overrides: Partial<JwtVerifierOptions> = {},
): Promise<void> {
  const verifier = createJwtVerifier(verifierOptions({ cache: false, ...overrides }));
  await expectRejected(verifier.verify(token), InvalidToken, description, secretsOf(token));
}

describe('createJwtVerifier: a valid RFC 9068 token', () => {
  it('resolves to an AuthInfo with every field', async () => {
    const token = await issuer.mintAccessToken({ jti: 'jti-1' }, { now: NOW });
    const info = await createJwtVerifier(verifierOptions()).verify(token);
    expectDefaultAuthInfo(info, token, issuer);
    expect(info.resource).toBeInstanceOf(URL);
    expect(info.claims).toMatchObject({ jti: 'jti-1', sub: 'user-1', client_id: 'client-1', iat: NOW });
  });

  it('accepts an aud array that contains this resource', async () => {
    const aud = ['https://other.example.com/api', issuer.audience];
    const token = await issuer.mintAccessToken({ aud }, { now: NOW });
    const info = await createJwtVerifier(verifierOptions()).verify(token);
    expect(info.audience).toEqual(aud);
  });

  it('normalises the configured audience with canonicalResourceUri', async () => {
    const token = await issuer.mintAccessToken({}, { now: NOW });
    const shouted = issuer.audience.replace('http://', 'HTTP://').concat('/');
    const info = await createJwtVerifier(verifierOptions({ audience: shouted })).verify(token);
    expect(info.audience).toEqual([issuer.audience]);
  });

  it('accepts a token with a local JWKS', async () => {
    const token = await issuer.mintAccessToken({}, { now: NOW });
    const verifier = createJwtVerifier(verifierOptions({ jwksUri: undefined, jwks: issuer.jwks() }));
    expect((await verifier.verify(token)).subject).toBe('user-1');
  });

  it('accepts an RS256 token from a published RSA key', async () => {
    const rsa = await generateTestKey('RS256', 'rsa-key');
    issuer.publishKey(rsa);
    const token = await issuer.mintAccessToken({}, { now: NOW, key: rsa });
    expect((await createJwtVerifier(verifierOptions()).verify(token)).clientId).toBe('client-1');
  });
});

describe('createJwtVerifier: claims mapping', () => {
  it('reads scopes from "scp" as an array (Entra ID, Okta) or a string', async () => {
    const verifier = createJwtVerifier(verifierOptions());
    const asArray = await issuer.mintAccessToken({ scope: undefined, scp: ['a', 'b'] }, { now: NOW });
    expect((await verifier.verify(asArray)).scopes).toEqual(['a', 'b']);
    const asString = await issuer.mintAccessToken({ scope: undefined, scp: 'c d' }, { now: NOW });
    expect((await verifier.verify(asString)).scopes).toEqual(['c', 'd']);
    const none = await issuer.mintAccessToken({ scope: undefined }, { now: NOW });
    expect((await verifier.verify(none)).scopes).toEqual([]);
  });

  it('falls back to "azp", then "cid", for the client id', async () => {
    const verifier = createJwtVerifier(verifierOptions());
    const azp = await issuer.mintAccessToken({ client_id: undefined, azp: 'client-azp' }, { now: NOW });
    expect((await verifier.verify(azp)).clientId).toBe('client-azp');
    const cid = await issuer.mintAccessToken({ client_id: undefined, cid: 'client-cid' }, { now: NOW });
    expect((await verifier.verify(cid)).clientId).toBe('client-cid');
  });

  it('refuses a token without a client id (RFC 9068 §2.2 requires client_id)', async () => {
    const token = await issuer.mintAccessToken({ client_id: undefined }, { now: NOW });
    await rejectsToken(token, 'token has no "client_id" claim');
  });

  it('refuses a non-string scope', async () => {
    const token = await issuer.mintAccessToken({ scope: 42 as unknown as string }, { now: NOW });
    await rejectsToken(token, 'token "scope" claim is invalid');
  });
});

describe('createJwtVerifier: rejected tokens (401 invalid_token, never echoing the token)', () => {
  it('expired', async () => {
    const token = await issuer.mintAccessToken({}, { now: NOW - 600, expiresIn: 300 });
    await rejectsToken(token, 'token expired');
  });

  it('expired beyond the clock tolerance, but accepted within it', async () => {
    const justExpired = await issuer.mintAccessToken({ exp: NOW - 3 }, { now: NOW });
    const verifier = createJwtVerifier(verifierOptions({ cache: false }));
    expect((await verifier.verify(justExpired)).expiresAt).toBe(NOW - 3);
    const expired = await issuer.mintAccessToken({ exp: NOW - 6 }, { now: NOW });
    await rejectsToken(expired, 'token expired');
  });

  it('nbf in the future beyond the tolerance', async () => {
    const token = await issuer.mintAccessToken({}, { now: NOW, notBefore: 60 });
    await rejectsToken(token, 'token is not yet valid');
  });

  it('nbf in the future within the tolerance is accepted', async () => {
    const token = await issuer.mintAccessToken({}, { now: NOW, notBefore: 4 });
    const info = await createJwtVerifier(verifierOptions()).verify(token);
    expect(info.claims.nbf).toBe(NOW + 4);
  });

  it('a wider clockToleranceSeconds accepts a larger skew', async () => {
    const token = await issuer.mintAccessToken({}, { now: NOW, notBefore: 60 });
    const verifier = createJwtVerifier(verifierOptions({ clockToleranceSeconds: 120 }));
    expect((await verifier.verify(token)).subject).toBe('user-1');
  });

  it('wrong issuer', async () => {
    const token = await issuer.mintAccessToken({ iss: 'https://evil.example.com' }, { now: NOW });
    await rejectsToken(token, 'token issuer is not accepted');
    const slash = await issuer.mintAccessToken({ iss: `${issuer.issuer}/` }, { now: NOW });
    await rejectsToken(slash, 'token issuer is not accepted');
  });

  it('wrong audience', async () => {
    const token = await issuer.mintAccessToken({ aud: 'https://other.example.com/mcp' }, { now: NOW });
    await rejectsToken(token, 'token audience does not include this resource');
  });

  it('the audience of another resource on the same host', async () => {
    const token = await issuer.mintAccessToken({ aud: `${issuer.issuer}/other` }, { now: NOW });
    await rejectsToken(token, 'token audience does not include this resource');
    const prefix = await issuer.mintAccessToken({ aud: `${issuer.audience}/sub` }, { now: NOW });
    await rejectsToken(prefix, 'token audience does not include this resource');
    const origin = await issuer.mintAccessToken({ aud: issuer.issuer }, { now: NOW });
    await rejectsToken(origin, 'token audience does not include this resource');
  });

  it('no audience at all', async () => {
    const token = await issuer.mintAccessToken({ aud: undefined }, { now: NOW });
    await rejectsToken(token, 'token has no "aud" claim');
  });

  it('alg none', async () => {
    await rejectsToken(issuer.mintUnsignedToken(), 'algorithm not allowed');
  });

  it('HS256 signed with the public key (key confusion), as PEM and as JWK', async () => {
    await rejectsToken(await issuer.mintHs256WithPublicKey(), 'algorithm not allowed');
    await rejectsToken(await issuer.mintHs256WithPublicKey({}, 'jwk'), 'algorithm not allowed');
    const local = { jwksUri: undefined, jwks: issuer.jwks() };
    await rejectsToken(await issuer.mintHs256WithPublicKey(), 'algorithm not allowed', local);
  });

  it('an algorithm outside the configured list', async () => {
    const token = await issuer.mintAccessToken({}, { now: NOW });
    await rejectsToken(token, 'algorithm not allowed', { algorithms: ['RS256'] });
  });

  it('unknown kid', async () => {
    const token = await issuer.mintAccessToken({}, { now: NOW, key: issuer.otherKey });
    await rejectsToken(token, 'unknown signing key');
  });

  it('a token without kid when several keys match: each candidate is tried', async () => {
    const second = await generateTestKey('ES256', 'second-es256');
    const twoKeys = { jwksUri: undefined, jwks: { keys: [issuer.key.publicJwk, second.publicJwk] } };
    const verifier = createJwtVerifier(verifierOptions({ ...twoKeys, cache: false }));
    for (const key of [issuer.key, second]) {
      const token = await issuer.mintAccessToken({}, { now: NOW, key, kid: null });
      expect((await verifier.verify(token)).subject).toBe('user-1');
    }
    const stranger = await issuer.mintAccessToken({}, { now: NOW, key: issuer.otherKey, kid: null });
    await rejectsToken(stranger, 'token signature invalid', twoKeys);
  });

  it('a kid of the JWKS with a signature from another key', async () => {
    const token = await issuer.mintAccessToken({}, { now: NOW, key: issuer.otherKey, kid: issuer.key.kid });
    await rejectsToken(token, 'token signature invalid');
  });

  it('tampered payload', async () => {
    const token = issuer.tamper(await issuer.mintAccessToken({}, { now: NOW }));
    await rejectsToken(token, 'token signature invalid');
  });

  it('missing exp', async () => {
    const token = await issuer.mintAccessToken({ exp: undefined }, { now: NOW });
    await rejectsToken(token, 'token has no "exp" claim');
  });

  it('non-numeric exp', async () => {
    const token = await issuer.mintAccessToken({ exp: `${NOW + 300}` as unknown as number }, { now: NOW });
    await rejectsToken(token, 'token "exp" claim is invalid');
  });

  it.each([
    ['not a JWT', 'abc'],
    ['two segments', 'abc.def'],
    ['garbage segments', 'a.b.c'],
  ])('malformed: %s', async (_name, token) => {
    const verifier = createJwtVerifier(verifierOptions());
    await expectRejected(verifier.verify(token), InvalidToken, 'token is malformed');
  });

  it('a token whose header carries an unknown critical parameter', async () => {
    const token = await issuer.mintAccessToken({}, { now: NOW, header: { crit: ['exp-x'], 'exp-x': 1 } });
    await rejectsToken(token, 'token uses an unsupported JOSE feature');
  });
});

describe('createJwtVerifier: typ (RFC 9068 §4)', () => {
  it.each(['at+jwt', 'application/at+jwt', 'AT+JWT', 'Application/At+Jwt'])('accepts typ %s', async (typ) => {
    const token = await issuer.mintAccessToken({}, { now: NOW, typ });
    expect((await createJwtVerifier(verifierOptions()).verify(token)).subject).toBe('user-1');
  });

  it('accepts typ JWT and no typ by default (acceptGenericJwt: true)', async () => {
    const verifier = createJwtVerifier(verifierOptions());
    expect(await verifier.verify(await issuer.mintAccessToken({}, { now: NOW, typ: 'JWT' }))).toBeDefined();
    expect(await verifier.verify(await issuer.mintAccessToken({}, { now: NOW, typ: null }))).toBeDefined();
  });

  it('refuses typ JWT and no typ with acceptGenericJwt: false', async () => {
    const strict = { acceptGenericJwt: false };
    await rejectsToken(await issuer.mintAccessToken({}, { now: NOW, typ: 'JWT' }), /typ/, strict);
    await rejectsToken(await issuer.mintAccessToken({}, { now: NOW, typ: null }), /typ/, strict);
    const ok = await issuer.mintAccessToken({}, { now: NOW });
    expect(await createJwtVerifier(verifierOptions(strict)).verify(ok)).toBeDefined();
  });

  it.each(['dpop+jwt', 'secevent+jwt', 'JOSE', 'application/jwt+x'])('always refuses typ %s', async (typ) => {
    const token = await issuer.mintAccessToken({}, { now: NOW, typ });
    await rejectsToken(token, 'token type (typ) is not accepted');
  });
});
