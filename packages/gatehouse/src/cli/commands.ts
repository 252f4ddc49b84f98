import { callCommand } from './client-commands/call-command.js';
import { connectCommand } from './client-commands/connect-command.js';
import { loginCommand } from './client-commands/login-command.js';
import { logoutCommand } from './client-commands/logout-command.js';
import { statusCommand } from './client-commands/status-command.js';
import { tokenCommand } from './client-commands/token-command.js';
import { toolsCommand } from './client-commands/tools-command.js';
import { clientsCommand } from './clients-command.js';
import { grantsCommand } from './grants-command.js';
import type { CliCommand } from './io.js';
import { keysCommand } from './keys-command.js';
import { migrateCommand } from './migrate-command.js';
import { serveCommand } from './serve-command.js';
import { usersCommand } from './users-command.js';

/** Every `gatehouse` command, in the order `gatehouse --help` lists them. */
export const COMMANDS: readonly CliCommand[] = [
  serveCommand,
  connectCommand,
  loginCommand,
  logoutCommand,
  statusCommand,
  tokenCommand,
  toolsCommand,
  callCommand,
  usersCommand,
  clientsCommand,
  grantsCommand,
  keysCommand,
  migrateCommand,
];
