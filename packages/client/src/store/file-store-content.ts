/**
 * The content of the file store's files (`file-store.ts`): reading a file's JSON with the identity of
 * what was read, and checking a token file against its key. A file that cannot be read is
 * `ERR_STORE_UNREADABLE`, one of the wrong shape `ERR_STORE_CORRUPT`; messages name the path and the
 * field, never a value.
 */
import { TokenStoreError } from './errors.js';
import { type FileIdentity, readWithIdentity } from './file-identity.js';
import type { StoredTokens, StoredTokensSummary, StoreKey } from './types.js';
import { checkStoreKey, readStoredTokens } from './validate.js';

/** The `version` of every file the store writes. */
export const FORMAT_VERSION = 1;

/** The `code` of a file system error, for messages. */
export function errorCode(error: unknown): string {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : 'unknown error';
}

/** The error for a file whose content is not what the store writes. */
export function corrupt(path: string, problem: string): TokenStoreError {
  return new TokenStoreError(
    'ERR_STORE_CORRUPT',
    path,
    `the token store file ${path} is corrupt (${problem}); it was left in place: remove it to sign in again`,
  );
}

/** A file's parsed JSON and the identity of what was read, or `undefined` when there is no file. */
export async function readJsonWithIdentity(
  path: string,
): Promise<{ value: unknown; identity: FileIdentity } | undefined> {
  let read: Awaited<ReturnType<typeof readWithIdentity>>;
  try {
    read = await readWithIdentity(path);
  } catch (error) {
    throw new TokenStoreError(
      'ERR_STORE_UNREADABLE',
      path,
      `the token store file ${path} could not be read (${errorCode(error)})`,
      { cause: error },
    );
  }
  if (read === undefined) return undefined;
  try {
    return { value: JSON.parse(read.text) as unknown, identity: read.identity };
  } catch {
    throw corrupt(path, 'not valid JSON');
  }
}

/** A file's parsed JSON, or `undefined` when there is no file. */
export async function readJson(path: string): Promise<unknown> {
  return (await readJsonWithIdentity(path))?.value;
}

/** Reads a token file's content; `expected` is the key it must hold (a mismatch is corruption). */
export function tokenEntry(path: string, value: unknown): { key: StoreKey; tokens: StoredTokens } {
  if (typeof value !== 'object' || value === null) throw corrupt(path, 'not an object');
  const { version, key, tokens } = value as Record<string, unknown>;
  if (version !== FORMAT_VERSION) throw corrupt(path, `"version" is not ${FORMAT_VERSION}`);
  let checkedKey: StoreKey;
  try {
    checkedKey = checkStoreKey(key);
  } catch {
    throw corrupt(path, '"key" is not a valid key');
  }
  const read = readStoredTokens(tokens);
  if ('badField' in read) throw corrupt(path, `"tokens.${read.badField}" is missing or of the wrong type`);
  if (
    read.issuer !== checkedKey.issuer ||
    read.resource !== checkedKey.resource ||
    read.client_id !== checkedKey.clientId
  ) {
    throw corrupt(path, 'the tokens do not belong to the key');
  }
  return { key: checkedKey, tokens: read };
}

/** What `list` shows of an entry: never a token value. */
export function summary(key: StoreKey, tokens: StoredTokens): StoredTokensSummary {
  return Object.freeze({
    key,
    ...(tokens.expires_at === undefined ? {} : { expires_at: tokens.expires_at }),
    ...(tokens.scope === undefined ? {} : { scope: tokens.scope }),
    hasRefreshToken: tokens.refresh_token !== undefined,
  });
}
