import { type Logger, pino } from 'pino';

/** The levels `--log-level` accepts, most to least verbose, plus `silent`. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The gateway's logger: pino, JSON lines. */
export type GatewayLogger = Logger;

/**
 * Every field name that may carry a credential, at the top level and one level down. Gatehouse
 * never logs these on purpose; redaction is the second line of defence (MCP 2025-06-18 § Token
 * Handling: tokens are never logged).
 */
const SECRET_FIELDS = [
  'authorization',
  'Authorization',
  'cookie',
  'Cookie',
  'set-cookie',
  'token',
  'access_token',
  'refresh_token',
  'id_token',
  'code',
  'code_verifier',
  'client_secret',
  'password',
  'secret',
  'assertion',
  'initial_access_token',
];

const REDACT_PATHS = [
  ...SECRET_FIELDS.map((field) => `["${field}"]`),
  ...SECRET_FIELDS.map((field) => `*["${field}"]`),
  ...SECRET_FIELDS.map((field) => `*.headers["${field}"]`),
];

/**
 * Creates the gateway logger: JSON lines to `write` (the CLI passes stderr), with credential
 * fields replaced by `"[redacted]"`.
 *
 * @example
 * const log = createGatewayLogger({ level: 'info', write: (line) => process.stderr.write(line) });
 * log.info({ pid: 42 }, 'upstream process started');
 */
export function createGatewayLogger(options: {
  level: LogLevel;
  write: (line: string) => void;
}): GatewayLogger {
  return pino(
    {
      level: options.level,
      base: { name: 'gatehouse' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    },
    { write: options.write },
  );
}

/** A logger that drops everything (for library callers and tests that do not care). */
export function silentLogger(): GatewayLogger {
  return pino({ level: 'silent' });
}
