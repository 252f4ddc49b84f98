/**
 * The non-secret index of the keychain store: one small JSON file per entry beside the lock files,
 * `keychain-<service>-<sha256 of the key>.json` (mode 0600, written atomically), holding what
 * `TokenStore.list()` returns (the key, `expires_at`, `scope`, whether a refresh token exists) so
 * listing never touches the keychain (no unlock prompt, no secret read). The credential stores
 * cannot enumerate items portably; the index is how the entries are found.
 */
import { readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../store/atomic-file.js';
import { TokenStoreError } from '../store/errors.js';
import { errorCode } from '../store/file-store-content.js';
import type { StoredTokens, StoredTokensSummary, StoreKey } from '../store/types.js';
import { checkStoreKey } from '../store/validate.js';

const FORMAT_VERSION = 1;

function corrupt(path: string, problem: string): TokenStoreError {
  return new TokenStoreError(
    'ERR_STORE_CORRUPT',
    path,
    `the keychain store index file ${path} is corrupt (${problem}); it was left in place: remove it to forget the entry`,
  );
}

function readSummary(path: string, text: string): StoredTokensSummary {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw corrupt(path, 'not valid JSON');
  }
  if (typeof value !== 'object' || value === null) throw corrupt(path, 'not an object');
  const { version, key, expires_at, scope, hasRefreshToken } = value as Record<string, unknown>;
  if (version !== FORMAT_VERSION) throw corrupt(path, `"version" is not ${FORMAT_VERSION}`);
  let checked: StoreKey;
  try {
    checked = checkStoreKey(key);
  } catch {
    throw corrupt(path, '"key" is not a valid key');
  }
  if (expires_at !== undefined && typeof expires_at !== 'number') throw corrupt(path, '"expires_at"');
  if (scope !== undefined && typeof scope !== 'string') throw corrupt(path, '"scope"');
  if (typeof hasRefreshToken !== 'boolean') throw corrupt(path, '"hasRefreshToken"');
  return Object.freeze({
    key: checked,
    ...(expires_at === undefined ? {} : { expires_at }),
    ...(scope === undefined ? {} : { scope }),
    hasRefreshToken,
  });
}

/** The index of one keychain store: its `directory` and `service`. */
export function createKeychainIndex(directory: string, service: string) {
  const pattern = new RegExp(`^keychain-${service.replace(/[.]/g, '\\.')}-[0-9a-f]{64}\\.json$`);
  const pathOf = (hash: string) => join(directory, `keychain-${service}-${hash}.json`);

  return {
    /** Records the summary of `tokens` under the entry `hash`. */
    async record(hash: string, key: StoreKey, tokens: StoredTokens): Promise<void> {
      const path = pathOf(hash);
      const summary = {
        version: FORMAT_VERSION,
        key,
        ...(tokens.expires_at === undefined ? {} : { expires_at: tokens.expires_at }),
        ...(tokens.scope === undefined ? {} : { scope: tokens.scope }),
        hasRefreshToken: tokens.refresh_token !== undefined,
      };
      try {
        await writeFileAtomic(path, `${JSON.stringify(summary, null, 2)}\n`);
      } catch (error) {
        throw new TokenStoreError(
          'ERR_STORE_WRITE_FAILED',
          path,
          `the keychain store index file ${path} could not be written (${errorCode(error)})`,
          { cause: error },
        );
      }
    },

    /** Forgets the entry `hash`; no error when it is not there. */
    async forget(hash: string): Promise<void> {
      const path = pathOf(hash);
      try {
        await unlink(path);
      } catch (error) {
        if (errorCode(error) === 'ENOENT') return;
        throw new TokenStoreError(
          'ERR_STORE_WRITE_FAILED',
          path,
          `the keychain store index file ${path} could not be removed (${errorCode(error)})`,
          { cause: error },
        );
      }
    },

    /** Every recorded entry; unreadable or corrupt files are reported as problems, never removed. */
    async list(): Promise<{ entries: StoredTokensSummary[]; problems: Error[] }> {
      const entries: StoredTokensSummary[] = [];
      const problems: Error[] = [];
      for (const name of (await readdir(directory)).sort()) {
        if (!pattern.test(name)) continue;
        const path = join(directory, name);
        try {
          let text: string;
          try {
            text = await readFile(path, 'utf8');
          } catch (error) {
            if (errorCode(error) === 'ENOENT') continue;
            throw new TokenStoreError(
              'ERR_STORE_UNREADABLE',
              path,
              `the keychain store index file ${path} could not be read (${errorCode(error)})`,
              { cause: error },
            );
          }
          entries.push(readSummary(path, text));
        } catch (error) {
          problems.push(error as Error);
        }
      }
      return { entries, problems };
    },
  };
}
