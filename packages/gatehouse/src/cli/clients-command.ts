/** `gatehouse clients list|show|revoke`: the OAuth clients registered with the embedded authorization server. */
import { findClient, listClients, publicClientMetadata, revokeClient } from '../admin/clients.js';
import { listGrants } from '../admin/grants.js';
import { defineAdminCommand } from './admin-command.js';
import { ADMIN_STORAGE_HELP, withAdminStorage } from './admin-storage.js';
import { CommandFailed } from './command-failed.js';
import { formatTable, formatTime } from './text-table.js';

/** The help text of `gatehouse clients`. */
export const CLIENTS_HELP = `Usage: gatehouse clients <subcommand> [options]

Shows and revokes the OAuth clients registered (RFC 7591 dynamic client registration) with the
embedded authorization server. Client secrets and registration access tokens are never shown.

Subcommands:
  list                     client id, name, authentication method, registration time
  show <client_id>         the client's registered metadata and its grants
  revoke <client_id>       delete the registration and revoke every grant and token of the
                           client; a running server refuses them from its next request
                           (issued access tokens stay valid until they expire, 10 minutes by
                           default). Where registration is open, the client may register again.

Options:
${ADMIN_STORAGE_HELP}
  -h, --help               show this help

Examples:
  gatehouse clients list
  gatehouse clients show 3xT9k2…
  gatehouse clients revoke 3xT9k2… --data-dir /var/lib/gatehouse
`;

function notFound(clientId: string): CommandFailed {
  return new CommandFailed(`no client "${clientId}"`, {
    hint: 'Run "gatehouse clients list" to see the clients.',
  });
}

function formatValue(value: unknown): string {
  if (Array.isArray(value) && value.every((item) => typeof item === 'string'))
    return value.join(', ') || '(none)';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

/** `gatehouse clients`. */
export const clientsCommand = defineAdminCommand({
  name: 'clients',
  summary: 'list, show or revoke registered OAuth clients',
  help: CLIENTS_HELP,
  subcommands: {
    list: {
      async run({ storage, io }) {
        return withAdminStorage(storage, { create: false }, async ({ storage: store }) => {
          const clients = await listClients(store);
          if (clients.length === 0) {
            io.stdout('No registered clients.\n');
            return 0;
          }
          io.stdout(
            formatTable(
              ['CLIENT ID', 'NAME', 'AUTH', 'REGISTERED'],
              clients.map((client) => [
                client.clientId,
                client.name ?? '-',
                client.authMethod,
                formatTime(client.createdAt),
              ]),
            ),
          );
          return 0;
        });
      },
    },
    show: {
      args: ['client_id'],
      async run({ args, storage, io }) {
        const clientId = args.client_id as string;
        return withAdminStorage(storage, { create: false }, async ({ storage: store }) => {
          const payload = await findClient(store, clientId);
          if (payload === undefined) throw notFound(clientId);
          const metadata = publicClientMetadata(payload);
          const width = Math.max(...Object.keys(metadata).map((name) => name.length)) + 2;
          const lines = Object.entries(metadata)
            .sort(([a], [b]) => (a < b ? -1 : 1))
            .map(([name, value]) => `${`${name}:`.padEnd(width)}${formatValue(value)}`);
          const grants = (await listGrants(store)).filter((grant) => grant.clientId === clientId);
          lines.push(
            '',
            `grants: ${grants.length}${grants.length > 0 ? ' (gatehouse grants list shows them)' : ''}`,
          );
          io.stdout(`${lines.join('\n')}\n`);
          return 0;
        });
      },
    },
    revoke: {
      args: ['client_id'],
      async run({ args, storage, io }) {
        const clientId = args.client_id as string;
        return withAdminStorage(storage, { create: false }, async ({ storage: store }) => {
          const revoked = await revokeClient(store, clientId);
          if (!revoked.registered && revoked.grants === 0 && revoked.tokens === 0) throw notFound(clientId);
          io.stdout(
            `Revoked client "${clientId}": ${revoked.registered ? 'registration deleted, ' : ''}` +
              `${revoked.grants} grant(s) and ${revoked.tokens} other stored token(s) revoked.\n` +
              'Access tokens already issued stay valid until they expire (10 minutes by default).\n',
          );
          return 0;
        });
      },
    },
  },
});
