/**
 * Test helpers for the upstream tests: a gateway in front of a given upstream, trusting a test
 * issuer (tokens minted directly, no sign-in), and SDK v2 clients with a bearer token.
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { TestIssuer } from '../../../../../test/support/test-issuer.js';
import type { ServeOptions, UpstreamOptions } from '../../cli/serve-options.js';
import { createGatewayLogger, type GatewayLogger } from '../logger.js';
import { type GatewayRuntime, type RunningGateway, startGateway } from '../start-gateway.js';

/** The repository root (fixtures and node_modules are resolved from it). */
export const REPO_ROOT = new URL('../../../../../', import.meta.url).pathname;

/** Absolute path of a file under test/fixtures. */
export function fixture(name: string): string {
  return `${REPO_ROOT}test/fixtures/${name}`;
}

/** A logger whose JSON lines are kept in memory for assertions. */
export function capturingLogger(): {
  log: GatewayLogger;
  lines: string[];
  records(): Record<string, unknown>[];
} {
  const lines: string[] = [];
  const log = createGatewayLogger({ level: 'debug', write: (line) => lines.push(line) });
  return { log, lines, records: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

/** Gateway options for `upstream`, trusting `issuer`, on 127.0.0.1 port 0. */
export function gatewayOptions(issuer: TestIssuer, upstream: UpstreamOptions): ServeOptions {
  return {
    upstream,
    host: '127.0.0.1',
    port: 0,
    publicUrl: undefined,
    issuer: issuer.issuer,
    jwksUri: issuer.jwksUri,
    dataDir: '.gatehouse-unused',
    registration: undefined,
    allowedOrigins: [],
    scopes: [],
  };
}

/** Starts a gateway in front of `upstream`. */
export function startUpstreamGateway(
  issuer: TestIssuer,
  upstream: UpstreamOptions,
  runtime: GatewayRuntime = {},
): Promise<RunningGateway> {
  return startGateway(gatewayOptions(issuer, upstream), runtime);
}

/** A token for `sub` / `client_id` with audience = the gateway's MCP URL. */
export function tokenFor(issuer: TestIssuer, gateway: RunningGateway, sub: string, clientId = 'test-client') {
  return issuer.mintAccessToken({ aud: gateway.mcpUrl, sub, client_id: clientId, scope: 'mcp:read' });
}

/** An SDK v2 client connected to `url` with a static bearer token. */
export async function connectWithToken(
  url: string,
  token: string,
  fetchImpl?: typeof fetch,
): Promise<Client> {
  const client = new Client({ name: 'upstream-test', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
      ...(fetchImpl === undefined ? {} : { fetch: fetchImpl }),
    }),
  );
  return client;
}

/** The text of the first content item of a tool result. */
export function textOf(result: unknown): string {
  const content = (result as { content?: { type: string; text?: string }[] }).content ?? [];
  return content[0]?.text ?? '';
}

/** Whether a process with this id is alive. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
