import { parseArgs } from 'node:util';
import { UsageError } from './usage-error.js';

/** Defaults of `gatehouse serve`, in one place. */
export const SERVE_DEFAULTS = {
  host: '127.0.0.1',
  port: 8080,
  dataDir: '.gatehouse',
  maxProcesses: 20,
  idleTimeout: '10m',
  logLevel: 'info',
} as const;

const flags = {
  demo: { type: 'boolean' },
  upstream: { type: 'string' },
  module: { type: 'string' },
  'max-processes': { type: 'string' },
  'idle-timeout': { type: 'string' },
  'pass-env': { type: 'string', multiple: true },
  'upstream-bearer-env': { type: 'string' },
  'upstream-header-env': { type: 'string', multiple: true },
  'upstream-header': { type: 'string', multiple: true },
  'external-issuer': { type: 'string' },
  'jwks-uri': { type: 'string' },
  'data-dir': { type: 'string' },
  database: { type: 'string' },
  'key-reload-interval': { type: 'string' },
  'trust-proxy': { type: 'boolean' },
  registration: { type: 'string' },
  scope: { type: 'string', multiple: true },
  port: { type: 'string' },
  host: { type: 'string' },
  'public-url': { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
  'allowed-origin': { type: 'string', multiple: true },
  'log-level': { type: 'string' },
  'upstream-oidc-issuer': { type: 'string' },
  'upstream-oidc-client-id': { type: 'string' },
  'upstream-oidc-client-secret-env': { type: 'string' },
  'upstream-oidc-scope': { type: 'string', multiple: true },
  'upstream-oidc-name': { type: 'string' },
  'upstream-oidc-only': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** A long option of `gatehouse serve` (without `--help`). */
export type FlagName = Exclude<keyof typeof flags, 'help'>;
/** `parseArgs` over {@link flags}: strict, positionals allowed, with tokens (to find `--`). */
export function parseFlags(args: readonly string[]) {
  return parseArgs({ args: [...args], options: flags, allowPositionals: true, strict: true, tokens: true });
}

/** The parsed flag values. */
export type FlagValues = ReturnType<typeof parseFlags>['values'];
/** The environment the options fall back to. */
export type Env = Readonly<Record<string, string | undefined>>;

/**
 * The environment variable of a flag: `--idle-timeout` → `GATEHOUSE_IDLE_TIMEOUT`; the one
 * exception is `--database` → `GATEHOUSE_DATABASE_URL` (as for `gatehouse migrate`).
 */
export function envNameOf(flag: string): string {
  if (flag === 'database') return 'GATEHOUSE_DATABASE_URL';
  return `GATEHOUSE_${flag.toUpperCase().replaceAll('-', '_')}`;
}

/** Reads flags, falling back to their `GATEHOUSE_*` variables; the command line wins. */
export class FlagReader {
  constructor(
    readonly values: FlagValues,
    readonly env: Env,
  ) {}

  /** Whether the flag is on the command line. */
  given(flag: FlagName): boolean {
    return this.values[flag] !== undefined;
  }

  /** Whether the flag's environment variable is set (non-empty). */
  inEnv(flag: FlagName): boolean {
    return (this.env[envNameOf(flag)] ?? '') !== '';
  }

  string(flag: FlagName): string | undefined {
    const value = this.values[flag];
    if (typeof value === 'string') return value;
    const fromEnv = this.env[envNameOf(flag)];
    return fromEnv === '' ? undefined : fromEnv;
  }

  list(flag: FlagName, separator: RegExp = /\s+/): string[] {
    const value = this.values[flag];
    if (Array.isArray(value)) return value;
    return (this.env[envNameOf(flag)] ?? '').split(separator).filter((item) => item.trim() !== '');
  }

  boolean(flag: FlagName): boolean {
    const value = this.values[flag];
    if (typeof value === 'boolean') return value;
    const fromEnv = this.env[envNameOf(flag)];
    if (fromEnv === undefined || fromEnv === '') return false;
    if (/^(1|true|yes|on)$/i.test(fromEnv)) return true;
    if (/^(0|false|no|off)$/i.test(fromEnv)) return false;
    throw new UsageError(`invalid ${envNameOf(flag)} "${fromEnv}"`, 'Use true or false.');
  }
}
