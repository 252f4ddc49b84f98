/**
 * The errors of the token stores: data that cannot be read or trusted, and a lock that could not be
 * taken in time. Messages name the file; they never contain a token or the file's content.
 */

/** Stable codes of {@link TokenStoreError}. */
export type TokenStoreErrorCode =
  /** The file is not JSON, or not a store entry of the expected shape. */
  | 'ERR_STORE_CORRUPT'
  /** The file or directory exists but could not be read (permissions, not a regular file, …). */
  | 'ERR_STORE_UNREADABLE'
  /** The directory is writable by others or not owned by this user: refused, not used. */
  | 'ERR_STORE_INSECURE'
  /** Writing, renaming or deleting failed (disk full, read-only file system, …). */
  | 'ERR_STORE_WRITE_FAILED';

const storeErrorBrand = Symbol.for('gatehouse.TokenStoreError');
const lockTimeoutBrand = Symbol.for('gatehouse.TokenStoreLockTimeout');

/**
 * A store's data could not be read, trusted or written. `path` names the file or directory. A
 * corrupt or unreadable entry is reported, never deleted, and does not affect the other entries.
 *
 * @example
 * catch (e) { if (e instanceof TokenStoreError && e.code === 'ERR_STORE_CORRUPT') tellUser(`remove ${e.path}`); }
 */
export class TokenStoreError extends Error {
  override readonly name = 'TokenStoreError';
  readonly code: TokenStoreErrorCode;
  /** The file or directory concerned. */
  readonly path: string;

  constructor(code: TokenStoreErrorCode, path: string, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.path = path;
    Object.defineProperty(this, storeErrorBrand, { value: true });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && storeErrorBrand in value;
  }
}

/**
 * `withLock` waited `timeoutMs` without getting the lock (another holder is still working: a
 * refresh or a sign-in in another process). `code` is `ERR_STORE_LOCK_TIMEOUT`; `path` is the lease
 * file for the file store, absent for the memory store.
 *
 * @example
 * catch (e) { if (e instanceof TokenStoreLockTimeout) retryLater(); }
 */
export class TokenStoreLockTimeout extends Error {
  override readonly name = 'TokenStoreLockTimeout';
  readonly code = 'ERR_STORE_LOCK_TIMEOUT';
  readonly timeoutMs: number;
  readonly path: string | undefined;

  constructor(timeoutMs: number, path?: string) {
    super(
      `the token store lock${path === undefined ? '' : ` (${path})`} was not obtained within ${timeoutMs} ms`,
    );
    this.timeoutMs = timeoutMs;
    this.path = path;
    Object.defineProperty(this, lockTimeoutBrand, { value: true });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && lockTimeoutBrand in value;
  }
}
