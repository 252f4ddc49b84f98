import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InvalidToken, TemporarilyUnavailable } from '@gatehouse/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { generateTestKey, startTestIssuer, useTestIssuer } from '../../../../test/support/test-issuer.js';
import { createJwtVerifier, type JwtVerifierOptions } from './jwt-verifier.js';
import { expectRejected, jwtOptionsFor, NOW, secretsOf } from './verify.test-helpers.js';

const issuer = useTestIssuer();
afterEach(() => {
  vi.useRealTimers();
});

function verifierOptions(overrides: Partial<JwtVerifierOptions> = {}): JwtVerifierOptions {
  return jwtOptionsFor(issuer, { now: () => NOW * 1000, ...overrides });
}

describe('createJwtVerifier: JWKS fetching', () => {
  const jwksIssuer = useTestIssuer();

  function jwksOptions(overrides: Partial<JwtVerifierOptions> = {}): JwtVerifierOptions {
    return jwtOptionsFor(jwksIssuer, { cache: false, ...overrides });
  }

  it('fetches the JWKS once for many verifications', async () => {
    const verifier = createJwtVerifier(jwksOptions());
    const before = jwksIssuer.requestCount;
    for (let i = 0; i < 10; i++) {
      await verifier.verify(await jwksIssuer.mintAccessToken({ jti: `t${i}` }));
    }
    expect(jwksIssuer.requestCount - before).toBe(1);
  });

  it('refetches on an unknown kid, but not again within the cooldown', async () => {
    const verifier = createJwtVerifier(jwksOptions({ jwksCooldownSeconds: 30 }));
    const before = jwksIssuer.requestCount;
    await verifier.verify(await jwksIssuer.mintAccessToken());
    expect(jwksIssuer.requestCount - before).toBe(1);

    const rotated = await generateTestKey('ES256', 'rotated-1');
    jwksIssuer.publishKey(rotated);
    const withRotated = await jwksIssuer.mintAccessToken({}, { key: rotated });
    // Within the cooldown: the new kid is unknown and the JWKS is not fetched again.
    await expectRejected(verifier.verify(withRotated), InvalidToken, 'unknown signing key');
    expect(jwksIssuer.requestCount - before).toBe(1);

    // After the cooldown: one refetch finds the rotated key.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 31_000 });
    expect((await verifier.verify(withRotated)).subject).toBe('user-1');
    expect(jwksIssuer.requestCount - before).toBe(2);
  });

  it('with no cooldown, every unknown kid refetches (and still fails when the key is unknown)', async () => {
    const verifier = createJwtVerifier(jwksOptions({ jwksCooldownSeconds: 0 }));
    await verifier.verify(await jwksIssuer.mintAccessToken());
    const before = jwksIssuer.requestCount;
    const unknown = await jwksIssuer.mintAccessToken({}, { key: jwksIssuer.otherKey });
    await expectRejected(verifier.verify(unknown), InvalidToken, 'unknown signing key');
    expect(jwksIssuer.requestCount - before).toBe(1);
  });

  it('answers 503 when the JWKS endpoint fails, and recovers', async () => {
    const verifier = createJwtVerifier(jwksOptions());
    const token = await jwksIssuer.mintAccessToken();
    jwksIssuer.failJwks(500);
    try {
      const error = await expectRejected(
        verifier.verify(token),
        TemporarilyUnavailable,
        /JWKS/,
        secretsOf(token),
      );
      expect(error.status).toBe(503);
    } finally {
      jwksIssuer.failJwks(undefined);
    }
    expect((await verifier.verify(token)).subject).toBe('user-1');
  });

  it('answers 503 when the JWKS server is down', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));

    const verifier = createJwtVerifier(jwksOptions({ jwksUri: `http://127.0.0.1:${port}/jwks.json` }));
    const token = await jwksIssuer.mintAccessToken();
    await expectRejected(verifier.verify(token), TemporarilyUnavailable, /JWKS/, secretsOf(token));
  });

  it('answers 503 when the safe-fetch policy refuses the JWKS host (loopback not allowed)', async () => {
    const verifier = createJwtVerifier(jwksOptions({ jwksPolicy: {} }));
    const token = await jwksIssuer.mintAccessToken();
    const before = jwksIssuer.requestCount;
    await expectRejected(verifier.verify(token), TemporarilyUnavailable, /JWKS/);
    expect(jwksIssuer.requestCount).toBe(before);
  });
});

describe('createJwtVerifier: verification cache', () => {
  it('serves a cached verification until exp, then rejects the token as expired', async () => {
    let now = NOW * 1000;
    const verifier = createJwtVerifier(verifierOptions({ now: () => now }));
    const token = await issuer.mintAccessToken({ exp: NOW + 20 }, { now: NOW });
    const first = await verifier.verify(token);
    now += 10_000;
    expect(await verifier.verify(token)).toEqual(first);
    now = (NOW + 20) * 1000 + 6_000; // past exp and past the clock tolerance
    await expectRejected(verifier.verify(token), InvalidToken, 'token expired', secretsOf(token));
  });

  it('never serves a cached result for a different token string (tampered copy of a cached token)', async () => {
    const verifier = createJwtVerifier(verifierOptions());
    const token = await issuer.mintAccessToken({}, { now: NOW });
    await verifier.verify(token);
    await expectRejected(verifier.verify(issuer.tamper(token)), InvalidToken, 'token signature invalid');
  });

  it('does not cache a token that is not valid yet (nbf within the tolerance)', async () => {
    let now = NOW * 1000;
    const verifier = createJwtVerifier(verifierOptions({ now: () => now, clockToleranceSeconds: 5 }));
    const token = await issuer.mintAccessToken({}, { now: NOW, notBefore: 4 });
    await verifier.verify(token); // accepted within the tolerance, not cached
    now -= 60_000; // the clock goes back: a cached entry would still be served
    await expectRejected(verifier.verify(token), InvalidToken, 'token is not yet valid');
  });

  it('serves repeated verifications without the JWKS once cached', async () => {
    const own = await startTestIssuer();
    try {
      const verifier = createJwtVerifier(jwtOptionsFor(own, { jwksCacheMaxAgeSeconds: 1 }));
      const token = await own.mintAccessToken();
      const first = await verifier.verify(token);
      own.failJwks(500);
      // The JWKS copy is stale after 1 s; only the verification cache can answer now.
      vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 2_000 });
      expect(await verifier.verify(token)).toEqual(first);
      await expectRejected(verifier.verify(await own.mintAccessToken()), TemporarilyUnavailable, /JWKS/);
    } finally {
      await own.close();
    }
  });
});

describe('createJwtVerifier: construction errors', () => {
  const base = (): JwtVerifierOptions => verifierOptions();

  it.each([
    ['missing audience', { audience: undefined }, 'ERR_MISSING_OPTION', /"audience" is required/],
    ['missing issuer', { issuer: undefined }, 'ERR_MISSING_OPTION', /"issuer" is required/],
    ['empty audience', { audience: '' }, 'ERR_MISSING_OPTION', /canonical URI/],
    [
      'audience with a fragment',
      { audience: 'https://mcp.example.com/mcp#x' },
      'ERR_INVALID_ARG_VALUE',
      /audience/,
    ],
    ['audience that is not a URI', { audience: 'mcp-server' }, 'ERR_INVALID_ARG_VALUE', /audience/],
    ['"none" in algorithms', { algorithms: ['ES256', 'none'] }, 'ERR_INVALID_ARG_VALUE', /"none"/],
    ['HS256 in algorithms', { algorithms: ['HS256'] }, 'ERR_INVALID_ARG_VALUE', /HS256.*symmetric/],
    ['an unknown algorithm', { algorithms: ['XX1'] }, 'ERR_INVALID_ARG_VALUE', /unsupported/],
    ['empty algorithms', { algorithms: [] }, 'ERR_INVALID_ARG_TYPE', /non-empty/],
    ['both jwks and jwksUri', { jwks: { keys: [] } }, 'ERR_INVALID_ARG_VALUE', /not both/],
    ['neither jwks nor jwksUri', { jwksUri: undefined }, 'ERR_MISSING_OPTION', /"jwksUri"/],
    ['a non-http jwksUri', { jwksUri: 'file:///etc/jwks.json' }, 'ERR_INVALID_ARG_VALUE', /http/],
    ['clock tolerance above 300', { clockToleranceSeconds: 301 }, 'ERR_INVALID_ARG_VALUE', /clockTolerance/],
    ['negative clock tolerance', { clockToleranceSeconds: -1 }, 'ERR_INVALID_ARG_VALUE', /clockTolerance/],
    ['a misspelt option', { audiences: ['x'] }, 'ERR_INVALID_ARG_VALUE', /unknown option "audiences"/],
    [
      'a non-boolean acceptGenericJwt',
      { acceptGenericJwt: 'yes' },
      'ERR_INVALID_ARG_TYPE',
      /acceptGenericJwt/,
    ],
  ])('throws on %s', (_name, overrides, code, message) => {
    const options = { ...base(), ...overrides } as JwtVerifierOptions;
    for (const [key, value] of Object.entries(overrides)) {
      if (value === undefined) delete (options as unknown as Record<string, unknown>)[key];
    }
    let caught: unknown;
    try {
      createJwtVerifier(options);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(TypeError);
    expect(caught).toMatchObject({ code });
    expect((caught as Error).message).toMatch(message);
  });

  it('refuses a local JWKS holding a private or symmetric key', async () => {
    const { privateKey } = issuer.key;
    const { exportJWK } = await import('jose');
    const privateJwk = await exportJWK(privateKey);
    const withPrivate = { ...base(), jwksUri: undefined, jwks: { keys: [privateJwk] } };
    expect(() => createJwtVerifier(withPrivate)).toThrow(/public keys only/);
    const withSecret = { ...base(), jwksUri: undefined, jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } };
    expect(() => createJwtVerifier(withSecret)).toThrow(/public keys only/);
  });

  it('refuses an invalid jwksPolicy at construction (safe-fetch validation)', () => {
    const options = { ...base(), jwksPolicy: { allowLoopbak: true } } as unknown as JwtVerifierOptions;
    expect(() => createJwtVerifier(options)).toThrow(TypeError);
  });
});
