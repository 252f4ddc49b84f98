/**
 * The shape shared by the admin commands: `gatehouse <command> <subcommand> [<arg>] [options]`,
 * strict flags per subcommand (an unknown flag or a missing argument is a {@link UsageError}),
 * one help text per command, and the storage flags of `admin-storage.ts` on every subcommand.
 */
import { type ParseArgsOptionsConfig, parseArgs } from 'node:util';
import {
  ADMIN_STORAGE_FLAGS,
  type AdminStorageOptions,
  resolveAdminStorageOptions,
} from './admin-storage.js';
import { withDashIds } from './dash-ids.js';
import type { CliCommand, CliIo } from './io.js';
import { UsageError } from './usage-error.js';

/** What a subcommand receives. */
export interface AdminInvocation {
  /** The positional arguments, by the names the subcommand declared. */
  readonly args: Readonly<Record<string, string>>;
  /** The parsed flags (the subcommand's own and the storage flags). */
  readonly flags: Readonly<Record<string, string | boolean | string[] | undefined>>;
  readonly storage: AdminStorageOptions;
  readonly io: CliIo;
}

/** One subcommand, e.g. `users add`. */
export interface AdminSubcommand {
  /** Names of the required positional arguments, in order, e.g. `['username']`. */
  readonly args?: readonly string[];
  /** Flags beyond `--help` and the storage flags. */
  readonly flags?: ParseArgsOptionsConfig;
  run(invocation: AdminInvocation): Promise<number>;
}

/** Defines `gatehouse <name> <subcommand> …`. */
export function defineAdminCommand(spec: {
  readonly name: string;
  readonly summary: string;
  readonly help: string;
  readonly subcommands: Readonly<Record<string, AdminSubcommand>>;
}): CliCommand {
  const names = Object.keys(spec.subcommands);
  const helpHint = `Run "gatehouse ${spec.name} --help" for the subcommands, options and examples.`;
  return {
    name: spec.name,
    summary: spec.summary,
    async run(args: readonly string[], io: CliIo): Promise<number> {
      const [first, ...rest] = args;
      if (first === '-h' || first === '--help' || first === 'help') {
        io.stdout(spec.help);
        return 0;
      }
      if (first === undefined || first.startsWith('-')) {
        throw new UsageError(
          `"gatehouse ${spec.name}" needs a subcommand first: ${names.join(', ')}`,
          helpHint,
        );
      }
      const subcommand = Object.hasOwn(spec.subcommands, first) ? spec.subcommands[first] : undefined;
      if (subcommand === undefined) {
        throw new UsageError(
          `unknown subcommand "${spec.name} ${first}"; use one of: ${names.join(', ')}`,
          helpHint,
        );
      }
      const parsed = parseSubcommand(`${spec.name} ${first}`, subcommand, rest, helpHint);
      if (parsed === 'help') {
        io.stdout(spec.help);
        return 0;
      }
      const storage = resolveAdminStorageOptions(
        parsed.flags as { 'data-dir'?: string; database?: string },
        io.env,
        io.cwd ?? process.cwd(),
      );
      return subcommand.run({ ...parsed, storage, io });
    },
  };
}

function parseSubcommand(
  label: string,
  subcommand: AdminSubcommand,
  args: readonly string[],
  helpHint: string,
): Pick<AdminInvocation, 'args' | 'flags'> | 'help' {
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  const options: ParseArgsOptionsConfig = {
    ...ADMIN_STORAGE_FLAGS,
    ...subcommand.flags,
    help: { type: 'boolean', short: 'h' },
  };
  try {
    parsed = parseArgs({
      args: withDashIds(args, options),
      options,
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    const message = (error as Error).message;
    if (message.includes("'--password'")) {
      throw new UsageError(
        `gatehouse ${label} takes no --password option`,
        'Passwords are never accepted on the command line (other users could read them in the process list): answer the prompt, or pipe the password in with --password-stdin.',
      );
    }
    const unknownLong = /^Unknown option '--/.test(message);
    throw new UsageError(
      `${message.replace(/\. To specify a positional argument[\s\S]*$/, '')}`,
      unknownLong
        ? `${helpHint} An id that begins with "--" goes after "--": gatehouse ${label} -- <id>`
        : helpHint,
    );
  }
  if (parsed.values.help === true) return 'help';
  const wanted = subcommand.args ?? [];
  if (parsed.positionals.length < wanted.length) {
    throw new UsageError(
      `gatehouse ${label} needs <${wanted[parsed.positionals.length]}>`,
      `Usage: gatehouse ${label} ${wanted.map((name) => `<${name}>`).join(' ')}`,
    );
  }
  if (parsed.positionals.length > wanted.length) {
    throw new UsageError(`unexpected argument "${parsed.positionals[wanted.length]}"`, helpHint);
  }
  const named: Record<string, string> = {};
  wanted.forEach((name, index) => {
    named[name] = parsed.positionals[index] as string;
  });
  const { help: _help, ...flags } = parsed.values;
  return { args: named, flags: flags as AdminInvocation['flags'] };
}
