import type { StoreKey, TokenStore } from '@gatehouse/client';
import type { CliCommand, CliIo } from '../io.js';
import {
  AUTHORIZING_FLAGS,
  AUTHORIZING_FLAGS_HELP,
  requestedScopes,
  startServerCommand,
} from './client-options.js';
import { describeExpiry, storedEntryFor, withMcpClient } from './mcp-session.js';

export const LOGIN_HELP = `Usage: gatehouse login <url> [options]

Signs in to a protected MCP server and keeps the tokens in the token store, so that later
"gatehouse connect", "tools", "call" and "token" commands need no browser. Opens the system
browser at the authorization server (the URL is also printed to stderr). Without a browser
here (--no-browser, an SSH session, no display) or with --device: prints a URL and a code to
enter on any other device (phone, laptop) and waits, when the server offers that (the device
authorization grant); else prints the sign-in URL and waits for you to open it elsewhere.
Already signed in with the scopes asked for: nothing to do.

${AUTHORIZING_FLAGS_HELP}
  -h, --help                    show this help

Examples:
  gatehouse login https://mcp.example.com/mcp
  gatehouse login https://mcp.example.com/mcp --scope "mcp:read mcp:write"
  MCP_CLIENT_ID=my-app gatehouse login https://mcp.example.com/mcp --callback-port 8765
  gatehouse login http://127.0.0.1:8080/mcp --no-browser
  gatehouse login https://mcp.example.com/mcp --device
`;

/** `gatehouse login <url>`: authorize now and store the tokens. */
export const loginCommand: CliCommand = {
  name: 'login',
  summary: 'sign in to a protected MCP server and store its tokens',
  run: login,
};

/** A store that remembers whether tokens were written (a new authorization or a refresh). */
function watchWrites(store: TokenStore): { store: TokenStore; written: () => StoreKey | undefined } {
  let written: StoreKey | undefined;
  const watched: TokenStore = Object.create(store);
  watched.set = async (key, tokens) => {
    await store.set(key, tokens);
    written = key;
  };
  return { store: watched, written: () => written };
}

async function login(args: readonly string[], io: CliIo): Promise<number> {
  const start = startServerCommand('login', args, io, AUTHORIZING_FLAGS, LOGIN_HELP);
  if (start === undefined) return 0;
  const { line, serverUrl: resource, store: fileStore, options } = start;
  const clientId = options.preRegistered?.clientId;

  // Scopes asked for that the stored token lacks: sign in again (the server would not grant them
  // on a refresh), keeping the client registration.
  const wanted = requestedScopes(line.values) ?? [];
  const held = await storedEntryFor(fileStore, resource, clientId);
  const heldScopes = new Set(held?.summary.scope?.split(' ') ?? []);
  if (held !== undefined && wanted.some((scope) => !heldScopes.has(scope))) {
    await fileStore.delete(held.summary.key);
  }

  const { store, written } = watchWrites(fileStore);
  const server = await withMcpClient(resource, { ...options, store }, async (client) =>
    client.getServerVersion(),
  );
  const entry = await storedEntryFor(fileStore, resource, clientId);
  if (entry === undefined) {
    io.stdout(`Connected to ${resource}; it asked for no authorization, so nothing was stored.\n`);
    return 0;
  }
  const { key, scope, expires_at, hasRefreshToken } = entry.summary;
  io.stdout(
    [
      written() === undefined ? `Already signed in to ${resource}.` : `Signed in to ${resource}.`,
      `  server         ${server?.name ?? 'unknown'} ${server?.version ?? ''}`.trimEnd(),
      `  issuer         ${key.issuer}`,
      `  client         ${key.clientId}`,
      `  scopes         ${scope ?? '(not stated)'}`,
      `  access token   ${describeExpiry(expires_at)}`,
      `  refresh token  ${hasRefreshToken ? 'stored (renewed automatically)' : 'none'}`,
      `  store          ${fileStore.directory}`,
      '',
    ].join('\n'),
  );
  return 0;
}
