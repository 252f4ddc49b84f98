import { createInterface } from 'node:readline';
import { Client } from '@modelcontextprotocol/client';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { UsageError } from '../../cli/usage-error.js';
import type { GatewayLogger } from '../logger.js';
import { createForwardingFactory } from './forwarding-server.js';
import { describePrincipal, type PrincipalFields } from './principal.js';
import { type PooledSession, SessionPool } from './session-pool.js';
import { type Upstream, UpstreamUnavailableError } from './upstream.js';

/** Options of {@link startStdioUpstream}. */
export interface StdioUpstreamOptions {
  /** The program to run, and its arguments (no shell). */
  readonly command: string;
  readonly args: readonly string[];
  /** At most this many child processes at once (one per principal). */
  readonly maxProcesses: number;
  /** A child with no request in flight for this long is stopped. */
  readonly idleTimeoutMs: number;
  /**
   * Names of environment variables passed to the children on top of the SDK's safe default set
   * (HOME, PATH, USER…). Nothing else of the gateway's environment reaches them.
   */
  readonly passEnv: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The children's working directory (default: the gateway's). */
  readonly cwd?: string;
  readonly log: GatewayLogger;
}

/** One principal's child process and the SDK client session over its stdio. */
interface StdioSession extends PooledSession {
  readonly client: Client;
  readonly pid: number | undefined;
}

/** How long a child may take to answer `initialize`. */
const INITIALIZE_TIMEOUT_MS = 30_000;
/** Lines of a failed child's stderr quoted in the startup error. */
const STDERR_TAIL_LINES = 10;

/**
 * A stdio MCP server behind the gateway: one child process per principal (issuer + subject +
 * client of the verified token), never shared, started on the principal's first request, stopped
 * after `idleTimeoutMs` without requests, at most `maxProcesses` at once (then 503). Each child's
 * stderr goes to the log, line by line, with its PID and principal. On `close()` every child is
 * stopped: stdin closed, then SIGTERM, then SIGKILL, each after a 2 s grace (the SDK transport's
 * sequence).
 *
 * Before serving, one child is started and initialized as a check, then stopped: a command that
 * is missing is a {@link UsageError} (exit 2), one that exits or does not initialize an `Error`
 * quoting its stderr.
 */
export async function startStdioUpstream(options: StdioUpstreamOptions): Promise<Upstream> {
  const { log } = options;
  const check = await openStdioSession(options, { subject: '(startup check)' }, () => {}).catch(
    (error: unknown) => {
      throw startupError(options, error);
    },
  );
  await check.close();

  const pool = new SessionPool<StdioSession>({
    maxSessions: options.maxProcesses,
    idleTimeoutMs: options.idleTimeoutMs,
    noun: 'upstream processes',
    limitFlag: '--max-processes',
    open: async (principal, gone) => {
      try {
        return await openStdioSession(options, principal, gone);
      } catch (error) {
        log.error(
          { ...describePrincipal(principal), err: summarize(error) },
          'upstream process failed to start',
        );
        throw new UpstreamUnavailableError(
          502,
          'the upstream MCP server process failed to start; see the gateway log',
          {
            cause: error,
          },
        );
      }
    },
    onIdle: (session) => log.info({ pid: session.pid }, 'stopping idle upstream process'),
  });
  return {
    description: `stdio: ${[options.command, ...options.args].join(' ')} (one process per user, at most ${options.maxProcesses}, stopped after ${Math.round(options.idleTimeoutMs / 1000)} s idle)`,
    factory: createForwardingFactory((auth) => pool.acquire(auth)),
    close: () => pool.close(),
  };
}

/** Spawns one child, connects an SDK client to it (2025 `initialize` handshake) and logs its stderr. */
async function openStdioSession(
  options: StdioUpstreamOptions,
  principal: PrincipalFields | undefined,
  gone: () => void,
): Promise<StdioSession & { stderrTail: string[] }> {
  const who = describePrincipal(principal);
  const transport = new StdioClientTransport({
    command: options.command,
    args: [...options.args],
    env: childEnvironment(options),
    stderr: 'pipe',
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  });
  const stderrTail: string[] = [];
  let pid: number | undefined;
  const stderrDone = new Promise<void>((resolve) => {
    const stderr = transport.stderr;
    if (stderr === null) return resolve();
    const lines = createInterface({
      input: stderr as unknown as NodeJS.ReadableStream,
      crlfDelay: Number.POSITIVE_INFINITY,
    });
    lines.on('line', (line) => {
      const text = line.length > 2_000 ? `${line.slice(0, 2_000)}…` : line;
      stderrTail.push(text);
      if (stderrTail.length > STDERR_TAIL_LINES) stderrTail.shift();
      options.log.info({ pid: pid ?? transport.pid ?? undefined, ...who, stderr: text }, 'upstream stderr');
    });
    lines.once('close', () => resolve());
  });
  const client = new Client({ name: 'gatehouse', version: '0.1.0' }, { capabilities: {} });
  let closing = false;
  try {
    await client.connect(transport, { timeout: INITIALIZE_TIMEOUT_MS });
  } catch (error) {
    closing = true;
    await client.close().catch(() => {});
    // Let the last stderr lines arrive, briefly, so that the error can quote them.
    await Promise.race([stderrDone, new Promise((resolve) => setTimeout(resolve, 500).unref())]);
    throw Object.assign(error instanceof Error ? error : new Error(String(error)), { stderrTail });
  }
  pid = transport.pid ?? undefined;
  options.log.info({ pid, ...who }, 'upstream process started');
  client.onclose = () => {
    if (!closing) options.log.warn({ pid, ...who }, 'upstream process exited');
    gone();
  };
  return {
    client,
    pid,
    stderrTail,
    close: async () => {
      if (closing) return;
      closing = true;
      await client.close().catch(() => {});
      options.log.info({ pid, ...who }, 'upstream process stopped');
    },
  };
}

function childEnvironment(options: StdioUpstreamOptions): Record<string, string> {
  const env = getDefaultEnvironment();
  for (const name of options.passEnv) {
    const value = options.env[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}

function startupError(options: StdioUpstreamOptions, error: unknown): Error {
  const command = [options.command, ...options.args].join(' ');
  if ((error as { code?: unknown }).code === 'ENOENT') {
    return new UsageError(
      `cannot run "${options.command}": no such file or command`,
      'Give the stdio MCP server after "--", e.g. gatehouse serve -- npx -y @modelcontextprotocol/server-everything',
    );
  }
  const tail = (error as { stderrTail?: string[] }).stderrTail ?? [];
  return new Error(
    [
      `the stdio MCP server "${command}" did not start: ${summarize(error)}`,
      ...(tail.length > 0 ? ['Its last output on stderr:', ...tail.map((line) => `  ${line}`)] : []),
      'Check that the command runs on its own and speaks MCP on stdin/stdout.',
    ].join('\n'),
  );
}

function summarize(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
