/**
 * Benchmark: what `gatehouse serve` costs in front of a stdio MCP server, per `tools/call`.
 *
 * One stdio MCP server (bench/gateway/echo-server.ts, SDK v2, tool `echo`) reached three ways,
 * each through one connected SDK v2 client (`Client`, default negotiation: 2025-11-25):
 * 1. directly over stdio (`StdioClientTransport`): the anchor, the server's own cost;
 * 2. through `gatehouse serve -- node echo-server.ts` (the built CLI in a child process, embedded
 *    authorization server, SQLite in a temporary directory): Streamable HTTP with a Bearer token
 *    obtained once through the real flow (first account through the setup page, then `authFetch`
 *    with the user played on the sign-in and consent pages), verified on every call;
 * 3. through supergateway (`--stdio … --outputTransport streamableHttp --stateful`), a stdio to
 *    HTTP bridge from npm with no authorization, bound to loopback by a preload.
 * Every path ends at one child process of the server: the stdio session is one process by nature,
 * gatehouse starts one per principal (one token here), supergateway one per MCP session (one
 * client here). Both HTTP servers run as separate processes with their default log level, logs to
 * files, so that the load generator does not share their event loop.
 *
 * For 1 and 8 concurrent callers (in-flight calls on the one client): a warm-up round per path,
 * then {@link ROUNDS} rounds of {@link CALLS} calls per path, the paths taking turns (each round
 * led by the next one) so that load from other processes hits all alike; the median round by
 * throughput is reported with its p50 and p99 call latency, and the ratios gatehouse/anchor and
 * gatehouse/supergateway. Every answer is checked against the text sent.
 *
 * Run with `npm run bench` (builds first); `BENCH_GATEWAY_CALLS` and `BENCH_ROUNDS` change the
 * sizes, `BENCH_GATEWAY_TIMEOUT_S` the time limit (default 300 s) after which it stops everything
 * and exits 1.
 */
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { authFetch, createMemoryStore } from '@gatehouse/client';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { createFirstAccount } from '../../test/support/demo-account.ts';
import { createDemoUser } from '../../test/support/demo-sign-in.ts';
import { print } from '../support/rounds.ts';
import { type CallRound, medianRound, runCallRound } from './calls.ts';
import {
  ECHO_SERVER,
  type GatehouseProcess,
  killServerProcesses,
  type ServerProcess,
  startGatehouse,
  startSupergateway,
} from './processes.ts';

const CALLS = Number(process.env.BENCH_GATEWAY_CALLS ?? 400);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const WARMUP_CALLS = 200;
const CONCURRENCY = [1, 8] as const;
const TIMEOUT_S = Number(process.env.BENCH_GATEWAY_TIMEOUT_S ?? 300);
const ACCOUNT = { username: 'bench', password: 'a long benchmark passphrase' };

/**
 * The SDK v2 `StreamableHTTPClientTransport` passes one transport-wide `AbortSignal` to every
 * `fetch`, and undici removes its abort listener from that signal only when the request is garbage
 * collected, so a client making thousands of calls trips Node's MaxListenersExceededWarning (at
 * undici's limit of 1500) once per call. Those warnings are counted and reported in one line; any
 * other warning is printed as Node would.
 */
let listenerWarnings = 0;
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  if (warning.name === 'MaxListenersExceededWarning') listenerWarnings += 1;
  else process.stderr.write(`${warning.name}: ${warning.message}\n`);
});

interface Path {
  readonly name: string;
  readonly client: Client;
}

const root = await mkdtemp(join(tmpdir(), 'gatehouse-bench-gateway-'));
/**
 * Past the time limit or on SIGINT / SIGTERM: kill the server processes, remove the temporary
 * directory, exit. The anchor's stdio server exits when its stdin closes with this process.
 */
function abort(message: string, code: number): void {
  process.stderr.write(`\nFAILED: ${message}\n`);
  killServerProcesses();
  rmSync(root, { recursive: true, force: true });
  process.exit(code);
}
setTimeout(
  () => abort(`the gateway benchmark did not finish within ${TIMEOUT_S} s`, 1),
  TIMEOUT_S * 1000,
).unref();
process.once('SIGINT', () => abort('interrupted (SIGINT)', 130));
process.once('SIGTERM', () => abort('stopped (SIGTERM)', 143));
const servers: ServerProcess[] = [];
const clients: Client[] = [];
try {
  const gatehouse = await startGatehouse({
    dataDir: join(root, 'data'),
    logFile: join(root, 'gatehouse.log'),
    logLevel: 'info',
  });
  servers.push(gatehouse);
  const supergateway = await startSupergateway({ logFile: join(root, 'supergateway.log'), logLevel: 'info' });
  servers.push(supergateway);
  const token = await signIn(gatehouse);

  const paths: Path[] = [
    {
      name: 'stdio, direct (anchor)',
      client: await connect(
        new StdioClientTransport({ command: process.execPath, args: [ECHO_SERVER], stderr: 'ignore' }),
      ),
    },
    {
      name: 'gatehouse serve (OAuth)',
      client: await connect(
        new StreamableHTTPClientTransport(new URL(gatehouse.mcpUrl), {
          requestInit: { headers: { authorization: `Bearer ${token}` } },
        }),
      ),
    },
    {
      name: 'supergateway (no auth)',
      client: await connect(new StreamableHTTPClientTransport(new URL(supergateway.mcpUrl))),
    },
  ];

  const [one, five, fifteen] = loadavg().map((value) => value.toFixed(2));
  process.stdout.write(
    `\ngateway benchmark: ${cpus().length} cores, load average ${one} ${five} ${fifteen} at start\n`,
  );
  for (const concurrency of CONCURRENCY) {
    const medians = (await measure(paths, concurrency)).map(medianRound);
    const [anchor, gateway, bridge] = medians as [CallRound, CallRound, CallRound];
    const ratio = (of: CallRound, to: CallRound) => [
      (of.p50 / to.p50).toFixed(2),
      (of.p99 / to.p99).toFixed(2),
      (of.callsPerSecond / to.callsPerSecond).toFixed(3),
    ];
    print(
      `tools/call echo, ${concurrency} concurrent caller${concurrency === 1 ? '' : 's'} ` +
        `(median of ${ROUNDS} rounds of ${CALLS} calls)`,
      [
        ['', 'p50', 'p99', 'throughput'],
        ...medians.map((round, index) => [
          paths[index]?.name ?? '',
          `${round.p50.toFixed(3)} ms`,
          `${round.p99.toFixed(3)} ms`,
          `${round.callsPerSecond.toFixed(0)} calls/s`,
        ]),
        ['ratio gatehouse/anchor', ...ratio(gateway, anchor)],
        ['ratio gatehouse/supergateway', ...ratio(gateway, bridge)],
      ],
    );
  }
  const [end1, end5, end15] = loadavg().map((value) => value.toFixed(2));
  process.stdout.write(`\nload average ${end1} ${end5} ${end15} at the end\n`);
  if (listenerWarnings > 0) {
    process.stdout.write(
      `note: ${listenerWarnings} MaxListenersExceededWarning from the SDK's HTTP client transport ` +
        '(one AbortSignal shared by all its requests) were not printed\n',
    );
  }
} finally {
  await Promise.all(clients.map((client) => client.close().catch(() => {})));
  await Promise.all(servers.map((server) => server.stop()));
  await rm(root, { recursive: true, force: true });
}

/** A warm-up round per path, then {@link ROUNDS} rounds per path taking turns: rounds[path][round]. */
async function measure(paths: readonly Path[], concurrency: number): Promise<CallRound[][]> {
  for (const { client } of paths) await runCallRound(client, WARMUP_CALLS, concurrency);
  const rounds: CallRound[][] = paths.map(() => []);
  for (let round = 0; round < ROUNDS; round += 1) {
    for (let turn = 0; turn < paths.length; turn += 1) {
      const index = (round + turn) % paths.length;
      const client = paths[index]?.client as Client;
      rounds[index]?.push(await runCallRound(client, CALLS, concurrency));
    }
  }
  return rounds;
}

/** Connects an SDK v2 client over `transport` and checks that the server lists `echo`. */
async function connect(transport: StdioClientTransport | StreamableHTTPClientTransport): Promise<Client> {
  const client = new Client({ name: 'gatehouse-bench', version: '1.0.0' });
  await client.connect(transport);
  clients.push(client);
  const { tools } = await client.listTools();
  if (!tools.some((tool) => tool.name === 'echo')) throw new Error('the server does not list "echo"');
  return client;
}

/**
 * The first account through the setup page, then an access token for the MCP endpoint through
 * `authFetch` (discovery, registration, sign-in and consent played over HTTP, code exchange).
 */
async function signIn(gatehouse: GatehouseProcess): Promise<string> {
  await createFirstAccount(gatehouse, ACCOUNT);
  const user = createDemoUser({ issuer: gatehouse.issuer, ...ACCOUNT });
  const store = createMemoryStore();
  const fetchWithAuth = authFetch({
    serverUrl: gatehouse.mcpUrl,
    store,
    policy: { allowLoopback: true },
    clientName: 'gateway bench',
    authorization: { stderr: { write: () => true }, onAuthorizationUrl: user.authorize },
  });
  const response = await fetchWithAuth(gatehouse.mcpUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'echo', arguments: { text: 'signed in' } },
    }),
  });
  const text = await response.text();
  if (response.status !== 200 || !text.includes('signed in')) {
    throw new Error(`the first call through gatehouse answered HTTP ${response.status}`);
  }
  const [entry] = (await store.list()).entries;
  const tokens = entry === undefined ? undefined : await store.get(entry.key);
  if (tokens === undefined) throw new Error('authFetch stored no token');
  return tokens.access_token;
}
