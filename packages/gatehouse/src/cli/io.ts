import type { Readable, Writable } from 'node:stream';

/** Where the CLI reads and writes: injectable so tests can capture it. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Resolves when the process is asked to stop (SIGINT / SIGTERM). */
  readonly stopSignal: Promise<string>;
  /**
   * The raw standard streams, for commands that speak a protocol on them (`gatehouse connect`) or
   * read secrets from them (`--password-stdin`). Absent in tests that do not need them.
   */
  readonly stdin?: Readable & { readonly isTTY?: boolean };
  readonly stdoutStream?: Writable;
  /** The directory relative paths are resolved against (default `process.cwd()`). */
  readonly cwd?: string;
  /**
   * Opens an authorization URL in the user's browser (the client commands). Default: the `open`
   * package. Tests point it at a test browser.
   */
  readonly openBrowser?: (url: string) => Promise<unknown>;
}

/** One `gatehouse <name>` command. */
export interface CliCommand {
  readonly name: string;
  /** One line for `gatehouse --help`. */
  readonly summary: string;
  /** Runs the command with the arguments after its name; resolves with the exit code. */
  run(args: readonly string[], io: CliIo): Promise<number>;
  /**
   * `true` when the command waits for `io.stopSignal` itself to stop gracefully (`serve`,
   * `connect`). Any other command is interrupted at once by SIGINT / SIGTERM (exit 130).
   */
  readonly stopsOnSignal?: boolean;
}
