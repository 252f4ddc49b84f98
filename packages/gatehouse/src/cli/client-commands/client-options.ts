/**
 * What the client commands (`login`, `logout`, `status`, `token`, `tools`, `call`, `connect`) share:
 * the command line parser, the server URL check, the file token store, and the `authFetch` options
 * built from the flags and the environment (issue 5 item 2).
 */
import { isAbsolute, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  type AuthFetchOptions,
  createFileStore,
  createKeychainStore,
  type FileTokenStore,
  KeychainError,
  type KeychainTokenStore,
} from '@gatehouse/client';
import { canonicalResourceUri, isLoopbackHostname } from '@gatehouse/core';
import { withDashIds } from '../dash-ids.js';
import type { CliIo } from '../io.js';
import { UsageError } from '../usage-error.js';

/** Flags every client command takes. */
const STORE_FLAGS = {
  store: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Flags of the commands that may authorize (`login`, `token`, `tools`, `call`, `connect`). */
export const AUTHORIZING_FLAGS = {
  ...STORE_FLAGS,
  'client-id': { type: 'string' },
  'client-secret': { type: 'string' },
  'client-metadata-url': { type: 'string' },
  scope: { type: 'string', multiple: true },
  'callback-port': { type: 'string' },
  'no-browser': { type: 'boolean' },
  device: { type: 'boolean' },
} as const;

/** Flags of `logout` (the client credentials authenticate the revocation request). */
export const LOGOUT_FLAGS = {
  ...STORE_FLAGS,
  'client-id': { type: 'string' },
  'client-secret': { type: 'string' },
} as const;

/** Flags of `status`. */
export const STATUS_FLAGS = { ...STORE_FLAGS, json: { type: 'boolean' } } as const;

/** The help lines of the `--store` flag alone. */
export const STORE_FLAG_HELP = `  --store <dir>                 the token store directory (env GATEHOUSE_STORE; default
                                $XDG_CONFIG_HOME/gatehouse, else ~/.config/gatehouse);
                                "keychain": the secrets in the OS keychain (Linux Secret
                                Service via secret-tool, macOS Keychain)
`;

/** The help lines of {@link AUTHORIZING_FLAGS}. */
export const AUTHORIZING_FLAGS_HELP = `Authorization:
  --client-id <id>              a client registered out of band with the authorization server
                                (env MCP_CLIENT_ID; default: registered for you, CIMD or dynamic)
  --client-secret <secret>      its secret, for a confidential client (prefer env
                                MCP_CLIENT_SECRET: a command-line argument is visible to other
                                users of this machine)
  --client-metadata-url <url>   this client's Client ID Metadata Document (https URL)
  --scope <scope>               scopes to ask for (repeatable, or space-separated; default: what
                                the server asks for)
  --callback-port <n>           fixed port of the loopback redirect (n or n-m; default: any free
                                port). Needed when the client was registered with a fixed port
  --no-browser                  do not open a browser here: sign in on another device with a
                                code (device authorization grant, RFC 8628) when the server
                                offers it, else print the URL and wait (SSH, containers)
  --device                      always use the device authorization grant: a URL and a code to
                                enter on any device (phone, laptop). Chosen on its own in an SSH
                                session or without a display, when the server offers it

Storage:
${STORE_FLAG_HELP}`;

type FlagSpec = Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }>;
type Values = Record<string, string | boolean | string[] | undefined>;

/** A parsed command line: the flag values and the positional arguments. */
export interface CommandLine {
  readonly values: Values;
  readonly positionals: readonly string[];
}

/**
 * Parses `args` against `flags` (unknown flags are errors) and checks the count of positionals. A
 * client id or secret beginning with '-' is read as the value of its flag (`dash-ids.ts`).
 * Returns `'help'` for `--help`; throws {@link UsageError} otherwise.
 */
export function parseCommandLine(
  command: string,
  args: readonly string[],
  flags: FlagSpec,
  positionals: { readonly min: number; readonly max: number; readonly usage: string },
): CommandLine | 'help' {
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({
      args: withDashIds(args, flags),
      options: flags,
      allowPositionals: true,
      strict: true,
    }) as typeof parsed;
  } catch (error) {
    throw new UsageError(
      (error as Error).message,
      `Run "gatehouse ${command} --help" for the list of options.`,
    );
  }
  if (parsed.values.help === true) return 'help';
  if (parsed.positionals.length < positionals.min) {
    throw new UsageError(
      `missing argument: ${positionals.usage}`,
      `Run "gatehouse ${command} --help" for examples.`,
    );
  }
  if (parsed.positionals.length > positionals.max) {
    throw new UsageError(
      `unexpected argument "${parsed.positionals[positionals.max]}"`,
      `Usage: ${positionals.usage}`,
    );
  }
  return parsed;
}

/**
 * The MCP server URL given on the command line, canonical (RFC 8707 resource form): https, or http
 * on a loopback host (development). Anything else is a {@link UsageError}.
 */
export function parseServerUrl(value: string): string {
  const url = URL.parse(value);
  if (url === null || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw new UsageError(
      `"${value.slice(0, 100)}" is not an MCP server URL`,
      'Example: https://mcp.example.com/mcp',
    );
  }
  if (url.protocol === 'http:' && !isLoopbackHostname(url.hostname)) {
    throw new UsageError(
      'the MCP server URL must use https',
      'Plain http is only accepted for loopback addresses (127.0.0.1, ::1, localhost).',
    );
  }
  try {
    return canonicalResourceUri(url);
  } catch (error) {
    throw new UsageError(`the MCP server URL is not usable: ${(error as Error).message}`);
  }
}

/** The token store of a client command: files in a directory, or the OS keychain. */
export type CliTokenStore = FileTokenStore | KeychainTokenStore;

/**
 * The token store: `--store`, else `GATEHOUSE_STORE`, else the default directory. The value
 * `keychain` is the OS keychain store (its index and locks in the default directory; a directory
 * named so is `./keychain`).
 */
export function openStore(values: Values, io: CliIo): CliTokenStore {
  const given = (values.store as string | undefined) ?? io.env.GATEHOUSE_STORE;
  if (given === undefined) return createFileStore({ env: io.env });
  if (given === '') throw new UsageError('--store needs a directory');
  if (given === 'keychain') {
    try {
      return createKeychainStore({ env: io.env });
    } catch (error) {
      if (error instanceof KeychainError) throw new UsageError(`--store keychain: ${error.message}`);
      throw error;
    }
  }
  const directory = isAbsolute(given) ? given : resolve(io.cwd ?? process.cwd(), given);
  return createFileStore({ directory });
}

function parseCallbackPort(value: string): number | { from: number; to: number } {
  const match = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(value);
  const from = Number(match?.[1]);
  const to = match?.[2] === undefined ? from : Number(match[2]);
  if (match === null || from < 1 || to > 65_535 || to < from) {
    throw new UsageError(`invalid --callback-port "${value}"`, 'Give a port (8765) or a range (8765-8775).');
  }
  return from === to ? from : { from, to };
}

function parseHttpsUrl(flag: string, value: string): string {
  const url = URL.parse(value);
  if (url === null || url.protocol !== 'https:' || url.hash !== '' || url.username !== '') {
    throw new UsageError(`${flag} must be an https URL without a fragment or credentials`);
  }
  return value;
}

/** The pre-registered client from the flags, else `MCP_CLIENT_ID` / `MCP_CLIENT_SECRET`. */
export function preRegisteredClient(
  values: Values,
  io: CliIo,
): { clientId: string; clientSecret?: string } | undefined {
  const secretFlag = values['client-secret'] as string | undefined;
  if (secretFlag !== undefined) {
    io.stderr(
      'gatehouse: warning: --client-secret is visible to other users of this machine (process list, shell history); prefer the MCP_CLIENT_SECRET environment variable.\n',
    );
  }
  const clientId = (values['client-id'] as string | undefined) ?? io.env.MCP_CLIENT_ID;
  const clientSecret = secretFlag ?? io.env.MCP_CLIENT_SECRET;
  if (clientId === undefined || clientId === '') {
    if (secretFlag !== undefined) {
      throw new UsageError('--client-secret needs a client id', 'Pass --client-id or set MCP_CLIENT_ID.');
    }
    return undefined;
  }
  return { clientId, ...(clientSecret === undefined || clientSecret === '' ? {} : { clientSecret }) };
}

/** The scopes of `--scope` (repeatable, each possibly space-separated), or `undefined`. */
export function requestedScopes(values: Values): string[] | undefined {
  const given = values.scope as string[] | undefined;
  if (given === undefined) return undefined;
  const scopes = [...new Set(given.flatMap((entry) => entry.split(/\s+/)).filter((s) => s !== ''))];
  if (scopes.length === 0 || !scopes.every((s) => /^[\x21\x23-\x5b\x5d-\x7e]+$/.test(s))) {
    throw new UsageError('--scope needs scope names', 'Example: --scope "mcp:read mcp:write"');
  }
  return scopes;
}

/**
 * The `authFetch` options of a client command (everything but `serverUrl`): the file store, the
 * client's identity, scopes, the loopback listener's port, and where the authorization URL goes
 * (always printed to stderr; a browser opened unless `--no-browser`), and the grant: `--device`
 * forces the device authorization grant; otherwise `authFetch`'s `'auto'` picks it when the server
 * offers it and no browser can be opened here (`--no-browser`, an SSH session, no display).
 */
export function authFetchOptions(
  values: Values,
  io: CliIo,
  serverUrl: string,
  store: CliTokenStore,
): Omit<AuthFetchOptions, 'serverUrl'> {
  const preRegistered = preRegisteredClient(values, io);
  const metadataUrl = values['client-metadata-url'] as string | undefined;
  const port = values['callback-port'] as string | undefined;
  const scope = requestedScopes(values);
  return {
    store,
    clientName: 'Gatehouse CLI',
    flow: values.device === true ? 'device' : 'auto',
    ...(preRegistered === undefined ? {} : { preRegistered }),
    ...(metadataUrl === undefined
      ? {}
      : { clientMetadataUrl: parseHttpsUrl('--client-metadata-url', metadataUrl) }),
    ...(scope === undefined ? {} : { scope }),
    // A development server on loopback: its metadata and endpoints are on loopback too.
    ...(isLoopbackHostname(new URL(serverUrl).hostname) ? { policy: { allowLoopback: true } } : {}),
    authorization: {
      stderr: { write: (text: string) => io.stderr(text) },
      env: io.env,
      // --no-browser: the device grant when offered, else print and wait. An injected opener is
      // used even without a display.
      ...(values['no-browser'] === true
        ? { headless: true }
        : io.openBrowser === undefined
          ? {}
          : { headless: false, openBrowser: io.openBrowser }),
      ...(port === undefined ? {} : { listener: { port: parseCallbackPort(port) } }),
    },
  };
}

/** What {@link startServerCommand} resolves: the command line, the server URL, the store and the `authFetch` options. */
export interface ServerCommandStart {
  readonly line: CommandLine;
  /** The MCP server URL, canonical ({@link parseServerUrl}). */
  readonly serverUrl: string;
  readonly store: CliTokenStore;
  readonly options: Omit<AuthFetchOptions, 'serverUrl'>;
}

/**
 * The start of `gatehouse <command> <url>` for the commands that may authorize: parses `args`
 * against `flags` (one positional, the MCP server URL); for `--help` writes `help` to stdout and
 * returns `undefined`; otherwise checks the URL, opens the token store and builds the `authFetch`
 * options. Throws {@link UsageError} for a bad command line.
 */
export function startServerCommand(
  command: string,
  args: readonly string[],
  io: CliIo,
  flags: FlagSpec,
  help: string,
): ServerCommandStart | undefined {
  const line = parseCommandLine(command, args, flags, {
    min: 1,
    max: 1,
    usage: `gatehouse ${command} <url>`,
  });
  if (line === 'help') {
    io.stdout(help);
    return undefined;
  }
  const serverUrl = parseServerUrl(line.positionals[0] as string);
  const store = openStore(line.values, io);
  return { line, serverUrl, store, options: authFetchOptions(line.values, io, serverUrl, store) };
}
