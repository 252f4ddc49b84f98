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
      upstream: { kind: 'demo' },
      logLevel: 'info',
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

  it('refuses positional arguments before "--"', () => {
    const error = usageErrorOf(['--demo', '--external-issuer', issuer, 'extra']);
    expect(error.message).toMatch(/unexpected argument "extra"/);
    expect(error.hint).toMatch(/-- <command>/);
    // A URL typed in the wrong place (say, a database URL) is echoed without its password.
    const url = usageErrorOf(['--demo', 'postgres://app:s3cret@db.example/gatehouse']);
    expect(url.message).toContain('postgres://app:***@db.example/gatehouse');
    expect(url.message).not.toContain('s3cret');
  });

  it('takes a stdio upstream after "--", with its own flags left alone', () => {
    expect(
      parseServeOptions(['--max-processes', '3', '--', 'node', 'server.js', '--port', '1'], {}),
    ).toMatchObject({
      upstream: {
        kind: 'stdio',
        command: 'node',
        args: ['server.js', '--port', '1'],
        maxProcesses: 3,
        idleTimeoutMs: 600_000,
        passEnv: [],
      },
      port: 8080,
    });
    expect(
      parseServeOptions([], { GATEHOUSE_COMMAND: '["npx","-y","server"]', GATEHOUSE_IDLE_TIMEOUT: '90s' }),
    ).toMatchObject({
      upstream: { kind: 'stdio', command: 'npx', args: ['-y', 'server'], idleTimeoutMs: 90_000 },
    });
    expect(usageErrorOf([], { GATEHOUSE_COMMAND: 'node server.js' }).message).toMatch(/JSON array/);
  });

  it('validates --max-processes, --idle-timeout and --pass-env', () => {
    expect(usageErrorOf(['--max-processes', '0', '--', 'x']).message).toMatch(/--max-processes "0"/);
    expect(usageErrorOf(['--idle-timeout', '5x', '--', 'x']).hint).toMatch(/90s, 10m or 1h/);
    expect(usageErrorOf(['--idle-timeout', '500ms', '--', 'x']).message).toMatch(/idle-timeout/);
    expect(parseServeOptions(['--idle-timeout', '2h', '--', 'x'], {})).toMatchObject({
      upstream: { idleTimeoutMs: 7_200_000 },
    });
    expect(usageErrorOf(['--pass-env', 'A-B', '--', 'x']).message).toMatch(/not a variable name/);
    expect(usageErrorOf(['--demo', '--pass-env', 'HOME']).message).toMatch(/stdio upstream/);
    expect(usageErrorOf(['--demo', '--max-processes', '2']).message).toMatch(/stdio upstream/);
    expect(usageErrorOf(['--upstream', 'https://u.example/mcp', '--idle-timeout', '1m']).message).toMatch(
      /stdio upstream/,
    );
  });

  it('takes exactly one upstream; the command line wins over the environment', () => {
    expect(usageErrorOf(['--demo', '--upstream', 'https://u.example/mcp']).message).toMatch(
      /conflicting upstreams: --upstream and --demo|conflicting upstreams: --demo and --upstream/,
    );
    expect(usageErrorOf(['--module', 'a.mjs', '--', 'node']).message).toMatch(/conflicting upstreams/);
    expect(usageErrorOf([], { GATEHOUSE_DEMO: 'true', GATEHOUSE_MODULE: 'a.mjs' }).message).toMatch(
      /GATEHOUSE_DEMO and GATEHOUSE_MODULE|GATEHOUSE_MODULE and GATEHOUSE_DEMO/,
    );
    expect(parseServeOptions(['--module', 'a.mjs'], { GATEHOUSE_DEMO: 'true' })).toMatchObject({
      upstream: { kind: 'module', file: 'a.mjs' },
    });
    expect(parseServeOptions([], { GATEHOUSE_DEMO: '1' })).toMatchObject({ upstream: { kind: 'demo' } });
    expect(usageErrorOf([], { GATEHOUSE_DEMO: 'maybe' }).message).toMatch(/GATEHOUSE_DEMO/);
  });

  it('reads static upstream credentials from the environment, never an Authorization header from argv', () => {
    const options = parseServeOptions(
      [
        '--upstream',
        'https://u.example/mcp',
        '--upstream-bearer-env',
        'UP_TOKEN',
        '--upstream-header-env',
        'X-Api-Key=UP_KEY',
        '--upstream-header',
        'X-Tenant: acme corp',
      ],
      { UP_TOKEN: 't0k', UP_KEY: 'k3y' },
    );
    expect(options).toMatchObject({
      upstream: {
        kind: 'http',
        url: 'https://u.example/mcp',
        headers: { authorization: 'Bearer t0k', 'x-api-key': 'k3y', 'x-tenant': 'acme corp' },
      },
    });
    const inArgv = usageErrorOf([
      '--upstream',
      'https://u.example/mcp',
      '--upstream-header',
      'Authorization: Bearer x',
    ]);
    expect(inArgv.message).toMatch(/must not carry Authorization/);
    expect(inArgv.hint).toMatch(/--upstream-bearer-env/);
    expect(
      usageErrorOf(['--upstream', 'https://u.example/mcp', '--upstream-bearer-env', 'UNSET_VAR']).message,
    ).toMatch(/UNSET_VAR is not set/);
    expect(
      usageErrorOf(['--upstream', 'https://u.example/mcp', '--upstream-header', 'Cookie: a=b']).message,
    ).toMatch(/Cookie/);
    expect(usageErrorOf(['--upstream', 'http://u.example/mcp']).message).toMatch(/https/);
    expect(usageErrorOf(['--demo', '--upstream-bearer-env', 'UP_TOKEN']).message).toMatch(
      /goes with --upstream/,
    );
    expect(
      parseServeOptions([], {
        GATEHOUSE_UPSTREAM: 'http://127.0.0.1:9000/mcp',
        GATEHOUSE_UPSTREAM_HEADER: 'X-One: 1\nX-Two: two words',
      }),
    ).toMatchObject({ upstream: { headers: { 'x-one': '1', 'x-two': 'two words' } } });
  });

  it('takes TLS files; with them a non-loopback bind is accepted and the public URL must be https', () => {
    const tls = ['--cert', 'c.pem', '--key', 'k.pem'];
    expect(parseServeOptions(['--demo', '--host', '192.0.2.10', ...tls], {})).toMatchObject({
      host: '192.0.2.10',
      publicUrl: undefined,
      tls: { certFile: 'c.pem', keyFile: 'k.pem' },
    });
    expect(usageErrorOf(['--demo', '--host', '0.0.0.0', ...tls]).message).toMatch(/needs --public-url/);
    expect(
      parseServeOptions(
        ['--demo', '--host', '0.0.0.0', ...tls, '--public-url', 'https://mcp.example.com'],
        {},
      ),
    ).toMatchObject({ publicUrl: 'https://mcp.example.com' });
    expect(usageErrorOf(['--demo', ...tls, '--public-url', 'http://127.0.0.1:8080']).message).toMatch(
      /https/,
    );
    expect(usageErrorOf(['--demo', '--cert', 'c.pem']).message).toMatch(/--cert and --key go together/);
  });

  it('reads every flag from its GATEHOUSE_* variable, lists space-separated', () => {
    expect(
      parseServeOptions(['--demo'], {
        GATEHOUSE_SCOPE: 'files:read files:write',
        GATEHOUSE_ALLOWED_ORIGIN: 'https://a.example https://b.example',
        GATEHOUSE_LOG_LEVEL: 'debug',
        GATEHOUSE_HOST: '::1',
        GATEHOUSE_PUBLIC_URL: 'http://[::1]:9000',
      }),
    ).toMatchObject({
      scopes: ['files:read', 'files:write'],
      allowedOrigins: ['https://a.example', 'https://b.example'],
      logLevel: 'debug',
      host: '::1',
      publicUrl: 'http://[::1]:9000',
    });
    expect(usageErrorOf(['--demo', '--log-level', 'loud']).hint).toMatch(/trace, debug, info/);
  });

  it('documents the environment variable of every flag in --help', async () => {
    const { SERVE_HELP, envNameOf } = await import('./serve-options.js');
    const flagsInHelp = [...SERVE_HELP.matchAll(/^ {2}--([a-z-]+)/gm)].map((match) => match[1] as string);
    expect(flagsInHelp.length).toBeGreaterThan(15);
    for (const flag of flagsInHelp.filter((name) => name !== 'help')) {
      expect(SERVE_HELP, `--${flag}`).toContain(envNameOf(flag));
    }
  });
});
