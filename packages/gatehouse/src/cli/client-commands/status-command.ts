import type { CliCommand, CliIo } from '../io.js';
import {
  openStore,
  parseCommandLine,
  parseServerUrl,
  STATUS_FLAGS,
  STORE_FLAG_HELP,
} from './client-options.js';
import { describeExpiry } from './mcp-session.js';

export const STATUS_HELP = `Usage: gatehouse status [<url>] [options]

Shows what the token store holds: for each MCP server, the authorization server (issuer), the
client, the granted scopes, when the access token expires and whether a refresh token is kept.
Never shows a token. With <url>, only that server.

  --json                        print the entries as JSON (still without any token)
${STORE_FLAG_HELP}  -h, --help                    show this help

Examples:
  gatehouse status
  gatehouse status https://mcp.example.com/mcp --json
`;

/** `gatehouse status [<url>]`: what is stored, never the secret values. */
export const statusCommand: CliCommand = {
  name: 'status',
  summary: 'show the stored sign-ins (servers, scopes, expiry; never tokens)',
  run: status,
};

async function status(args: readonly string[], io: CliIo): Promise<number> {
  const line = parseCommandLine('status', args, STATUS_FLAGS, {
    min: 0,
    max: 1,
    usage: 'gatehouse status [<url>]',
  });
  if (line === 'help') {
    io.stdout(STATUS_HELP);
    return 0;
  }
  const resource = line.positionals[0] === undefined ? undefined : parseServerUrl(line.positionals[0]);
  const store = openStore(line.values, io);
  const listing = await store.list();
  const entries = listing.entries.filter(
    (entry) => resource === undefined || entry.key.resource === resource,
  );
  for (const problem of listing.problems) io.stderr(`gatehouse: ${problem.message}\n`);

  if (line.values.json === true) {
    const now = Date.now() / 1000;
    const json = entries.map((entry) => ({
      resource: entry.key.resource,
      issuer: entry.key.issuer,
      client_id: entry.key.clientId,
      scope: entry.scope ?? null,
      expires_at: entry.expires_at ?? null,
      expired: entry.expires_at === undefined ? null : entry.expires_at <= now,
      refresh_token_stored: entry.hasRefreshToken,
    }));
    io.stdout(`${JSON.stringify({ store: store.directory, entries: json }, null, 2)}\n`);
  } else if (entries.length === 0) {
    io.stdout(
      resource === undefined
        ? `No sign-ins stored in ${store.directory}.\n`
        : `Not signed in to ${resource} (store ${store.directory}).\n`,
    );
  } else {
    const lines = [`Token store ${store.directory}`, ''];
    for (const entry of entries) {
      lines.push(
        entry.key.resource,
        `  issuer         ${entry.key.issuer}`,
        `  client         ${entry.key.clientId}`,
        `  scopes         ${entry.scope ?? '(not stated)'}`,
        `  access token   ${describeExpiry(entry.expires_at)}`,
        `  refresh token  ${entry.hasRefreshToken ? 'stored' : 'none'}`,
        '',
      );
    }
    io.stdout(lines.join('\n'));
  }
  return listing.problems.length === 0 ? 0 : 1;
}
