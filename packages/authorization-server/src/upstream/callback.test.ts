import { ProtocolError } from '@gatehouse/core';
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import type * as oauth from 'oauth4webapi';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeUpstreamClient } from './authorize.js';
import { processUpstreamCallback, type UpstreamCallbackInput } from './callback.js';
import { createUpstreamHttp, type UpstreamFetch } from './discovery.js';
import { UpstreamSignInError } from './errors.js';

const ISSUER = 'https://idp.example';
const CLIENT_ID = 'gatehouse';
const REDIRECT = 'https://as.example/oauth/upstream/callback';
const STATE = 'state-0123456789abcdefghijklmnopqrstuvwxyz';
const NONCE = 'nonce-0123456789abcdefghijklmnopqrstuvwxyz';

const metadata: oauth.AuthorizationServer = {
  issuer: ISSUER,
  authorization_endpoint: `${ISSUER}/auth`,
  token_endpoint: `${ISSUER}/token`,
  jwks_uri: `${ISSUER}/jwks`,
  userinfo_endpoint: `${ISSUER}/me`,
  authorization_response_iss_parameter_supported: true,
  id_token_signing_alg_values_supported: ['ES256'],
};

let signingKey: CryptoKey;
let otherKey: CryptoKey;
let jwks: { keys: unknown[] };

beforeAll(async () => {
  const pair = await generateKeyPair('ES256');
  signingKey = pair.privateKey;
  otherKey = (await generateKeyPair('ES256')).privateKey;
  jwks = { keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }] };
});

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

async function idToken(claims: JWTPayload = {}, key: CryptoKey = signingKey): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const payload = {
    iss: ISSUER,
    aud: CLIENT_ID,
    sub: 'upstream-subject-1',
    iat: now,
    exp: now + 300,
    nonce: NONCE,
  };
  return new SignJWT({ ...payload, ...claims }).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).sign(key);
}

interface Upstream {
  fetch: UpstreamFetch;
  tokenRequests: { body: URLSearchParams; authorization: string | undefined }[];
}

/** A canned upstream: the token endpoint answers `token`, the JWKS and UserInfo endpoints the fixtures. */
function cannedUpstream(token: () => Promise<Response>, userinfo?: unknown): Upstream {
  const tokenRequests: Upstream['tokenRequests'] = [];
  const fetch: UpstreamFetch = async (url, init) => {
    if (url === `${ISSUER}/token`) {
      tokenRequests.push({
        body: new URLSearchParams(String(init.body)),
        authorization: init.headers.authorization,
      });
      return token();
    }
    if (url === `${ISSUER}/jwks`) return json(jwks);
    if (url === `${ISSUER}/me` && userinfo !== undefined) return json(userinfo);
    return new Response('not found', { status: 404 });
  };
  return { fetch, tokenRequests };
}

function input(upstream: Upstream, query: Record<string, string>): UpstreamCallbackInput {
  return {
    metadata,
    client: describeUpstreamClient({ clientId: CLIENT_ID, clientSecret: 's3cret-value' }, metadata),
    parameters: new URLSearchParams(query),
    expectedState: STATE,
    expectedNonce: NONCE,
    codeVerifier: 'verifier-0123456789abcdefghijklmnopqrstuvwxyz01234',
    redirectUri: REDIRECT,
    http: createUpstreamHttp({ allowLoopback: false, fetcher: upstream.fetch }).http,
  };
}

const goodQuery = { code: 'the-code', state: STATE, iss: ISSUER };

async function reasonOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(UpstreamSignInError.is(error), String(error)).toBe(true);
  return (error as UpstreamSignInError).reason;
}

describe('processUpstreamCallback', () => {
  it('redeems the code with the verifier and returns the ID token identity (no token in the result)', async () => {
    const upstream = cannedUpstream(async () =>
      json({
        access_token: 'upstream-at',
        token_type: 'Bearer',
        id_token: await idToken({ email: 'a@example.com' }),
      }),
    );
    const identity = await processUpstreamCallback(input(upstream, goodQuery));
    expect(identity).toEqual({ issuer: ISSUER, subject: 'upstream-subject-1', email: 'a@example.com' });
    expect(JSON.stringify(identity)).not.toContain('upstream-at');
    const [request] = upstream.tokenRequests;
    expect(request?.body.get('grant_type')).toBe('authorization_code');
    expect(request?.body.get('code')).toBe('the-code');
    expect(request?.body.get('code_verifier')).toBe('verifier-0123456789abcdefghijklmnopqrstuvwxyz01234');
    expect(request?.body.get('redirect_uri')).toBe(REDIRECT);
    expect(request?.authorization).toMatch(/^Basic /);
  });

  it('asks UserInfo for a username hint when the ID token has none, and checks its sub', async () => {
    const token = async () => json({ access_token: 'at', token_type: 'Bearer', id_token: await idToken() });
    const good = cannedUpstream(token, { sub: 'upstream-subject-1', preferred_username: 'alice' });
    expect(await processUpstreamCallback(input(good, goodQuery))).toMatchObject({
      preferredUsername: 'alice',
    });
    const otherSub = cannedUpstream(token, { sub: 'someone-else', preferred_username: 'mallory' });
    const identity = await processUpstreamCallback(input(otherSub, goodQuery));
    expect(identity.preferredUsername).toBeUndefined();
    expect(identity.subject).toBe('upstream-subject-1');
  });

  it('refuses an ID token issued for another audience (OpenID Connect Core §3.1.3.7 item 3)', async () => {
    const upstream = cannedUpstream(async () =>
      json({ access_token: 'at', token_type: 'Bearer', id_token: await idToken({ aud: 'another-client' }) }),
    );
    const error = await processUpstreamCallback(input(upstream, goodQuery)).catch((e: unknown) => e);
    expect((error as UpstreamSignInError).reason).toBe('invalid_response');
    const cause = (error as { cause?: { code?: string; cause?: { claim?: string } } }).cause;
    expect(cause?.code).toBe('OAUTH_JWT_CLAIM_COMPARISON_FAILED');
    expect(cause?.cause?.claim).toBe('aud');
  });

  it('refuses an ID token with another nonce (item 11), another issuer (item 2) or expired (item 9)', async () => {
    const now = Math.floor(Date.now() / 1000);
    for (const claims of [
      { nonce: 'replayed' },
      { iss: 'https://evil.example' },
      { exp: now - 3600, iat: now - 7200 },
    ]) {
      const upstream = cannedUpstream(async () =>
        json({ access_token: 'at', token_type: 'Bearer', id_token: await idToken(claims) }),
      );
      expect(await reasonOf(processUpstreamCallback(input(upstream, goodQuery)))).toBe('invalid_response');
    }
  });

  it('refuses an ID token not signed by a key of the upstream JWKS', async () => {
    const upstream = cannedUpstream(async () =>
      json({ access_token: 'at', token_type: 'Bearer', id_token: await idToken({}, otherKey) }),
    );
    expect(await reasonOf(processUpstreamCallback(input(upstream, goodQuery)))).toBe('invalid_response');
  });

  it('refuses a response without the advertised iss, or with another one (RFC 9207 §2.4)', async () => {
    const upstream = cannedUpstream(async () => json({ access_token: 'at', token_type: 'Bearer' }));
    const { iss: _, ...withoutIss } = goodQuery;
    expect(await reasonOf(processUpstreamCallback(input(upstream, withoutIss)))).toBe('invalid_response');
    const mixUp = { ...goodQuery, iss: 'https://evil.example' };
    expect(await reasonOf(processUpstreamCallback(input(upstream, mixUp)))).toBe('invalid_response');
    expect(upstream.tokenRequests).toHaveLength(0);
  });

  it('turns error=access_denied into "denied" and other errors into "upstream_error", without the description', async () => {
    const upstream = cannedUpstream(async () => json({}));
    const denied = {
      error: 'access_denied',
      error_description: '<script>x</script>',
      state: STATE,
      iss: ISSUER,
    };
    const error = await processUpstreamCallback(input(upstream, denied)).catch((e: unknown) => e);
    expect((error as UpstreamSignInError).reason).toBe('denied');
    expect((error as UpstreamSignInError).message).not.toContain('script');
    const other = { error: 'server_error', state: STATE, iss: ISSUER };
    expect(await reasonOf(processUpstreamCallback(input(upstream, other)))).toBe('upstream_error');
    expect(upstream.tokenRequests).toHaveLength(0);
  });

  it('turns a token endpoint error into "invalid_response" and a network failure into "unreachable"', async () => {
    const refused = cannedUpstream(async () => json({ error: 'invalid_grant' }, 400));
    expect(await reasonOf(processUpstreamCallback(input(refused, goodQuery)))).toBe('invalid_response');
    const down = cannedUpstream(async () => {
      throw new ProtocolError(
        'ERR_FETCH_FAILED',
        'safeFetch could not fetch https://idp.example/token: ECONNREFUSED',
      );
    });
    expect(await reasonOf(processUpstreamCallback(input(down, goodQuery)))).toBe('unreachable');
  });

  it('requires an ID token in the token response', async () => {
    const upstream = cannedUpstream(async () => json({ access_token: 'at', token_type: 'Bearer' }));
    expect(await reasonOf(processUpstreamCallback(input(upstream, goodQuery)))).toBe('invalid_response');
  });
});
