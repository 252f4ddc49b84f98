import type { AuthorizationServerMetadata } from '@gatehouse/core';
import { ProtocolError } from '@gatehouse/core';
import { describe, expect, it } from 'vitest';
import { asMetadata, cannedFetch, json } from '../canned-fetch.test-helpers.js';
import {
  authorizationCodeGrantRequest,
  clientCredentialsGrantRequest,
  refreshTokenGrantRequest,
} from './token-request.js';

const issuer = 'https://as.example.com';
const resource = 'https://mcp.example.com/mcp';
const metadata = (extra: Record<string, unknown> = {}) =>
  asMetadata(issuer, extra) as unknown as AuthorizationServerMetadata;
const ok = () => json({ access_token: 'at', token_type: 'Bearer' });

function sent(fetchFn: ReturnType<typeof cannedFetch>) {
  const call = fetchFn.calls[0];
  if (call === undefined) throw new Error('no request');
  return { url: call.url, init: call.init, body: Object.fromEntries(new URLSearchParams(call.init.body)) };
}

describe('token endpoint requests', () => {
  it('authorization_code: code, redirect_uri, code_verifier, resource, client_id for a public client', async () => {
    const fetchFn = cannedFetch({ [`${issuer}/token`]: ok });
    const response = await authorizationCodeGrantRequest(
      metadata(),
      { clientId: 'pub', tokenEndpointAuthMethod: 'none' },
      {
        code: 'the-code',
        codeVerifier: 'v'.repeat(43),
        redirectUri: 'http://127.0.0.1:5/callback',
        resource,
      },
      { fetch: fetchFn },
    );
    expect(response.status).toBe(200);
    const { url, init, body } = sent(fetchFn);
    expect(url).toBe(`${issuer}/token`);
    expect(init).toMatchObject({ method: 'POST', redirect: 'manual' });
    expect(init.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(init.headers.authorization).toBeUndefined();
    expect(body).toEqual({
      grant_type: 'authorization_code',
      code: 'the-code',
      redirect_uri: 'http://127.0.0.1:5/callback',
      code_verifier: 'v'.repeat(43),
      resource,
      client_id: 'pub',
    });
  });

  it('refresh_token: resource always, scope re-sent when given, Basic authentication', async () => {
    const fetchFn = cannedFetch({ [`${issuer}/token`]: ok });
    await refreshTokenGrantRequest(
      metadata(),
      { clientId: 'conf', clientSecret: 's' },
      { refreshToken: 'rt', resource, scope: ['mcp:tools', 'offline_access'] },
      { fetch: fetchFn },
    );
    const { init, body } = sent(fetchFn);
    expect(body).toEqual({
      grant_type: 'refresh_token',
      refresh_token: 'rt',
      resource,
      scope: 'mcp:tools offline_access',
    });
    expect(init.headers.authorization).toMatch(/^Basic /);

    const second = cannedFetch({ [`${issuer}/token`]: ok });
    await refreshTokenGrantRequest(
      metadata(),
      { clientId: 'pub' },
      { refreshToken: 'rt', resource },
      { fetch: second },
    );
    expect(sent(second).body).toEqual({
      grant_type: 'refresh_token',
      refresh_token: 'rt',
      resource,
      client_id: 'pub',
    });
  });

  it('client_credentials: needs a confidential client; client_secret_post when advertised alone', async () => {
    expect(() =>
      clientCredentialsGrantRequest(
        metadata(),
        { clientId: 'pub' },
        { resource },
        { fetch: cannedFetch({}) },
      ),
    ).toThrow(TypeError);
    const fetchFn = cannedFetch({ [`${issuer}/token`]: ok });
    await clientCredentialsGrantRequest(
      metadata({ token_endpoint_auth_methods_supported: ['client_secret_post'] }),
      { clientId: 'm2m', clientSecret: 'sec' },
      { resource, scope: ['mcp:tools'] },
      { fetch: fetchFn },
    );
    expect(sent(fetchFn).body).toEqual({
      grant_type: 'client_credentials',
      resource,
      scope: 'mcp:tools',
      client_id: 'm2m',
      client_secret: 'sec',
    });
  });

  it('never sends credentials to a token endpoint that is not https (http only on loopback)', () => {
    const fetchFn = cannedFetch({});
    expect(() =>
      refreshTokenGrantRequest(
        metadata({ token_endpoint: 'http://as.example.com/token' }),
        { clientId: 'a', clientSecret: 's' },
        { refreshToken: 'rt', resource },
        { fetch: fetchFn },
      ),
    ).toThrow(ProtocolError);
    expect(fetchFn.calls).toEqual([]);
  });

  it('rejects misuse synchronously', () => {
    const fetchFn = cannedFetch({});
    expect(() =>
      authorizationCodeGrantRequest(
        metadata(),
        { clientId: 'a' },
        { code: '', codeVerifier: 'v', redirectUri: 'http://127.0.0.1/cb', resource },
        { fetch: fetchFn },
      ),
    ).toThrow(TypeError);
    expect(() =>
      refreshTokenGrantRequest(
        metadata(),
        { clientId: 'a' },
        { refreshToken: 'rt', resource: 'not a url' },
        { fetch: fetchFn },
      ),
    ).toThrow(TypeError);
    expect(() =>
      refreshTokenGrantRequest(
        metadata(),
        { clientId: 'a' },
        { refreshToken: 'rt', resource, scope: [] },
        { fetch: fetchFn },
      ),
    ).toThrow(TypeError);
  });
});
