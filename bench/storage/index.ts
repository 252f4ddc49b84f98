/**
 * Benchmark: the authorization server's token endpoint on each storage, in the same run:
 *
 * 1. PostgreSQL next to SQLite (the anchor: the default store), for `client_credentials` (a client
 *    lookup per request, no token stored) and rotating `refresh_token` (per request: the refresh
 *    token, its grant and client read; the token consumed; a new refresh token written).
 * 2. Rotating refreshes with {@link STORED} refresh tokens (and as many grants) already stored
 *    next to an empty store, for each engine: the lookups are indexed, so the target is a ratio of
 *    at least 0.9 (within 10%).
 * 3. One instance next to two instances on the same PostgreSQL database (the second in its own
 *    process, see instance.ts, same issuer): the load generator splits its connections over the
 *    two, for both grants. The figure for two is the sum of both halves (p99: the worse half).
 *
 * Rounds alternate the servers so drift hits all of them; each figure is the median round, each
 * ratio the median of the per-round ratios (see `ratio`). Servers run in
 * a child process (see servers.ts) so that the load generator and the servers do not share a core.
 * Run with `npm run bench` (builds first); needs a PostgreSQL server (`GATEHOUSE_BENCH_PG` or
 * `GATEHOUSE_TEST_PG`, default postgres://postgres@127.0.0.1:5432/postgres).
 */
import { once } from 'node:events';
import { mintFrom, startChild } from '../support/child.ts';
import { median, print, type Round } from '../support/rounds.ts';
import type { TokenTarget } from '../support/token-load.ts';
import {
  assertOk,
  clientCredentialsRequest,
  loadFixed,
  loadRefresh,
  refreshRequest,
} from '../support/token-load.ts';
import { type Setup, STORED, type TargetName } from './setup.ts';

const ROUND_SECONDS = Number(process.env.BENCH_ROUND_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = 10;
const WARMUP_SECONDS = 2;
const REFRESH = { chain: 20, refillBatch: 10 };

const { child, ready: setup } = await startChild<Setup>(
  new URL('./servers.ts', import.meta.url),
  'the benchmark servers exited before they were ready',
);
const mint = (target: TargetName, count: number) => mintFrom(setup.controlUrl, target, count);

/** Runs {@link ROUNDS} rounds on each target in turn (after a warm-up) and returns every round per target. */
async function measure<T extends string>(
  targets: readonly T[],
  round: (target: T, seconds: number) => Promise<Round>,
): Promise<Map<T, Round[]>> {
  for (const target of targets) await round(target, WARMUP_SECONDS);
  const results = new Map<T, Round[]>(targets.map((t) => [t, []]));
  for (let i = 0; i < ROUNDS; i++) {
    for (const target of targets) results.get(target)?.push(await round(target, ROUND_SECONDS));
  }
  return results;
}

/** Starts the second instance of the `postgres` target (instance.ts); resolves its token endpoint. */
async function startSecondInstance(): Promise<{ tokenUrl: string; stop(): Promise<void> }> {
  const {
    child: second,
    ready: { tokenUrl },
  } = await startChild<{ tokenUrl: string }>(
    new URL('./instance.ts', import.meta.url),
    'the second instance exited before it was ready',
    [JSON.stringify(setup.secondInstance)],
  );
  return {
    tokenUrl,
    async stop() {
      second.kill('SIGTERM');
      await once(second, 'exit');
    },
  };
}

/**
 * One round over several instances at once, {@link CONNECTIONS} split evenly between them: the
 * throughputs add up, the p99 is the worst of them.
 */
async function spread(
  targets: readonly TokenTarget[],
  run: (target: TokenTarget, connections: number) => Promise<Round>,
): Promise<Round> {
  const rounds = await Promise.all(targets.map((target) => run(target, CONNECTIONS / targets.length)));
  return {
    rps: rounds.reduce((sum, round) => sum + round.rps, 0),
    p99: Math.max(...rounds.map((round) => round.p99)),
  };
}

function row(label: string, rounds: Round[] | undefined): string[] {
  const round = median(rounds ?? []);
  return [label, `${round?.rps.toFixed(0)} req/s`, `p99 ${round?.p99} ms`];
}

/**
 * The median of the per-round ratios subject/anchor: rounds i of both ran back to back, so a
 * load burst from elsewhere on the machine hits both sides of a ratio and the median drops the
 * rounds it hit unevenly.
 */
function ratio(
  label: string,
  subject: Round[] | undefined,
  anchor: Round[] | undefined,
  target: string,
): string[] {
  const ratios = (subject ?? []).map((round, i) => ({
    rps: round.rps / (anchor?.[i]?.rps ?? Number.NaN),
    p99: 0,
  }));
  return [label, median(ratios).rps.toFixed(3), target];
}

try {
  process.stdout.write(
    `\nstored ${STORED.toLocaleString('en')} refresh tokens + grants: PostgreSQL ${setup.seeded.postgres.toFixed(1)} s, SQLite ${setup.seeded.sqlite.toFixed(1)} s\n`,
  );
  for (const [name, target] of Object.entries(setup.targets)) {
    await assertOk(clientCredentialsRequest(target));
    const [token] = await mint(name as TargetName, 1);
    await assertOk(refreshRequest(target, token as string));
  }

  const cc = await measure(['sqlite', 'postgres'], (name, seconds) =>
    loadFixed(clientCredentialsRequest(setup.targets[name]), { connections: CONNECTIONS, seconds }),
  );
  print(
    'token endpoint, grant_type=client_credentials',
    [
      row('gatehouse, SQLite (anchor)', cc.get('sqlite')),
      row('gatehouse, PostgreSQL', cc.get('postgres')),
      ratio('ratio PostgreSQL/SQLite', cc.get('postgres'), cc.get('sqlite'), '(reported)'),
    ],
    40,
  );

  const refresh = await measure(['sqlite', 'postgres', 'sqlite-1m', 'postgres-1m'], (name, seconds) =>
    loadRefresh(setup.targets[name], (count) => mint(name, count), {
      connections: CONNECTIONS,
      seconds,
      ...REFRESH,
    }),
  );
  const stored = `${(STORED / 1e6).toLocaleString('en')}M stored`;
  print(
    'token endpoint, grant_type=refresh_token (rotating)',
    [
      row('gatehouse, SQLite, empty (anchor)', refresh.get('sqlite')),
      row('gatehouse, PostgreSQL, empty', refresh.get('postgres')),
      ratio('ratio PostgreSQL/SQLite', refresh.get('postgres'), refresh.get('sqlite'), '(reported)'),
      row(`gatehouse, SQLite, ${stored}`, refresh.get('sqlite-1m')),
      ratio(`ratio SQLite ${stored}/empty`, refresh.get('sqlite-1m'), refresh.get('sqlite'), 'target >= 0.9'),
      row(`gatehouse, PostgreSQL, ${stored}`, refresh.get('postgres-1m')),
      ratio(
        `ratio PostgreSQL ${stored}/empty`,
        refresh.get('postgres-1m'),
        refresh.get('postgres'),
        'target >= 0.9',
      ),
    ],
    40,
  );

  const second = await startSecondInstance();
  try {
    const one = setup.targets.postgres;
    const instances = { one: [one], two: [one, { ...one, tokenUrl: second.tokenUrl }] };
    for (const target of instances.two) await assertOk(clientCredentialsRequest(target));
    const ccScale = await measure(['one', 'two'] as const, (name, seconds) =>
      spread(instances[name], (target, connections) =>
        loadFixed(clientCredentialsRequest(target), { connections, seconds }),
      ),
    );
    const refreshScale = await measure(['one', 'two'] as const, (name, seconds) =>
      spread(instances[name], (target, connections) =>
        loadRefresh(target, (count) => mint('postgres', count), { connections, seconds, ...REFRESH }),
      ),
    );
    print(
      'one instance vs two instances on the same PostgreSQL database',
      [
        row('client_credentials, one instance (anchor)', ccScale.get('one')),
        row('client_credentials, two instances', ccScale.get('two')),
        ratio('ratio two/one', ccScale.get('two'), ccScale.get('one'), '(reported)'),
        row('refresh_token, one instance (anchor)', refreshScale.get('one')),
        row('refresh_token, two instances', refreshScale.get('two')),
        ratio('ratio two/one', refreshScale.get('two'), refreshScale.get('one'), '(reported)'),
      ],
      44,
    );
  } finally {
    await second.stop();
  }
} finally {
  child.kill('SIGTERM');
  await once(child, 'exit');
}
