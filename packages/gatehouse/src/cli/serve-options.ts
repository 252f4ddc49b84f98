import { redactConnectionString } from '@gatehouse/authorization-server';
import { isLoopbackHostname } from '@gatehouse/core';
import { LOG_LEVELS, type LogLevel } from '../gateway/logger.js';
import { redactUrls } from './redact-urls.js';
import { type Env, FlagReader, parseFlags, SERVE_DEFAULTS } from './serve-flags.js';
import {
  parseHttpUrl,
  parseUpstream,
  parseUpstreamOidc,
  type UpstreamOidcOptions,
  type UpstreamOptions,
} from './serve-upstream-options.js';
import { UsageError } from './usage-error.js';

export { envNameOf, SERVE_DEFAULTS } from './serve-flags.js';
export { SERVE_HELP } from './serve-help.js';
export type { UpstreamOidcOptions, UpstreamOptions } from './serve-upstream-options.js';

/** Validated options of `gatehouse serve`. */
export interface ServeOptions {
  /** Kept for callers that build options by hand: `demo: true` is `upstream: { kind: 'demo' }`. */
  readonly demo?: boolean;
  /** The upstream MCP server; absent means the built-in demo. */
  readonly upstream?: UpstreamOptions;
  readonly host: string;
  readonly port: number;
  /**
   * The URL clients use to reach this server, without a trailing slash; `undefined` means
   * `http(s)://<host>:<bound port>`.
   */
  readonly publicUrl: string | undefined;
  /** An external OAuth / OIDC issuer to trust; `undefined` runs the embedded authorization server. */
  readonly issuer: string | undefined;
  /** Where the external issuer's signing keys are; discovered from its metadata when absent. */
  readonly jwksUri: string | undefined;
  /** Where the embedded authorization server keeps its SQLite database and keys. */
  readonly dataDir: string;
  /**
   * A `postgres://` URL: the embedded authorization server keeps everything (keys included) in
   * this PostgreSQL database instead of `<dataDir>/gatehouse.db`, so several instances can share
   * it. Pending schema migrations are applied at start (under a lock). Never printed unredacted.
   */
  readonly database?: string;
  /** Seconds between two reads of the keys from the storage; `undefined`: the server's default (30). */
  readonly keyReloadIntervalSeconds?: number;
  /** Honour `X-Forwarded-Host`, `-Proto` and `-For` at the embedded authorization server. Default false. */
  readonly trustProxy?: boolean;
  /** Dynamic client registration of the embedded server; `undefined`: open on loopback, else initial-access-token. */
  readonly registration: 'open' | 'initial-access-token' | 'off' | undefined;
  readonly allowedOrigins: readonly string[];
  /** Scopes advertised in Protected Resource Metadata. */
  readonly scopes: readonly string[];
  /** Serve HTTPS with this certificate chain and private key (PEM files). */
  readonly tls?: { readonly certFile: string; readonly keyFile: string };
  /** Default `info`. */
  readonly logLevel?: LogLevel;
  /** Sign-in at the embedded authorization server through an upstream OpenID Connect provider. */
  readonly upstreamOidc?: UpstreamOidcOptions;
}

/** Parses `gatehouse serve` arguments. Returns `'help'` for `--help`; throws {@link UsageError}. */
export function parseServeOptions(args: readonly string[], env: Env): ServeOptions | 'help' {
  let parsed: ReturnType<typeof parseFlags>;
  try {
    parsed = parseFlags(args);
  } catch (error) {
    throw new UsageError((error as Error).message, 'Run "gatehouse serve --help" for the list of options.');
  }
  const { values, tokens } = parsed;
  if (values.help) return 'help';
  const terminator = tokens.find((token) => token.kind === 'option-terminator');
  const beforeTerminator = tokens.flatMap((token) =>
    token.kind === 'positional' && (terminator === undefined || token.index < terminator.index)
      ? [token.value]
      : [],
  );
  if (beforeTerminator.length > 0) {
    throw new UsageError(
      `unexpected argument "${redactUrls(beforeTerminator[0] ?? '')}"`,
      'Put a stdio MCP server after "--": gatehouse serve -- <command> [args...]',
    );
  }
  const command = terminator === undefined ? [] : args.slice(terminator.index + 1);
  const read = new FlagReader(values, env);

  const host = read.string('host') ?? SERVE_DEFAULTS.host;
  const port = parsePort(read.string('port') ?? String(SERVE_DEFAULTS.port));
  const issuer = read.string('external-issuer');
  const jwksUri = read.string('jwks-uri');
  if (issuer === undefined && jwksUri !== undefined) {
    throw new UsageError(
      '--jwks-uri goes with --external-issuer',
      'The embedded authorization server needs no JWKS URL.',
    );
  }
  const registration = read.string('registration');
  if (registration !== undefined && !REGISTRATION_MODES.includes(registration)) {
    throw new UsageError(
      `invalid --registration "${registration}"`,
      `Use one of: ${REGISTRATION_MODES.join(', ')}.`,
    );
  }
  if (issuer !== undefined && registration !== undefined) {
    throw new UsageError(
      '--registration applies to the embedded authorization server, not to --external-issuer',
    );
  }
  const storage = parseStorageOptions(read, issuer !== undefined);
  const tls = parseTls(read.string('cert'), read.string('key'));
  const publicUrl = parsePublicUrl(read.string('public-url'), host, tls !== undefined);
  const logLevel = read.string('log-level') ?? SERVE_DEFAULTS.logLevel;
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new UsageError(`invalid --log-level "${logLevel}"`, `Use one of: ${LOG_LEVELS.join(', ')}.`);
  }
  const upstream = parseUpstream(read, command, env);
  const upstreamOidc = parseUpstreamOidc(read, env);
  if (upstreamOidc !== undefined && issuer !== undefined) {
    throw new UsageError(
      '--upstream-oidc-* configures the embedded authorization server, not --external-issuer',
      'With an external issuer, configure federation there.',
    );
  }
  return {
    ...(upstream.kind === 'demo' ? { demo: true } : {}),
    upstream,
    host,
    port,
    publicUrl,
    issuer: issuer === undefined ? undefined : parseHttpUrl('--external-issuer', issuer),
    jwksUri: jwksUri === undefined ? undefined : parseHttpUrl('--jwks-uri', jwksUri),
    dataDir: read.string('data-dir') ?? SERVE_DEFAULTS.dataDir,
    ...storage,
    registration: registration as ServeOptions['registration'],
    allowedOrigins: read.list('allowed-origin').map(parseOrigin),
    scopes: parseScopes(read.list('scope')),
    ...(tls === undefined ? {} : { tls }),
    logLevel: logLevel as LogLevel,
    ...(upstreamOidc === undefined ? {} : { upstreamOidc }),
  };
}

/**
 * `--database`, `--key-reload-interval` and `--trust-proxy`: options of the embedded authorization
 * server's storage and keys, refused with `--external-issuer` (nothing is silently ignored).
 */
function parseStorageOptions(
  read: FlagReader,
  external: boolean,
): Pick<ServeOptions, 'database' | 'keyReloadIntervalSeconds' | 'trustProxy'> {
  const database = read.string('database');
  const interval = read.string('key-reload-interval');
  const trustProxy = read.boolean('trust-proxy');
  const embeddedOnly = [
    ...(database === undefined ? [] : ['--database']),
    ...(interval === undefined ? [] : ['--key-reload-interval']),
    ...(trustProxy ? ['--trust-proxy'] : []),
  ];
  if (external && embeddedOnly.length > 0) {
    throw new UsageError(
      `${embeddedOnly.join(', ')} configure${embeddedOnly.length === 1 ? 's' : ''} the embedded authorization server, not --external-issuer`,
    );
  }
  if (database !== undefined) {
    if (!/^postgres(ql)?:\/\//i.test(database)) {
      throw new UsageError(
        `--database must be a postgres:// URL, got ${redactConnectionString(database)}`,
        'Example: --database postgres://gatehouse@db.internal:5432/gatehouse (or GATEHOUSE_DATABASE_URL)',
      );
    }
    if (read.given('data-dir') || read.inEnv('data-dir')) {
      throw new UsageError(
        '--database and --data-dir are mutually exclusive',
        'With --database everything (keys included) is kept in PostgreSQL: drop --data-dir / GATEHOUSE_DATA_DIR. To move a data directory into PostgreSQL, run "gatehouse migrate --from-data-dir <dir>".',
      );
    }
  }
  if (interval !== undefined && (!/^\d{1,4}$/.test(interval) || Number(interval) > 3600)) {
    throw new UsageError(
      `invalid --key-reload-interval "${interval}"`,
      'Give whole seconds from 0 (reload only on demand) to 3600.',
    );
  }
  return {
    ...(database === undefined ? {} : { database }),
    ...(interval === undefined ? {} : { keyReloadIntervalSeconds: Number(interval) }),
    ...(trustProxy ? { trustProxy } : {}),
  };
}

function parseTls(certFile: string | undefined, keyFile: string | undefined): ServeOptions['tls'] {
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined || keyFile === undefined) {
    throw new UsageError(
      '--cert and --key go together',
      'Give both the certificate chain and its private key (PEM files).',
    );
  }
  return { certFile, keyFile };
}

const REGISTRATION_MODES: readonly string[] = ['open', 'initial-access-token', 'off'];

function parsePort(value: string): number {
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65_535) {
    throw new UsageError(`invalid port "${value}"`, 'A port is a number from 0 to 65535.');
  }
  return Number(value);
}

function parsePublicUrl(value: string | undefined, host: string, tls: boolean): string | undefined {
  const loopbackBind = isLoopbackHostname(host);
  if (value === undefined) {
    if (!loopbackBind && !tls) {
      throw new UsageError(
        `binding ${host} without TLS would expose tokens on the network`,
        'Bind 127.0.0.1, pass --cert and --key, or run behind a TLS reverse proxy and pass --public-url https://<your-host>.',
      );
    }
    if (tls && (host === '0.0.0.0' || host === '::' || host === '[::]')) {
      throw new UsageError(
        `binding ${host} needs --public-url`,
        'Clients cannot reach a wildcard address; give the name in your certificate, e.g. --public-url https://mcp.example.com:8080',
      );
    }
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError('--public-url is not a URL', 'Example: --public-url https://mcp.example.com');
  }
  if (url.search || url.hash || url.username || url.password) {
    throw new UsageError('--public-url must not contain a query, fragment or credentials');
  }
  if (tls && url.protocol !== 'https:') {
    throw new UsageError('--public-url must use https when serving with --cert and --key');
  }
  if (
    url.protocol !== 'https:' &&
    !(url.protocol === 'http:' && isLoopbackHostname(url.hostname) && loopbackBind)
  ) {
    throw new UsageError(
      '--public-url must use https unless the server and the URL are both on loopback',
      'Terminate TLS at a reverse proxy and give its https:// URL.',
    );
  }
  return url.href.replace(/\/+$/, '');
}

function parseOrigin(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(
      `--allowed-origin "${value}" is not an origin`,
      'Example: --allowed-origin https://app.example.com',
    );
  }
  if (url.origin === 'null' || url.href.replace(/\/$/, '') !== url.origin) {
    throw new UsageError(
      `--allowed-origin "${value}" is not an origin`,
      'An origin is scheme://host[:port] with no path, e.g. https://app.example.com',
    );
  }
  return url.origin;
}

function parseScopes(values: readonly string[]): string[] {
  const scopes = values.flatMap((value) => value.split(/\s+/)).filter(Boolean);
  for (const scope of scopes) {
    if (!/^[\x21\x23-\x5B\x5D-\x7E]+$/.test(scope)) {
      throw new UsageError(
        `invalid scope "${scope}"`,
        'Scopes are printable ASCII without spaces, quotes or backslashes.',
      );
    }
    if (scope === 'offline_access') {
      throw new UsageError(
        'offline_access is not a scope of this resource',
        'Refresh tokens are a matter between client and authorization server; leave it out.',
      );
    }
  }
  return [...new Set(scopes)];
}
