/**
 * DPoP at the resource server (RFC 9449 §4.3, §6, §7): one test per proof check, the §7.1
 * challenges, §7.2 (a bound token is never a bearer token), the metadata, and the replay cache.
 */
import { createHash, randomUUID } from 'node:crypto';
import { parseWwwAuthenticate } from '@gatehouse/core';
import {
  type CryptoKey,
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  type JWK,
  type JWTPayload,
  SignJWT,
} from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestIssuer } from '../../../../test/support/test-issuer.js';
import type { AuthInfo } from '../auth-info.js';
import { createResourceServer, type ResourceServer, type ResourceServerOptions } from '../resource-server.js';
import { verifyAccessToken } from '../verify/verify-access-token.js';
import { createReplayCache } from './replay-cache.js';

const RESOURCE = 'http://127.0.0.1:8080/mcp';
const issuer = useTestIssuer({ audience: RESOURCE });

interface ProofKey {
  privateKey: CryptoKey;
  jwk: JWK;
  jkt: string;
}

async function proofKey(): Promise<ProofKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(publicKey);
  return { privateKey, jwk, jkt: await calculateJwkThumbprint(jwk) };
}

const ath = (token: string) => createHash('sha256').update(token).digest('base64url');

interface ProofChanges {
  header?: Record<string, unknown>;
  claims?: JWTPayload;
  signWith?: CryptoKey;
  alg?: string;
}

/** A proof for POST RESOURCE with `token`, each part replaceable (`undefined` removes a claim). */
async function proof(key: ProofKey, token: string, changes: ProofChanges = {}): Promise<string> {
  const claims: JWTPayload = {
    jti: randomUUID(),
    htm: 'POST',
    htu: RESOURCE,
    iat: Math.floor(Date.now() / 1000),
    ath: ath(token),
    ...changes.claims,
  };
  for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name];
  return new SignJWT(claims)
    .setProtectedHeader({ alg: changes.alg ?? 'ES256', typ: 'dpop+jwt', jwk: key.jwk, ...changes.header })
    .sign(changes.signWith ?? key.privateKey);
}

function request(authorization: string | undefined, dpop?: string | string[], url = RESOURCE): Request {
  const headers = new Headers({ 'content-type': 'application/json', host: '127.0.0.1:8080' });
  if (authorization !== undefined) headers.set('authorization', authorization);
  for (const value of typeof dpop === 'string' ? [dpop] : (dpop ?? [])) headers.append('dpop', value);
  return new Request(url, {
    method: 'POST',
    headers,
    body: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}',
  });
}

function challenges(response: Response) {
  return parseWwwAuthenticate(response.headers.get('www-authenticate')).map((c) => [c.scheme, c.params]);
}

function serverWith(dpop: ResourceServerOptions['dpop']) {
  return createResourceServer({
    resource: RESOURCE,
    authorizationServers: [issuer.issuer],
    verify: { issuer: issuer.issuer, jwksUri: issuer.jwksUri, jwksPolicy: { allowLoopback: true } },
    ...(dpop === undefined ? {} : { dpop }),
  });
}

let rs: ResourceServer;
let key: ProofKey;
let bound: string;
beforeAll(async () => {
  rs = serverWith({ algorithms: ['ES256'] });
  key = await proofKey();
  bound = await issuer.mintAccessToken({ cnf: { jkt: key.jkt } });
});

async function expectInvalidProof(result: AuthInfo | Response, description: RegExp) {
  expect(result).toBeInstanceOf(Response);
  const response = result as Response;
  expect(response.status).toBe(401);
  const [bearer, dpop] = challenges(response);
  expect(bearer).toEqual(['Bearer', { resource_metadata: rs.metadataUrl }]);
  expect(dpop?.[0]).toBe('DPoP');
  expect(dpop?.[1]).toMatchObject({
    error: 'invalid_dpop_proof',
    algs: 'ES256',
    resource_metadata: rs.metadataUrl,
  });
  expect((dpop?.[1] as Record<string, string> | undefined)?.error_description).toMatch(description);
  const body = await response.text();
  expect(body).toContain('invalid_dpop_proof');
  expect(body).not.toContain(bound);
}

describe('RFC 9449 §4.3 / §7.1: a DPoP-bound token with its proof', () => {
  it('a valid proof: the token is accepted (AuthInfo with the cnf claim)', async () => {
    const info = await rs.authenticate(request(`DPoP ${bound}`, await proof(key, bound)));
    expect(info).not.toBeInstanceOf(Response);
    expect((info as AuthInfo).claims.cnf).toEqual({ jkt: key.jkt });
  });

  it('htu ignores query and fragment of the request (§4.3 step 9); scheme is case-insensitive', async () => {
    const info = await rs.authenticate(request(`dpop ${bound}`, await proof(key, bound), `${RESOURCE}?a=1`));
    expect(info).not.toBeInstanceOf(Response);
  });

  const cases: [string, () => Promise<string | string[] | undefined>, RegExp][] = [
    ['step 1: no DPoP header', async () => undefined, /no DPoP proof/],
    [
      'step 1: two DPoP headers',
      async () => [await proof(key, bound), await proof(key, bound)],
      /more than one/,
    ],
    ['step 2: not a JWS', async () => 'not.a-jws', /well-formed/],
    ['step 4: typ not dpop+jwt', () => proof(key, bound, { header: { typ: 'JWT' } }), /typ/],
    ['step 5: alg not allowed', async () => proof(await es384Key(), bound, { alg: 'ES384' }), /alg/],
    ['step 5: alg none', async () => unsignedProof(key, bound), /alg/],
    ['step 6: jwk missing', () => proof(key, bound, { header: { jwk: undefined } }), /jwk/],
    [
      'step 7: jwk with a private key',
      async () => proof(key, bound, { header: { jwk: { ...key.jwk, d: 'AAAA' } } }),
      /private key/,
    ],
    [
      'step 6: signed by another key',
      async () => proof(key, bound, { signWith: (await proofKey()).privateKey }),
      /signature/,
    ],
    ['step 3: no jti', () => proof(key, bound, { claims: { jti: undefined } }), /jti/],
    ['step 8: htm of another method', () => proof(key, bound, { claims: { htm: 'GET' } }), /htm/],
    [
      'step 9: htu of another URL',
      () => proof(key, bound, { claims: { htu: 'http://127.0.0.1:8080/other' } }),
      /htu/,
    ],
    [
      'step 11: iat too old',
      () => proof(key, bound, { claims: { iat: Math.floor(Date.now() / 1000) - 301 } }),
      /iat/,
    ],
    [
      'step 11: iat in the future',
      () => proof(key, bound, { claims: { iat: Math.floor(Date.now() / 1000) + 301 } }),
      /iat/,
    ],
    ['step 12: ath of another token', () => proof(key, bound, { claims: { ath: ath('other') } }), /ath/],
    ['step 12: no ath', () => proof(key, bound, { claims: { ath: undefined } }), /ath/],
    [
      'step 12: key is not the token binding',
      async () => {
        const other = await proofKey();
        return proof(other, bound, { header: { jwk: other.jwk } });
      },
      /not the key/,
    ],
  ];
  for (const [name, make, description] of cases) {
    it(`refused with invalid_dpop_proof: ${name}`, async () => {
      await expectInvalidProof(await rs.authenticate(request(`DPoP ${bound}`, await make())), description);
    });
  }

  it('§11.1: a replayed proof (same jti) is refused, a fresh one accepted', async () => {
    const once = await proof(key, bound);
    expect(await rs.authenticate(request(`DPoP ${bound}`, once))).not.toBeInstanceOf(Response);
    await expectInvalidProof(await rs.authenticate(request(`DPoP ${bound}`, once)), /already used/);
    expect(await rs.authenticate(request(`DPoP ${bound}`, await proof(key, bound)))).not.toBeInstanceOf(
      Response,
    );
  });

  it('§7.1: a malformed DPoP Authorization header is a 400 invalid_request on the DPoP challenge', async () => {
    const response = (await rs.authenticate(
      request(`DPoP ${bound} extra`, await proof(key, bound)),
    )) as Response;
    expect(response.status).toBe(400);
    expect(challenges(response)[1]).toEqual(['DPoP', expect.objectContaining({ error: 'invalid_request' })]);
  });
});

describe('RFC 9449 §7.2: schemes and bindings', () => {
  it('a DPoP-bound token presented as Bearer is refused (invalid_token on the Bearer challenge)', async () => {
    const response = (await rs.authenticate(request(`Bearer ${bound}`))) as Response;
    expect(response.status).toBe(401);
    const [bearer, dpop] = challenges(response);
    expect(bearer).toEqual(['Bearer', expect.objectContaining({ error: 'invalid_token' })]);
    expect(dpop).toEqual(['DPoP', { algs: 'ES256', resource_metadata: rs.metadataUrl }]);
  });

  it('even without DPoP support configured, a bound token is never accepted as a bearer token', async () => {
    const plain = serverWith(undefined);
    const response = (await plain.authenticate(request(`Bearer ${bound}`))) as Response;
    expect(response.status).toBe(401);
    expect(challenges(response)).toEqual([['Bearer', expect.objectContaining({ error: 'invalid_token' })]]);
    const options = {
      issuer: issuer.issuer,
      audience: RESOURCE,
      jwksUri: issuer.jwksUri,
      jwksPolicy: { allowLoopback: true },
    };
    await expect(verifyAccessToken(request(`Bearer ${bound}`), options)).rejects.toMatchObject({
      error: 'invalid_token',
    });
  });

  it('without DPoP support, the DPoP scheme is answered like no credentials', async () => {
    const plain = serverWith(undefined);
    const response = (await plain.authenticate(
      request(`DPoP ${bound}`, await proof(key, bound)),
    )) as Response;
    expect(response.status).toBe(401);
    expect(challenges(response)).toEqual([['Bearer', { resource_metadata: plain.metadataUrl }]]);
    expect(plain.metadata.dpop_signing_alg_values_supported).toBeUndefined();
  });

  it('an unbound token presented with the DPoP scheme is refused; as Bearer it is accepted', async () => {
    const unbound = await issuer.mintAccessToken();
    const response = (await rs.authenticate(
      request(`DPoP ${unbound}`, await proof(key, unbound)),
    )) as Response;
    expect(response.status).toBe(401);
    expect(challenges(response)[1]).toEqual(['DPoP', expect.objectContaining({ error: 'invalid_token' })]);
    expect(await rs.authenticate(request(`Bearer ${unbound}`))).not.toBeInstanceOf(Response);
  });

  it('no credentials: a bare Bearer challenge and a DPoP challenge with algs', async () => {
    const response = (await rs.authenticate(request(undefined))) as Response;
    expect(challenges(response)).toEqual([
      ['Bearer', { resource_metadata: rs.metadataUrl }],
      ['DPoP', { algs: 'ES256', resource_metadata: rs.metadataUrl }],
    ]);
    expect(rs.metadata.dpop_signing_alg_values_supported).toEqual(['ES256']);
    expect(rs.metadata.dpop_bound_access_tokens_required).toBeUndefined();
  });

  it('required: bearer tokens refused, the DPoP challenge alone, published in the metadata', async () => {
    const strict = serverWith({ required: true });
    expect(strict.metadata.dpop_bound_access_tokens_required).toBe(true);
    expect(strict.metadata.dpop_signing_alg_values_supported).toEqual([
      'ES256',
      'ES384',
      'EdDSA',
      'PS256',
      'RS256',
    ]);
    const unbound = await issuer.mintAccessToken();
    const refused = (await strict.authenticate(request(`Bearer ${unbound}`))) as Response;
    expect(refused.status).toBe(401);
    expect(challenges(refused)).toEqual([['DPoP', expect.objectContaining({ error: 'invalid_token' })]]);
    const bare = (await strict.authenticate(request(undefined))) as Response;
    expect(challenges(bare).map(([scheme]) => scheme)).toEqual(['DPoP']);
    expect(await strict.authenticate(request(`DPoP ${bound}`, await proof(key, bound)))).not.toBeInstanceOf(
      Response,
    );
  });

  it('misuse at construction: MAC or unknown algorithms, unknown options', () => {
    expect(() => serverWith({ algorithms: ['HS256'] })).toThrow(TypeError);
    expect(() => serverWith({ algorithms: ['none'] })).toThrow(/asymmetric/);
    expect(() => serverWith({ nonce: true } as never)).toThrow(/unknown option "dpop.nonce"/);
  });
});

describe('replay cache (RFC 9449 §11.1)', () => {
  it('forgets entries after their lifetime and keeps at most maxEntries', () => {
    let now = 0;
    const cache = createReplayCache(10, 3, () => now);
    expect(cache.add('a')).toBe(true);
    expect(cache.add('a')).toBe(false);
    now = 5_000;
    expect(cache.add('b')).toBe(true);
    expect(cache.add('c')).toBe(true);
    expect(cache.add('d')).toBe(true); // full: 'a' (the oldest) goes
    expect(cache.size).toBe(3);
    expect(cache.add('a')).toBe(true);
    now = 16_000; // b, c, d, a(at 5 s) expired at 15 s
    expect(cache.add('b')).toBe(true);
    expect(cache.size).toBe(1);
  });
});

/** A P-384 key: its ES384 proofs use an algorithm this server (ES256 only) does not accept. */
async function es384Key(): Promise<ProofKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES384', { extractable: true });
  const jwk = await exportJWK(publicKey);
  return { privateKey, jwk, jkt: await calculateJwkThumbprint(jwk) };
}

/** An `alg: none` proof (no signature). */
function unsignedProof(key: ProofKey, token: string): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const claims = {
    jti: randomUUID(),
    htm: 'POST',
    htu: RESOURCE,
    iat: Math.floor(Date.now() / 1000),
    ath: ath(token),
  };
  return `${part({ alg: 'none', typ: 'dpop+jwt', jwk: key.jwk })}.${part(claims)}.`;
}
