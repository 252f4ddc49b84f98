/**
 * The server processes of the gateway benchmark, each a child of the benchmark on 127.0.0.1:
 * `gatehouse serve -- node echo-server.ts` (the built CLI) and `supergateway --stdio "node
 * echo-server.ts" --outputTransport streamableHttp --stateful`. Their output goes to files in the
 * run's temporary directory (quoted when a start fails); every child is tracked until it has exited
 * and is killed when the benchmark process exits first.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';

const REPO_ROOT = new URL('../../', import.meta.url).pathname;
/** The stdio MCP server behind every path. */
export const ECHO_SERVER = new URL('./echo-server.ts', import.meta.url).pathname;
const GATEHOUSE_BIN = `${REPO_ROOT}packages/gatehouse/dist/bin.js`;
const SUPERGATEWAY_BIN = `${REPO_ROOT}node_modules/supergateway/dist/index.js`;
const LOOPBACK_ONLY = new URL('./loopback-only.ts', import.meta.url).href;
/** How long a server may take to be ready, and to stop after SIGTERM before it is killed. */
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;

/** A started server process. */
export interface ServerProcess {
  /** The MCP endpoint. */
  readonly mcpUrl: string;
  /** SIGTERM, then SIGKILL after {@link STOP_TIMEOUT_MS}; resolves once the process has exited. */
  stop(): Promise<void>;
}

/** A running `gatehouse serve`, with the one-time setup URL of its first account. */
export interface GatehouseProcess extends ServerProcess {
  /** The embedded authorization server's issuer. */
  readonly issuer: string;
  setupUrl(): Promise<string | undefined>;
}

const running = new Set<ChildProcess>();
process.once('exit', killServerProcesses);

/** SIGKILL to every server process still running (their stdio children exit with their stdin). */
export function killServerProcesses(): void {
  for (const child of running) child.kill('SIGKILL');
}

/**
 * Starts `gatehouse serve --port 0 --data-dir <dataDir> -- node echo-server.ts` from the built
 * package and reads its banner. `logLevel` is the `--log-level` flag.
 */
export async function startGatehouse(options: {
  dataDir: string;
  logFile: string;
  logLevel: string;
}): Promise<GatehouseProcess> {
  const child = spawnLogged(
    [
      GATEHOUSE_BIN,
      'serve',
      '--port',
      '0',
      '--data-dir',
      options.dataDir,
      '--log-level',
      options.logLevel,
      '--',
      process.execPath,
      ECHO_SERVER,
    ],
    options.logFile,
    'pipe',
  );
  const banner: string[] = [];
  const lines = createInterface({ input: child.process.stdout as NodeJS.ReadableStream });
  const ready = new Promise<void>((resolve) => {
    lines.on('line', (line) => {
      banner.push(line.trim());
      if (line.startsWith('Press Ctrl+C')) resolve();
    });
  });
  await within(ready, child, 'gatehouse serve', options.logFile);
  const field = (name: string) =>
    banner
      .find((line) => line.startsWith(`${name} `))
      ?.split(/\s+/)
      .at(-1);
  const mcpUrl = field('MCP endpoint');
  const issuer = field('issuer');
  if (mcpUrl === undefined || issuer === undefined) {
    await child.stop();
    throw new Error(`gatehouse serve printed no MCP endpoint or issuer:\n${banner.join('\n')}`);
  }
  const setup = banner.find((line) => line.startsWith('http') && line.includes('token='));
  return { mcpUrl, issuer, stop: child.stop, setupUrl: async () => setup };
}

/**
 * Starts supergateway (stateful Streamable HTTP: one child per MCP session) in front of
 * `node echo-server.ts`, bound to loopback by {@link LOOPBACK_ONLY}. `logLevel` is its
 * `--logLevel` flag.
 */
export async function startSupergateway(options: {
  logFile: string;
  logLevel: string;
}): Promise<ServerProcess> {
  const port = await freeLoopbackPort();
  const child = spawnLogged(
    [
      '--import',
      LOOPBACK_ONLY,
      SUPERGATEWAY_BIN,
      '--stdio',
      `${shellQuote(process.execPath)} ${shellQuote(ECHO_SERVER)}`,
      '--outputTransport',
      'streamableHttp',
      '--stateful',
      '--port',
      String(port),
      '--healthEndpoint',
      '/healthz',
      '--logLevel',
      options.logLevel,
    ],
    options.logFile,
    'ignore',
  );
  const origin = `http://127.0.0.1:${port}`;
  await within(untilHealthy(`${origin}/healthz`), child, 'supergateway', options.logFile);
  return { mcpUrl: `${origin}/mcp`, stop: child.stop };
}

interface LoggedChild {
  readonly process: ChildProcess;
  readonly exited: Promise<unknown>;
  stop(): Promise<void>;
}

/** Spawns `node <args>` with stderr (and stdout unless piped) appended to `logFile`. */
function spawnLogged(args: string[], logFile: string, stdout: 'pipe' | 'ignore'): LoggedChild {
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    stdio: ['ignore', stdout === 'pipe' ? 'pipe' : fd, fd],
  });
  closeSync(fd);
  running.add(child);
  const exited = once(child, 'exit').finally(() => running.delete(child));
  exited.catch(() => {});
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited.catch(() => {});
    clearTimeout(timer);
  };
  return { process: child, exited, stop };
}

/** Waits for `ready`, failing with the log's tail when the child exits first or time runs out. */
async function within(
  ready: Promise<void>,
  child: LoggedChild,
  name: string,
  logFile: string,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const failure = await Promise.race([
    ready.then(
      () => undefined,
      (error: unknown) => `${name} did not start: ${error instanceof Error ? error.message : String(error)}`,
    ),
    child.exited.then(() => `${name} exited (code ${child.process.exitCode})`),
    new Promise<string>((resolve) => {
      timer = setTimeout(
        () => resolve(`${name} was not ready within ${START_TIMEOUT_MS} ms`),
        START_TIMEOUT_MS,
      );
    }),
  ]);
  clearTimeout(timer);
  if (failure === undefined) return;
  await child.stop();
  const tail = readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-10).join('\n');
  throw new Error(`${failure}; its last output:\n${tail}`);
}

/** Polls `url` until it answers 200 `ok`; throws after {@link START_TIMEOUT_MS}. */
async function untilHealthy(url: string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const ok = await fetch(url).then(
      async (response) => (await response.text()) === 'ok' && response.status === 200,
      () => false,
    );
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} did not answer`);
}

/** A port that was free on 127.0.0.1 a moment ago (for servers that cannot bind port 0 and say so). */
async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return address.port;
}

function shellQuote(value: string): string {
  if (value.includes("'")) throw new Error(`cannot quote ${value} for a shell`);
  return `'${value}'`;
}
