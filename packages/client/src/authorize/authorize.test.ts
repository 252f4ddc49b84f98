import type { AuthorizationServerMetadata } from '@gatehouse/core';
import { ProtocolError } from '@gatehouse/core';
import { describe, expect, it } from 'vitest';
import { asMetadata, cannedFetch, json } from '../canned-fetch.test-helpers.js';
import type { Discovery } from '../discovery/discover.js';
import type { ClientRegistration } from '../registration/types.js';
import { authorizeWithBrowser, isRedirectUriRegistered } from './authorize.js';
import { AuthorizationDenied } from './errors.js';
import { codeChallengeS256 } from './pkce.js';

const issuer = 'https://as.example.com';
const resource = 'https://mcp.example.com/mcp';
const metadata = asMetadata(issuer, {
  authorization_response_iss_parameter_supported: true,
}) as unknown as AuthorizationServerMetadata;
const discovery: Discovery = {
  resource,
  authorizationServer: {
    issuer,
    metadata,
    legacy: false,
    url: `${issuer}/.well-known/oauth-authorization-server`,
  },
  challengedScopes: ['mcp:tools'],
};
const registration: ClientRegistration = {
  issuer,
  method: 'dynamic',
  clientId: 'client-1',
  tokenEndpointAuthMethod: 'none',
  redirectUris: ['http://127.0.0.1/callback'],
};
const quiet = { write: () => true };

/** A hook that answers the listener like an authorization server redirecting back. */
function respondWith(params: (request: URL) => Record<string, string>) {
  return async (url: URL) => {
    const callback = new URL(url.searchParams.get('redirect_uri') ?? '');
    for (const [k, v] of Object.entries(params(url))) callback.searchParams.set(k, v);
    await (await fetch(callback)).arrayBuffer();
  };
}

describe('authorizeWithBrowser (canned token endpoint)', () => {
  it('redeems the code with the verifier of the request challenge', async () => {
    const fetchFn = cannedFetch({
      [`${issuer}/token`]: () => json({ access_token: 'AT', token_type: 'Bearer', expires_in: 60 }),
    });
    let challenge = '';
    const result = await authorizeWithBrowser({
      discovery,
      registration,
      fetch: fetchFn,
      stderr: quiet,
      onAuthorizationUrl: respondWith((url) => {
        challenge = url.searchParams.get('code_challenge') ?? '';
        return { code: 'C0DE', state: url.searchParams.get('state') ?? '', iss: issuer };
      }),
    });
    expect(result.tokens.access_token).toBe('AT');
    const body = new URLSearchParams(fetchFn.calls[0]?.init.body);
    expect(body.get('code')).toBe('C0DE');
    expect(codeChallengeS256(body.get('code_verifier') ?? '')).toBe(challenge);
    expect(body.get('redirect_uri')).toBe(result.redirectUri);
    expect(body.get('resource')).toBe(resource);
  });

  it('denied → AuthorizationDenied, no token request', async () => {
    const fetchFn = cannedFetch({});
    await expect(
      authorizeWithBrowser({
        discovery,
        registration,
        fetch: fetchFn,
        stderr: quiet,
        onAuthorizationUrl: respondWith((url) => ({
          error: 'access_denied',
          state: url.searchParams.get('state') ?? '',
          iss: issuer,
        })),
      }),
    ).rejects.toBeInstanceOf(AuthorizationDenied);
    expect(fetchFn.calls).toEqual([]);
  });

  it('a response from another issuer is never redeemed (mix-up)', async () => {
    const fetchFn = cannedFetch({});
    await expect(
      authorizeWithBrowser({
        discovery,
        registration,
        fetch: fetchFn,
        stderr: quiet,
        onAuthorizationUrl: respondWith((url) => ({
          code: 'C0DE',
          state: url.searchParams.get('state') ?? '',
          iss: 'https://attacker.example',
        })),
      }),
    ).rejects.toMatchObject({ attribute: 'iss' });
    expect(fetchFn.calls).toEqual([]);
  });

  it('a hook failure rejects and closes the listener', async () => {
    let redirectUri = '';
    await expect(
      authorizeWithBrowser({
        discovery,
        registration,
        fetch: cannedFetch({}),
        stderr: quiet,
        onAuthorizationUrl: (url) => {
          redirectUri = url.searchParams.get('redirect_uri') ?? '';
          throw new Error('no browser');
        },
      }),
    ).rejects.toThrow('no browser');
    await expect(fetch(redirectUri)).rejects.toThrow();
  });

  it('refuses a registration of another issuer or a redirect URI it does not allow', async () => {
    await expect(
      authorizeWithBrowser({
        discovery,
        registration: { ...registration, issuer: 'https://other.example' },
        stderr: quiet,
      }),
    ).rejects.toThrow(TypeError);
    await expect(
      authorizeWithBrowser({
        discovery,
        registration: { ...registration, redirectUris: ['https://app.example/callback'] },
        fetch: cannedFetch({}),
        stderr: quiet,
      }),
    ).rejects.toThrow(/redirect URI/);
    await expect(
      authorizeWithBrowser({ discovery, registration, stderr: quiet, colour: true } as never),
    ).rejects.toThrow(/unknown option "colour"/);
  });

  it('rejects a metadata authorization endpoint that is not https before opening anything', async () => {
    const bad = { ...metadata, authorization_endpoint: 'http://as.example.com/authorize' };
    const hook: URL[] = [];
    await expect(
      authorizeWithBrowser({
        discovery: { ...discovery, authorizationServer: { ...discovery.authorizationServer, metadata: bad } },
        registration,
        fetch: cannedFetch({}),
        stderr: quiet,
        onAuthorizationUrl: (url) => void hook.push(url),
      }),
    ).rejects.toBeInstanceOf(ProtocolError);
    expect(hook).toEqual([]);
  });
});

describe('isRedirectUriRegistered (RFC 8252 §7.3)', () => {
  it('exact match, or a loopback URI differing only in port', () => {
    expect(isRedirectUriRegistered('http://127.0.0.1:5000/callback', ['http://127.0.0.1/callback'])).toBe(
      true,
    );
    expect(
      isRedirectUriRegistered('http://127.0.0.1:5000/callback', ['http://127.0.0.1:8765/callback']),
    ).toBe(true);
    expect(
      isRedirectUriRegistered('http://127.0.0.1:5000/callback', ['http://localhost:5000/callback']),
    ).toBe(false);
    expect(isRedirectUriRegistered('http://127.0.0.1:5000/callback', ['http://127.0.0.1:5000/cb'])).toBe(
      false,
    );
    expect(isRedirectUriRegistered('http://127.0.0.1:5000/callback', [])).toBe(true);
  });
});
