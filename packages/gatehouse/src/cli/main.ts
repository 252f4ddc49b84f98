import { ProtocolError } from '@gatehouse/core';
import { startGateway } from '../gateway/start-gateway.js';
import { parseServeOptions, SERVE_HELP } from './serve-options.js';
import { UsageError } from './usage-error.js';

/** Where the CLI writes: injectable so tests can capture it. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Resolves when the process is asked to stop (SIGINT / SIGTERM). */
  readonly stopSignal: Promise<string>;
}

const MAIN_HELP = `Usage: gatehouse <command> [options]

Commands:
  serve     put OAuth 2.1 in front of an MCP server (run "gatehouse serve --help")

Options:
  -h, --help     show this help
  -v, --version  show the version
`;

/**
 * Runs the `gatehouse` command line and resolves with the process exit code: 0 success, 1 failure
 * at run time, 2 bad usage. Only `bin.ts` calls `process.exit`.
 */
export async function runCli(args: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = args;
  try {
    switch (command) {
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        io.stdout(MAIN_HELP);
        return command === undefined ? 2 : 0;
      case '-v':
      case '--version':
        io.stdout('0.1.0\n');
        return 0;
      case 'serve':
        return await serve(rest, io);
      default:
        throw new UsageError(
          `unknown command "${command}"`,
          'Run "gatehouse --help" for the list of commands.',
        );
    }
  } catch (error) {
    return reportError(error, io);
  }
}

async function serve(args: readonly string[], io: CliIo): Promise<number> {
  const options = parseServeOptions(args, io.env);
  if (options === 'help') {
    io.stdout(SERVE_HELP);
    return 0;
  }
  const gateway = await startGateway(options);
  const setupUrl = await gateway.setupUrl();
  io.stdout(
    [
      'gatehouse serve',
      `  MCP endpoint       ${gateway.mcpUrl}`,
      `  resource metadata  ${gateway.metadataUrl}`,
      `  issuer             ${gateway.issuer}`,
      `  signing keys       ${gateway.keysLocation}`,
      '  upstream           built-in demo MCP server',
      ...(setupUrl === undefined
        ? []
        : [
            '',
            'No account exists yet. Create the first one here (one-time link, valid for 1 hour):',
            `  ${setupUrl}`,
          ]),
      '',
      'Press Ctrl+C to stop.',
      '',
    ].join('\n'),
  );
  const signal = await io.stopSignal;
  io.stderr(`received ${signal}, finishing in-flight requests\n`);
  await gateway.close();
  return 0;
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
