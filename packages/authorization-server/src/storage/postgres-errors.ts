/**
 * Errors of the PostgreSQL adapter, and the redaction of connection strings (a database URL may
 * carry a password: it never appears in a message, a log line or an error).
 */

import type pg from 'pg';

/** SQLSTATE classes and codes that mean "the database cannot serve right now", not "the query is wrong". */
const UNAVAILABLE_SQLSTATES = new Set([
  '57P01', // admin_shutdown (pg_terminate_backend, server stopping)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, recovering)
  '53300', // too_many_connections
  '53400', // configuration_limit_exceeded
  '08000', // connection_exception
  '08001', // sqlclient_unable_to_establish_sqlconnection
  '08003', // connection_does_not_exist
  '08004', // sqlserver_rejected_establishment_of_sqlconnection
  '08006', // connection_failure
  '08007', // transaction_resolution_unknown
  '08P01', // protocol_violation
]);

/** Node.js socket errors met when the server is down, restarting or unreachable. */
const UNAVAILABLE_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** Messages of `pg` itself (it has no codes for these). */
const UNAVAILABLE_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
  'Query read timeout',
  'terminating connection',
];

/**
 * Raised by the PostgreSQL adapter when the database cannot be reached or dropped the connection
 * (server down or restarting, network failure, connection limit, connect timeout). The request
 * that met it may be retried later; nothing was half-written (each statement is atomic).
 *
 * The provider adapter (`provider/storage-adapter.ts`) turns it into a `503
 * temporarily_unavailable` response. The message never includes the connection string or any
 * query parameter; `cause` holds the driver's error (its message names no secret either).
 */
export class StorageUnavailable extends Error {
  override readonly name = 'StorageUnavailable';
  readonly code = 'ERR_STORAGE_UNAVAILABLE';
}

/** Is `error` one of the "database unreachable" kind (see {@link StorageUnavailable})? */
export function isConnectionError(error: unknown): boolean {
  if (error === null || typeof error !== 'object') return false;
  if (error instanceof StorageUnavailable) return true;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (UNAVAILABLE_SQLSTATES.has(code) || UNAVAILABLE_ERRNOS.has(code)))
    return true;
  // Aggregate errors (a host with several addresses) carry the socket codes in `errors`.
  const errors = (error as { errors?: unknown }).errors;
  if (Array.isArray(errors) && errors.some(isConnectionError)) return true;
  const message = (error as { message?: unknown }).message;
  return typeof message === 'string' && UNAVAILABLE_MESSAGES.some((m) => message.includes(m));
}

/** Wraps connection errors in {@link StorageUnavailable}; returns any other error unchanged. */
export function toStorageError(error: unknown): unknown {
  if (error instanceof StorageUnavailable || !isConnectionError(error)) return error;
  const code = (error as { code?: unknown }).code;
  const detail = typeof code === 'string' ? ` (${code})` : '';
  return new StorageUnavailable(`the PostgreSQL database is unavailable${detail}: try again shortly`, {
    cause: error,
  });
}

/**
 * A connection string with its password replaced by `***`, for messages and logs. Strings that do
 * not parse as a URL are reduced to their scheme, since they might hold a password in any form.
 *
 * @example
 * redactConnectionString('postgres://app:s3cret@db:5432/gatehouse') // 'postgres://app:***@db:5432/gatehouse'
 */
export function redactConnectionString(connectionString: string): string {
  let url: URL;
  try {
    url = new URL(connectionString);
  } catch {
    const scheme = /^[a-z][a-z0-9+.-]*:/i.exec(connectionString)?.[0];
    return scheme ? `${scheme}//***` : '***';
  }
  if (url.password !== '') url.password = '***';
  for (const name of ['password', 'sslpassword', 'sslkey']) {
    if (url.searchParams.has(name)) url.searchParams.set(name, '***');
  }
  return url.toString();
}

/**
 * Did the statement fail because its pooled connection had been dropped (server restart,
 * `pg_terminate_backend`, reset socket), so that a fresh connection may well succeed? Refused
 * connections and connect timeouts are not included: retrying them only doubles the wait.
 */
export function isDroppedConnection(error: unknown): boolean {
  if (error === null || typeof error !== 'object') return false;
  const code = (error as { code?: unknown }).code;
  if (code === '57P01' || code === '57P02' || code === 'ECONNRESET' || code === 'EPIPE') return true;
  const message = (error as { message?: unknown }).message;
  return (
    typeof message === 'string' &&
    (message === 'Connection terminated' ||
      message.includes('Connection terminated unexpectedly') ||
      message.includes('is not queryable'))
  );
}

/** Raised by `openPostgresStorage` when the database cannot be opened; names it without its password. */
export class PostgresOpenError extends Error {
  override readonly name = 'PostgresOpenError';
  readonly code = 'ERR_STORAGE_OPEN';
  /** The connection string with its password redacted. */
  readonly database: string;

  constructor(database: string, reason: string, options?: ErrorOptions) {
    super(`cannot open the PostgreSQL database at ${database}: ${reason}`, options);
    this.database = database;
  }
}

/**
 * Checks a client out of `pool` for several statements (a transaction), runs `use`, and releases
 * it. While it is checked out the pool does not listen for its `error` event, so a connection
 * dropped between two statements would be an uncaught exception: this listens instead, and
 * releases a client that failed so the pool discards it rather than reuse it.
 */
export async function withPooledClient<T>(
  pool: pg.Pool,
  use: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect().catch((error: unknown) => {
    throw toStorageError(error);
  });
  let failure: Error | undefined;
  const onError = (error: Error): void => {
    failure = error;
  };
  client.on('error', onError);
  try {
    return await use(client);
  } catch (error) {
    if (isConnectionError(error)) failure ??= error as Error;
    throw toStorageError(error);
  } finally {
    client.off('error', onError);
    client.release(failure);
  }
}
