/**
 * Writing a secret file so that a reader sees the old content or the new one, never a mix, even if
 * the writer is killed (DESIGN.md § Security baseline: "written to a temp file, fsynced, renamed"):
 * a temp file in the same directory (created exclusively, mode 0600), written, fsynced, renamed over
 * the target, then the directory fsynced so the rename itself survives a crash.
 */
import { randomBytes } from 'node:crypto';
import { type BigIntStats, constants } from 'node:fs';
import { open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Temp files are `.<target name>.<16 hex>.tmp`: hidden, and never a name the store reads. */
const TEMP_FILE = /^\.[^/]+\.[0-9a-f]{16}\.tmp$/;

/** The name of a fresh temp file for `target`. */
export function tempPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.${randomBytes(8).toString('hex')}.tmp`);
}

/** Whether `name` (a file name, no directory) is one of this module's temp files. */
export function isTempFileName(name: string): boolean {
  return TEMP_FILE.test(name);
}

/**
 * fsyncs a directory so that a rename or unlink in it is durable. Ignored where directories cannot
 * be opened for syncing (Windows).
 */
export async function syncDirectory(directory: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(directory, constants.O_RDONLY);
    await handle.sync();
  } catch (error) {
    if (process.platform !== 'win32') throw error;
  } finally {
    await handle?.close();
  }
}

/**
 * Replaces `target` with `data` atomically, as a mode 0600 file. On failure the temp file is removed
 * and `target` is unchanged. Rejects with the file system error.
 *
 * Resolves with the written file's `stat` (bigint), taken through the still-open handle after the
 * rename: the identity (inode, size, times) of what this call wrote, even if another writer has
 * replaced `target` since. A reader comparing it with `stat(target)` knows whether `target` still
 * holds this content.
 */
export async function writeFileAtomic(target: string, data: string): Promise<BigIntStats> {
  const temp = tempPathFor(target);
  const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  let written: BigIntStats;
  try {
    try {
      await handle.chmod(0o600);
      await handle.writeFile(data, 'utf8');
      await handle.sync();
      await rename(temp, target);
      written = await handle.stat({ bigint: true });
    } finally {
      await handle.close();
    }
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await syncDirectory(dirname(target));
  return written;
}

/**
 * Removes the temp files in `directory` older than `maxAgeMs` (left by a writer that was killed
 * between creating and renaming them). Younger ones may belong to a writer still at work and are
 * left alone. Returns the names removed. Errors on single files are ignored (another process may
 * be cleaning up too).
 */
export async function removeStrayTempFiles(
  directory: string,
  maxAgeMs: number,
  now: number,
): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await readdir(directory)) {
    if (!isTempFileName(name)) continue;
    const path = join(directory, name);
    try {
      const info = await stat(path);
      if (!info.isFile() || now - info.mtimeMs < maxAgeMs) continue;
      await unlink(path);
      removed.push(name);
    } catch {
      // Gone already, or not ours to remove: nothing to do.
    }
  }
  return removed;
}
