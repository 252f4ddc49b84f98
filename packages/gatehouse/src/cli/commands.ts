import type { CliCommand } from './io.js';
import { serveCommand } from './serve-command.js';

/** Every `gatehouse` command, in the order `gatehouse --help` lists them. */
export const COMMANDS: readonly CliCommand[] = [serveCommand];
