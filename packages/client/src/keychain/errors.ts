/**
 * The error of the OS keychain store: the credential store could not be used. Messages name the
 * tool and what failed; they never contain a secret (secrets only ever travel on a tool's stdin and
 * stdout, see `run-tool.ts`).
 */

/** Stable codes of {@link KeychainError}. */
export type KeychainErrorCode =
  /** This platform has no supported credential store (Windows, or anything but Linux and macOS). */
  | 'ERR_KEYCHAIN_UNSUPPORTED'
  /** The tool (`secret-tool`, `/usr/bin/security`) is not installed or could not be started. */
  | 'ERR_KEYCHAIN_UNAVAILABLE'
  /** The tool ran and failed: no Secret Service on the session bus, a locked keyring, a refusal. */
  | 'ERR_KEYCHAIN_FAILED'
  /** The tool did not finish within `timeoutMs` (e.g. an unlock prompt nobody answered); it was killed. */
  | 'ERR_KEYCHAIN_TIMEOUT';

const keychainErrorBrand = Symbol.for('gatehouse.KeychainError');

/**
 * The OS credential store could not be used. `tool` names the program run, when there was one.
 *
 * @example
 * catch (e) { if (e instanceof KeychainError && e.code === 'ERR_KEYCHAIN_UNAVAILABLE') useFileStore(); }
 */
export class KeychainError extends Error {
  override readonly name = 'KeychainError';
  readonly code: KeychainErrorCode;
  /** The program that was run (`secret-tool`, `/usr/bin/security`), if any. */
  readonly tool: string | undefined;

  constructor(code: KeychainErrorCode, message: string, options: { tool?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.tool = options.tool;
    Object.defineProperty(this, keychainErrorBrand, { value: true });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && keychainErrorBrand in value;
  }
}
