/**
 * Runs a credential-store command line tool without a shell: the program and its arguments as an
 * array (no shell parsing, nothing interpolated), the secret only on stdin and stdout (argv is
 * visible to every local user through `ps` and `/proc/<pid>/cmdline`), a timeout after which the
 * tool is killed by its PID.
 */
import { spawn } from 'node:child_process';
import { KeychainError } from './errors.js';

/** The outcome of a tool run that started and ended in time. */
export interface ToolResult {
  /** The exit status; `null` when a signal ended it. */
  readonly status: number | null;
  /** Standard output (may hold a secret: never log it). */
  readonly stdout: string;
  /** Standard error, as the tool wrote it (diagnostics; the tools never echo the secret). */
  readonly stderr: string;
}

/** How to run a tool. */
export interface RunToolOptions {
  /** Written to the tool's stdin, then stdin is closed. Default: stdin closed at once. */
  readonly input?: string;
  /** The tool's environment (also where its `PATH` lookup happens). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Kill the tool (SIGKILL) after this many milliseconds. */
  readonly timeoutMs: number;
}

const MAX_OUTPUT = 1024 * 1024;

/** The first line of a tool's stderr, shortened: enough to tell the user what went wrong. */
export function firstLine(text: string): string {
  const line = text.trim().split('\n', 1)[0] ?? '';
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

/**
 * Runs `command args…` and resolves with its status and output. Rejects with `KeychainError`
 * `ERR_KEYCHAIN_UNAVAILABLE` when it cannot be started (not installed: `ENOENT`), and
 * `ERR_KEYCHAIN_TIMEOUT` when it did not end within `timeoutMs`.
 */
export function runTool(
  command: string,
  args: readonly string[],
  options: RunToolOptions,
): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: options.env as NodeJS.ProcessEnv,
      stdio: ['pipe', 'pipe', 'pipe'],
      shell: false,
      windowsHide: true,
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      if (stdout.length < MAX_OUTPUT) stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      if (stderr.length < MAX_OUTPUT) stderr += chunk;
    });
    // A tool that exits without reading all of stdin closes the pipe: EPIPE is its answer, not ours.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
    child.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        new KeychainError(
          'ERR_KEYCHAIN_UNAVAILABLE',
          `${command} could not be started (${error.code ?? 'unknown error'})`,
          { tool: command, cause: error },
        ),
      );
    });
    child.on('close', (status) => {
      clearTimeout(timer);
      if (timedOut) {
        reject(
          new KeychainError(
            'ERR_KEYCHAIN_TIMEOUT',
            `${command} did not answer within ${options.timeoutMs} ms (is the keyring locked, waiting for a password prompt?)`,
            { tool: command },
          ),
        );
        return;
      }
      resolve({ status, stdout, stderr });
    });
  });
}
