import { ProtocolError } from '@gatehouse/core';
import { COMMANDS } from './commands.js';
import type { CliIo } from './io.js';
import { UsageError } from './usage-error.js';

export type { CliCommand, CliIo } from './io.js';

function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length)) + 2;
  return [
    'Usage: gatehouse <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((command) => `  ${command.name.padEnd(width)}${command.summary}`),
    '',
    'Options:',
    '  -h, --help     show this help',
    '  -v, --version  show the version',
    '',
    'Run "gatehouse <command> --help" for the options and examples of a command.',
    '',
  ].join('\n');
}

/**
 * Runs the `gatehouse` command line and resolves with the process exit code: 0 success, 1 failure
 * at run time, 2 bad usage. Only `bin.ts` calls `process.exit`.
 */
export async function runCli(args: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = args;
  try {
    switch (name) {
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        io.stdout(mainHelp());
        return name === undefined ? 2 : 0;
      case '-v':
      case '--version':
        io.stdout('0.1.0\n');
        return 0;
    }
    const command = COMMANDS.find((candidate) => candidate.name === name);
    if (command === undefined) {
      throw new UsageError(`unknown command "${name}"`, 'Run "gatehouse --help" for the list of commands.');
    }
    return await command.run(rest, io);
  } catch (error) {
    return reportError(error, io);
  }
}

function reportError(error: unknown, io: CliIo): number {
  if (error instanceof UsageError) {
    io.stderr(`gatehouse: ${error.message}\n${error.hint ? `${error.hint}\n` : ''}`);
    return error.exitCode;
  }
  if (error instanceof ProtocolError) {
    io.stderr(`gatehouse: ${error.message}\n`);
    return 1;
  }
  const code = (error as { code?: unknown }).code;
  if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
    io.stderr(`gatehouse: cannot listen: ${(error as Error).message}\nChoose another --port or --host.\n`);
    return 1;
  }
  if (error instanceof TypeError && typeof code === 'string' && code.startsWith('ERR_')) {
    io.stderr(`gatehouse: ${error.message}\n`);
    return 2;
  }
  io.stderr(`gatehouse: ${(error as Error)?.message ?? String(error)}\n`);
  return 1;
}
