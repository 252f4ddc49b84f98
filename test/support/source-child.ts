/**
 * Test support: runs a TypeScript file in a child Node process on the workspace sources (no build),
 * as a second process of a client sharing a store would run: `--experimental-transform-types`
 * (the sources use parameter properties, which plain type stripping refuses),
 * `--conditions=@gatehouse/source` (workspace packages resolve to `src/`) and the
 * `source-loader.mjs` hook (a relative `./x.js` import finds `./x.ts`).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The Node flags that run a TypeScript file on the sources. */
export const SOURCE_NODE_FLAGS: readonly string[] = [
  '--no-warnings',
  '--experimental-transform-types',
  '--conditions=@gatehouse/source',
  '--import',
  fileURLToPath(new URL('./source-loader.mjs', import.meta.url)),
];

/**
 * Runs `node <SOURCE_NODE_FLAGS> ...args` to its end; resolves with its exit code and output. A
 * child still running after `timeoutMs` (default 60 000) is killed, so none outlives a failed test.
 */
export function runSourceChild(
  args: readonly string[],
  timeoutMs = 60_000,
): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, [...SOURCE_NODE_FLAGS, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
  });
}
