/**
 * Benchmark: token endpoint throughput of Gatehouse's authorization server (SQLite storage) next to
 * bare oidc-provider with its default in-memory adapter (the anchor: the floor of our overhead), in
 * the same run, for two grants:
 *
 * 1. `client_credentials` — a confidential client, `client_secret_basic`, `resource` + `scope`: a
 *    JWT access token (ES256, `at+jwt`) per request.
 * 2. `refresh_token` with rotation — a public client (`none`); every request presents a refresh
 *    token never presented before and gets a new access token and a new refresh token. Each
 *    connection chains {@link REFRESH_CHAIN} refreshes (each with the refresh token of the previous
 *    response, as a client does), then starts a new token family from a pool of refresh tokens
 *    that the servers' child process mints through the provider's models as a code exchange
 *    would store them (see servers.ts), refilled in the background during the round.
 *    Why chains and a small pool rather than one pool per round: bare oidc-provider's in-memory
 *    adapter is an LRU of about 1,000 entries (a refresh token minted thousands of requests before
 *    its use is gone), and on each write it walks its index of every token issued under the
 *    grant (a family refreshed thousands of times would slow the anchor down). Both servers get the same
 *    chains, pool and refills; minting is 2 writes per {@link REFRESH_CHAIN} refreshes.
 *
 * A third server, Gatehouse on its memory storage (nothing durable), separates Gatehouse's own
 * overhead (memory/bare) from what SQLite's reads and commits add on the event loop (SQLite/memory).
 *
 * Rounds alternate the servers so drift hits all; the median round counts. Target:
 * Gatehouse SQLite/bare ≥ 0.9 for each grant.
 *
 * Run with `npm run bench` (builds first). Servers run in a child process so that the load
 * generator and the servers do not share a core.
 */
import { mintFrom, startChild } from '../support/child.ts';
import { median, print, type Round } from '../support/rounds.ts';
import {
  assertOk,
  clientCredentialsRequest,
  type LoadSettings,
  loadFixed,
  loadRefresh,
  refreshRequest,
  type TokenTarget,
} from '../support/token-load.ts';
import type { Setup } from './servers.ts';

const ROUND_SECONDS = Number(process.env.BENCH_ROUND_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = 10;
const WARMUP_SECONDS = 2;
/** Refreshes per token family: a chain rotates one refresh token this many times, then starts over. */
const REFRESH_CHAIN = 20;
/** Token families minted per refill of the pool (the pool is refilled when it holds fewer). */
const REFILL_BATCH = 10;

const { child, ready: setup } = await startChild<Setup>(
  new URL('./servers.ts', import.meta.url),
  'the benchmark servers exited before they were ready',
);
type TargetName = 'bare' | 'gatehouse' | 'gatehouse-memory';
const mint = (target: TargetName, count: number) => mintFrom(setup.controlUrl, target, count);
const settings = (seconds = ROUND_SECONDS): LoadSettings => ({ connections: CONNECTIONS, seconds });

try {
  const targets: Targets = [
    ['bare oidc-provider, memory (anchor)', 'bare', setup.bare],
    ['gatehouse, SQLite', 'gatehouse', setup.gatehouse],
    ['gatehouse, memory (not durable)', 'gatehouse-memory', setup.gatehouseMemory],
  ];

  // client_credentials
  for (const [, , target] of targets) {
    await assertOk(clientCredentialsRequest(target));
    await loadFixed(clientCredentialsRequest(target), settings(WARMUP_SECONDS));
  }
  const cc: Round[][] = targets.map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, [, , target]] of targets.entries()) {
      cc[i]?.push(await loadFixed(clientCredentialsRequest(target), settings()));
    }
  }
  report('token endpoint, grant_type=client_credentials', targets, cc);

  // refresh_token, rotating
  for (const [, name, target] of targets) {
    const [token] = await mint(name, 1);
    await assertOk(refreshRequest(target, token as string));
    await loadRefreshOf(target, name, WARMUP_SECONDS);
  }
  const refresh: Round[][] = targets.map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, [, name, target]] of targets.entries()) {
      refresh[i]?.push(await loadRefreshOf(target, name));
    }
  }
  report('token endpoint, grant_type=refresh_token (rotating)', targets, refresh);
} finally {
  child.kill('SIGTERM');
}

/**
 * A round of rotating refreshes on `target` (see the file comment): chains of {@link REFRESH_CHAIN}
 * refreshes fed from a pool refilled in the background, {@link REFILL_BATCH} families at a time,
 * from the child's mint endpoint.
 */
function loadRefreshOf(target: TokenTarget, name: TargetName, seconds = ROUND_SECONDS): Promise<Round> {
  return loadRefresh(target, (count) => mint(name, count), {
    ...settings(seconds),
    chain: REFRESH_CHAIN,
    refillBatch: REFILL_BATCH,
  });
}

/** The servers, each as label, mint name and target; the first is the anchor. */
type Targets = readonly (readonly [string, TargetName, TokenTarget])[];

function report(title: string, targets: Targets, rounds: Round[][]): void {
  const [anchor, subject, memory] = rounds.map(median) as [Round, Round, Round];
  const row = (i: number, round: Round) => [
    targets[i]?.[0] ?? '',
    `${round.rps.toFixed(0)} req/s`,
    `p99 ${round.p99} ms`,
  ];
  print(
    title,
    [
      row(0, anchor),
      row(1, subject),
      row(2, memory),
      ['ratio gatehouse SQLite/bare', (subject.rps / anchor.rps).toFixed(3), 'target >= 0.9'],
      ['ratio gatehouse memory/bare', (memory.rps / anchor.rps).toFixed(3), "Gatehouse's own overhead"],
    ],
    38,
  );
}
