/** `gatehouse grants list|revoke`: users' consents to clients, and every token issued under them. */
import type { Storage } from '@gatehouse/authorization-server';
import { listGrants, revokeGrant } from '../admin/grants.js';
import { defineAdminCommand } from './admin-command.js';
import { ADMIN_STORAGE_HELP, withAdminStorage } from './admin-storage.js';
import { CommandFailed } from './command-failed.js';
import { formatTable, formatTime } from './text-table.js';

/** The help text of `gatehouse grants`. */
export const GRANTS_HELP = `Usage: gatehouse grants <subcommand> [options]

A grant is one user's consent to one client: the scopes and resources the client may ask tokens
for. Revoking a grant revokes every refresh token and code issued under it; the client must send
its user through sign-in and consent again.

Subcommands:
  list [--user <username>] [--client <client_id>]
                           grant id, user, client, scopes, resources, created, expires
  revoke <grant_id>        delete the grant and every token of it; a running server refuses
                           them from its next request (issued access tokens stay valid until
                           they expire, 10 minutes by default)

Options:
  --user <username>        list: only this user's grants
  --client <client_id>     list: only this client's grants
${ADMIN_STORAGE_HELP}
  -h, --help               show this help

Examples:
  gatehouse grants list
  gatehouse grants list --user alice
  gatehouse grants revoke Jq3…
`;

async function usernames(storage: Storage): Promise<Map<string, string>> {
  return new Map((await storage.accounts.list()).map((account) => [account.id, account.username]));
}

/** `gatehouse grants`. */
export const grantsCommand = defineAdminCommand({
  name: 'grants',
  summary: "list or revoke users' grants to clients, with their tokens",
  help: GRANTS_HELP,
  subcommands: {
    list: {
      flags: { user: { type: 'string' }, client: { type: 'string' } },
      async run({ flags, storage, io }) {
        return withAdminStorage(storage, { create: false }, async ({ storage: store }) => {
          let accountId: string | undefined;
          if (typeof flags.user === 'string') {
            const account = await store.accounts.findByUsername(flags.user.normalize('NFC').trim());
            if (account === undefined) {
              throw new CommandFailed(`no user "${flags.user}"`, {
                hint: 'Run "gatehouse users list" to see the users.',
              });
            }
            accountId = account.id;
          }
          const names = await usernames(store);
          const grants = (await listGrants(store)).filter(
            (grant) =>
              (accountId === undefined || grant.accountId === accountId) &&
              (typeof flags.client !== 'string' || grant.clientId === flags.client),
          );
          if (grants.length === 0) {
            io.stdout('No grants.\n');
            return 0;
          }
          io.stdout(
            formatTable(
              ['GRANT ID', 'USER', 'CLIENT', 'SCOPES', 'RESOURCES', 'CREATED', 'EXPIRES'],
              grants.map((grant) => [
                grant.id,
                (grant.accountId && names.get(grant.accountId)) ?? grant.accountId ?? '-',
                grant.clientId ?? '-',
                grant.scopes.join(' ') || '-',
                grant.resources.join(' ') || '-',
                formatTime(grant.createdAt),
                grant.expiresAt === null ? 'never' : formatTime(grant.expiresAt),
              ]),
            ),
          );
          return 0;
        });
      },
    },
    revoke: {
      args: ['grant_id'],
      async run({ args, storage, io }) {
        const grantId = args.grant_id as string;
        return withAdminStorage(storage, { create: false }, async ({ storage: store }) => {
          if (!(await revokeGrant(store, grantId))) {
            throw new CommandFailed(`no grant "${grantId}"`, {
              hint: 'Run "gatehouse grants list" to see the grants.',
            });
          }
          io.stdout(
            `Revoked grant "${grantId}" and every refresh token and code issued under it.\n` +
              'Access tokens already issued stay valid until they expire (10 minutes by default).\n',
          );
          return 0;
        });
      },
    },
  },
});
