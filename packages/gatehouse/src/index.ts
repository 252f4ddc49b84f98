export { type CliCommand, type CliIo, runCli } from './cli/main.js';
export { parseServeOptions, SERVE_HELP, type ServeOptions } from './cli/serve-options.js';
export { UsageError } from './cli/usage-error.js';
export { createDemoServerFactory, DEMO_SCOPE_REQUIREMENTS, DEMO_WRITE_SCOPE } from './gateway/demo-server.js';
export { discoverJwksUri } from './gateway/discover-jwks-uri.js';
export { listen, type RunningHttpServer } from './gateway/listen.js';
export { type RunningGateway, startGateway } from './gateway/start-gateway.js';
