import { validateProtectedResourceMetadata } from '@gatehouse/core';
import { describe, expect, it } from 'vitest';
import {
  createMetadataHandler,
  createProtectedResourceMetadata,
  protectedResourceMetadataPaths,
} from './protected-resource-metadata.js';

const base = {
  resource: 'https://MCP.example.com:443/mcp/',
  authorizationServers: ['https://auth.example.com'],
};

describe('createProtectedResourceMetadata (RFC 9728 §2)', () => {
  it('S1 publishes the canonical resource, at least one authorization server and the header bearer method', () => {
    const metadata = createProtectedResourceMetadata({
      ...base,
      scopesSupported: ['mcp:read'],
      resourceName: 'Files',
    });
    expect(metadata).toEqual({
      resource: 'https://mcp.example.com/mcp',
      authorization_servers: ['https://auth.example.com'],
      bearer_methods_supported: ['header'],
      scopes_supported: ['mcp:read'],
      resource_name: 'Files',
    });
    expect(
      validateProtectedResourceMetadata(metadata, { expectedResource: 'https://mcp.example.com/mcp' }),
    ).toEqual(metadata);
  });

  it('S1 MUST list at least one authorization server: missing or empty throws with a hint', () => {
    expect(() => createProtectedResourceMetadata({ resource: base.resource } as never)).toThrow(
      expect.objectContaining({
        code: 'ERR_MISSING_OPTION',
        message: expect.stringMatching(/authorizationServers/),
      }),
    );
    expect(() => createProtectedResourceMetadata({ ...base, authorizationServers: [] })).toThrow(
      /at least one/,
    );
  });

  it('requires a resource', () => {
    expect(() =>
      createProtectedResourceMetadata({ authorizationServers: base.authorizationServers } as never),
    ).toThrow(expect.objectContaining({ code: 'ERR_MISSING_OPTION' }));
  });

  it('S7 refuses offline_access in scopes_supported', () => {
    expect(() =>
      createProtectedResourceMetadata({ ...base, scopesSupported: ['mcp', 'offline_access'] }),
    ).toThrow(/offline_access/);
  });

  it('refuses insecure, query-bearing or malformed issuers, naming the entry', () => {
    for (const bad of [
      'http://auth.example.com',
      'https://auth.example.com?x=1',
      'https://auth.example.com#f',
      'auth',
      42,
    ]) {
      expect(() =>
        createProtectedResourceMetadata({
          ...base,
          authorizationServers: ['https://ok.example', bad as string],
        }),
      ).toThrow(/authorizationServers\[1\]/);
    }
  });

  it('accepts http issuers on loopback and keeps issuers verbatim', () => {
    const metadata = createProtectedResourceMetadata({
      resource: 'http://127.0.0.1:8080/mcp',
      authorizationServers: ['http://127.0.0.1:8080/oauth/', 'http://[::1]:9000'],
    });
    expect(metadata.authorization_servers).toEqual(['http://127.0.0.1:8080/oauth/', 'http://[::1]:9000']);
  });
});

describe('createMetadataHandler (RFC 9728 §3, MCP 2025-11-25 discovery order)', () => {
  const metadata = createProtectedResourceMetadata({ ...base, scopesSupported: ['mcp:read'] });
  const handler = createMetadataHandler(metadata);

  it('S2 serves the document at the path-inserted URL and at the root', async () => {
    for (const path of [
      '/.well-known/oauth-protected-resource/mcp',
      '/.well-known/oauth-protected-resource',
    ]) {
      const response = handler(new Request(`https://mcp.example.com${path}?ignored=1`));
      expect(response?.status).toBe(200);
      expect(response?.headers.get('content-type')).toBe('application/json');
      expect(response?.headers.get('cache-control')).toBe('public, max-age=3600');
      expect(response?.headers.get('access-control-allow-origin')).toBe('*');
      const document = validateProtectedResourceMetadata(await response!.json(), {
        expectedResource: 'https://mcp.example.com/mcp',
      });
      expect(document.scopes_supported).not.toContain('offline_access');
    }
  });

  it('returns undefined for other paths', () => {
    for (const path of [
      '/mcp',
      '/.well-known/oauth-protected-resource/other',
      '/.well-known/oauth-protected-resource/mcp/x',
    ]) {
      expect(handler(new Request(`https://mcp.example.com${path}`))).toBeUndefined();
    }
  });

  it('answers HEAD without a body and OPTIONS as a CORS preflight', async () => {
    const head = handler(
      new Request('https://mcp.example.com/.well-known/oauth-protected-resource', { method: 'HEAD' }),
    );
    expect(head?.status).toBe(200);
    expect(await head!.text()).toBe('');
    const options = handler(
      new Request('https://mcp.example.com/.well-known/oauth-protected-resource', { method: 'OPTIONS' }),
    );
    expect(options?.status).toBe(204);
    expect(options?.headers.get('access-control-allow-methods')).toBe('GET, HEAD, OPTIONS');
  });

  it('answers 405 with Allow for other methods', () => {
    const response = handler(
      new Request('https://mcp.example.com/.well-known/oauth-protected-resource/mcp', { method: 'POST' }),
    );
    expect(response?.status).toBe(405);
    expect(response?.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
  });

  it('has one path for a resource without a path', () => {
    expect(protectedResourceMetadataPaths('https://mcp.example.com')).toEqual([
      '/.well-known/oauth-protected-resource',
    ]);
  });

  it('validates maxAgeSeconds', () => {
    expect(() => createMetadataHandler(metadata, { maxAgeSeconds: -1 })).toThrow(/maxAgeSeconds/);
    const short = createMetadataHandler(metadata, { maxAgeSeconds: 60 });
    expect(
      short(new Request('https://mcp.example.com/.well-known/oauth-protected-resource'))?.headers.get(
        'cache-control',
      ),
    ).toBe('public, max-age=60');
  });
});
