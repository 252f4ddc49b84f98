/**
 * Benchmark: what `@gatehouse/client`'s `authFetch` costs an MCP client, against `gatehouse serve
 * --demo` (started in process from the built package, SQLite in a temporary directory, one account
 * created through the setup page). The user is played over HTTP on the real sign-in and consent
 * pages (test/support/demo-sign-in.ts). The MCP call is one JSON-RPC `tools/call` of `echo`.
 *
 * 1. Cold connection (first authorization, empty file store): HTTP round trips counted at the
 *    server, per path, and the time, next to the minimum possible:
 *    - client round trips, minimum 6, each required when the client knows nothing yet: the call
 *      (answered 401: how a client learns the server is protected and where its metadata is), the
 *      Protected Resource Metadata (names the authorization server), the authorization server
 *      metadata (endpoints, PKCE support), dynamic registration (no client id yet; a pre-registered
 *      or CIMD client saves it), the token request, the retried call;
 *    - browser round trips, minimum 3: the sign-in page, the sign-in form, the consent form (each
 *      user step is one request; the last answer redirects to the client's loopback listener,
 *      which is not counted: it is not the server). The embedded authorization server resumes
 *      through its authorization endpoint after each step (oidc-provider interactions), which is
 *      where the measured count exceeds it.
 * 2. Warm connection (a new `authFetch` and file store instance over the stored token): minimum 1
 *    round trip, the call itself. It must add zero authorization round trips: the benchmark exits
 *    non-zero if any request but the call reaches the server, or the call is not a 200.
 * 3. Per call on a warm instance, as a ratio against an anchor in the same run: the same call with
 *    a plain `fetch` carrying a fixed `Authorization: Bearer` header. Anchor and subjects take turns
 *    in blocks of {@link BLOCK} calls; the median call counts (robust to load from other processes).
 *
 * Run with `npm run bench` (builds first); `BENCH_CLIENT_COLD_RUNS`, `BENCH_CLIENT_CALLS` and
 * `BENCH_ROUNDS` change the sizes (`BENCH_CLIENT_CALLS × BENCH_ROUNDS` calls per subject).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { authFetch, createFileStore, createMemoryStore, type TokenStore } from '@gatehouse/client';
import { startGateway } from 'gatehouse';
import { createFirstAccount, demoServeOptions } from '../../test/support/demo-account.ts';
import { createDemoUser } from '../../test/support/demo-sign-in.ts';
import { print } from '../support/rounds.ts';
import { countByPath, type RoundTrip, recordRoundTrips } from './round-trips.ts';

const COLD_RUNS = Number(process.env.BENCH_CLIENT_COLD_RUNS ?? 5);
const CALLS = Number(process.env.BENCH_CLIENT_CALLS ?? 300);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
/** Calls in a row per subject before the next one takes its turn. */
const BLOCK = 10;
const ACCOUNT = { username: 'bench', password: 'a long benchmark passphrase' };
const MIN_COLD_CLIENT = 6;
const MIN_COLD_BROWSER = 3;
const MIN_WARM = 1;

type Fetch = (input: string, init?: RequestInit) => Promise<Response>;

const root = await mkdtemp(join(tmpdir(), 'gatehouse-bench-client-'));
const gateway = await startGateway(demoServeOptions(join(root, 'data')));
let failure: string | undefined;

try {
  await createFirstAccount(gateway, ACCOUNT);
  const trips = recordRoundTrips(gateway.http.server);
  const { mcpUrl } = gateway;
  const call: RequestInit = {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'echo', arguments: { text: 'bench' } },
    }),
  };
  /** An MCP client's `authFetch` over `store`; without a user, an authorization is an error. */
  const clientFetch = (store: TokenStore, user?: (url: URL) => Promise<void>): Fetch =>
    authFetch({
      serverUrl: mcpUrl,
      store,
      policy: { allowLoopback: true },
      clientName: 'bench client',
      authorization: {
        stderr: { write: () => true },
        onAuthorizationUrl:
          user ??
          (() => {
            throw new Error('a warm connection started an interactive authorization');
          }),
      },
    });

  /** One call through `fetchFn`: its time in ms, and the round trips the server saw meanwhile. */
  async function measure(fetchFn: Fetch): Promise<{ ms: number; trips: RoundTrip[] }> {
    const mark = trips.mark();
    const started = performance.now();
    const response = await fetchFn(mcpUrl, call);
    const text = await response.text();
    const ms = performance.now() - started;
    if (response.status !== 200 || !text.includes('bench')) {
      throw new Error(`the MCP call answered HTTP ${response.status}`);
    }
    return { ms, trips: trips.since(mark) };
  }

  // 1 + 2: cold, then warm over the same directory.
  const cold: { ms: number; trips: RoundTrip[] }[] = [];
  const warm: { ms: number; trips: RoundTrip[] }[] = [];
  for (let run = 0; run < COLD_RUNS; run += 1) {
    const directory = join(root, `store-${run}`);
    const user = createDemoUser({ issuer: gateway.issuer, ...ACCOUNT });
    cold.push(await measure(clientFetch(createFileStore({ directory }), user.authorize)));
    warm.push(await measure(clientFetch(createFileStore({ directory }))));
  }
  const coldClient = cold.map((run) => run.trips.filter((trip) => trip.by === 'client').length);
  const coldBrowser = cold.map((run) => run.trips.filter((trip) => trip.by === 'browser').length);
  const warmTrips = warm.map((run) => run.trips.length);
  const extra = warm.flatMap((run) => run.trips).filter((trip) => trip.path !== new URL(mcpUrl).pathname);
  if (extra.length > 0 || warmTrips.some((count) => count !== MIN_WARM)) {
    failure = `the warm path added round trips: ${
      countByPath(extra)
        .map(([key]) => key.trim())
        .join(', ') || warmTrips.join(', ')
    }`;
  }

  print(
    `cold connection (first authorization), round trips per path at the server (run 1 of ${COLD_RUNS})`,
    countByPath(cold[0]?.trips ?? []).map(([key, count]) => [key, `×${count}`]),
    66,
  );
  print(
    'round trips and time per connection',
    [
      ['', 'measured', 'minimum'],
      ['cold: client → server', range(coldClient), String(MIN_COLD_CLIENT)],
      ['cold: browser → server', range(coldBrowser), String(MIN_COLD_BROWSER)],
      [`cold: time (median of ${COLD_RUNS})`, `${medianOf(cold.map((r) => r.ms)).toFixed(1)} ms`, ''],
      ['warm: client → server', range(warmTrips), String(MIN_WARM)],
      ['warm: authorization round trips', String(extra.length), '0 (else exit 1)'],
      [`warm: time (median of ${COLD_RUNS})`, `${medianOf(warm.map((r) => r.ms)).toFixed(2)} ms`, ''],
    ],
    36,
  );

  // 3: per call, warm instances against a plain fetch with a fixed Bearer header.
  const fileStore = createFileStore({ directory: join(root, 'store-0') });
  const [entry] = (await fileStore.list()).entries;
  const tokens = entry === undefined ? undefined : await fileStore.get(entry.key);
  if (entry === undefined || tokens === undefined) throw new Error('nothing was stored');
  const memoryStore: TokenStore = createMemoryStore();
  await memoryStore.set(entry.key, tokens);
  const subjects: [string, Fetch][] = [
    ['plain fetch + fixed Bearer (anchor)', withBearer(tokens.access_token)],
    ['authFetch, file store', clientFetch(fileStore)],
    ['authFetch, memory store', clientFetch(memoryStore)],
  ];
  const perCall: number[][] = subjects.map(() => []);
  const mark = trips.mark();
  for (const [, fetchFn] of subjects) for (let i = 0; i < 20; i += 1) await measure(fetchFn);
  // Blocks of BLOCK calls, the subjects taking turns (each block led by the next one), so that load
  // from other processes and order effects hit all alike; each call's own time is kept.
  const blocks = Math.ceil((CALLS * ROUNDS) / BLOCK);
  for (let block = 0; block < blocks; block += 1) {
    for (let turn = 0; turn < subjects.length; turn += 1) {
      const index = (block + turn) % subjects.length;
      const fetchFn = subjects[index]?.[1];
      if (fetchFn === undefined) continue;
      for (let i = 0; i < BLOCK; i += 1) perCall[index]?.push((await measure(fetchFn)).ms);
    }
  }
  const unexpected = trips.since(mark).filter((trip) => trip.path !== new URL(mcpUrl).pathname);
  if (unexpected.length > 0) failure ??= `warm calls added ${unexpected.length} authorization round trips`;
  const anchor = medianOf(perCall[0] ?? []);
  print(
    `warm MCP call, sequential, ${blocks * BLOCK} calls each, interleaved (median call)`,
    subjects.map(([name], index) => {
      const ms = medianOf(perCall[index] ?? []);
      return [
        name,
        `${ms.toFixed(3)} ms/call`,
        index === 0 ? 'ratio 1' : `ratio ${(ms / anchor).toFixed(3)}`,
      ];
    }),
    38,
  );
} finally {
  await gateway.close();
  await rm(root, { recursive: true, force: true });
}

if (failure !== undefined) {
  process.stderr.write(`\nFAILED: ${failure}\n`);
  process.exitCode = 1;
}

function withBearer(accessToken: string): Fetch {
  return (input, init) => {
    const headers = new Headers(init?.headers);
    headers.set('authorization', `Bearer ${accessToken}`);
    return fetch(input, { ...init, headers });
  };
}

function medianOf(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function range(values: readonly number[]): string {
  const low = Math.min(...values);
  const high = Math.max(...values);
  return low === high ? String(low) : `${low}-${high}`;
}
