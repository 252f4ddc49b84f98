export { type CliCommand, type CliIo, runCli } from './cli/main.js';
export {
  envNameOf,
  parseServeOptions,
  SERVE_DEFAULTS,
  SERVE_HELP,
  type ServeOptions,
  type UpstreamOptions,
} from './cli/serve-options.js';
export { UsageError } from './cli/usage-error.js';
export { createDemoServerFactory, DEMO_SCOPE_REQUIREMENTS, DEMO_WRITE_SCOPE } from './gateway/demo-server.js';
export { discoverJwksUri } from './gateway/discover-jwks-uri.js';
export { listen, type RunningHttpServer } from './gateway/listen.js';
export { createGatewayLogger, type GatewayLogger, LOG_LEVELS, type LogLevel } from './gateway/logger.js';
export { type GatewayRuntime, type RunningGateway, startGateway } from './gateway/start-gateway.js';
export { type Upstream, UpstreamUnavailableError } from './gateway/upstreams/upstream.js';
