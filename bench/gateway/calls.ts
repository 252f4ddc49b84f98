/**
 * One measured round of the gateway benchmark: a fixed number of `tools/call` requests of `echo`
 * through one connected SDK v2 client, issued by `concurrency` callers at once, each call's
 * latency kept. Every answer is checked against the text sent.
 */
import { performance } from 'node:perf_hooks';
import type { Client } from '@modelcontextprotocol/client';

/** The figures of one round. */
export interface CallRound {
  readonly callsPerSecond: number;
  /** Call latency percentiles, in ms. */
  readonly p50: number;
  readonly p99: number;
}

/** A call that takes longer than this fails the benchmark. */
const CALL_TIMEOUT_MS = 10_000;

/** Runs `calls` calls of `echo` over `client`, `concurrency` at a time. */
export async function runCallRound(client: Client, calls: number, concurrency: number): Promise<CallRound> {
  const latencies: number[] = [];
  let issued = 0;
  const caller = async () => {
    while (issued < calls) {
      const text = `call ${issued}`;
      issued += 1;
      const started = performance.now();
      const result = await client.callTool(
        { name: 'echo', arguments: { text } },
        { timeout: CALL_TIMEOUT_MS },
      );
      latencies.push(performance.now() - started);
      const content = result.content[0];
      if (result.isError === true || content?.type !== 'text' || content.text !== text) {
        throw new Error(`echo answered ${JSON.stringify(result).slice(0, 200)} to "${text}"`);
      }
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, caller));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    callsPerSecond: calls / seconds,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
  };
}

/** The median round by throughput. */
export function medianRound(rounds: readonly CallRound[]): CallRound {
  const sorted = [...rounds].sort((a, b) => a.callsPerSecond - b.callsPerSecond);
  const middle = sorted[Math.floor(sorted.length / 2)];
  if (middle === undefined) throw new Error('no rounds');
  return middle;
}

/** The nearest-rank percentile `q` (0 < q ≤ 1) of ascending `sorted`. */
function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
}
