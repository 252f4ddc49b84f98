import { describe, expect, it } from 'vitest';
import {
  authorizationServerMetadataUrls,
  canonicalResourceUri,
  isLoopbackHostname,
  protectedResourceMetadataUrl,
  protectedResourceMetadataUrls,
} from './url.js';

const misuse = (code = 'ERR_INVALID_ARG_VALUE') => expect.objectContaining({ name: 'TypeError', code });

describe('canonicalResourceUri (RFC 8707 §2, MCP § Canonical Server URI)', () => {
  it.each([
    ['https://mcp.example.com/mcp', 'https://mcp.example.com/mcp'],
    ['https://mcp.example.com', 'https://mcp.example.com'],
    ['https://mcp.example.com/', 'https://mcp.example.com'],
    ['https://mcp.example.com:8443', 'https://mcp.example.com:8443'],
    ['https://mcp.example.com/server/mcp', 'https://mcp.example.com/server/mcp'],
    ['HTTPS://MCP.Example.COM/MCP', 'https://mcp.example.com/MCP'],
    ['https://mcp.example.com:443/mcp', 'https://mcp.example.com/mcp'],
    ['https://mcp.example.com/mcp/', 'https://mcp.example.com/mcp'],
    ['https://mcp.example.com/mcp//', 'https://mcp.example.com/mcp'],
    ['https://mcp.example.com/a/./b/../mcp', 'https://mcp.example.com/a/mcp'],
    ['http://127.0.0.1:3000/mcp', 'http://127.0.0.1:3000/mcp'],
    ['http://127.9.8.7/mcp', 'http://127.9.8.7/mcp'],
    ['http://localhost:3000/', 'http://localhost:3000'],
    ['http://LOCALHOST:3000/mcp', 'http://localhost:3000/mcp'],
    ['http://[::1]:3000/mcp', 'http://[::1]:3000/mcp'],
    ['http://[0:0:0:0:0:0:0:1]/mcp', 'http://[::1]/mcp'],
    ['https://[2001:db8::1]:8443/mcp', 'https://[2001:db8::1]:8443/mcp'],
  ])('%s → %s', (input, expected) => {
    expect(canonicalResourceUri(input)).toBe(expected);
  });

  it('accepts a URL object and is idempotent', () => {
    const once = canonicalResourceUri(new URL('https://Example.com:443/mcp/'));
    expect(once).toBe('https://example.com/mcp');
    expect(canonicalResourceUri(once)).toBe(once);
  });

  it.each([
    ['a relative URL', '/mcp', /absolute URL/],
    ['no scheme', 'mcp.example.com/mcp', /absolute URL/],
    ['a fragment', 'https://mcp.example.com/mcp#section', /fragment/],
    ['an empty fragment', 'https://mcp.example.com/mcp#', /fragment/],
    ['a query', 'https://mcp.example.com/mcp?x=1', /query/],
    ['an empty query', 'https://mcp.example.com/mcp?', /query/],
    ['a username', 'https://user@mcp.example.com/mcp', /username or password/],
    ['a password', 'https://user:pw@mcp.example.com/mcp', /username or password/],
    ['http on a public host', 'http://mcp.example.com/mcp', /loopback/],
    ['http on a private address', 'http://10.0.0.1/mcp', /loopback/],
    ['another scheme', 'ftp://mcp.example.com/mcp', /https/],
  ])('rejects %s', (_name, input, message) => {
    expect(() => canonicalResourceUri(input)).toThrow(misuse());
    expect(() => canonicalResourceUri(input)).toThrow(message);
  });

  it('rejects a value that is neither a string nor a URL', () => {
    expect(() => canonicalResourceUri(42 as unknown as string)).toThrow(misuse('ERR_INVALID_ARG_TYPE'));
  });
});

describe('isLoopbackHostname', () => {
  it.each(['localhost', 'LocalHost', '127.0.0.1', '127.255.255.255', '127.0.0.0', '::1', '[::1]'])(
    '%s is loopback',
    (host) => {
      expect(isLoopbackHostname(host)).toBe(true);
    },
  );

  it.each([
    'localhost.example.com',
    'mylocalhost',
    '128.0.0.1',
    '127.0.0.256',
    '127.0.0',
    '127.1',
    '127.00.0.1',
    '0x7f.0.0.1',
    '10.0.0.1',
    '::2',
    '[::ffff:127.0.0.1]',
    'example.com',
    '',
  ])('%s is not loopback', (host) => {
    expect(isLoopbackHostname(host)).toBe(false);
  });

  it('agrees with URL.hostname for the forms the URL parser normalizes', () => {
    expect(isLoopbackHostname(new URL('http://127.1/').hostname)).toBe(true);
    expect(isLoopbackHostname(new URL('http://[0::1]/').hostname)).toBe(true);
  });
});

describe('protectedResourceMetadataUrls (RFC 9728 §3.1)', () => {
  it('inserts the well-known path before the resource path, then falls back to the root', () => {
    expect(protectedResourceMetadataUrls('https://h/mcp')).toEqual([
      'https://h/.well-known/oauth-protected-resource/mcp',
      'https://h/.well-known/oauth-protected-resource',
    ]);
    expect(protectedResourceMetadataUrls('https://example.com/public/mcp')).toEqual([
      'https://example.com/.well-known/oauth-protected-resource/public/mcp',
      'https://example.com/.well-known/oauth-protected-resource',
    ]);
  });

  it('has only the root URL for a root resource', () => {
    expect(protectedResourceMetadataUrls('https://h')).toEqual([
      'https://h/.well-known/oauth-protected-resource',
    ]);
    expect(protectedResourceMetadataUrls('https://h/')).toEqual([
      'https://h/.well-known/oauth-protected-resource',
    ]);
  });

  it('keeps the port, drops the default port and the fragment', () => {
    expect(protectedResourceMetadataUrls('http://127.0.0.1:8080/mcp#x')).toEqual([
      'http://127.0.0.1:8080/.well-known/oauth-protected-resource/mcp',
      'http://127.0.0.1:8080/.well-known/oauth-protected-resource',
    ]);
    expect(protectedResourceMetadataUrl('https://h:443/mcp')).toBe(
      'https://h/.well-known/oauth-protected-resource/mcp',
    );
  });

  it('uses the resource as given: trailing slash and query are kept', () => {
    expect(protectedResourceMetadataUrl('https://h/mcp/')).toBe(
      'https://h/.well-known/oauth-protected-resource/mcp/',
    );
    expect(protectedResourceMetadataUrls('https://h/mcp?tenant=a')).toEqual([
      'https://h/.well-known/oauth-protected-resource/mcp?tenant=a',
      'https://h/.well-known/oauth-protected-resource',
    ]);
    expect(protectedResourceMetadataUrls('https://h/?tenant=a')).toEqual([
      'https://h/.well-known/oauth-protected-resource?tenant=a',
      'https://h/.well-known/oauth-protected-resource',
    ]);
  });

  it('protectedResourceMetadataUrl is the path-inserted URL', () => {
    expect(protectedResourceMetadataUrl(new URL('https://h/mcp'))).toBe(
      'https://h/.well-known/oauth-protected-resource/mcp',
    );
    expect(protectedResourceMetadataUrl('https://h')).toBe('https://h/.well-known/oauth-protected-resource');
  });

  it.each([
    ['a relative URL', 'mcp'],
    ['another scheme', 'file:///mcp'],
    ['userinfo', 'https://u:p@h/mcp'],
  ])('rejects %s', (_name, input) => {
    expect(() => protectedResourceMetadataUrls(input)).toThrow(misuse());
  });
});

describe('authorizationServerMetadataUrls (MCP 2025-11-25 / 2026-07-28 order)', () => {
  const urls = (issuer: string) => authorizationServerMetadataUrls(issuer);

  it('tries three URLs for an issuer with a path: OAuth inserted, OIDC inserted, OIDC appended', () => {
    expect(urls('https://auth.example.com/tenant1')).toEqual([
      { url: 'https://auth.example.com/.well-known/oauth-authorization-server/tenant1', kind: 'oauth' },
      { url: 'https://auth.example.com/.well-known/openid-configuration/tenant1', kind: 'oidc' },
      { url: 'https://auth.example.com/tenant1/.well-known/openid-configuration', kind: 'oidc' },
    ]);
  });

  it('tries two URLs for an issuer without a path', () => {
    const expected = [
      { url: 'https://auth.example.com/.well-known/oauth-authorization-server', kind: 'oauth' },
      { url: 'https://auth.example.com/.well-known/openid-configuration', kind: 'oidc' },
    ];
    expect(urls('https://auth.example.com')).toEqual(expected);
    expect(urls('https://auth.example.com/')).toEqual(expected);
  });

  it('removes the terminating slash of the issuer path (RFC 8414 §3.1, OIDC Discovery §4)', () => {
    expect(urls('https://auth.example.com/tenant1/')).toEqual(urls('https://auth.example.com/tenant1'));
  });

  it('keeps multi-segment paths and ports', () => {
    expect(urls('https://auth.example.com:8443/realms/mcp').map((c) => c.url)).toEqual([
      'https://auth.example.com:8443/.well-known/oauth-authorization-server/realms/mcp',
      'https://auth.example.com:8443/.well-known/openid-configuration/realms/mcp',
      'https://auth.example.com:8443/realms/mcp/.well-known/openid-configuration',
    ]);
    expect(urls('http://127.0.0.1:9000/oauth').map((c) => c.url)).toEqual([
      'http://127.0.0.1:9000/.well-known/oauth-authorization-server/oauth',
      'http://127.0.0.1:9000/.well-known/openid-configuration/oauth',
      'http://127.0.0.1:9000/oauth/.well-known/openid-configuration',
    ]);
    expect(urls('https://auth.example.com:443').map((c) => c.url)).toEqual([
      'https://auth.example.com/.well-known/oauth-authorization-server',
      'https://auth.example.com/.well-known/openid-configuration',
    ]);
  });

  it.each([
    ['a query', 'https://auth.example.com/t?x=1', /query/],
    ['a fragment', 'https://auth.example.com/t#x', /fragment/],
    ['userinfo', 'https://u@auth.example.com/t', /username/],
    ['a relative URL', 'auth.example.com', /absolute/],
    ['another scheme', 'ftp://auth.example.com', /https/],
  ])('rejects an issuer with %s', (_name, issuer, message) => {
    expect(() => urls(issuer)).toThrow(misuse());
    expect(() => urls(issuer)).toThrow(message);
  });
});
