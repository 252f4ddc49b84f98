/**
 * Benchmark: the cost of Gatehouse's resource server in front of an MCP server.
 *
 * 1. tools/call throughput and p99 latency of the same MCP server, unprotected (the anchor) and
 *    protected (origin check, bearer extraction, JWT verification, per-tool scope check), for a
 *    2025-11-25 request and a 2026-07-28 request. Rounds alternate anchor and subject so drift hits
 *    both; the median round counts. Target: protected/unprotected ≥ 0.95.
 * 2. Verifications per second of one token: jose's bare `jwtVerify` (the floor without caching)
 *    next to Gatehouse's verifier with and without its verification cache.
 *
 * Run with `npm run bench` (builds first). Servers run in a child process so that the load
 * generator and the server do not share a core.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { createJwtVerifier } from '@gatehouse/resource-server';
import autocannon from 'autocannon';
import { createLocalJWKSet, type JWK, jwtVerify } from 'jose';
import { median, print, type Round, roundOf } from '../support/rounds.ts';

const ROUND_SECONDS = Number(process.env.BENCH_ROUND_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = 10;
const WARMUP_SECONDS = 2;

interface Setup {
  unprotectedUrl: string;
  protectedUrl: string;
  token: string;
  issuer: string;
  jwk: JWK;
}

const child = spawn(process.execPath, [new URL('./servers.ts', import.meta.url).pathname], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
const setup = JSON.parse(line) as Setup;

try {
  for (const era of ['2025-11-25', '2026-07-28'] as const) {
    const unprotected = request(era, setup.unprotectedUrl);
    const protectedRequest = request(era, setup.protectedUrl, setup.token);
    await assertToolCallWorks(unprotected);
    await assertToolCallWorks(protectedRequest);
    await load(unprotected, WARMUP_SECONDS);
    await load(protectedRequest, WARMUP_SECONDS);
    const anchor: Round[] = [];
    const subject: Round[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      anchor.push(await load(unprotected));
      subject.push(await load(protectedRequest));
    }
    const a = median(anchor);
    const s = median(subject);
    print(`tools/call ${era}`, [
      ['unprotected (anchor)', `${a.rps.toFixed(0)} req/s`, `p99 ${a.p99} ms`],
      ['protected', `${s.rps.toFixed(0)} req/s`, `p99 ${s.p99} ms`],
      ['ratio protected/unprotected', (s.rps / a.rps).toFixed(3), 'target >= 0.95'],
    ]);
  }
  await benchVerifications(setup);
} finally {
  child.kill('SIGTERM');
}

interface BenchRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

function request(era: '2025-11-25' | '2026-07-28', url: string, token?: string): BenchRequest {
  const params: Record<string, unknown> = { name: 'echo', arguments: { text: 'hello' } };
  const headers: Record<string, string> = {
    accept: 'application/json, text/event-stream',
    'content-type': 'application/json',
    'mcp-protocol-version': era,
  };
  if (era === '2026-07-28') {
    params._meta = {
      'io.modelcontextprotocol/protocolVersion': era,
      'io.modelcontextprotocol/clientInfo': { name: 'bench', version: '1.0.0' },
      'io.modelcontextprotocol/clientCapabilities': {},
    };
    headers['mcp-method'] = 'tools/call';
    headers['mcp-name'] = 'echo';
  }
  if (token) headers.authorization = `Bearer ${token}`;
  return { url, headers, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params }) };
}

async function assertToolCallWorks(req: BenchRequest): Promise<void> {
  const response = await fetch(req.url, { method: 'POST', headers: req.headers, body: req.body });
  const text = await response.text();
  if (response.status !== 200 || !text.includes('hello')) {
    throw new Error(`benchmark request failed: HTTP ${response.status} ${text.slice(0, 200)}`);
  }
}

async function load(req: BenchRequest, seconds = ROUND_SECONDS): Promise<Round> {
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

async function benchVerifications({ token, issuer, protectedUrl, jwk }: Setup): Promise<void> {
  const keySet = createLocalJWKSet({ keys: [jwk] });
  const options = { issuer, audience: protectedUrl };
  const cached = createJwtVerifier({ ...options, jwks: { keys: [jwk] } });
  const uncached = createJwtVerifier({ ...options, jwks: { keys: [jwk] }, cache: false });
  const rows: string[][] = [];
  const floor = await perSecond(() => jwtVerify(token, keySet, options));
  rows.push(['jose jwtVerify (floor)', `${floor.toFixed(0)} /s`, '1.000']);
  for (const [name, verifier] of [
    ['gatehouse, cache off', uncached],
    ['gatehouse, cache on', cached],
  ] as const) {
    const rate = await perSecond(() => verifier.verify(token));
    rows.push([name, `${rate.toFixed(0)} /s`, (rate / floor).toFixed(3)]);
  }
  print('verifications of one token (ratio to the floor)', rows);
}

async function perSecond(operation: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 500; i++) await operation(); // warm-up
  const deadline = performance.now() + 2_000;
  let count = 0;
  const start = performance.now();
  while (performance.now() < deadline) {
    for (let i = 0; i < 100; i++) await operation();
    count += 100;
  }
  return (count / (performance.now() - start)) * 1_000;
}
