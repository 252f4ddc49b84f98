import type { AuthorizationServerMetadata } from '@gatehouse/core';
import { ProtocolError } from '@gatehouse/core';
import {
  calculateJwkThumbprint,
  decodeJwt,
  decodeProtectedHeader,
  importJWK,
  type JWK,
  jwtVerify,
} from 'jose';
import { describe, expect, it } from 'vitest';
import { asMetadata, cannedFetch } from '../canned-fetch.test-helpers.js';
import { refreshTokenGrantRequest } from '../grants/token-request.js';
import { processTokenResponse } from '../grants/token-response.js';
import { generateDpopKey, importDpopKey, isDpopPrivateJwk } from './dpop-key.js';
import {
  accessTokenHash,
  createDpopSession,
  dpopTarget,
  isUseDpopNonceChallenge,
  isUseDpopNonceError,
} from './dpop-proof.js';

const issuer = 'https://as.example.com';
const metadata = asMetadata(issuer, {}) as unknown as AuthorizationServerMetadata;

async function verified(proof: string) {
  const header = decodeProtectedHeader(proof);
  const key = await importJWK(header.jwk as JWK, 'ES256');
  const { payload } = await jwtVerify(proof, key, { typ: 'dpop+jwt', algorithms: ['ES256'] });
  return { header, payload };
}

describe('DPoP keys (RFC 9449 §2)', () => {
  it('a new ES256 key: public JWK without d, RFC 7638 thumbprint, private JWK that imports back', async () => {
    const key = await generateDpopKey();
    expect(key.publicJwk).toEqual({ kty: 'EC', crv: 'P-256', x: expect.any(String), y: expect.any(String) });
    expect(key.thumbprint).toBe(await calculateJwkThumbprint(key.publicJwk));
    expect(isDpopPrivateJwk(key.privateJwk)).toBe(true);
    const again = await importDpopKey(key.privateJwk);
    expect(again.thumbprint).toBe(key.thumbprint);
    expect(key.privateKey.extractable).toBe(false);
  });

  it('refuses what is not a P-256 private JWK', async () => {
    const key = await generateDpopKey();
    for (const bad of [null, {}, { ...key.privateJwk, d: undefined }, { ...key.privateJwk, crv: 'P-384' }]) {
      expect(isDpopPrivateJwk(bad)).toBe(false);
      await expect(importDpopKey(bad as never)).rejects.toBeInstanceOf(TypeError);
    }
  });
});

describe('DPoP proofs (RFC 9449 §4.2)', () => {
  it('typ dpop+jwt, ES256, public jwk; jti, htm, htu without query/fragment, iat; ath with a token', async () => {
    const session = createDpopSession(await generateDpopKey());
    const proof = await session.proof('post', 'https://user:pw@mcp.example.com/mcp?x=1#frag', 'the-token');
    const { header, payload } = await verified(proof);
    expect(header).toMatchObject({ typ: 'dpop+jwt', alg: 'ES256' });
    expect((header.jwk as JWK).d).toBeUndefined();
    expect(payload).toMatchObject({
      htm: 'POST',
      htu: 'https://mcp.example.com/mcp',
      ath: accessTokenHash('the-token'),
      jti: expect.any(String),
      iat: expect.any(Number),
    });
    expect(Math.abs((payload.iat as number) - Date.now() / 1000)).toBeLessThan(5);
    expect(payload.nonce).toBeUndefined();
    const other = decodeJwt(await session.proof('POST', 'https://mcp.example.com/mcp', 'the-token'));
    expect(other.jti).not.toBe(payload.jti);
  });

  it('no ath without a token; the endpoint’s last valid DPoP-Nonce goes into its next proofs only', async () => {
    const session = createDpopSession(await generateDpopKey());
    const token = 'https://as.example.com/token';
    expect(decodeJwt(await session.proof('POST', token)).ath).toBeUndefined();
    const answer = (nonce: string) => new Response(null, { headers: { 'dpop-nonce': nonce } });
    expect(session.rememberNonce(token, answer('bad nonce with spaces'))).toBe(false);
    expect(session.rememberNonce(`${token}?ignored`, answer('n-1'))).toBe(true);
    expect(decodeJwt(await session.proof('POST', token)).nonce).toBe('n-1');
    expect(decodeJwt(await session.proof('POST', 'https://mcp.example.com/mcp')).nonce).toBeUndefined();
    expect(dpopTarget('http://127.0.0.1:8080/a/b?c#d')).toBe('http://127.0.0.1:8080/a/b');
  });

  it('recognizes the nonce demands: AS 400 use_dpop_nonce (§8), RS 401 DPoP error="use_dpop_nonce" (§9)', async () => {
    const nonce = { 'dpop-nonce': 'n' };
    const as400 = Response.json({ error: 'use_dpop_nonce' }, { status: 400, headers: nonce });
    expect(await isUseDpopNonceError(as400)).toBe(true);
    expect(as400.bodyUsed).toBe(false);
    expect(await isUseDpopNonceError(Response.json({ error: 'use_dpop_nonce' }, { status: 400 }))).toBe(
      false,
    );
    expect(
      await isUseDpopNonceError(Response.json({ error: 'invalid_grant' }, { status: 400, headers: nonce })),
    ).toBe(false);
    const challenge = (value: string) =>
      new Response(null, { status: 401, headers: { ...nonce, 'www-authenticate': value } });
    expect(isUseDpopNonceChallenge(challenge('DPoP error="use_dpop_nonce", algs="ES256"'))).toBe(true);
    expect(isUseDpopNonceChallenge(challenge('Bearer error="use_dpop_nonce"'))).toBe(false);
    expect(isUseDpopNonceChallenge(challenge('DPoP error="invalid_token"'))).toBe(false);
  });
});

describe('token requests with DPoP (RFC 9449 §5, §8)', () => {
  it('sends a proof for the token endpoint; on use_dpop_nonce retries once with the nonce and a new jti', async () => {
    const session = createDpopSession(await generateDpopKey());
    let answered = 0;
    const fetchFn = cannedFetch({
      [`${issuer}/token`]: () => {
        answered += 1;
        return answered === 1
          ? Response.json({ error: 'use_dpop_nonce' }, { status: 400, headers: { 'dpop-nonce': 'as-nonce' } })
          : Response.json({ access_token: 'at', token_type: 'DPoP', expires_in: 60 });
      },
    });
    const response = await refreshTokenGrantRequest(
      metadata,
      { clientId: 'pub', tokenEndpointAuthMethod: 'none' },
      { refreshToken: 'rt', resource: 'https://mcp.example.com/mcp' },
      { fetch: fetchFn, dpop: session },
    );
    const proofs = fetchFn.calls.map((call) => decodeJwt(call.init.headers.dpop ?? ''));
    expect(proofs.map((proof) => [proof.htm, proof.htu, proof.nonce])).toEqual([
      ['POST', `${issuer}/token`, undefined],
      ['POST', `${issuer}/token`, 'as-nonce'],
    ]);
    expect(proofs[0]?.jti).not.toBe(proofs[1]?.jti);
    expect((await processTokenResponse(response, { dpop: true })).token_type).toBe('DPoP');
  });

  it('a second use_dpop_nonce is returned to the caller, not retried again', async () => {
    const session = createDpopSession(await generateDpopKey());
    const fetchFn = cannedFetch({
      [`${issuer}/token`]: () =>
        Response.json({ error: 'use_dpop_nonce' }, { status: 400, headers: { 'dpop-nonce': 'again' } }),
    });
    const response = await refreshTokenGrantRequest(
      metadata,
      { clientId: 'pub', tokenEndpointAuthMethod: 'none' },
      { refreshToken: 'rt', resource: 'https://mcp.example.com/mcp' },
      { fetch: fetchFn, dpop: session },
    );
    expect(fetchFn.calls).toHaveLength(2);
    await expect(processTokenResponse(response, { dpop: true })).rejects.toMatchObject({
      error: 'use_dpop_nonce',
    });
  });

  it('token_type DPoP is refused when no proof was sent', async () => {
    const response = Response.json({ access_token: 'at', token_type: 'DPoP' });
    await expect(processTokenResponse(response)).rejects.toBeInstanceOf(ProtocolError);
  });
});
