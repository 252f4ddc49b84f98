/** Test helpers of the admin command tests: a captured CliIo, a piped stdin and a fake terminal. */
import { PassThrough, Readable } from 'node:stream';
import type { CliIo } from './io.js';
import { runCli } from './main.js';

/** What one CLI run printed and returned. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `gatehouse <args>` in-process with captured output. */
export async function runGatehouse(
  args: readonly string[],
  options: { env?: Record<string, string>; stdin?: CliIo['stdin']; cwd?: string } = {},
): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    stdout: (text) => out.push(text),
    stderr: (text) => err.push(text),
    env: options.env ?? {},
    stopSignal: new Promise(() => {}),
    ...(options.stdin === undefined ? {} : { stdin: options.stdin }),
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  };
  const code = await runCli(args, io);
  return { code, stdout: out.join(''), stderr: err.join('') };
}

/** A non-terminal stdin holding `text` (as `printf … | gatehouse …`). */
export function pipedStdin(text: string): Readable {
  return Readable.from([Buffer.from(text)]);
}

/** A fake terminal: a PassThrough with `isTTY` and a `setRawMode` that records every call. */
export class FakeTerminal extends PassThrough {
  readonly isTTY = true;
  readonly rawModeCalls: boolean[] = [];
  isRaw = false;

  setRawMode(raw: boolean): this {
    this.rawModeCalls.push(raw);
    this.isRaw = raw;
    return this;
  }
}
