/**
 * A token store's private directory (the file store's, the keychain store's index and lock files):
 * created with mode 0700; an existing one that is group- or world-writable, or owned by another
 * user, is refused (DESIGN.md § Security baseline).
 */
import { chmod, mkdir, stat } from 'node:fs/promises';
import { TokenStoreError } from './errors.js';
import { errorCode } from './file-store-content.js';

/** Creates `directory` (0700) or checks it; rejects with `TokenStoreError` when it cannot be trusted. */
export async function ensurePrivateDirectory(directory: string): Promise<void> {
  try {
    const created = await mkdir(directory, { recursive: true, mode: 0o700 });
    if (created !== undefined) await chmod(directory, 0o700);
  } catch (error) {
    throw new TokenStoreError(
      'ERR_STORE_WRITE_FAILED',
      directory,
      `the token store directory ${directory} could not be created (${errorCode(error)})`,
      { cause: error },
    );
  }
  const info = await stat(directory);
  if (!info.isDirectory()) {
    throw new TokenStoreError('ERR_STORE_UNREADABLE', directory, `${directory} is not a directory`);
  }
  if (process.platform === 'win32') return;
  if ((info.mode & 0o022) !== 0) {
    const mode = (info.mode & 0o777).toString(8).padStart(4, '0');
    throw new TokenStoreError(
      'ERR_STORE_INSECURE',
      directory,
      `the token store directory ${directory} is writable by group or others (mode ${mode}); run "chmod 700 ${directory}" to use it`,
    );
  }
  if (typeof process.getuid === 'function' && info.uid !== process.getuid()) {
    throw new TokenStoreError(
      'ERR_STORE_INSECURE',
      directory,
      `the token store directory ${directory} is owned by another user`,
    );
  }
}
