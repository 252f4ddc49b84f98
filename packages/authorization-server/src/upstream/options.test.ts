import { describe, expect, it } from 'vitest';
import { resolveUpstreamOptions, UPSTREAM_DEFAULTS } from './options.js';

const base = { issuer: 'https://accounts.example.com', clientId: 'gatehouse' };

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(TypeError);
    return (error as { code?: string }).code;
  }
  return undefined;
}

describe('resolveUpstreamOptions', () => {
  it('is off when absent and applies every default', () => {
    expect(resolveUpstreamOptions(undefined)).toBeUndefined();
    expect(resolveUpstreamOptions(base)).toEqual({
      issuer: 'https://accounts.example.com',
      clientId: 'gatehouse',
      clientSecret: undefined,
      scopes: UPSTREAM_DEFAULTS.scopes,
      name: 'accounts.example.com',
      allowLocalPassword: true,
      dangerouslyAllowLoopback: false,
    });
  });

  it('keeps the given values', () => {
    const resolved = resolveUpstreamOptions({
      ...base,
      clientSecret: 'secret',
      scopes: ['openid', 'email', 'email'],
      name: ' Example SSO ',
      allowLocalPassword: false,
    });
    expect(resolved).toMatchObject({
      clientSecret: 'secret',
      scopes: ['openid', 'email'],
      name: 'Example SSO',
      allowLocalPassword: false,
    });
  });

  it('requires an https issuer; http only on loopback with dangerouslyAllowLoopback', () => {
    expect(codeOf(() => resolveUpstreamOptions({ clientId: 'x' }))).toBe('ERR_MISSING_OPTION');
    expect(codeOf(() => resolveUpstreamOptions({ ...base, issuer: 'http://accounts.example.com' }))).toBe(
      'ERR_INVALID_ARG_VALUE',
    );
    expect(codeOf(() => resolveUpstreamOptions({ ...base, issuer: 'http://127.0.0.1:9000' }))).toBe(
      'ERR_INVALID_ARG_VALUE',
    );
    expect(
      resolveUpstreamOptions({ ...base, issuer: 'http://127.0.0.1:9000', dangerouslyAllowLoopback: true })
        ?.issuer,
    ).toBe('http://127.0.0.1:9000');
    expect(
      codeOf(() =>
        resolveUpstreamOptions({ ...base, issuer: 'http://10.0.0.1:9000', dangerouslyAllowLoopback: true }),
      ),
    ).toBe('ERR_INVALID_ARG_VALUE');
    for (const issuer of [
      'https://u:p@idp.example',
      'https://idp.example/?a=1',
      'https://idp.example/#x',
      'idp',
    ]) {
      expect(
        codeOf(() => resolveUpstreamOptions({ ...base, issuer })),
        issuer,
      ).toBe('ERR_INVALID_ARG_VALUE');
    }
  });

  it('names the field of every other invalid value', () => {
    const bad: Record<string, unknown>[] = [
      { clientId: '' },
      { clientSecret: '' },
      { scopes: ['profile'] },
      { scopes: 'openid' },
      { scopes: ['openid', 'bad scope'] },
      { name: '' },
      { name: 'x'.repeat(65) },
      { name: 'a\u202eb' },
      { allowLocalPassword: 'no' },
      { dangerouslyAllowLoopback: 1 },
      { clientsecret: 'typo' },
    ];
    for (const extra of bad) {
      let message = '';
      try {
        resolveUpstreamOptions({ ...base, ...extra });
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message, JSON.stringify(extra)).toMatch(/^"upstream\.\w+"/);
    }
    expect(codeOf(() => resolveUpstreamOptions('https://idp.example'))).toBe('ERR_INVALID_ARG_VALUE');
  });
});
