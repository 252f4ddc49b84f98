/**
 * How the admin commands get a password: from a terminal prompt without echo (raw mode), or as one
 * line of standard input (`--password-stdin`, for scripts). Never from the command line, which
 * other users can read in the process list. Nothing here prints or logs the password.
 */
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { CommandFailed } from './command-failed.js';
import type { CliIo } from './io.js';
import { UsageError } from './usage-error.js';

/** A terminal input stream: a Readable with `isTTY` and `setRawMode` (as `process.stdin` on a TTY). */
export type TerminalInput = Readable & { readonly isTTY?: boolean; setRawMode(raw: boolean): unknown };

/** The longest password line accepted, in bytes (the account policy allows 1024 characters). */
export const MAX_PASSWORD_BYTES = 4096;

function isTerminal(stdin: CliIo['stdin']): stdin is TerminalInput {
  return stdin?.isTTY === true && typeof (stdin as Partial<TerminalInput>).setRawMode === 'function';
}

/**
 * Gets a new password: one line of stdin when `fromStdin`, otherwise a prompt on the terminal,
 * asked twice (the two must match). Prompts go to stderr, so stdout stays clean for scripts.
 */
export async function readNewPassword(
  io: CliIo,
  options: { fromStdin: boolean; label: string },
): Promise<string> {
  if (options.fromStdin) {
    if (io.stdin === undefined) throw new UsageError('--password-stdin: no standard input to read from');
    const line = await readFirstLine(io.stdin, MAX_PASSWORD_BYTES);
    if (line === '')
      throw new UsageError('--password-stdin: standard input held no password (an empty first line)');
    return line;
  }
  if (!isTerminal(io.stdin)) {
    throw new UsageError(
      'cannot ask for a password: standard input is not a terminal',
      `Pipe the password in instead, e.g.: printf '%s\\n' "$PASSWORD" | gatehouse users ${options.label} --password-stdin`,
    );
  }
  const reader = new HiddenLineReader(io.stdin);
  io.stderr('New password: ');
  const first = await reader.readLine();
  io.stderr('\n');
  io.stderr('Repeat the password: ');
  const second = await reader.readLine();
  io.stderr('\n');
  if (first !== second) throw new UsageError('the two passwords do not match; nothing was changed');
  if (first === '') throw new UsageError('no password was entered; nothing was changed');
  return first;
}

/**
 * Reads standard input up to the first line feed (or its end) and returns that line without the
 * line feed and without one trailing carriage return. Nothing else is trimmed: spaces are part of
 * a password. Throws when the line is longer than `maxBytes` or is not UTF-8.
 */
export function readFirstLine(stream: Readable, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (error: Error | undefined, line?: Buffer): void => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.pause();
      if (error !== undefined) {
        reject(error);
        return;
      }
      try {
        const text = new TextDecoder('utf-8', { fatal: true }).decode(line);
        resolve(text.endsWith('\r') ? text.slice(0, -1) : text);
      } catch {
        reject(new UsageError('--password-stdin: the password is not valid UTF-8'));
      }
    };
    const onData = (chunk: Buffer | string): void => {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      const newline = bytes.indexOf(0x0a);
      const part = newline === -1 ? bytes : bytes.subarray(0, newline);
      chunks.push(part);
      size += part.length;
      if (size > maxBytes) {
        finish(new UsageError(`--password-stdin: the password line is longer than ${maxBytes} bytes`));
      } else if (newline !== -1) {
        finish(undefined, Buffer.concat(chunks));
      }
    };
    const onEnd = (): void => finish(undefined, Buffer.concat(chunks));
    const onError = (error: Error): void =>
      finish(new CommandFailed(`cannot read standard input: ${error.message}`));
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('error', onError);
    stream.resume();
  });
}

/**
 * Reads lines from a terminal in raw mode, so that nothing typed is echoed. Enter ends a line;
 * Backspace deletes a character, Ctrl+U the whole line; Ctrl+C (and Ctrl+D on an empty line)
 * cancels; escape sequences (arrow keys) are ignored. What was typed after an Enter (a paste of
 * two lines) is kept for the next `readLine`. Raw mode is switched off again after every line.
 */
export class HiddenLineReader {
  readonly #stdin: TerminalInput;
  readonly #decoder = new StringDecoder('utf8');
  #carry = '';

  constructor(stdin: TerminalInput) {
    this.#stdin = stdin;
  }

  readLine(): Promise<string> {
    const stdin = this.#stdin;
    return new Promise((resolve, reject) => {
      let line = '';
      let escapeState: 'none' | 'start' | 'sequence' = 'none';
      const finish = (error: Error | undefined): void => {
        stdin.off('data', onData);
        stdin.off('end', onEnd);
        stdin.off('error', onError);
        stdin.setRawMode(false);
        stdin.pause();
        if (error === undefined) resolve(line);
        else reject(error);
      };
      /** Consumes typed text; true when the line ended (or was cancelled). */
      const feed = (text: string): boolean => {
        const chars = [...text];
        for (let i = 0; i < chars.length; i++) {
          const char = chars[i] as string;
          const code = char.codePointAt(0) ?? 0;
          if (escapeState === 'start') {
            escapeState = char === '[' || char === 'O' ? 'sequence' : 'none';
            continue;
          }
          if (escapeState === 'sequence') {
            if (code >= 0x40 && code <= 0x7e) escapeState = 'none';
            continue;
          }
          if (char === '\r' || char === '\n') {
            const next = char === '\r' && chars[i + 1] === '\n' ? i + 2 : i + 1;
            this.#carry = chars.slice(next).join('');
            finish(undefined);
            return true;
          }
          if (char === '\u0003' || (char === '\u0004' && line === '')) {
            finish(new CommandFailed('cancelled; nothing was changed', { exitCode: 130 }));
            return true;
          }
          if (char === '\u007f' || char === '\b') line = [...line].slice(0, -1).join('');
          else if (char === '\u0015') line = '';
          else if (char === '\u001b') escapeState = 'start';
          else if (code >= 0x20) line += char;
          if (Buffer.byteLength(line) > MAX_PASSWORD_BYTES) {
            finish(new UsageError(`the password is longer than ${MAX_PASSWORD_BYTES} bytes`));
            return true;
          }
        }
        return false;
      };
      const onData = (chunk: Buffer | string): void => {
        feed(typeof chunk === 'string' ? chunk : this.#decoder.write(chunk));
      };
      const onEnd = (): void =>
        finish(new CommandFailed('the terminal closed before a password was entered'));
      const onError = (error: Error): void =>
        finish(new CommandFailed(`cannot read the terminal: ${error.message}`));
      stdin.setRawMode(true);
      const carry = this.#carry;
      this.#carry = '';
      if (feed(carry)) return;
      stdin.on('data', onData);
      stdin.once('end', onEnd);
      stdin.once('error', onError);
      stdin.resume();
    });
  }
}
