import { ProtocolError } from '@gatehouse/core';
import { CommandFailed } from './command-failed.js';
import { COMMANDS } from './commands.js';
import { applyConfigFile, extractConfigFlag } from './config-file.js';
import type { CliIo } from './io.js';
import { redactUrls } from './redact-urls.js';
import { UsageError } from './usage-error.js';

export type { CliCommand, CliIo } from './io.js';

/** The exit code of a command stopped by SIGINT / SIGTERM (128 + SIGINT's number, as shells report it). */
const INTERRUPTED_EXIT_CODE = 130;

function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length)) + 2;
  return [
    'Usage: gatehouse <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((command) => `  ${command.name.padEnd(width)}${command.summary}`),
    '',
    'Options:',
    '  --config <file>  a gatehouse.config.json to read options from (before or after the',
    '                   command; env GATEHOUSE_CONFIG; default ./gatehouse.config.json if present)',
    '  -h, --help       show this help',
    '  -v, --version    show the version',
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
  try {
    const { args: commandArgs, configPath } = extractConfigFlag(args);
    const [name, ...rest] = commandArgs;
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
    // The configuration file is a layer under the environment: flags > GATEHOUSE_* > file.
    const env = await applyConfigFile(configPath, io.env, io.cwd ?? process.cwd());
    const running = command.run(rest, env === io.env ? io : { ...io, env });
    if (command.stopsOnSignal) return await running;
    // A command waiting on the user (a browser sign-in, a device code) stops at Ctrl+C, not after its timeout.
    return await Promise.race([
      running,
      io.stopSignal.then((signal) => {
        io.stderr(`gatehouse: interrupted (${signal})\n`);
        return INTERRUPTED_EXIT_CODE;
      }),
    ]);
  } catch (error) {
    return reportError(error, io);
  }
}

/** Prints `error` (every URL's password redacted, whoever wrote the message) and returns the exit code. */
function reportError(error: unknown, io: CliIo): number {
  return reportRedacted(error, { ...io, stderr: (text) => io.stderr(redactUrls(text)) });
}

function reportRedacted(error: unknown, io: CliIo): number {
  if (error instanceof UsageError || error instanceof CommandFailed) {
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
