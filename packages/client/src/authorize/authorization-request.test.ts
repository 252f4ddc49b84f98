import type { AuthorizationServerMetadata } from '@gatehouse/core';
import { ProtocolError } from '@gatehouse/core';
import { describe, expect, it } from 'vitest';
import { asMetadata } from '../canned-fetch.test-helpers.js';
import { buildAuthorizationUrl, generateState, selectScopes } from './authorization-request.js';
import { codeChallengeS256 } from './pkce.js';

const issuer = 'https://as.example.com';
const metadata = (extra: Record<string, unknown> = {}) =>
  asMetadata(issuer, extra) as unknown as AuthorizationServerMetadata;
const codeChallenge = codeChallengeS256('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk');
const base = {
  clientId: 'client 1',
  redirectUri: 'http://127.0.0.1:4321/callback',
  resource: 'https://mcp.example.com/mcp',
  state: 'state-1',
  codeChallenge,
};

describe('buildAuthorizationUrl', () => {
  it('sends code + PKCE S256 + state + resource, keeping the endpoint query', () => {
    const url = buildAuthorizationUrl({
      ...base,
      metadata: metadata({ authorization_endpoint: `${issuer}/authorize?tenant=a` }),
      scope: ['mcp:tools'],
    });
    expect(url.origin + url.pathname).toBe(`${issuer}/authorize`);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      tenant: 'a',
      response_type: 'code',
      client_id: 'client 1',
      redirect_uri: base.redirectUri,
      scope: 'mcp:tools offline_access',
      state: 'state-1',
      code_challenge: codeChallenge,
      code_challenge_method: 'S256',
      resource: base.resource,
      prompt: 'consent',
    });
  });

  it('asks for consent when it asks for offline_access (OpenID Connect Core §11), and only then', () => {
    const oidc = metadata({ scopes_supported: ['mcp:tools', 'offline_access'] });
    const offline = buildAuthorizationUrl({ ...base, metadata: oidc, scope: ['mcp:tools'] });
    expect(offline.searchParams.get('scope')).toBe('mcp:tools offline_access');
    expect(offline.searchParams.getAll('prompt')).toEqual(['consent']);
    // The AS does not list offline_access: not asked for, no prompt.
    const plain = buildAuthorizationUrl({
      ...base,
      metadata: metadata({ scopes_supported: ['mcp:tools'] }),
      scope: ['mcp:tools'],
    });
    expect(plain.searchParams.get('scope')).toBe('mcp:tools');
    expect(plain.searchParams.has('prompt')).toBe(false);
    // No scope at all (the server's default): no offline_access, no prompt.
    expect(buildAuthorizationUrl({ ...base, metadata: oidc }).searchParams.has('prompt')).toBe(false);
    // An endpoint query's own prompt is replaced, not doubled.
    const endpoint = `${issuer}/authorize?prompt=login`;
    const replaced = buildAuthorizationUrl({
      ...base,
      metadata: metadata({ scopes_supported: ['offline_access'], authorization_endpoint: endpoint }),
      scope: ['mcp:tools'],
    });
    expect(replaced.searchParams.getAll('prompt')).toEqual(['consent']);
  });

  it('does not send prompt=consent to a server whose prompt_values_supported lacks it', () => {
    const url = buildAuthorizationUrl({
      ...base,
      metadata: metadata({
        scopes_supported: ['offline_access'],
        prompt_values_supported: ['none', 'login'],
      }),
      scope: ['mcp:tools'],
    });
    expect(url.searchParams.get('scope')).toBe('mcp:tools offline_access');
    expect(url.searchParams.has('prompt')).toBe(false);
    const listed = buildAuthorizationUrl({
      ...base,
      metadata: metadata({ scopes_supported: ['offline_access'], prompt_values_supported: ['consent'] }),
      scope: ['mcp:tools'],
    });
    expect(listed.searchParams.get('prompt')).toBe('consent');
  });

  it('refuses an authorization endpoint that is not https (http only on loopback)', () => {
    for (const endpoint of ['http://as.example.com/authorize', 'javascript:alert(1)', 'file:///etc/passwd']) {
      expect(() =>
        buildAuthorizationUrl({ ...base, metadata: metadata({ authorization_endpoint: endpoint }) }),
      ).toThrow(ProtocolError);
    }
    expect(() =>
      buildAuthorizationUrl({ ...base, metadata: metadata({ authorization_endpoint: undefined }) }),
    ).toThrow(
      expect.objectContaining({ code: 'ERR_MISSING_ATTRIBUTE', attribute: 'authorization_endpoint' }),
    );
    const local = buildAuthorizationUrl({
      ...base,
      metadata: metadata({ authorization_endpoint: 'http://127.0.0.1:9000/authorize' }),
    });
    expect(local.host).toBe('127.0.0.1:9000');
  });

  it('rejects misuse with a TypeError', () => {
    expect(() => buildAuthorizationUrl({ ...base, state: '', metadata: metadata() })).toThrow(TypeError);
    expect(() => buildAuthorizationUrl({ ...base, resource: 'https://x/#f', metadata: metadata() })).toThrow(
      TypeError,
    );
    expect(() => buildAuthorizationUrl({ ...base, codeChallenge: 'plain', metadata: metadata() })).toThrow(
      TypeError,
    );
    expect(() => buildAuthorizationUrl({ ...base, scope: ['a b'], metadata: metadata() })).toThrow(TypeError);
  });

  it('generates distinct 43-character states', () => {
    expect(generateState()).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(generateState()).not.toBe(generateState());
  });
});

describe('selectScopes (MCP § Scope Selection Strategy)', () => {
  it('challenge scope first, then the PRM scopes_supported, else omitted', () => {
    const m = metadata({ scopes_supported: ['a', 'b'] });
    expect(selectScopes({ scope: ['x'], resourceScopesSupported: ['y'], metadata: m })).toEqual(['x']);
    expect(selectScopes({ scope: [], resourceScopesSupported: ['y', 'z'], metadata: m })).toEqual(['y', 'z']);
    expect(selectScopes({ metadata: m })).toBeUndefined();
  });

  it('adds offline_access only when the AS lists it and a scope is sent', () => {
    const m = metadata({ scopes_supported: ['x', 'offline_access'] });
    expect(selectScopes({ scope: ['x', 'x'], metadata: m })).toEqual(['x', 'offline_access']);
    expect(selectScopes({ scope: ['x', 'offline_access'], metadata: m })).toEqual(['x', 'offline_access']);
    expect(selectScopes({ metadata: m })).toBeUndefined();
    expect(selectScopes({ scope: ['x'], metadata: metadata({ scopes_supported: undefined }) })).toEqual([
      'x',
    ]);
  });

  it('omits scope from the URL when nothing applies', () => {
    const url = buildAuthorizationUrl({ ...base, metadata: metadata({ scopes_supported: undefined }) });
    expect(url.searchParams.has('scope')).toBe(false);
  });
});
