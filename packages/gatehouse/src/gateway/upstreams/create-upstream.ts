import type { UpstreamOptions } from '../../cli/serve-options.js';
import { createDemoServerFactory } from '../demo-server.js';
import type { GatewayLogger } from '../logger.js';
import { createHttpRelay } from './http-relay.js';
import { loadModuleUpstream } from './module-upstream.js';
import { startStdioUpstream } from './stdio-upstream.js';
import type { Upstream } from './upstream.js';

/** What upstreams need from the process around them. */
export interface UpstreamRuntime {
  readonly log: GatewayLogger;
  /** The environment `--pass-env` reads from. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Where `--module` paths are resolved and stdio children run. */
  readonly cwd: string;
}

/** Starts (or loads) the upstream `options` describe. */
export async function createUpstream(options: UpstreamOptions, runtime: UpstreamRuntime): Promise<Upstream> {
  switch (options.kind) {
    case 'demo':
      return {
        description: 'built-in demo MCP server',
        factory: createDemoServerFactory(),
        close: async () => {},
      };
    case 'module':
      return loadModuleUpstream(options.file, runtime.cwd);
    case 'stdio':
      return startStdioUpstream({
        command: options.command,
        args: options.args,
        maxProcesses: options.maxProcesses,
        idleTimeoutMs: options.idleTimeoutMs,
        passEnv: options.passEnv,
        env: runtime.env,
        cwd: runtime.cwd,
        log: runtime.log,
      });
    case 'http': {
      const relay = createHttpRelay({ url: options.url, headers: options.headers, log: runtime.log });
      await relay.checkReachable();
      return {
        description: `HTTP: ${options.url}${describeHeaders(options.headers)}`,
        relay,
        close: async () => {},
      };
    }
  }
}

/** The names of the static upstream headers, never their values. */
function describeHeaders(headers: Readonly<Record<string, string>>): string {
  const names = Object.keys(headers);
  return names.length === 0 ? '' : ` (sending ${names.join(', ')})`;
}
