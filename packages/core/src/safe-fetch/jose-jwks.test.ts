import { createRemoteJWKSet, customFetch, exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { ProtocolError } from '../errors.js';
import { createSafeFetch } from '../safe-fetch.js';
import { closeServers, startServer } from './servers.test-helpers.js';

/** jose 6 `createRemoteJWKSet` with `[customFetch]: createSafeFetch(policy)`, against a loopback JWKS. */
const { publicKey, privateKey } = await generateKeyPair('ES256');
const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
const token = await new SignJWT({ sub: 'alice' })
  .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
  .setIssuer('https://as.example')
  .setAudience('https://mcp.example')
  .setExpirationTime('5m')
  .sign(privateKey);

const jwksServer = await startServer((request, response) => {
  if (request.url === '/moved') {
    response.writeHead(307, { location: '/jwks' }).end();
    return;
  }
  response
    .writeHead(200, { 'content-type': 'application/jwk-set+json' })
    .end(JSON.stringify({ keys: [jwk] }));
});
const jwksUrl = (path: string) => new URL(`http://127.0.0.1:${jwksServer.port}${path}`);

const loopback = createSafeFetch({ allowLoopback: true });
const strict = createSafeFetch({});
afterAll(async () => {
  await Promise.all([loopback.close(), strict.close()]);
  await closeServers();
});

const verifyOptions = { issuer: 'https://as.example', audience: 'https://mcp.example' };

describe('createSafeFetch as jose customFetch', () => {
  it('fetches a remote JWKS from a loopback server when allowLoopback is set', async () => {
    const jwks = createRemoteJWKSet(jwksUrl('/jwks'), { [customFetch]: loopback });
    const { payload } = await jwtVerify(token, jwks, verifyOptions);
    expect(payload.sub).toBe('alice');
    expect(jwksServer.requests).toBeGreaterThan(0);
  });

  it('makes jose fail with ERR_FETCH_REFUSED under the default policy, without contacting the server', async () => {
    const before = jwksServer.connections;
    const jwks = createRemoteJWKSet(jwksUrl('/jwks'), { [customFetch]: strict });
    const error = await jwtVerify(token, jwks, verifyOptions).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error).toMatchObject({ code: 'ERR_FETCH_REFUSED' });
    expect(jwksServer.connections).toBe(before);
  });

  it('does not follow a JWKS redirect', async () => {
    const jwks = createRemoteJWKSet(jwksUrl('/moved'), { [customFetch]: loopback });
    await expect(jwtVerify(token, jwks, verifyOptions)).rejects.toMatchObject({
      code: 'ERR_FETCH_REFUSED',
      attribute: 'location',
    });
  });
});
