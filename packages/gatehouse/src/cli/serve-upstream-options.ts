import { isLoopbackHostname } from '@gatehouse/core';
import { type Env, envNameOf, type FlagReader, SERVE_DEFAULTS } from './serve-flags.js';
import { UsageError } from './usage-error.js';

/** What `gatehouse serve` puts behind OAuth. */
export type UpstreamOptions =
  | { readonly kind: 'demo' }
  | {
      readonly kind: 'stdio';
      readonly command: string;
      readonly args: readonly string[];
      readonly maxProcesses: number;
      readonly idleTimeoutMs: number;
      /** Names of environment variables passed on to the children. */
      readonly passEnv: readonly string[];
    }
  | {
      readonly kind: 'http';
      readonly url: string;
      /** Static upstream credentials and headers, values already read from the environment. */
      readonly headers: Readonly<Record<string, string>>;
    }
  | { readonly kind: 'module'; readonly file: string };

/** `--upstream-oidc-*`: the embedded server's "Sign in with <name>" through an OpenID provider. */
export interface UpstreamOidcOptions {
  readonly issuer: string;
  readonly clientId: string;
  /** Read from the variable named by `--upstream-oidc-client-secret-env`; absent for a public client. */
  readonly clientSecret?: string;
  /** Default (at the authorization server): openid profile email. */
  readonly scopes?: readonly string[];
  readonly name?: string;
  /** `--upstream-oidc-only`: no local password form on the sign-in page. */
  readonly allowLocalPassword: boolean;
}

/** `--upstream-oidc-*`: all or nothing; the client secret only from the environment. */
export function parseUpstreamOidc(read: FlagReader, env: Env): UpstreamOidcOptions | undefined {
  const issuer = read.string('upstream-oidc-issuer');
  const clientId = read.string('upstream-oidc-client-id');
  const secretVariable = read.string('upstream-oidc-client-secret-env');
  const scopes = read.list('upstream-oidc-scope');
  const name = read.string('upstream-oidc-name');
  const only = read.boolean('upstream-oidc-only');
  if (issuer === undefined) {
    if (
      clientId !== undefined ||
      secretVariable !== undefined ||
      scopes.length > 0 ||
      name !== undefined ||
      only
    ) {
      throw new UsageError('the --upstream-oidc-* options need --upstream-oidc-issuer');
    }
    return undefined;
  }
  if (clientId === undefined) {
    throw new UsageError(
      '--upstream-oidc-issuer needs --upstream-oidc-client-id',
      'Register this server as a client at the provider first.',
    );
  }
  let clientSecret: string | undefined;
  if (secretVariable !== undefined) {
    clientSecret = env[secretVariable];
    if (clientSecret === undefined || clientSecret === '') {
      throw new UsageError(
        `--upstream-oidc-client-secret-env: the environment variable ${secretVariable} is not set`,
        `Set it before starting: ${secretVariable}=... gatehouse serve ...`,
      );
    }
  }
  if (scopes.length > 0 && !scopes.includes('openid')) {
    throw new UsageError('--upstream-oidc-scope must include openid', 'The sign-in needs an ID token.');
  }
  return {
    issuer: parseHttpUrl('--upstream-oidc-issuer', issuer),
    clientId,
    ...(clientSecret === undefined ? {} : { clientSecret }),
    ...(scopes.length === 0 ? {} : { scopes: [...new Set(scopes)] }),
    ...(name === undefined ? {} : { name }),
    allowLocalPassword: !only,
  };
}

const UPSTREAM_FLAGS = ['demo', 'upstream', 'module'] as const;
const UPSTREAM_HINT =
  'Give exactly one of: --demo, --upstream <url>, --module <file>, or -- <command> [args...] for a stdio MCP server.';

/** Exactly one upstream, from the command line, else from the environment. */
export function parseUpstream(read: FlagReader, command: readonly string[], env: Env): UpstreamOptions {
  const onCommandLine = [
    ...UPSTREAM_FLAGS.filter(
      (flag) => read.given(flag) && (flag !== 'demo' || read.values.demo === true),
    ).map((flag) => `--${flag}`),
    ...(command.length > 0 ? ['-- <command>'] : []),
  ];
  const inEnv = [
    ...UPSTREAM_FLAGS.filter((flag) => read.inEnv(flag) && (flag !== 'demo' || read.boolean('demo'))).map(
      envNameOf,
    ),
    ...((env.GATEHOUSE_COMMAND ?? '') !== '' ? ['GATEHOUSE_COMMAND'] : []),
  ];
  const chosen = onCommandLine.length > 0 ? onCommandLine : inEnv;
  if (chosen.length === 0) throw new UsageError('no upstream MCP server given', UPSTREAM_HINT);
  if (chosen.length > 1)
    throw new UsageError(`conflicting upstreams: ${chosen.join(' and ')}`, UPSTREAM_HINT);
  const fromEnv = onCommandLine.length === 0;
  const choice = chosen[0] as string;

  const httpOnly = ['upstream-bearer-env', 'upstream-header-env', 'upstream-header'] as const;
  const isHttp = choice === '--upstream' || choice === 'GATEHOUSE_UPSTREAM';
  const isStdio = choice === '-- <command>' || choice === 'GATEHOUSE_COMMAND';
  for (const flag of httpOnly) {
    if (!isHttp && read.given(flag)) throw new UsageError(`--${flag} goes with --upstream <url>`);
  }
  if (!isStdio && read.given('pass-env'))
    throw new UsageError('--pass-env goes with a stdio upstream (-- <command>)');
  if (!isStdio && (read.given('max-processes') || read.given('idle-timeout'))) {
    throw new UsageError('--max-processes and --idle-timeout go with a stdio upstream (-- <command>)');
  }

  if (choice === '--demo' || choice === 'GATEHOUSE_DEMO') return { kind: 'demo' };
  if (choice === '--module' || choice === 'GATEHOUSE_MODULE') {
    return { kind: 'module', file: read.string('module') as string };
  }
  if (isStdio) {
    const maxProcesses = parseCount(
      '--max-processes',
      read.string('max-processes') ?? String(SERVE_DEFAULTS.maxProcesses),
    );
    const idleTimeoutMs = parseDuration(
      '--idle-timeout',
      read.string('idle-timeout') ?? SERVE_DEFAULTS.idleTimeout,
    );
    const argv = fromEnv ? parseCommandEnv(env.GATEHOUSE_COMMAND as string) : command;
    const passEnv = read.list('pass-env');
    for (const name of passEnv) {
      if (!VARIABLE_NAME.test(name)) throw new UsageError(`--pass-env "${name}" is not a variable name`);
    }
    return {
      kind: 'stdio',
      command: argv[0] as string,
      args: argv.slice(1),
      maxProcesses,
      idleTimeoutMs,
      passEnv,
    };
  }
  return {
    kind: 'http',
    url: parseHttpUrl('--upstream', read.string('upstream') as string),
    headers: parseUpstreamHeaders(read, env),
  };
}

function parseCommandEnv(value: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    parsed = undefined;
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length === 0 ||
    !parsed.every((item) => typeof item === 'string' && item !== '')
  ) {
    throw new UsageError(
      'GATEHOUSE_COMMAND must be a JSON array of strings',
      'Example: GATEHOUSE_COMMAND=\'["node","server.js"]\'',
    );
  }
  return parsed as string[];
}

/** Header names the gateway sets itself or that must never be sent from the command line. */
const RESERVED_HEADERS = new Set([
  'host',
  'content-length',
  'content-type',
  'accept',
  'connection',
  'transfer-encoding',
  'mcp-session-id',
  'mcp-protocol-version',
  'cookie',
]);
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** An environment variable name (`--pass-env`, `--upstream-*-env`). */
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function checkHeaderName(flag: string, name: string): string {
  if (!HEADER_NAME.test(name)) throw new UsageError(`${flag}: "${name}" is not a header name`);
  const lower = name.toLowerCase();
  if (RESERVED_HEADERS.has(lower))
    throw new UsageError(`${flag}: the gateway does not send a "${name}" header upstream`);
  return lower;
}

function parseUpstreamHeaders(read: FlagReader, env: Env): Record<string, string> {
  const headers: Record<string, string> = {};
  const set = (flag: string, name: string, value: string) => {
    const lower = checkHeaderName(flag, name);
    if (headers[lower] !== undefined) throw new UsageError(`${flag}: header "${name}" is given twice`);
    if (/[\r\n\0]/.test(value)) throw new UsageError(`${flag}: the value of "${name}" contains a line break`);
    headers[lower] = value;
  };
  const readSecret = (flag: string, variable: string): string => {
    if (!VARIABLE_NAME.test(variable)) throw new UsageError(`${flag}: "${variable}" is not a variable name`);
    const value = env[variable];
    if (value === undefined || value === '') {
      throw new UsageError(
        `${flag}: the environment variable ${variable} is not set`,
        `Set it before starting: ${variable}=... gatehouse serve ...`,
      );
    }
    return value;
  };
  for (const header of read.list('upstream-header', /\r?\n/)) {
    const colon = header.indexOf(':');
    if (colon <= 0) throw new UsageError(`--upstream-header "${header.slice(0, 40)}" is not "Name: value"`);
    const name = header.slice(0, colon).trim();
    if (name.toLowerCase() === 'authorization') {
      throw new UsageError(
        '--upstream-header must not carry Authorization: command lines are visible to other users of the machine',
        'Put the secret in an environment variable and pass --upstream-bearer-env <VAR> or --upstream-header-env Authorization=<VAR>.',
      );
    }
    set('--upstream-header', name, header.slice(colon + 1).trim());
  }
  for (const mapping of read.list('upstream-header-env')) {
    const equals = mapping.indexOf('=');
    if (equals <= 0) throw new UsageError(`--upstream-header-env "${mapping}" is not "Name=VAR"`);
    const name = mapping.slice(0, equals);
    set('--upstream-header-env', name, readSecret('--upstream-header-env', mapping.slice(equals + 1)));
  }
  const bearerVariable = read.string('upstream-bearer-env');
  if (bearerVariable !== undefined) {
    set(
      '--upstream-bearer-env',
      'authorization',
      `Bearer ${readSecret('--upstream-bearer-env', bearerVariable)}`,
    );
  }
  return headers;
}

function parseCount(flag: string, value: string): number {
  if (!/^\d{1,6}$/.test(value) || Number(value) < 1) {
    throw new UsageError(`invalid ${flag} "${value}"`, 'Give a whole number of at least 1.');
  }
  return Number(value);
}

const DURATION_UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

function parseDuration(flag: string, value: string): number {
  const match = /^(\d{1,9})(ms|s|m|h)?$/.exec(value);
  const ms = match === null ? Number.NaN : Number(match[1]) * (DURATION_UNITS[match[2] ?? 's'] as number);
  if (!(ms >= 1_000) || ms > 7 * 24 * 3_600_000) {
    throw new UsageError(
      `invalid ${flag} "${value}"`,
      'Give a duration from 1s to 168h, e.g. 90s, 10m or 1h.',
    );
  }
  return ms;
}

/** An absolute https URL (http on loopback only), without credentials or fragment; returned as given. */
export function parseHttpUrl(flag: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${flag} is not a URL`, 'Give an absolute https:// URL.');
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHostname(url.hostname))) {
    throw new UsageError(`${flag} must use https`, 'Plain http is only accepted for loopback addresses.');
  }
  if (url.username || url.password || url.hash) {
    throw new UsageError(`${flag} must not contain credentials or a fragment`);
  }
  // Returned exactly as given: issuer identifiers are compared as strings (RFC 8414 §3.3).
  return value;
}
