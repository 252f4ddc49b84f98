import type { CliCommand, CliIo } from '../io.js';
import { AUTHORIZING_FLAGS, AUTHORIZING_FLAGS_HELP, startServerCommand } from './client-options.js';
import { storedEntryFor, withMcpClient } from './mcp-session.js';

export const TOKEN_HELP = `Usage: gatehouse token <url> [options]

Prints a valid access token for the MCP server to stdout, for scripts: the stored one, renewed
first when it is about to expire; signs in when there is none. This is the only command that
prints a token. Treat the output as a password: do not log it, do not paste it anywhere.

${AUTHORIZING_FLAGS_HELP}
  -h, --help                    show this help

Examples:
  curl -H "Authorization: Bearer $(gatehouse token https://mcp.example.com/mcp)" ...
  gatehouse token http://127.0.0.1:8080/mcp --no-browser
`;

/** `gatehouse token <url>`: prints a valid access token. */
export const tokenCommand: CliCommand = {
  name: 'token',
  summary: 'print a valid access token for scripts',
  run: token,
};

async function token(args: readonly string[], io: CliIo): Promise<number> {
  const start = startServerCommand('token', args, io, AUTHORIZING_FLAGS, TOKEN_HELP);
  if (start === undefined) return 0;
  const { serverUrl: resource, store, options } = start;
  // One initialize through authFetch: renews an expiring token, or authorizes on the server's 401;
  // the server's acceptance proves the token works.
  await withMcpClient(resource, options, async () => undefined);
  const entry = await storedEntryFor(store, resource, options.preRegistered?.clientId);
  if (entry === undefined) {
    io.stderr(`gatehouse: ${resource} asked for no authorization: there is no token to print\n`);
    return 1;
  }
  io.stdout(`${entry.tokens.access_token}\n`);
  return 0;
}
