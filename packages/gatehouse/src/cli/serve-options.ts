import { parseArgs } from 'node:util';
import { isLoopbackHostname } from '@gatehouse/core';
import { UsageError } from './usage-error.js';

/** Validated options of `gatehouse serve`. */
export interface ServeOptions {
  /** The built-in demo MCP server is the upstream (the only upstream kind so far). */
  readonly demo: true;
  readonly host: string;
  readonly port: number;
  /**
   * The URL clients use to reach this server, without a trailing slash; `undefined` means
   * `http://<host>:<bound port>` (loopback binds only).
   */
  readonly publicUrl: string | undefined;
  /** An external OAuth / OIDC issuer to trust; `undefined` runs the embedded authorization server. */
  readonly issuer: string | undefined;
  /** Where the external issuer's signing keys are; discovered from its metadata when absent. */
  readonly jwksUri: string | undefined;
  /** Where the embedded authorization server keeps its SQLite database and keys. */
  readonly dataDir: string;
  /** Dynamic client registration of the embedded server; `undefined`: open on loopback, else initial-access-token. */
  readonly registration: 'open' | 'initial-access-token' | 'off' | undefined;
  readonly allowedOrigins: readonly string[];
  /** Scopes advertised in Protected Resource Metadata. */
  readonly scopes: readonly string[];
}

/** The help text of `gatehouse serve`. */
export const SERVE_HELP = `Usage: gatehouse serve --demo [options]

Puts OAuth 2.1 in front of an MCP server: an authorization server at /oauth (sign-in, consent,
tokens), Protected Resource Metadata, bearer-token checks (issuer, audience, expiry, signature),
scope checks and Origin checks, then the MCP endpoint at /mcp.

Upstream (exactly one):
  --demo                      the built-in demo MCP server (tools: whoami, echo, add, add_note)

Authorization:
  --data-dir <dir>            where the embedded authorization server keeps its database and keys
                              (default ./.gatehouse; env GATEHOUSE_DATA_DIR)
  --registration <mode>       dynamic client registration: open | initial-access-token | off
                              (default: open on loopback, else initial-access-token;
                              env GATEHOUSE_REGISTRATION)
  --external-issuer <url>     trust this OAuth/OIDC issuer instead of the embedded one
                              (env GATEHOUSE_EXTERNAL_ISSUER); its tokens must carry
                              aud = <public-url>/mcp
  --jwks-uri <url>            the external issuer's JWKS (default: discovered from its metadata)
  --scope <scope>             a scope of this resource, advertised in its metadata (repeatable)

Network:
  --port <n>                  port to listen on (default 8080; env GATEHOUSE_PORT)
  --host <addr>               address to bind (default 127.0.0.1; env GATEHOUSE_HOST)
  --public-url <url>          the URL clients use (default http://<host>:<port>); required, and
                              https, when binding a non-loopback address
  --allowed-origin <origin>   a browser Origin allowed to call /mcp (repeatable; loopback
                              origins are always allowed)

  -h, --help                  show this help

Examples:
  gatehouse serve --demo
  gatehouse serve --demo --external-issuer https://login.example.com/realms/mcp
`;

const flags = {
  demo: { type: 'boolean' },
  'external-issuer': { type: 'string' },
  'jwks-uri': { type: 'string' },
  'data-dir': { type: 'string' },
  registration: { type: 'string' },
  scope: { type: 'string', multiple: true },
  port: { type: 'string' },
  host: { type: 'string' },
  'public-url': { type: 'string' },
  'allowed-origin': { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Parses `gatehouse serve` arguments. Returns `'help'` for `--help`; throws {@link UsageError}. */
export function parseServeOptions(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): ServeOptions | 'help' {
  let values: ReturnType<typeof parseArgs<{ options: typeof flags; allowPositionals: true }>>['values'];
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...args],
      options: flags,
      allowPositionals: true,
      strict: true,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message, 'Run "gatehouse serve --help" for the list of options.');
  }
  if (values.help) return 'help';
  if (positionals.length > 0) {
    throw new UsageError(
      `unexpected argument "${positionals[0]}"`,
      'Only the built-in demo upstream (--demo) is available in this version.',
    );
  }
  if (!values.demo) {
    throw new UsageError(
      'no upstream MCP server given',
      'Pass --demo to serve the built-in demo MCP server.',
    );
  }

  const host = values.host ?? env.GATEHOUSE_HOST ?? '127.0.0.1';
  const port = parsePort(values.port ?? env.GATEHOUSE_PORT ?? '8080');
  const issuer = values['external-issuer'] ?? env.GATEHOUSE_EXTERNAL_ISSUER;
  if (issuer === undefined && values['jwks-uri'] !== undefined) {
    throw new UsageError(
      '--jwks-uri goes with --external-issuer',
      'The embedded authorization server needs no JWKS URL.',
    );
  }
  const registration = values.registration ?? env.GATEHOUSE_REGISTRATION;
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
  const publicUrl = parsePublicUrl(values['public-url'] ?? env.GATEHOUSE_PUBLIC_URL, host);
  return {
    demo: true,
    host,
    port,
    publicUrl,
    issuer: issuer === undefined ? undefined : parseHttpUrl('--external-issuer', issuer),
    jwksUri: values['jwks-uri'] === undefined ? undefined : parseHttpUrl('--jwks-uri', values['jwks-uri']),
    dataDir: values['data-dir'] ?? env.GATEHOUSE_DATA_DIR ?? '.gatehouse',
    registration: registration as ServeOptions['registration'],
    allowedOrigins: (values['allowed-origin'] ?? []).map(parseOrigin),
    scopes: parseScopes(values.scope ?? []),
  };
}

const REGISTRATION_MODES: readonly string[] = ['open', 'initial-access-token', 'off'];

function parsePort(value: string): number {
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65_535) {
    throw new UsageError(`invalid port "${value}"`, 'A port is a number from 0 to 65535.');
  }
  return Number(value);
}

function parseHttpUrl(flag: string, value: string): string {
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

function parsePublicUrl(value: string | undefined, host: string): string | undefined {
  const loopbackBind = isLoopbackHostname(host);
  if (value === undefined) {
    if (!loopbackBind) {
      throw new UsageError(
        `binding ${host} without TLS would expose tokens on the network`,
        'Bind 127.0.0.1, or run behind a TLS reverse proxy and pass --public-url https://<your-host>.',
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
