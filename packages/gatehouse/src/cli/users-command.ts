/** `gatehouse users add|list|remove|passwd`: the local accounts of the embedded authorization server. */
import {
  ACCOUNT_DEFAULTS,
  AccountConflict,
  type AccountRecord,
  createAccountService,
  type Storage,
} from '@gatehouse/authorization-server';
import { removeAccount } from '../admin/accounts.js';
import { defineAdminCommand } from './admin-command.js';
import { ADMIN_STORAGE_HELP, withAdminStorage } from './admin-storage.js';
import { CommandFailed } from './command-failed.js';
import { readNewPassword } from './password-input.js';
import { formatTable, formatTime } from './text-table.js';
import { UsageError } from './usage-error.js';

/** The help text of `gatehouse users`. */
export const USERS_HELP = `Usage: gatehouse users <subcommand> [options]

Manages the local accounts people sign in with at the embedded authorization server. Works on
the data directory of \`gatehouse serve\`, also while it runs: changes apply at the next sign-in.

Subcommands:
  add <username>           create an account (the database is created if missing)
  list                     username, id, creation time and lockout state (never password hashes)
  remove <username>        delete an account, revoking its grants, tokens and sign-in sessions
  passwd <username>        set a new password (also lifts a lockout)

Options:
  --password-stdin         add, passwd: read the password from the first line of standard input
                           instead of prompting (for scripts); without it the password is asked
                           twice on the terminal, without echo. Passwords are never accepted as
                           command-line arguments.
${ADMIN_STORAGE_HELP}
  -h, --help               show this help

Passwords: ${ACCOUNT_DEFAULTS.passwordMinLength} to ${ACCOUNT_DEFAULTS.passwordMaxLength} characters, not the username; no other composition rules
(NIST SP 800-63B). Usernames are unique regardless of case.

Examples:
  gatehouse users add alice
  printf '%s\\n' "$ALICE_PASSWORD" | gatehouse users add alice --password-stdin
  gatehouse users list --data-dir /var/lib/gatehouse
  gatehouse users passwd alice
  gatehouse users remove alice
`;

const passwordFlags = { 'password-stdin': { type: 'boolean' } } as const;

async function findAccount(storage: Storage, username: string): Promise<AccountRecord> {
  const account = await storage.accounts.findByUsername(username.normalize('NFC').trim());
  if (account === undefined) {
    throw new CommandFailed(`no user "${username}"`, {
      hint: 'Run "gatehouse users list" to see the users.',
    });
  }
  return account;
}

/** Runs an account-service call, turning its policy errors (TypeError, ERR_INVALID_ARG_*) into usage errors. */
async function applyPolicy<T>(action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (error instanceof AccountConflict)
      throw new CommandFailed('that username is already taken (usernames are unique regardless of case)');
    const code = (error as { code?: unknown }).code;
    if (error instanceof TypeError && typeof code === 'string' && code.startsWith('ERR_INVALID_ARG')) {
      throw new UsageError(error.message.replace(/^"(\w+)"/, '$1'));
    }
    throw error;
  }
}

function lockState(account: AccountRecord, now: number): string {
  return account.lockedUntil !== null && account.lockedUntil > now
    ? `until ${formatTime(account.lockedUntil)}`
    : 'no';
}

/** `gatehouse users`. */
export const usersCommand = defineAdminCommand({
  name: 'users',
  summary: 'add, list, remove local accounts, or set a password',
  help: USERS_HELP,
  subcommands: {
    add: {
      args: ['username'],
      flags: passwordFlags,
      async run({ args, flags, storage, io }) {
        const username = args.username as string;
        return withAdminStorage(storage, { create: true }, async ({ storage: store, location }) => {
          // Before the prompt: nobody should type a password twice to learn that the name is taken.
          if (await store.accounts.findByUsername(username.normalize('NFC').trim())) {
            throw new CommandFailed(
              `user "${username}" already exists (usernames are unique regardless of case)`,
              {
                hint: `To change its password: gatehouse users passwd ${username}`,
              },
            );
          }
          const password = await readNewPassword(io, {
            fromStdin: flags['password-stdin'] === true,
            label: `add ${username}`,
          });
          const account = await applyPolicy(() => createAccountService(store).create(username, password));
          io.stdout(`Created user "${account.username}" (id ${account.id}) in ${location}.\n`);
          return 0;
        });
      },
    },
    list: {
      async run({ storage, io }) {
        return withAdminStorage(storage, { create: false }, async ({ storage: store }) => {
          const accounts = await store.accounts.list();
          if (accounts.length === 0) {
            io.stdout('No users yet. Create one with: gatehouse users add <username>\n');
            return 0;
          }
          const now = Math.floor(Date.now() / 1000);
          io.stdout(
            formatTable(
              ['USERNAME', 'ID', 'CREATED', 'LOCKED'],
              accounts
                .sort((a, b) => a.createdAt - b.createdAt)
                .map((account) => [
                  account.username,
                  account.id,
                  formatTime(account.createdAt),
                  lockState(account, now),
                ]),
            ),
          );
          return 0;
        });
      },
    },
    remove: {
      args: ['username'],
      async run({ args, storage, io }) {
        return withAdminStorage(storage, { create: false }, async ({ storage: store }) => {
          const account = await findAccount(store, args.username as string);
          const removed = await removeAccount(store, account);
          io.stdout(
            `Removed user "${account.username}"; revoked ${removed.grants} grant(s) with their refresh tokens and ended ${removed.sessions} sign-in session(s).\n` +
              'Access tokens already issued stay valid until they expire (10 minutes by default).\n',
          );
          return 0;
        });
      },
    },
    passwd: {
      args: ['username'],
      flags: passwordFlags,
      async run({ args, flags, storage, io }) {
        return withAdminStorage(storage, { create: false }, async ({ storage: store }) => {
          const account = await findAccount(store, args.username as string);
          const password = await readNewPassword(io, {
            fromStdin: flags['password-stdin'] === true,
            label: `passwd ${account.username}`,
          });
          await applyPolicy(() => createAccountService(store).setPassword(account.id, password));
          io.stdout(`Changed the password of "${account.username}".\n`);
          return 0;
        });
      },
    },
  },
});
