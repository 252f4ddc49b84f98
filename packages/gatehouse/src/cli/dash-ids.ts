/**
 * Ids that begin with '-'. The authorization server's client and grant ids are random base64url
 * words, so about one in 32 begins with '-' (`-Oq3…`). node:util `parseArgs` reads such a word as an
 * option ("Unknown option '-O'") or refuses it as an option's value ("argument is ambiguous"), so a
 * user pasting an id from `gatehouse grants list` would get a usage error instead of the command.
 */
import type { ParseArgsOptionsConfig } from 'node:util';

/**
 * Rewrites `args` so that `parseArgs` reads ids beginning with '-' as the user meant them:
 * - the word after a string option is its value, even when it begins with '-'
 *   (`--client -Oq3…` → `--client=-Oq3…`), unless that word is itself one of the options;
 * - a single-dash word longer than two characters (`-Oq3…`) is a positional argument: no command
 *   takes bundled short options;
 * - `--` still ends the options; words beginning with `--` stay options, so a mistyped option is
 *   still refused by name (an id beginning with `--` is given after `--`).
 * Positional arguments keep their order and are returned after a `--`.
 */
export function withDashIds(args: readonly string[], options: ParseArgsOptionsConfig): string[] {
  const longNameOf = new Map<string, string>();
  for (const [name, option] of Object.entries(options)) {
    longNameOf.set(`--${name}`, name);
    if (option.short !== undefined) longNameOf.set(`-${option.short}`, name);
  }
  const isOption = (word: string) => longNameOf.has(word.split('=', 1)[0] as string);
  const flags: string[] = [];
  const positionals: string[] = [];
  for (let index = 0; index < args.length; index += 1) {
    const word = args[index] as string;
    const next = args[index + 1];
    const name = longNameOf.get(word);
    if (word === '--') {
      positionals.push(...args.slice(index + 1));
      break;
    }
    if (name !== undefined && options[name]?.type === 'string' && next !== undefined && !isOption(next)) {
      flags.push(`--${name}=${next}`);
      index += 1;
    } else if (word.startsWith('-') && !word.startsWith('--') && word.length > 2 && !isOption(word)) {
      positionals.push(word);
    } else if (word.startsWith('-') && word !== '-') {
      flags.push(word);
    } else {
      positionals.push(word);
    }
  }
  return positionals.length === 0 ? flags : [...flags, '--', ...positionals];
}
