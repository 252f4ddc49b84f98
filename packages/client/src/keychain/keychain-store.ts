/**
 * The OS keychain token store (issue 4 item 6: "an optional OS keychain store when available"):
 * each entry's secrets (tokens, DPoP key, client secret) are kept in the OS credential store, never
 * on disk in plain text.
 *
 * - Linux (and the BSDs): the Secret Service through libsecret's `secret-tool` (GNOME Keyring,
 *   KWallet, KeePassXC). macOS: the login keychain through `/usr/bin/security` (see
 *   `macos-keychain-backend.ts`: the add command goes on stdin; not run in this project's CI).
 *   Windows: not supported (`KeychainError` `ERR_KEYCHAIN_UNSUPPORTED` at creation).
 * - Items: service `gatehouse` (option `service`), account `tokens-<sha256 of the key>` or
 *   `client-<sha256 of the issuer>` (no URL or secret in an attribute); the secret is the entry as
 *   JSON. Tools run without a shell; secrets travel only on their stdin/stdout, never in argv.
 * - Beside them, in the file store's directory (`$XDG_CONFIG_HOME/gatehouse`, 0700): a non-secret
 *   index file per entry for `list()` (`keychain-index.ts`), and the file store's lease files for
 *   `withLock`, so `refreshSingleFlight` is single-flight across processes as with the file store
 *   (a file store and a keychain store on the same directory share the lock of a key).
 *
 * Does NOT prompt for or unlock a locked keyring itself (the desktop does; a tool still waiting
 * after `timeoutMs` is killed: `ERR_KEYCHAIN_TIMEOUT`), and does NOT notice items removed from the
 * keychain by other programs until it reads them (`get` then says `undefined`; `list` still shows
 * the index entry).
 */
import { createHash } from 'node:crypto';
import { homedir as osHomedir } from 'node:os';
import { isAbsolute } from 'node:path';
import { invalidArgument } from '@gatehouse/core';
import { rejectUnknownOptions } from '../http.js';
import type { ClientRegistration } from '../registration/types.js';
import { TokenStoreError } from '../store/errors.js';
import { createFileStore, defaultStoreDirectory } from '../store/file-store.js';
import { ensurePrivateDirectory } from '../store/private-directory.js';
import type { LockOptions, StoredTokens, StoreKey, StoreListing, TokenStore } from '../store/types.js';
import {
  checkClientRegistration,
  checkIssuer,
  checkStoredTokens,
  checkStoreKey,
  keyId,
  readClientRegistration,
  readStoredTokens,
  sameKey,
} from '../store/validate.js';
import { KeychainError } from './errors.js';
import { type KeychainBackend, keychainBackendFor } from './keychain-backend.js';
import { createKeychainIndex } from './keychain-index.js';

/** Default of {@link KeychainStoreOptions.service}. */
export const DEFAULT_KEYCHAIN_SERVICE = 'gatehouse';
/** Default of {@link KeychainStoreOptions.timeoutMs}. */
export const DEFAULT_KEYCHAIN_TIMEOUT_MS = 30_000;

/** Options of {@link createKeychainStore}. Each default is stated on its field. */
export interface KeychainStoreOptions {
  /** The directory of the index and lock files (absolute). Default: `defaultStoreDirectory(env, homedir)`. */
  readonly directory?: string;
  /**
   * The environment: `XDG_CONFIG_HOME` for the directory, and the tools' environment (their `PATH`
   * lookup, `DBUS_SESSION_BUS_ADDRESS`). Default `process.env`.
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The user's home directory. Default `os.homedir`. */
  readonly homedir?: () => string;
  /** The keychain service name of the items: letters, digits, `.`, `_`, `-`. Default `'gatehouse'`. */
  readonly service?: string;
  /** How long one tool run may take (an unlock prompt included), in milliseconds. Default 30 000. */
  readonly timeoutMs?: number;
  /** A lock lease older than this is broken, in milliseconds. Default: the file store's (60 000). */
  readonly leaseTtlMs?: number;
  /** The platform whose credential store to use. Default `process.platform`. */
  readonly platform?: NodeJS.Platform;
}

/** A {@link TokenStore} whose secrets live in the OS keychain. */
export interface KeychainTokenStore extends TokenStore {
  /** The directory of the index and lock files. */
  readonly directory: string;
  /** The keychain service name of the items. */
  readonly service: string;
}

const KNOWN_OPTIONS: ReadonlySet<string> = new Set([
  'directory',
  'env',
  'homedir',
  'service',
  'timeoutMs',
  'leaseTtlMs',
  'platform',
]);
const AVAILABILITY_OPTIONS: ReadonlySet<string> = new Set(['env', 'service', 'timeoutMs', 'platform']);
const SERVICE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const FORMAT_VERSION = 1;

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** JSON with every non-ASCII character escaped: the tools pass plain ASCII text through unchanged. */
function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\u007f-\uffff]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Checks the options that reach the keychain tool (misuse → `TypeError`). */
function checkToolOptions(options: KeychainAvailabilityOptions, defaultTimeoutMs: number) {
  const service = options.service ?? DEFAULT_KEYCHAIN_SERVICE;
  if (typeof service !== 'string' || !SERVICE.test(service)) {
    throw invalidArgument('"service" must be 1 to 64 letters, digits, ".", "_" or "-"');
  }
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw invalidArgument('"timeoutMs" must be a finite number > 0 (milliseconds)');
  }
  const env = options.env ?? process.env;
  if (typeof env !== 'object' || env === null) throw invalidArgument('"env" must be an object');
  return { env, service, timeoutMs, platform: options.platform ?? process.platform };
}

function checkOptions(options: KeychainStoreOptions) {
  if (typeof options !== 'object' || options === null) throw invalidArgument('"options" must be an object');
  rejectUnknownOptions(options, KNOWN_OPTIONS, 'createKeychainStore');
  if (
    options.directory !== undefined &&
    (typeof options.directory !== 'string' || !isAbsolute(options.directory))
  ) {
    throw invalidArgument('"directory" must be an absolute path');
  }
  if (options.homedir !== undefined && typeof options.homedir !== 'function') {
    throw invalidArgument('"homedir" must be a function returning the home directory');
  }
  const tool = checkToolOptions(options, DEFAULT_KEYCHAIN_TIMEOUT_MS);
  return {
    ...tool,
    directory: options.directory ?? defaultStoreDirectory(tool.env, options.homedir ?? osHomedir),
  };
}

/**
 * Creates a token store keeping its secrets in the OS keychain (see the module comment). Nothing
 * runs until the first call. Throws `KeychainError` `ERR_KEYCHAIN_UNSUPPORTED` on Windows; a missing
 * tool or an unreachable keyring is a `KeychainError` from the first call that needs it (use
 * {@link isKeychainAvailable} to decide beforehand). Corrupt items are `TokenStoreError`
 * `ERR_STORE_CORRUPT` whose `path` names the item (`keychain:<service>/<account>`).
 *
 * @example
 * const store = (await isKeychainAvailable()) ? createKeychainStore() : createFileStore();
 * const fetch = authFetch({ serverUrl, store });
 */
export function createKeychainStore(options: KeychainStoreOptions = {}): KeychainTokenStore {
  const { env, service, timeoutMs, platform, directory } = checkOptions(options);
  const backend: KeychainBackend = keychainBackendFor(platform, { service, env, timeoutMs });
  const locks = createFileStore({
    directory,
    ...(options.leaseTtlMs === undefined ? {} : { leaseTtlMs: options.leaseTtlMs }),
  });
  const index = createKeychainIndex(directory, service);
  let ready: Promise<void> | undefined;

  function ensureDirectory(): Promise<void> {
    ready ??= ensurePrivateDirectory(directory).catch((error: unknown) => {
      ready = undefined;
      throw error;
    });
    return ready;
  }

  const itemName = (account: string) => `keychain:${service}/${account}`;
  const corrupt = (account: string, problem: string) =>
    new TokenStoreError(
      'ERR_STORE_CORRUPT',
      itemName(account),
      `the keychain item ${itemName(account)} is corrupt (${problem}); it was left in place: remove it to sign in again`,
    );

  async function readEntry(account: string): Promise<Record<string, unknown> | undefined> {
    const text = await backend.read(account);
    if (text === undefined) return undefined;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw corrupt(account, 'not valid JSON');
    }
    if (typeof value !== 'object' || value === null) throw corrupt(account, 'not an object');
    const entry = value as Record<string, unknown>;
    if (entry.version !== FORMAT_VERSION) throw corrupt(account, `"version" is not ${FORMAT_VERSION}`);
    return entry;
  }

  return {
    directory,
    service,

    async get(key: StoreKey): Promise<StoredTokens | undefined> {
      const checked = checkStoreKey(key);
      const account = `tokens-${sha256(keyId(checked))}`;
      const entry = await readEntry(account);
      if (entry === undefined) return undefined;
      let entryKey: StoreKey;
      try {
        entryKey = checkStoreKey(entry.key);
      } catch {
        throw corrupt(account, '"key" is not a valid key');
      }
      if (!sameKey(entryKey, checked)) throw corrupt(account, 'it holds another key');
      const read = readStoredTokens(entry.tokens);
      if ('badField' in read)
        throw corrupt(account, `"tokens.${read.badField}" is missing or of the wrong type`);
      if (
        read.issuer !== checked.issuer ||
        read.resource !== checked.resource ||
        read.client_id !== checked.clientId
      ) {
        throw corrupt(account, 'the tokens do not belong to the key');
      }
      return read;
    },

    async set(key: StoreKey, tokens: StoredTokens): Promise<void> {
      const checked = checkStoreKey(key);
      const value = checkStoredTokens(checked, tokens);
      await ensureDirectory();
      const hash = sha256(keyId(checked));
      await backend.write(
        `tokens-${hash}`,
        asciiJson({ version: FORMAT_VERSION, key: checked, tokens: value }),
      );
      await index.record(hash, checked, value);
    },

    async delete(key: StoreKey): Promise<void> {
      const checked = checkStoreKey(key);
      await ensureDirectory();
      const hash = sha256(keyId(checked));
      await backend.remove(`tokens-${hash}`);
      await index.forget(hash);
    },

    async list(): Promise<StoreListing> {
      await ensureDirectory();
      const { entries, problems } = await index.list();
      return Object.freeze({ entries: Object.freeze(entries), problems: Object.freeze(problems) });
    },

    withLock<T>(key: StoreKey, fn: () => Promise<T>, lockOptions?: LockOptions): Promise<T> {
      return locks.withLock(key, fn, lockOptions);
    },

    async getClient(issuer: string): Promise<ClientRegistration | undefined> {
      const checked = checkIssuer(issuer);
      const account = `client-${sha256(checked)}`;
      const entry = await readEntry(account);
      if (entry === undefined) return undefined;
      const read = readClientRegistration(entry.registration);
      if ('badField' in read) {
        throw corrupt(account, `"registration.${read.badField}" is missing or of the wrong type`);
      }
      if (read.issuer !== checked) throw corrupt(account, 'it holds another issuer');
      return read;
    },

    async setClient(issuer: string, registration: ClientRegistration): Promise<void> {
      const checked = checkIssuer(issuer);
      const value = checkClientRegistration(checked, registration);
      await backend.write(
        `client-${sha256(checked)}`,
        asciiJson({ version: FORMAT_VERSION, registration: value }),
      );
    },

    async deleteClient(issuer: string): Promise<void> {
      await backend.remove(`client-${sha256(checkIssuer(issuer))}`);
    },
  };
}

/** Options of {@link isKeychainAvailable}: those of {@link createKeychainStore} that reach the keychain. */
export type KeychainAvailabilityOptions = Pick<
  KeychainStoreOptions,
  'env' | 'service' | 'timeoutMs' | 'platform'
>;

/**
 * Whether the OS keychain store can work here: a supported platform, its tool installed, and the
 * credential store answering (a lookup of an item that does not exist; nothing is written and no
 * secret read). Resolves `false` on Windows, without `secret-tool`, without a Secret Service on the
 * session bus (e.g. an SSH session without D-Bus), or when the probe times out (default 5 000 ms).
 *
 * Does NOT check that the keyring is unlocked: storing may still wait for the user to unlock it.
 *
 * @example
 * const store = (await isKeychainAvailable()) ? createKeychainStore() : createFileStore();
 */
export async function isKeychainAvailable(options: KeychainAvailabilityOptions = {}): Promise<boolean> {
  if (typeof options !== 'object' || options === null) throw invalidArgument('"options" must be an object');
  rejectUnknownOptions(options, AVAILABILITY_OPTIONS, 'isKeychainAvailable');
  const checked = checkToolOptions(options, 5_000);
  let backend: KeychainBackend;
  try {
    backend = keychainBackendFor(checked.platform, checked);
  } catch (error) {
    if (error instanceof KeychainError) return false;
    throw error;
  }
  try {
    await backend.read('availability-probe');
    return true;
  } catch (error) {
    if (error instanceof KeychainError) return false;
    throw error;
  }
}
