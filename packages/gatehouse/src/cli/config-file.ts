/**
 * The optional configuration file, `gatehouse.config.json`: a flat JSON object whose keys are the
 * long option names (`"data-dir"`, `"port"`, `"allowed-origin"`…). It is a layer *under* the
 * environment: each key becomes its `GATEHOUSE_<NAME>` variable unless that variable is already
 * set, and every command reads its options as flag, then environment. So the precedence is
 * command-line flag > environment variable > configuration file > built-in default.
 *
 * Where: `--config <file>` (before or after the command name, never after `--`), else
 * `GATEHOUSE_CONFIG`, else `./gatehouse.config.json` when it exists. Relative paths inside the file
 * (`data-dir`, `cert`, `key`, `module`, `store`) are relative to the file's directory.
 * An unknown key or a value of the wrong type is a usage error naming the key; nothing is ignored.
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { UsageError } from './usage-error.js';

/** The file looked for in the working directory when neither `--config` nor `GATEHOUSE_CONFIG` is given. */
export const CONFIG_FILE_NAME = 'gatehouse.config.json';

/**
 * How a value is written in the file and how it becomes an environment value:
 * - `string`: a non-empty string, as is; `path`: the same, resolved against the file's directory;
 * - `integer`: a whole number; `boolean`: true or false (→ "true" / "false");
 * - `list`: an array of strings without spaces (→ space-separated);
 * - `lines`: an array of strings without line breaks (→ one per line);
 * - `command`: an array of strings, a program and its arguments (→ a JSON array).
 */
export type ConfigValueType = 'string' | 'path' | 'integer' | 'boolean' | 'list' | 'lines' | 'command';

/**
 * Every key the file may hold and its type. Each key is a long option name; its variable is
 * `GATEHOUSE_` + the name in upper snake case. Only options that a command reads from that
 * variable belong here, so that no key is accepted and then ignored.
 */
export const CONFIG_KEYS: Readonly<Record<string, ConfigValueType>> = Object.freeze({
  // gatehouse serve: upstream
  demo: 'boolean',
  command: 'command',
  upstream: 'string',
  module: 'path',
  'max-processes': 'integer',
  'idle-timeout': 'string',
  'pass-env': 'list',
  'upstream-bearer-env': 'string',
  'upstream-header-env': 'list',
  'upstream-header': 'lines',
  // gatehouse serve: authorization; data-dir also for users, clients, grants, keys
  'data-dir': 'path',
  'key-reload-interval': 'integer',
  'trust-proxy': 'boolean',
  registration: 'string',
  'external-issuer': 'string',
  'jwks-uri': 'string',
  scope: 'list',
  'upstream-oidc-issuer': 'string',
  'upstream-oidc-client-id': 'string',
  'upstream-oidc-client-secret-env': 'string',
  'upstream-oidc-scope': 'list',
  'upstream-oidc-name': 'string',
  'upstream-oidc-only': 'boolean',
  // gatehouse serve: network and logging
  port: 'integer',
  host: 'string',
  'public-url': 'string',
  cert: 'path',
  key: 'path',
  'allowed-origin': 'list',
  'log-level': 'string',
  // gatehouse serve, migrate, users, clients, grants, keys: PostgreSQL instead of data-dir
  database: 'string',
  // client commands (login, connect, token, …)
  store: 'path',
});

/** Keys whose variable is not `GATEHOUSE_<KEY>`. */
const ENV_NAME_EXCEPTIONS: Readonly<Record<string, string>> = Object.freeze({
  database: 'GATEHOUSE_DATABASE_URL',
});

/** Keys the file may hold that are not options. */
const IGNORED_KEYS = new Set(['$schema']);

const MAX_CONFIG_BYTES = 1024 * 1024;

/**
 * The environment variable of a configuration key: `data-dir` → `GATEHOUSE_DATA_DIR`; the one
 * exception is `database` → `GATEHOUSE_DATABASE_URL`.
 */
export function configEnvName(key: string): string {
  return Object.hasOwn(ENV_NAME_EXCEPTIONS, key)
    ? (ENV_NAME_EXCEPTIONS[key] as string)
    : `GATEHOUSE_${key.toUpperCase().replaceAll('-', '_')}`;
}

/**
 * Takes the global `--config <file>` / `--config=<file>` out of the arguments, wherever it is
 * before a `--` (what follows `--` belongs to a stdio server's command line).
 */
export function extractConfigFlag(args: readonly string[]): {
  args: string[];
  configPath: string | undefined;
} {
  const rest: string[] = [];
  let configPath: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--') {
      rest.push(...args.slice(i));
      break;
    }
    let value: string | undefined;
    if (arg === '--config') {
      value = args[i + 1];
      if (value === undefined || value.startsWith('-')) {
        throw new UsageError(
          '--config needs a file',
          `Example: gatehouse --config ./${CONFIG_FILE_NAME} serve`,
        );
      }
      i++;
    } else if (arg.startsWith('--config=')) {
      value = arg.slice('--config='.length);
    } else {
      rest.push(arg);
      continue;
    }
    if (configPath !== undefined) throw new UsageError('--config is given twice');
    if (value === '') throw new UsageError('--config needs a file');
    configPath = value;
  }
  return { args: rest, configPath };
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Returns the environment the command should see: the configuration file's values (as
 * `GATEHOUSE_*` variables) with `env` on top. A variable that is unset or empty in `env` takes
 * the file's value. Without `--config`, `GATEHOUSE_CONFIG` or a `./gatehouse.config.json`,
 * returns `env` unchanged.
 */
export async function applyConfigFile(configPath: string | undefined, env: Env, cwd: string): Promise<Env> {
  const explicit = configPath ?? (env.GATEHOUSE_CONFIG === '' ? undefined : env.GATEHOUSE_CONFIG);
  const file = resolve(cwd, explicit ?? CONFIG_FILE_NAME);
  const info = await stat(file).catch(() => undefined);
  if (info === undefined) {
    if (explicit === undefined) return env;
    throw new UsageError(
      `configuration file ${file} not found`,
      configPath === undefined ? 'GATEHOUSE_CONFIG names a file that does not exist.' : undefined,
    );
  }
  if (!info.isFile()) throw new UsageError(`configuration file ${file} is not a file`);
  if (info.size > MAX_CONFIG_BYTES) throw new UsageError(`configuration file ${file} is larger than 1 MiB`);
  const fromFile = configToEnv(parseConfigText(await readFile(file, 'utf8'), file), file);
  const merged: Record<string, string | undefined> = { ...fromFile };
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && (value !== '' || !(name in fromFile))) merged[name] = value;
  }
  return merged;
}

/** Parses the file's text; a syntax error names the line and column, never quotes the content. */
export function parseConfigText(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const where = /line (\d+) column (\d+)/.exec((error as Error).message);
    throw new UsageError(
      `configuration file ${file} is not valid JSON${where ? ` (line ${where[1]}, column ${where[2]})` : ''}`,
      `It holds one JSON object, e.g. { "data-dir": "/var/lib/gatehouse", "port": 8080 }.`,
    );
  }
}

function kebabCase(key: string): string {
  return key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`).replaceAll('_', '-');
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

const EXPECTED: Readonly<Record<ConfigValueType, string>> = {
  string: 'a non-empty string',
  path: 'a non-empty string (a path)',
  integer: 'a whole number',
  boolean: 'true or false',
  list: 'an array of strings without spaces, e.g. ["a", "b"]',
  lines: 'an array of strings without line breaks',
  command: 'a non-empty array of strings: the program and its arguments, e.g. ["node", "server.js"]',
};

function stringArray(value: unknown, allowEmpty: boolean, forbidden: RegExp): string[] | undefined {
  if (!Array.isArray(value) || (!allowEmpty && value.length === 0)) return undefined;
  for (const item of value)
    if (typeof item !== 'string' || item === '' || forbidden.test(item)) return undefined;
  return value as string[];
}

/** Converts one checked value to its environment form, or undefined when its type is wrong. */
function toEnvValue(type: ConfigValueType, value: unknown, file: string): string | undefined {
  switch (type) {
    case 'string':
      return typeof value === 'string' && value !== '' ? value : undefined;
    case 'path':
      return typeof value === 'string' && value !== '' ? resolve(dirname(file), value) : undefined;
    case 'integer':
      return typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : undefined;
    case 'boolean':
      return typeof value === 'boolean' ? String(value) : undefined;
    case 'list':
      return stringArray(value, true, /\s/)?.join(' ');
    case 'lines':
      return stringArray(value, true, /[\r\n]/)?.join('\n');
    case 'command': {
      const command = stringArray(value, false, /^$/);
      return command === undefined ? undefined : JSON.stringify(command);
    }
  }
}

/**
 * Checks a parsed configuration and maps it to `GATEHOUSE_*` variables. Throws a
 * {@link UsageError} naming the file and the key for an unknown key (listing the valid ones) or a
 * value of the wrong type.
 */
export function configToEnv(config: unknown, file: string): Record<string, string> {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw new UsageError(
      `configuration file ${file} must hold a JSON object`,
      'Example: { "data-dir": "/var/lib/gatehouse", "port": 8080 }',
    );
  }
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(config)) {
    if (IGNORED_KEYS.has(key)) continue;
    const type = Object.hasOwn(CONFIG_KEYS, key) ? CONFIG_KEYS[key] : undefined;
    if (type === undefined) {
      const suggestion = kebabCase(key);
      throw new UsageError(
        `unknown key "${key}" in ${file}`,
        `${Object.hasOwn(CONFIG_KEYS, suggestion) ? `Did you mean "${suggestion}"? ` : ''}Keys are long option names: ${Object.keys(CONFIG_KEYS).join(', ')}.`,
      );
    }
    const envValue = toEnvValue(type, value, file);
    if (envValue === undefined) {
      throw new UsageError(`"${key}" in ${file} must be ${EXPECTED[type]}, not ${describe(value)}`);
    }
    env[configEnvName(key)] = envValue;
  }
  return env;
}
