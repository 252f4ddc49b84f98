import { describe, expect, it } from 'vitest';
import { parseServeOptions } from './serve-options.js';
import { UsageError } from './usage-error.js';

const issuer = 'https://login.example.com/realms/mcp';

function usageErrorOf(args: string[], env: Record<string, string> = {}): UsageError {
  try {
    parseServeOptions(args, env);
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  throw new Error('expected a UsageError');
}

describe('gatehouse serve options', () => {
  it('defaults to the embedded authorization server on a loopback bind, port 8080', () => {
    expect(parseServeOptions(['--demo'], {})).toEqual({
      demo: true,
      host: '127.0.0.1',
      port: 8080,
      publicUrl: undefined,
      issuer: undefined,
      jwksUri: undefined,
      dataDir: '.gatehouse',
      registration: undefined,
      allowedOrigins: [],
      scopes: [],
    });
  });

  it('takes an external issuer instead of the embedded server', () => {
    expect(parseServeOptions(['--demo', '--external-issuer', issuer], {})).toMatchObject({ issuer });
  });

  it('takes the data directory and the registration mode, from flags or the environment', () => {
    expect(
      parseServeOptions(['--demo', '--data-dir', '/srv/gh', '--registration', 'off'], {
        GATEHOUSE_DATA_DIR: '/x',
      }),
    ).toMatchObject({ dataDir: '/srv/gh', registration: 'off' });
    expect(
      parseServeOptions(['--demo'], {
        GATEHOUSE_DATA_DIR: '/x',
        GATEHOUSE_REGISTRATION: 'initial-access-token',
      }),
    ).toMatchObject({ dataDir: '/x', registration: 'initial-access-token' });
  });

  it('refuses flags that do not fit together or a bad registration mode', () => {
    expect(usageErrorOf(['--demo', '--jwks-uri', 'https://a.example/jwks']).message).toMatch(
      /--external-issuer/,
    );
    expect(usageErrorOf(['--demo', '--external-issuer', issuer, '--registration', 'open']).message).toMatch(
      /embedded/,
    );
    expect(usageErrorOf(['--demo', '--registration', 'sometimes']).hint).toMatch(
      /open, initial-access-token, off/,
    );
  });

  it('takes flags over GATEHOUSE_* environment variables', () => {
    const options = parseServeOptions(['--demo', '--port', '9000'], {
      GATEHOUSE_EXTERNAL_ISSUER: issuer,
      GATEHOUSE_PORT: '7000',
    });
    expect(options).toMatchObject({ issuer, port: 9000 });
  });

  it('returns help for --help without validating the rest', () => {
    expect(parseServeOptions(['--help', '--port', 'nope'], {})).toBe('help');
  });

  it('refuses an unknown flag with exit code 2 and a hint', () => {
    const error = usageErrorOf(['--demo', '--frobnicate']);
    expect(error.exitCode).toBe(2);
    expect(error.message).toMatch(/frobnicate/);
    expect(error.hint).toMatch(/--help/);
  });

  it('requires an upstream', () => {
    expect(usageErrorOf(['--external-issuer', issuer]).message).toMatch(/no upstream/);
  });

  it('refuses a non-loopback bind without an https public URL', () => {
    const exposed = ['--demo', '--external-issuer', issuer, '--host', '0.0.0.0'];
    expect(usageErrorOf(exposed).message).toMatch(/TLS/);
    expect(usageErrorOf([...exposed, '--public-url', 'http://mcp.example.com']).message).toMatch(/https/);
    expect(parseServeOptions([...exposed, '--public-url', 'https://mcp.example.com/'], {})).toMatchObject({
      host: '0.0.0.0',
      publicUrl: 'https://mcp.example.com',
    });
  });

  it('refuses an http issuer that is not on loopback, but accepts a loopback one', () => {
    expect(usageErrorOf(['--demo', '--external-issuer', 'http://login.example.com']).message).toMatch(
      /https/,
    );
    expect(parseServeOptions(['--demo', '--external-issuer', 'http://127.0.0.1:9999'], {})).toMatchObject({
      issuer: 'http://127.0.0.1:9999',
    });
  });

  it('validates ports, origins and scopes', () => {
    expect(usageErrorOf(['--demo', '--external-issuer', issuer, '--port', '70000']).message).toMatch(/port/);
    expect(
      usageErrorOf(['--demo', '--external-issuer', issuer, '--allowed-origin', 'https://a.example/path'])
        .message,
    ).toMatch(/origin/);
    expect(
      usageErrorOf(['--demo', '--external-issuer', issuer, '--scope', 'offline_access']).message,
    ).toMatch(/offline_access/);
    expect(usageErrorOf(['--demo', '--external-issuer', issuer, '--scope', 'a"b']).message).toMatch(
      /invalid scope/,
    );
    expect(
      parseServeOptions(
        ['--demo', '--external-issuer', issuer, '--scope', 'files:read files:write', '--scope', 'files:read'],
        {},
      ),
    ).toMatchObject({ scopes: ['files:read', 'files:write'] });
  });

  it('refuses positional arguments (stdio upstreams are not part of this version)', () => {
    expect(usageErrorOf(['--demo', '--external-issuer', issuer, 'extra']).message).toMatch(
      /unexpected argument/,
    );
  });
});
