/**
 * The default token store: one JSON file per entry in a private directory (issue 4 item 6; DESIGN.md
 * § Security baseline; pain points 7, 11 and 15).
 *
 * - Directory: `$XDG_CONFIG_HOME/gatehouse`, else `~/.config/gatehouse`. Created with mode 0700; an
 *   existing directory that is group- or world-writable, or owned by another user, is refused
 *   (`TokenStoreError` `ERR_STORE_INSECURE`), never silently used or changed.
 * - Files: mode 0600, named by a SHA-256 of the key (no issuer, resource or secret in a file name):
 *   `tokens-<sha256>.json`, `client-<sha256 of issuer>.json`, the lease `tokens-<sha256>.lock`.
 * - Writes: temp file (`O_EXCL`, 0600) → fsync → rename → fsync of the directory. A writer killed at
 *   any point leaves the previous entry intact; its stray temp file is removed once older than
 *   `strayTempMaxAgeMs`.
 * - A corrupt or unreadable file is a `TokenStoreError` naming the path; it is never deleted and
 *   never affects the other entries.
 * - `withLock` is a per-key lock across processes (a lease file, see `file-lease.ts`), with an
 *   in-process mutex in front of it.
 * - `get` keeps the entry it last read or wrote in memory with the file's identity (inode, size,
 *   times: `file-identity.ts`) and answers from memory while one `stat` finds the same file: the warm
 *   path costs no read and no parse, and an entry another process replaced (a rename: a new inode)
 *   is read again at the next call. Inside `withLock` for its key, `get` always reads the file, so a
 *   refresh never acts on an older entry (a rotated refresh token is never redeemed twice).
 *
 * Tokens are stored in plain JSON protected by file permissions; this module does NOT encrypt them
 * and does NOT check file permissions on Windows.
 */
import { createHash } from 'node:crypto';
import { readdir, unlink } from 'node:fs/promises';
import { homedir as osHomedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { invalidArgument } from '@gatehouse/core';
import { rejectUnknownOptions } from '../http.js';
import type { ClientRegistration } from '../registration/types.js';
import { removeStrayTempFiles, syncDirectory, writeFileAtomic } from './atomic-file.js';
import { TokenStoreError } from './errors.js';
import { currentIdentity, type FileIdentity, identityOf, sameIdentity } from './file-identity.js';
import { acquireLease } from './file-lease.js';
import {
  corrupt,
  errorCode,
  FORMAT_VERSION,
  readJson,
  readJsonWithIdentity,
  summary,
  tokenEntry,
} from './file-store-content.js';
import { KeyedMutex } from './keyed-mutex.js';
import { ensurePrivateDirectory } from './private-directory.js';
import type {
  LockOptions,
  StoredTokens,
  StoredTokensSummary,
  StoreKey,
  StoreListing,
  TokenStore,
} from './types.js';
import {
  checkClientRegistration,
  checkIssuer,
  checkStoredTokens,
  checkStoreKey,
  keyId,
  lockTimeoutOf,
  readClientRegistration,
  sameKey,
} from './validate.js';

/** Default of {@link FileStoreOptions.leaseTtlMs}. */
export const DEFAULT_LEASE_TTL_MS = 60_000;
/** Default of {@link FileStoreOptions.strayTempMaxAgeMs}. */
export const DEFAULT_STRAY_TEMP_MAX_AGE_MS = 10 * 60_000;

/** Options of {@link createFileStore}. Each default is stated on its field. */
export interface FileStoreOptions {
  /** The store directory (absolute). Default: {@link defaultStoreDirectory} of {@link env} and {@link homedir}. */
  readonly directory?: string;
  /** Where `XDG_CONFIG_HOME` is read. Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The user's home directory. Default `os.homedir`. */
  readonly homedir?: () => string;
  /** A lease older than this is broken, in milliseconds. Default 60 000. */
  readonly leaseTtlMs?: number;
  /** Temp files older than this are left-overs of a killed writer and removed, in milliseconds. Default 600 000. */
  readonly strayTempMaxAgeMs?: number;
}

/** A {@link TokenStore} kept in files. */
export interface FileTokenStore extends TokenStore {
  /** The directory holding the files. */
  readonly directory: string;
}

const KNOWN_OPTIONS: ReadonlySet<string> = new Set([
  'directory',
  'env',
  'homedir',
  'leaseTtlMs',
  'strayTempMaxAgeMs',
]);
const TOKEN_FILE = /^tokens-[0-9a-f]{64}\.json$/;

/**
 * The default store directory: `$XDG_CONFIG_HOME/gatehouse` when `XDG_CONFIG_HOME` is an absolute
 * path (the XDG Base Directory specification ignores relative ones), else `<home>/.config/gatehouse`.
 */
export function defaultStoreDirectory(
  env: Readonly<Record<string, string | undefined>> = process.env,
  homedir: () => string = osHomedir,
): string {
  const xdg = env.XDG_CONFIG_HOME;
  if (xdg !== undefined && xdg !== '' && isAbsolute(xdg)) return join(xdg, 'gatehouse');
  return join(homedir(), '.config', 'gatehouse');
}

function positive(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw invalidArgument(`"${name}" must be a finite number > 0 (milliseconds)`);
  }
  return value;
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * Creates a file-backed token store (see the module comment for the layout and guarantees). Nothing
 * touches the disk until the first call; the directory is then created or checked once.
 *
 * @example
 * const store = createFileStore(); // ~/.config/gatehouse
 * const tokens = await refreshSingleFlight(store, key, refresh, { isFresh });
 */
export function createFileStore(options: FileStoreOptions = {}): FileTokenStore {
  if (typeof options !== 'object' || options === null) throw invalidArgument('"options" must be an object');
  rejectUnknownOptions(options, KNOWN_OPTIONS, 'createFileStore');
  if (
    options.directory !== undefined &&
    (typeof options.directory !== 'string' || !isAbsolute(options.directory))
  ) {
    throw invalidArgument('"directory" must be an absolute path');
  }
  if (options.homedir !== undefined && typeof options.homedir !== 'function') {
    throw invalidArgument('"homedir" must be a function returning the home directory');
  }
  const directory = options.directory ?? defaultStoreDirectory(options.env ?? process.env, options.homedir);
  const leaseTtlMs = positive(options.leaseTtlMs, 'leaseTtlMs', DEFAULT_LEASE_TTL_MS);
  const strayTempMaxAgeMs = positive(
    options.strayTempMaxAgeMs,
    'strayTempMaxAgeMs',
    DEFAULT_STRAY_TEMP_MAX_AGE_MS,
  );
  const mutex = new KeyedMutex();
  /** Token file path → the entry last read or written there and the file's identity then. */
  const cache = new Map<string, { identity: FileIdentity; tokens: StoredTokens }>();
  /** Token file paths whose key this process holds the lock of (`withLock`): `get` reads them. */
  const locked = new Set<string>();
  let ready: Promise<void> | undefined;

  async function prepare(): Promise<void> {
    await ensurePrivateDirectory(directory);
    await removeStrayTempFiles(directory, strayTempMaxAgeMs, Date.now());
  }

  function ensureDirectory(): Promise<void> {
    ready ??= prepare().catch((error: unknown) => {
      ready = undefined;
      throw error;
    });
    return ready;
  }

  const tokenBase = (key: StoreKey): string => join(directory, `tokens-${sha256(keyId(key))}`);
  const clientPath = (issuer: string): string => join(directory, `client-${sha256(issuer)}.json`);

  async function write(path: string, value: unknown): Promise<FileIdentity> {
    try {
      return identityOf(await writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`));
    } catch (error) {
      throw new TokenStoreError(
        'ERR_STORE_WRITE_FAILED',
        path,
        `the token store file ${path} could not be written (${errorCode(error)})`,
        { cause: error },
      );
    }
  }

  async function remove(path: string): Promise<void> {
    try {
      await unlink(path);
      await syncDirectory(directory);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return;
      throw new TokenStoreError(
        'ERR_STORE_WRITE_FAILED',
        path,
        `the token store file ${path} could not be removed (${errorCode(error)})`,
        { cause: error },
      );
    }
  }

  return {
    directory,

    async get(key: StoreKey): Promise<StoredTokens | undefined> {
      const checked = checkStoreKey(key);
      await ensureDirectory();
      const path = `${tokenBase(checked)}.json`;
      const cached = cache.get(path);
      if (cached !== undefined && !locked.has(path)) {
        const now = currentIdentity(path);
        if (now === 'missing') {
          cache.delete(path);
          return undefined;
        }
        if (now !== undefined && sameIdentity(now, cached.identity)) return cached.tokens;
      }
      cache.delete(path);
      const read = await readJsonWithIdentity(path);
      if (read === undefined) return undefined;
      const entry = tokenEntry(path, read.value);
      if (!sameKey(entry.key, checked)) throw corrupt(path, 'it holds another key');
      cache.set(path, { identity: read.identity, tokens: entry.tokens });
      return entry.tokens;
    },

    async set(key: StoreKey, tokens: StoredTokens): Promise<void> {
      const checked = checkStoreKey(key);
      const value = checkStoredTokens(checked, tokens);
      await ensureDirectory();
      const path = `${tokenBase(checked)}.json`;
      cache.delete(path);
      const identity = await write(path, { version: FORMAT_VERSION, key: checked, tokens: value });
      cache.set(path, { identity, tokens: value });
    },

    async delete(key: StoreKey): Promise<void> {
      const checked = checkStoreKey(key);
      await ensureDirectory();
      const path = `${tokenBase(checked)}.json`;
      cache.delete(path);
      await remove(path);
    },

    async list(): Promise<StoreListing> {
      await ensureDirectory();
      await removeStrayTempFiles(directory, strayTempMaxAgeMs, Date.now());
      const entries: StoredTokensSummary[] = [];
      const problems: Error[] = [];
      for (const name of (await readdir(directory)).sort()) {
        if (!TOKEN_FILE.test(name)) continue;
        const path = join(directory, name);
        try {
          const value = await readJson(path);
          if (value === undefined) continue;
          const entry = tokenEntry(path, value);
          entries.push(summary(entry.key, entry.tokens));
        } catch (error) {
          problems.push(error as Error);
        }
      }
      return Object.freeze({ entries: Object.freeze(entries), problems: Object.freeze(problems) });
    },

    async withLock<T>(key: StoreKey, fn: () => Promise<T>, lockOptions?: LockOptions): Promise<T> {
      const checked = checkStoreKey(key);
      const timeoutMs = lockTimeoutOf(lockOptions);
      const started = Date.now();
      const lockPath = `${tokenBase(checked)}.lock`;
      const tokenPath = `${tokenBase(checked)}.json`;
      const release = await mutex.acquire(lockPath, timeoutMs, lockPath);
      try {
        await ensureDirectory();
        const lease = await acquireLease(lockPath, { timeoutMs, leaseTtlMs, startedAt: started });
        locked.add(tokenPath);
        try {
          return await fn();
        } finally {
          locked.delete(tokenPath);
          await lease.release();
        }
      } finally {
        release();
      }
    },

    async getClient(issuer: string): Promise<ClientRegistration | undefined> {
      const checked = checkIssuer(issuer);
      await ensureDirectory();
      const path = clientPath(checked);
      const value = await readJson(path);
      if (value === undefined) return undefined;
      if (typeof value !== 'object' || value === null) throw corrupt(path, 'not an object');
      const { version, registration } = value as Record<string, unknown>;
      if (version !== FORMAT_VERSION) throw corrupt(path, `"version" is not ${FORMAT_VERSION}`);
      const read = readClientRegistration(registration);
      if ('badField' in read)
        throw corrupt(path, `"registration.${read.badField}" is missing or of the wrong type`);
      if (read.issuer !== checked) throw corrupt(path, 'it holds another issuer');
      return read;
    },

    async setClient(issuer: string, registration: ClientRegistration): Promise<void> {
      const checked = checkIssuer(issuer);
      const value = checkClientRegistration(checked, registration);
      await ensureDirectory();
      await write(clientPath(checked), { version: FORMAT_VERSION, registration: value });
    },

    async deleteClient(issuer: string): Promise<void> {
      const checked = checkIssuer(issuer);
      await ensureDirectory();
      await remove(clientPath(checked));
    },
  };
}
