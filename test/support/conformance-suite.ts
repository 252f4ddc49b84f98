/**
 * Running the MCP conformance suite's CLI (`@modelcontextprotocol/conformance`, any installed
 * version) from a test, and reading its verdicts. Test code only.
 *
 * The CLI runs as a child process in a process group of its own, under the loopback network guard
 * (`../shared/tools/loopback-guard.mjs` beside the repository, when present, through `NODE_OPTIONS`,
 * which every process it starts inherits). On timeout the whole group is killed, so no client the
 * suite started outlives the test (`killConformanceRuns` in `afterAll` covers a test that timed out).
 * Verdicts are read from the `checks.json` file the CLI writes per scenario under `--output-dir`.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');
export const LOOPBACK_GUARD = resolve(REPO_ROOT, '../shared/tools/loopback-guard.mjs');

/** One check as the suite writes it in checks.json. */
export interface ConformanceCheck {
  readonly id: string;
  readonly status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO' | string;
  readonly description?: string;
  readonly errorMessage?: string;
}

/** The verdict of one scenario, as the CLI saved it. */
export interface ScenarioResult {
  readonly checks: ConformanceCheck[];
  /** What the client wrote to stderr (its error, when it failed), or '' when not saved. */
  readonly clientStderr: string;
}

/** Kills the process group of every run still going: for `afterAll`, whatever happened. */
const running = new Set<() => void>();
export function killConformanceRuns(): void {
  for (const kill of running) kill();
  running.clear();
}

/** The outcome of one run of the CLI. */
export interface ConformanceRun {
  readonly code: number | null;
  readonly output: string;
  readonly durationMs: number;
}

/** Options of {@link runConformanceCli}. */
export interface RunConformanceCliOptions {
  /** The CLI's `dist/index.js`. */
  readonly cli: string;
  /** The arguments after the script, e.g. `['client', '--suite', 'all', …]`. */
  readonly args: readonly string[];
  /** Extra environment variables (the loopback guard is added to `NODE_OPTIONS`). */
  readonly env?: Readonly<Record<string, string>>;
  /** The process group is killed and the promise rejects after this long. */
  readonly timeoutMs: number;
}

/**
 * Runs the CLI and resolves its exit code and combined output once it has exited, or kills its
 * whole process group and rejects after `timeoutMs`.
 */
export async function runConformanceCli(options: RunConformanceCliOptions): Promise<ConformanceRun> {
  const env: Record<string, string | undefined> = { ...process.env, ...options.env };
  if (existsSync(LOOPBACK_GUARD)) {
    env.NODE_OPTIONS = `${env.NODE_OPTIONS ?? ''} --import=${LOOPBACK_GUARD}`.trim();
  }
  const started = performance.now();
  const child = spawn(process.execPath, [options.cli, ...options.args], {
    cwd: REPO_ROOT,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  const killGroup = () => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // the group is already gone
    }
  };
  running.add(killGroup);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      killGroup();
      reject(
        new Error(`the conformance CLI did not finish in ${options.timeoutMs} ms:\n${output.slice(-4000)}`),
      );
    }, options.timeoutMs);
  });
  try {
    const [code] = (await Promise.race([once(child, 'exit'), timeout])) as [number | null];
    return { code, output, durationMs: Math.round(performance.now() - started) };
  } finally {
    clearTimeout(timer);
    killGroup(); // any process of the group still running (none, normally)
    running.delete(killGroup);
  }
}

/** The client scenarios a CLI knows, in its own order (`list`, section "Client scenarios"). */
export async function listClientScenarios(cli: string): Promise<string[]> {
  const { code, output } = await runConformanceCli({ cli, args: ['list'], timeoutMs: 60_000 });
  if (code !== 0) throw new Error(`conformance list failed:\n${output.slice(-2000)}`);
  const section = output.split(/^Client scenarios.*$/m)[1]?.split(/^\S.*$/m)[0] ?? '';
  return [...section.matchAll(/^ {2}- (\S+)/gm)].map((match) => match[1] as string);
}

/** Options of {@link runClientScenarios}. */
export interface RunClientScenariosOptions {
  readonly cli: string;
  /** The `--command` the suite runs, with the server URL appended. */
  readonly command: string;
  readonly scenarios: readonly string[];
  /** Each scenario's results go to its own folder below. */
  readonly outputDir: string;
  /** Scenarios run at the same time. */
  readonly concurrency: number;
  /** The CLI's `--timeout` per scenario; its process is killed a little later. */
  readonly scenarioTimeoutMs: number;
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * Runs `client --scenario <name>` for every scenario, `concurrency` at a time. Bounded rather than
 * all at once (`--suite all` starts every scenario together): some scenarios measure timing (the
 * SSE `retry` delay), which a burst of dozens of client processes on a busy machine would distort.
 * Resolves each scenario's CLI output (for failure messages); verdicts are read with
 * {@link readScenarioResults}.
 */
export async function runClientScenarios(options: RunClientScenariosOptions): Promise<Map<string, string>> {
  const outputs = new Map<string, string>();
  const queue = [...options.scenarios];
  const worker = async () => {
    for (let scenario = queue.shift(); scenario !== undefined; scenario = queue.shift()) {
      const run = await runConformanceCli({
        cli: options.cli,
        args: [
          'client',
          '--command',
          options.command,
          '--scenario',
          scenario,
          '--timeout',
          String(options.scenarioTimeoutMs),
          '--output-dir',
          options.outputDir,
        ],
        ...(options.env === undefined ? {} : { env: options.env }),
        timeoutMs: options.scenarioTimeoutMs + 30_000,
      });
      outputs.set(scenario, run.output);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return outputs;
}

/** `<scenario>-<ISO time with - for : and .>` → `<scenario>`, as the CLI names its output folders. */
const TIMESTAMP_SUFFIX = /-\d{4}-\d{2}-\d{2}T[\d-]+Z$/;

/** Every scenario's verdict under `outputDir`, keyed by scenario name (`auth/…` folders nest). */
export async function readScenarioResults(outputDir: string): Promise<Map<string, ScenarioResult>> {
  const results = new Map<string, ScenarioResult>();
  const entries = await readdir(outputDir, { recursive: true, withFileTypes: true });
  for (const entry of entries) {
    if (!entry.isFile() || entry.name !== 'checks.json') continue;
    const folder = relative(outputDir, entry.parentPath).split('\\').join('/');
    const checks = JSON.parse(
      await readFile(join(entry.parentPath, entry.name), 'utf8'),
    ) as ConformanceCheck[];
    const clientStderr = await readFile(join(entry.parentPath, 'stderr.txt'), 'utf8').catch(() => '');
    results.set(folder.replace(TIMESTAMP_SUFFIX, ''), { checks, clientStderr });
  }
  return results;
}
