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
 * Rounds alternate anchor and subject so drift hits both; the median round counts. Target:
 * Gatehouse/bare ≥ 0.9 for each grant.
 *
 * Run with `npm run bench` (builds first). Servers run in a child process so that the load
 * generator and the servers do not share a core.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import { median, print, type Round, roundOf } from '../support/rounds.ts';
import type { Setup, Target } from './servers.ts';

const ROUND_SECONDS = Number(process.env.BENCH_ROUND_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = 10;
const WARMUP_SECONDS = 2;
/** Refreshes per token family: a chain rotates one refresh token this many times, then starts over. */
const REFRESH_CHAIN = 20;
/** Token families minted per refill of the pool (the pool is refilled when it holds fewer). */
const REFILL_BATCH = 10;

const child = spawn(process.execPath, [new URL('./servers.ts', import.meta.url).pathname], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const [line] = (await Promise.race([
  once(createInterface({ input: child.stdout }), 'line'),
  once(child, 'exit').then(() => {
    throw new Error('the benchmark servers exited before they were ready');
  }),
])) as [string];
const setup = JSON.parse(line) as Setup;

try {
  const targets = [
    ['bare oidc-provider, memory (anchor)', 'bare', setup.bare],
    ['gatehouse, SQLite', 'gatehouse', setup.gatehouse],
  ] as const;

  // client_credentials
  for (const [, , target] of targets) {
    await assertOk(clientCredentialsRequest(target));
    await loadFixed(clientCredentialsRequest(target), WARMUP_SECONDS);
  }
  const cc: [Round[], Round[]] = [[], []];
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, [, , target]] of targets.entries()) {
      cc[i]?.push(await loadFixed(clientCredentialsRequest(target)));
    }
  }
  report('token endpoint, grant_type=client_credentials', targets, cc);

  // refresh_token, rotating
  for (const [, name, target] of targets) {
    const [token] = await mint(name, 1);
    await assertOk(refreshRequest(target, token as string));
    await loadRefresh(target, name, WARMUP_SECONDS);
  }
  const refresh: [Round[], Round[]] = [[], []];
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, [, name, target]] of targets.entries()) {
      refresh[i]?.push(await loadRefresh(target, name));
    }
  }
  report('token endpoint, grant_type=refresh_token (rotating)', targets, refresh);
} finally {
  child.kill('SIGTERM');
}

interface BenchRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

function clientCredentialsRequest(target: Target): BenchRequest {
  return {
    url: target.tokenUrl,
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: target.basic },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      resource: target.resource,
      scope: 'mcp:tools',
    }).toString(),
  };
}

function refreshRequest(target: Target, refreshToken: string): BenchRequest {
  return {
    url: target.tokenUrl,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      client_id: target.refreshClientId,
    }).toString(),
  };
}

/** Checks one request: 200 with a JWT access token (three dot-separated parts). */
async function assertOk(req: BenchRequest): Promise<void> {
  const response = await fetch(req.url, { method: 'POST', headers: req.headers, body: req.body });
  const body = (await response.json()) as { access_token?: string };
  if (response.status !== 200 || body.access_token?.split('.').length !== 3) {
    throw new Error(
      `benchmark request failed: HTTP ${response.status} ${JSON.stringify(body).slice(0, 200)}`,
    );
  }
}

async function mint(target: 'bare' | 'gatehouse', count: number): Promise<string[]> {
  const response = await fetch(`${setup.controlUrl}/mint?target=${target}&count=${count}`, {
    method: 'POST',
  });
  if (response.status !== 200) throw new Error(`minting refresh tokens failed: HTTP ${response.status}`);
  return (await response.json()) as string[];
}

async function loadFixed(req: BenchRequest, seconds = ROUND_SECONDS): Promise<Round> {
  const result = await autocannon({
    url: req.url,
    method: 'POST',
    headers: req.headers,
    body: req.body,
    connections: CONNECTIONS,
    duration: seconds,
  });
  return roundOf(result);
}

/**
 * A round of rotating refreshes. Each connection runs chains of {@link REFRESH_CHAIN} requests:
 * the first presents a fresh refresh token from `pool`, each next one the refresh token the
 * previous response returned (as a client does), so every refresh token is presented once. The
 * pool is refilled in the background from the child's mint endpoint, a few families at a time:
 * bare oidc-provider's in-memory adapter is an LRU of about 1,000 entries, so tokens minted long
 * before their use would be evicted.
 */
async function loadRefresh(
  target: Target,
  name: 'bare' | 'gatehouse',
  seconds = ROUND_SECONDS,
): Promise<Round> {
  const pool = await mint(name, CONNECTIONS + 2 * REFILL_BATCH);
  let refilling = false;
  let refillError: unknown;
  let dry = 0;
  const refill = () => {
    if (refilling || pool.length >= REFILL_BATCH) return;
    refilling = true;
    mint(name, REFILL_BATCH)
      .then((tokens) => pool.push(...tokens))
      .catch((error: unknown) => {
        refillError = error;
      })
      .finally(() => {
        refilling = false;
      });
  };
  type Chain = { refreshToken?: string };
  const step = (index: number): autocannon.Request => ({
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    setupRequest: (request, context) => {
      const chain = context as Chain;
      let token = index === 0 ? undefined : chain.refreshToken;
      chain.refreshToken = undefined;
      if (token === undefined) {
        token = pool.shift();
        refill();
      }
      if (token === undefined) {
        dry += 1;
        token = 'pool-ran-dry';
      }
      return { ...request, body: refreshRequest(target, token).body };
    },
    onResponse: (status, body, context) => {
      if (status === 200)
        (context as Chain).refreshToken = (JSON.parse(body) as { refresh_token?: string }).refresh_token;
    },
  });
  const result = await autocannon({
    url: target.tokenUrl,
    connections: CONNECTIONS,
    duration: seconds,
    requests: Array.from({ length: REFRESH_CHAIN }, (_, index) => step(index)),
  });
  if (refillError !== undefined) throw refillError;
  if (dry > 0) throw new Error(`the refresh token pool ran dry ${dry} times: raise REFILL_BATCH`);
  return roundOf(result);
}

function report(
  title: string,
  targets: readonly (readonly [string, string, Target])[],
  rounds: [Round[], Round[]],
): void {
  const [anchor, subject] = rounds.map(median) as [Round, Round];
  print(
    title,
    [
      [targets[0]?.[0] ?? '', `${anchor.rps.toFixed(0)} req/s`, `p99 ${anchor.p99} ms`],
      [targets[1]?.[0] ?? '', `${subject.rps.toFixed(0)} req/s`, `p99 ${subject.p99} ms`],
      ['ratio gatehouse/bare', (subject.rps / anchor.rps).toFixed(3), 'target >= 0.9'],
    ],
    38,
  );
}
