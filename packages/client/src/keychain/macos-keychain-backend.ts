/**
 * The macOS backend: generic passwords in the default (login) keychain through `/usr/bin/security`.
 *
 * `security add-generic-password` takes the password as an argument (`-w`, `-X`), visible to every
 * local user in the process list; `-w` without a value prompts on the terminal (`getpass`), which a
 * library cannot answer. So the add command is not given in argv: it is written to `security -i`
 * (its interactive mode, which reads commands from stdin and splits them with quote and backslash
 * handling; Apple's `SecurityTool/macOS/security.c`), the secret single-quoted with `\` and `'`
 * escaped. That mode reads lines of at most 4 094 characters: a longer entry is refused
 * (`ERR_KEYCHAIN_FAILED`; very large tokens need the file store), and every write is read back to
 * confirm it. Reading uses `find-generic-password -w` (the secret on stdout).
 *
 * Not exercised on a real macOS machine by this project's CI (Linux only); the command lines are
 * unit-tested.
 */
import { KeychainError } from './errors.js';
import type { KeychainBackend, KeychainBackendOptions } from './keychain-backend.js';
import { firstLine, runTool, type ToolResult } from './run-tool.js';

const TOOL = '/usr/bin/security';
/** `errSecItemNotFound`, the exit status of `security` for a missing item. */
const ITEM_NOT_FOUND = 44;

function failed(action: string, result: ToolResult): KeychainError {
  const detail = firstLine(result.stderr);
  return new KeychainError(
    'ERR_KEYCHAIN_FAILED',
    `security ${action} failed (exit status ${result.status})${detail === '' ? '' : `: ${detail}`}`,
    { tool: TOOL },
  );
}

/** The longest line `security -i` reads whole (its buffer is 4 096 bytes, the newline included). */
export const MACOS_MAX_COMMAND_LENGTH = 4_094;

/**
 * The stdin of `security -i` that adds or replaces (`-U`) the item: service and account are
 * checked to be plain tokens by the caller, the secret (ASCII, no line breaks: the store's JSON) is
 * single-quoted with `\` and `'` backslash-escaped. The only place the secret appears; never in
 * argv. `undefined` when the command would be longer than {@link MACOS_MAX_COMMAND_LENGTH}.
 */
export function macosAddCommand(service: string, account: string, secret: string): string | undefined {
  const quoted = `'${secret.replace(/[\\']/g, (char) => `\\${char}`)}'`;
  const command = `add-generic-password -U -s ${service} -a ${account} -w ${quoted}`;
  return command.length > MACOS_MAX_COMMAND_LENGTH || /[\r\n]/.test(secret) ? undefined : `${command}\n`;
}

/** The argv of the read, remove and add steps (none holds a secret). */
export function macosArguments(service: string, account: string) {
  return {
    read: ['find-generic-password', '-s', service, '-a', account, '-w'],
    remove: ['delete-generic-password', '-s', service, '-a', account],
    add: ['-i'],
  } as const;
}

/** Creates the `/usr/bin/security` backend. */
export function createMacosKeychainBackend(options: KeychainBackendOptions): KeychainBackend {
  const run = (args: readonly string[], input?: string) =>
    runTool(TOOL, args, {
      env: options.env,
      timeoutMs: options.timeoutMs,
      ...(input === undefined ? {} : { input }),
    });

  async function read(account: string): Promise<string | undefined> {
    const result = await run(macosArguments(options.service, account).read);
    if (result.status === ITEM_NOT_FOUND) return undefined;
    if (result.status !== 0) throw failed('find-generic-password', result);
    return result.stdout.endsWith('\n') ? result.stdout.slice(0, -1) : result.stdout;
  }

  return {
    tool: TOOL,
    read,
    async write(account, secret) {
      const command = macosAddCommand(options.service, account, secret);
      if (command === undefined) {
        throw new KeychainError(
          'ERR_KEYCHAIN_FAILED',
          `the entry is too large for the macOS keychain tool (${secret.length} characters; security -i reads lines of at most ${MACOS_MAX_COMMAND_LENGTH}): use the file store`,
          { tool: TOOL },
        );
      }
      const result = await run(macosArguments(options.service, account).add, command);
      if (result.status !== 0) throw failed('add-generic-password', result);
      if ((await read(account)) !== secret) {
        throw new KeychainError(
          'ERR_KEYCHAIN_FAILED',
          `security add-generic-password did not store the item${firstLine(result.stderr) === '' ? '' : `: ${firstLine(result.stderr)}`}`,
          { tool: TOOL },
        );
      }
    },
    async remove(account) {
      const result = await run(macosArguments(options.service, account).remove);
      if (result.status !== 0 && result.status !== ITEM_NOT_FOUND)
        throw failed('delete-generic-password', result);
    },
  };
}
