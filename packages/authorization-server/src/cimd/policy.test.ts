import { describe, expect, it } from 'vitest';
import { resolveOptions } from '../provider/options.js';
import { createMemoryStorage } from '../storage/memory.js';
import { CIMD_DEFAULTS, isCimdClientId, isHostTrusted, resolveCimdOptions } from './policy.js';

describe('resolveCimdOptions', () => {
  it('applies the documented defaults', () => {
    const options = resolveCimdOptions(undefined);
    expect(options).toEqual({
      enabled: true,
      trustedHosts: 'any',
      dangerouslyAllowLoopback: false,
      fetchTimeoutMs: CIMD_DEFAULTS.fetchTimeoutMs,
      maxDocumentBytes: CIMD_DEFAULTS.maxDocumentBytes,
    });
    expect(CIMD_DEFAULTS.cacheMinSeconds).toBe(60);
    expect(CIMD_DEFAULTS.cacheMaxSeconds).toBe(86_400);
  });

  it('lower-cases trusted hosts', () => {
    const { trustedHosts } = resolveCimdOptions({ trustedHosts: ['App.Example.COM'] });
    expect(trustedHosts).toEqual(new Set(['app.example.com']));
  });

  it.each([
    [[], /"cimd" must be an object/],
    [{ enabled: 'yes' }, /"cimd.enabled" must be a boolean/],
    [{ trustedHosts: 'app.example.com' }, /"cimd.trustedHosts" must be "any" or an array/],
    [{ trustedHosts: ['https://app.example.com'] }, /"cimd.trustedHosts\[0\]" must be a host name/],
    [{ trustedHosts: ['app.example.com:443'] }, /without scheme, port or path/],
    [{ fetchTimeoutMs: 0 }, /"cimd.fetchTimeoutMs" must be an integer from 1 to 30000/],
    [{ maxDocumentBytes: 10 }, /"cimd.maxDocumentBytes" must be an integer/],
    [{ trustHosts: 'any' }, /"cimd.trustHosts" is not a known option/],
  ])('refuses %j with a hint', (value, message) => {
    expect(() => resolveCimdOptions(value)).toThrow(message);
  });

  it('is validated by resolveOptions as the "cimd" option', () => {
    const base = {
      issuer: 'http://127.0.0.1:8080/oauth',
      storage: createMemoryStorage(),
      resources: [{ resource: 'http://127.0.0.1:8080/mcp', scopes: { 'mcp:tools': 'Use the tools' } }],
    };
    expect(resolveOptions(base).cimd.enabled).toBe(true);
    expect(() => resolveOptions({ ...base, cimd: { trustedHosts: 42 as never } })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
    );
  });
});

describe('isCimdClientId', () => {
  const defaults = resolveCimdOptions({});
  const loopback = resolveCimdOptions({ dangerouslyAllowLoopback: true });

  it('accepts https URLs with a path', () => {
    expect(isCimdClientId('https://app.example.com/client.json', defaults)).toBe(true);
  });

  it('leaves other client IDs to storage', () => {
    for (const id of ['abc123', 'https://app.example.com', 'https://app.example.com/', 'urn:x:y']) {
      expect(isCimdClientId(id, defaults), id).toBe(false);
    }
  });

  it('accepts http loopback URLs only with dangerouslyAllowLoopback', () => {
    expect(isCimdClientId('http://127.0.0.1:9000/c.json', defaults)).toBe(false);
    expect(isCimdClientId('http://127.0.0.1:9000/c.json', loopback)).toBe(true);
    expect(isCimdClientId('http://app.example.com/c.json', loopback)).toBe(false);
  });

  it('is false for every URL when disabled', () => {
    expect(isCimdClientId('https://app.example.com/c.json', resolveCimdOptions({ enabled: false }))).toBe(
      false,
    );
  });
});

describe('isHostTrusted (CIMD §6.4 trust policy)', () => {
  it('trusts any host by default', () => {
    expect(isHostTrusted('https://anything.example/c.json', resolveCimdOptions({}))).toBe(true);
  });

  it('trusts only the listed host names, case-insensitively, whatever the port', () => {
    const options = resolveCimdOptions({ trustedHosts: ['app.example.com'] });
    expect(isHostTrusted('https://APP.example.com/c.json', options)).toBe(true);
    expect(isHostTrusted('https://app.example.com:8443/c.json', options)).toBe(true);
    expect(isHostTrusted('https://evil.example/c.json', options)).toBe(false);
    expect(isHostTrusted('https://app.example.com.evil.example/c.json', options)).toBe(false);
    expect(isHostTrusted('https://sub.app.example.com/c.json', options)).toBe(false);
  });
});
