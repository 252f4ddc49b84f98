/**
 * How storage failures reach the wire through node-oidc-provider.
 *
 * oidc-provider's error handler answers with `err.statusCode` (500 when absent) and, only when
 * `err.expose` is true, with `err.message` as the `error` code and `err.error_description`; any
 * other error becomes `500 server_error` and a `server_error` event. So a storage adapter error is
 * a 500 unless it is turned into one of the provider's own errors, which this module does:
 *
 * | storage error                            | response                                   |
 * | ---------------------------------------- | ------------------------------------------ |
 * | `StorageUnavailable` (database down)      | 503 `temporarily_unavailable` (RFC 6749 §4.1.2.1 names it) |
 * | `SqliteWriteError` `SQLITE_BUSY` (lock held past the busy timeout) or `ERR_SQLITE_WRITER` (writer thread gone) | the same 503 |
 * | a single-use record consumed by another request | 400 `invalid_grant` (see `storage-adapter.ts`) |
 * | anything else                            | 500 `server_error` (a defect, logged by the provider) |
 */
import { errors } from 'oidc-provider';
import { StorageUnavailable } from '../storage/postgres-errors.js';
import { SqliteWriteError } from '../storage/sqlite-writer.js';

/** The description sent with 503 `temporarily_unavailable` (no detail of the failure: it is server-side). */
export const STORAGE_UNAVAILABLE_DESCRIPTION =
  'the authorization server cannot reach its database right now; try again shortly';

/**
 * SQLite writer failures that pass once the moment passes: another process held the write lock
 * past the busy timeout, or the writer thread stopped (it is not restarted, but the request that
 * met it did nothing wrong). `SQLITE_FULL`, `SQLITE_CORRUPT` and the like are not transient: they
 * stay 500 `server_error`.
 */
const TRANSIENT_SQLITE_WRITE_CODES: ReadonlySet<string> = new Set(['SQLITE_BUSY', 'ERR_SQLITE_WRITER']);

/**
 * The {@link StorageUnavailable} that `error` amounts to, or undefined: a `StorageUnavailable`
 * itself (PostgreSQL unreachable), a transient {@link SqliteWriteError} (wrapped, as `cause`), or
 * the provider's 503 made from either by {@link toProviderError} (its `cause`).
 */
export function asStorageUnavailable(error: unknown): StorageUnavailable | undefined {
  if (error instanceof StorageUnavailable) return error;
  if (error instanceof SqliteWriteError && TRANSIENT_SQLITE_WRITE_CODES.has(error.code)) {
    return new StorageUnavailable(`the SQLite database is unavailable (${error.code}): try again shortly`, {
      cause: error,
    });
  }
  if (error instanceof errors.TemporarilyUnavailable && error.cause instanceof StorageUnavailable) {
    return error.cause;
  }
  return undefined;
}

/**
 * Turns a storage-unavailable error (see {@link asStorageUnavailable}) into oidc-provider's
 * `TemporarilyUnavailable` with HTTP status 503 (the provider's class defaults to 400) and
 * `expose` set, so the provider answers `503 {"error":"temporarily_unavailable",…}` instead of
 * `500 server_error`. Returns any other error unchanged.
 */
export function toProviderError(error: unknown): unknown {
  if (error instanceof errors.TemporarilyUnavailable) return error;
  const unavailable = asStorageUnavailable(error);
  if (unavailable === undefined) return error;
  const mapped = new errors.TemporarilyUnavailable(STORAGE_UNAVAILABLE_DESCRIPTION, { cause: unavailable });
  mapped.status = 503;
  mapped.statusCode = 503;
  mapped.expose = true;
  return mapped;
}

/** Awaits `work`, rethrowing a storage error in the form the provider answers correctly. */
export async function asProviderCall<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    throw toProviderError(error);
  }
}
