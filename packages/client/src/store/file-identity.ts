/**
 * Telling whether a file still holds the content read from it earlier, with one `stat` and no read:
 * what lets the file store serve a token from memory on the warm path yet see, at the next call,
 * an entry another process has rewritten (issue 4 item 6).
 *
 * The store only ever replaces a file by renaming a new one over it (`writeFileAtomic`), which
 * changes the inode; an edit in place changes the size or the modification and change times. An
 * identity is therefore the device, inode, size, `mtime` and `ctime` in nanoseconds (bigint `stat`).
 *
 * Does NOT detect an edit in place that keeps the size and lands within the file system's timestamp
 * granularity of the previous change, nor an inode number reused, with the same size and times, by
 * two replacements in a row within that granularity: callers that must not act on an old value (a
 * refresh under the store's lock) read the file instead.
 */
import { type BigIntStats, statSync } from 'node:fs';
import { open } from 'node:fs/promises';

/** What identifies one version of a file's content (see the module comment). */
export interface FileIdentity {
  readonly dev: bigint;
  readonly ino: bigint;
  readonly size: bigint;
  readonly mtimeNs: bigint;
  readonly ctimeNs: bigint;
}

/** The identity in `stats` (from a `stat` with `{ bigint: true }`). */
export function identityOf(stats: BigIntStats): FileIdentity {
  const { dev, ino, size, mtimeNs, ctimeNs } = stats;
  return { dev, ino, size, mtimeNs, ctimeNs };
}

/** Whether two identities are the same version of a file. */
export function sameIdentity(a: FileIdentity, b: FileIdentity): boolean {
  return (
    a.ino === b.ino &&
    a.dev === b.dev &&
    a.size === b.size &&
    a.mtimeNs === b.mtimeNs &&
    a.ctimeNs === b.ctimeNs
  );
}

function errorCode(error: unknown): unknown {
  return typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
}

/**
 * The identity of the file at `path` now: `'missing'` when there is none, `undefined` when `stat`
 * fails otherwise (the caller reads the file and reports its error).
 *
 * Synchronous on purpose: one `stat` of a file in the user's config directory takes microseconds,
 * while the thread-pool round trip of `fs.promises.stat` costs more than that on a busy machine,
 * and this runs before every MCP request of a warm `authFetch`.
 */
export function currentIdentity(path: string): FileIdentity | 'missing' | undefined {
  try {
    const stats = statSync(path, { bigint: true, throwIfNoEntry: false });
    return stats === undefined ? 'missing' : identityOf(stats);
  } catch {
    return undefined;
  }
}

/**
 * Reads the file at `path` as UTF-8 with the identity of what was read (taken through the same
 * open handle, so the two always match). Resolves `undefined` when there is no file; rejects with
 * the file system error otherwise.
 */
export async function readWithIdentity(
  path: string,
): Promise<{ readonly text: string; readonly identity: FileIdentity } | undefined> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const identity = identityOf(await handle.stat({ bigint: true }));
    return { text: await handle.readFile('utf8'), identity };
  } finally {
    await handle.close();
  }
}
