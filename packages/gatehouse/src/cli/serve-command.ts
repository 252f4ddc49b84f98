import { startGateway } from '../gateway/start-gateway.js';
import type { CliCommand, CliIo } from './io.js';
import { parseServeOptions, SERVE_HELP } from './serve-options.js';

/** `gatehouse serve`: authorization server + resource server + MCP endpoint in one process. */
export const serveCommand: CliCommand = {
  name: 'serve',
  summary: 'put OAuth 2.1 in front of an MCP server',
  run: serve,
};

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
