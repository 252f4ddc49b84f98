/** Parent-side pieces of the token benchmarks: starting the servers' child process and minting through it. */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

/**
 * Runs the script at `script` in a child process (so that the load generator and the servers do
 * not share a core) and resolves it with the JSON of the first line it prints; rejects with
 * `notReady` when the child exits first.
 */
export async function startChild<T>(
  script: URL,
  notReady: string,
  args: string[] = [],
): Promise<{ child: ChildProcess; ready: T }> {
  const child = spawn(process.execPath, [script.pathname, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const stdout = child.stdout as NonNullable<ChildProcess['stdout']>;
  const [line] = (await Promise.race([
    once(createInterface({ input: stdout }), 'line'),
    once(child, 'exit').then(() => {
      throw new Error(notReady);
    }),
  ])) as [string];
  return { child, ready: JSON.parse(line) as T };
}

/** Fetches `count` fresh refresh tokens of `target` from the child's control endpoint (see servers.ts). */
export async function mintFrom(controlUrl: string, target: string, count: number): Promise<string[]> {
  const response = await fetch(`${controlUrl}/mint?target=${target}&count=${count}`, { method: 'POST' });
  if (response.status !== 200) throw new Error(`minting refresh tokens failed: HTTP ${response.status}`);
  return (await response.json()) as string[];
}
