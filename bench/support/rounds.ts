/** Shared pieces of the benchmarks: one load round's figures, its checks, the median, the table. */
import type autocannon from 'autocannon';

/** The figures of one load round. */
export interface Round {
  rps: number;
  p99: number;
}

/** The round's figures; throws when any response was not 2xx or any request failed. */
export function roundOf(result: autocannon.Result): Round {
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`load round had ${result.non2xx} non-2xx responses and ${result.errors} errors`);
  }
  return { rps: result.requests.average, p99: result.latency.p99 };
}

/** The median round by throughput. */
export function median(rounds: Round[]): Round {
  const sorted = [...rounds].sort((x, y) => x.rps - y.rps);
  return sorted[Math.floor(sorted.length / 2)] as Round;
}

/** Prints a titled table; the first column is `firstColumnWidth` wide, the others 18. */
export function print(title: string, rows: string[][], firstColumnWidth = 30): void {
  process.stdout.write(`\n${title}\n`);
  for (const row of rows) {
    process.stdout.write(
      `  ${row.map((cell, i) => (i === 0 ? cell.padEnd(firstColumnWidth) : cell.padEnd(18))).join('')}\n`,
    );
  }
}
