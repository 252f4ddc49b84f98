import { describe, expect, it } from 'vitest';
import { createMemoryStorage } from '../storage/memory.js';
import { AUTHORIZATION_SERVER_DEFAULTS, type AuthorizationServerOptions, resolveOptions } from './options.js';

const storage = createMemoryStorage();
const base: AuthorizationServerOptions = {
  issuer: 'https://auth.example.com/oauth',
  storage,
  resources: [{ resource: 'https://mcp.example.com/mcp/', scopes: { 'mcp:tools': 'Use the tools' } }],
};

describe('resolveOptions', () => {
  it('applies the documented defaults and canonicalises resources', () => {
    const resolved = resolveOptions(base);
    expect(resolved.issuer).toBe('https://auth.example.com/oauth');
    expect(resolved.mountPath).toBe('/oauth');
    expect([...resolved.resources.keys()]).toEqual(['https://mcp.example.com/mcp']);
    expect(resolved.resources.get('https://mcp.example.com/mcp')?.accessTokenTtlSeconds).toBe(600);
    expect(resolved.registration).toBe('initial-access-token');
    expect(resolved.refreshTokenReuseWindowSeconds).toBe(30);
    expect(resolved.ttl).toEqual(AUTHORIZATION_SERVER_DEFAULTS.ttl);
    expect(resolved.registrationRateLimit).toEqual({ burst: 20, perMinute: 10 });
  });

  it('reloads keys every 30 s and trusts no proxy by default; both are checked', () => {
    const resolved = resolveOptions(base);
    expect(resolved.keyReloadIntervalSeconds).toBe(30);
    expect(resolved.trustProxy).toBe(false);
    expect(resolveOptions({ ...base, keyReloadIntervalSeconds: 0, trustProxy: true })).toMatchObject({
      keyReloadIntervalSeconds: 0,
      trustProxy: true,
    });
    for (const keyReloadIntervalSeconds of [-1, 3601, 1.5]) {
      expect(() => resolveOptions({ ...base, keyReloadIntervalSeconds })).toThrow(/keyReloadIntervalSeconds/);
    }
    expect(() => resolveOptions({ ...base, trustProxy: 'yes' as unknown as boolean })).toThrow(/trustProxy/);
  });

  it('defaults registration to open on a loopback issuer, and a root issuer has an empty mount path', () => {
    const resolved = resolveOptions({ ...base, issuer: 'http://127.0.0.1:8080' });
    expect(resolved.registration).toBe('open');
    expect(resolved.mountPath).toBe('');
    expect(resolved.issuer).toBe('http://127.0.0.1:8080');
  });

  it.each([
    ['issuer', { issuer: '' }, /"issuer" is required/],
    ['issuer', { issuer: 'ftp://auth.example.com' }, /https/],
    ['issuer', { issuer: 'https://auth.example.com/oauth#x' }, /fragment/],
    ['issuer', { issuer: 'https://u:p@auth.example.com/oauth' }, /userinfo/],
    ['storage', { storage: undefined }, /"storage" is required/],
    ['resources', { resources: [] }, /at least one resource/],
    [
      'resources',
      { resources: [{ resource: 'https://mcp.example.com/mcp', scopes: {} }] },
      /at least one scope/,
    ],
    [
      'resources',
      { resources: [{ resource: 'https://mcp.example.com/mcp?x=1', scopes: { a: 'b' } }] },
      /resource/,
    ],
    [
      'resources',
      { resources: [{ resource: 'https://mcp.example.com/mcp', scopes: { openid: 'x' } }] },
      /openid/,
    ],
    [
      'resources',
      { resources: [{ resource: 'https://mcp.example.com/mcp', scopes: { 'a b': 'x' } }] },
      /invalid scope/,
    ],
    ['resources', { resources: [base.resources[0], base.resources[0]] }, /listed twice/],
    ['refreshTokenReuseWindowSeconds', { refreshTokenReuseWindowSeconds: 301 }, /0 to 300/],
    ['ttl', { ttl: { authorizationCodeSeconds: 1.5 } }, /authorizationCodeSeconds/],
    ['ttl', { ttl: { accessTokenSeconds: 5 } }, /not a known option/],
    ['registrationRateLimit', { registrationRateLimit: { burst: 0 } }, /burst/],
  ])('refuses a bad %s with a hint', (_name, override, message) => {
    expect(() => resolveOptions({ ...base, ...override } as AuthorizationServerOptions)).toThrow(message);
  });

  it('throws TypeErrors with a stable code', () => {
    try {
      resolveOptions({ ...base, resources: [] });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(TypeError);
      expect((error as { code?: string }).code).toBe('ERR_MISSING_OPTION');
    }
  });
});
