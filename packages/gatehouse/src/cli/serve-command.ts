import { resolve } from 'node:path';
import { redactConnectionString } from '@gatehouse/authorization-server';
import { createGatewayLogger } from '../gateway/logger.js';
import { startGateway } from '../gateway/start-gateway.js';
import type { CliCommand, CliIo } from './io.js';
import { parseServeOptions, SERVE_DEFAULTS, SERVE_HELP } from './serve-options.js';

/** `gatehouse serve`: authorization server + resource server + MCP endpoint in one process. */
export const serveCommand: CliCommand = {
  name: 'serve',
  stopsOnSignal: true,
  summary: 'put OAuth 2.1 in front of an MCP server',
  run: serve,
};

async function serve(args: readonly string[], io: CliIo): Promise<number> {
  const options = parseServeOptions(args, io.env);
  if (options === 'help') {
    io.stdout(SERVE_HELP);
    return 0;
  }
  const cwd = io.cwd ?? process.cwd();
  const log = createGatewayLogger({ level: options.logLevel ?? SERVE_DEFAULTS.logLevel, write: io.stderr });
  const gateway = await startGateway(options, { log, env: io.env, cwd });
  const setupUrl = await gateway.setupUrl();
  const data =
    options.issuer !== undefined
      ? 'none (external issuer)'
      : options.database !== undefined
        ? redactConnectionString(options.database)
        : resolve(cwd, options.dataDir);
  log.info({ mcp: gateway.mcpUrl, issuer: gateway.issuer, upstream: gateway.upstreamDescription }, 'serving');
  io.stdout(
    [
      'gatehouse serve',
      `  MCP endpoint       ${gateway.mcpUrl}`,
      `  resource metadata  ${gateway.metadataUrl}`,
      `  issuer             ${gateway.issuer}`,
      `  signing keys       ${gateway.keysLocation}`,
      `  data               ${data}`,
      `  upstream           ${gateway.upstreamDescription}`,
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
  log.info({ signal }, 'shutting down: finishing in-flight requests, stopping upstream processes');
  await gateway.close();
  log.info('stopped');
  log.flush();
  return 0;
}
