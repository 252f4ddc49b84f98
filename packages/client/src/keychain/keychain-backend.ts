/**
 * The OS credential stores the keychain store can use, behind one small interface, and the choice by
 * platform: the Secret Service (libsecret's `secret-tool`) on Linux and the other Unix desktops,
 * the login keychain (`/usr/bin/security`) on macOS; nothing on Windows.
 */
import { KeychainError } from './errors.js';
import { createMacosKeychainBackend } from './macos-keychain-backend.js';
import { createSecretToolBackend } from './secret-tool-backend.js';

/** One item per `account` under the store's service name; the secret is a string. */
export interface KeychainBackend {
  /** The program run, for messages. */
  readonly tool: string;
  /** The secret of the item, or `undefined` when there is none. */
  read(account: string): Promise<string | undefined>;
  /** Creates or replaces the item. */
  write(account: string, secret: string): Promise<void>;
  /** Removes the item; no error when there is none. */
  remove(account: string): Promise<void>;
}

/** What a backend needs. */
export interface KeychainBackendOptions {
  /** The service name the items are kept under (safe characters only, checked by the caller). */
  readonly service: string;
  /** The tools' environment (`PATH`, `DBUS_SESSION_BUS_ADDRESS`, …). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Per tool run, in milliseconds. */
  readonly timeoutMs: number;
}

/**
 * The backend of `platform`. Throws `KeychainError` `ERR_KEYCHAIN_UNSUPPORTED` on Windows and other
 * platforms without a supported tool.
 */
export function keychainBackendFor(
  platform: NodeJS.Platform,
  options: KeychainBackendOptions,
): KeychainBackend {
  if (platform === 'darwin') return createMacosKeychainBackend(options);
  if (platform === 'linux' || platform === 'freebsd' || platform === 'openbsd') {
    return createSecretToolBackend(options);
  }
  throw new KeychainError(
    'ERR_KEYCHAIN_UNSUPPORTED',
    `the OS keychain store does not support ${platform === 'win32' ? 'Windows' : `the platform "${platform}"`}: use createFileStore() instead`,
  );
}
