/**
 * A cross-process lease on a file: the cross-process half of the file store's single-flight refresh
 * (issue 4 item 6; pain points 7 and 11). The lease is a file created with `O_EXCL` holding
 * `{ pid, host, created, owner }`; whoever creates it holds the lock.
 *
 * A lease is stale, and is broken by the next taker, when it is older than the lease TTL (its
 * `created` time or, while the holder is alive, the file's modification time, which the holder
 * refreshes every TTL/3), or when it was taken on this host by a process that no longer exists
 * (`process.kill(pid, 0)` → `ESRCH`). Breaking and releasing first rename the lease to a private
 * name and check its owner there, so a lease taken meanwhile by someone else is put back, not lost.
 *
 * Not a guarantee against a holder that stalls longer than the TTL while alive on another host
 * (NFS-shared homes): keep the work under the lock short.
 */
import { randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { link, open, readFile, rename, stat, unlink, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { tempPathFor } from './atomic-file.js';
import { TokenStoreLockTimeout } from './errors.js';
import { errorCode } from './file-store-content.js';

/** What a lease file holds. None of it is secret. */
export interface LeaseRecord {
  readonly pid: number;
  readonly host: string;
  /** Milliseconds since the epoch. */
  readonly created: number;
  /** A random id of this acquisition: only its owner removes the lease. */
  readonly owner: string;
}

/** A held lease. */
export interface Lease {
  readonly owner: string;
  /** Removes the lease if it is still this one's (never another holder's). */
  release(): Promise<void>;
}

/** Options of {@link acquireLease}. */
export interface LeaseOptions {
  /** How long to try before `TokenStoreLockTimeout`, in milliseconds. */
  readonly timeoutMs: number;
  /** Age after which a lease is broken, in milliseconds. */
  readonly leaseTtlMs: number;
  /** When the wait began (`Date.now()` milliseconds), if earlier than this call. Default: now. */
  readonly startedAt?: number;
}

function parseLease(text: string): LeaseRecord | undefined {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null) return undefined;
    const { pid, host, created, owner } = value as Record<string, unknown>;
    if (!Number.isSafeInteger(pid) || (pid as number) <= 0) return undefined;
    if (typeof host !== 'string' || typeof owner !== 'string') return undefined;
    if (typeof created !== 'number' || !Number.isFinite(created)) return undefined;
    return { pid: pid as number, host, created, owner };
  } catch {
    return undefined;
  }
}

/** The lease at `path` (record undefined while it is being written or when unparsable), or undefined. */
async function readLease(
  path: string,
): Promise<{ record: LeaseRecord | undefined; mtimeMs: number } | undefined> {
  try {
    const [text, info] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    return { record: parseLease(text), mtimeMs: info.mtimeMs };
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

/** Whether process `pid` on this host exists. `EPERM` means it exists under another user. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errorCode(error) !== 'ESRCH';
  }
}

/** Whether a lease seen at `now` is stale (see the module comment). */
export function isLeaseStale(
  lease: { record: LeaseRecord | undefined; mtimeMs: number },
  now: number,
  leaseTtlMs: number,
): boolean {
  const { record, mtimeMs } = lease;
  if (record === undefined) return now - mtimeMs > leaseTtlMs;
  if (now - Math.max(record.created, mtimeMs) > leaseTtlMs) return true;
  return record.host === hostname() && record.pid !== process.pid && !isProcessAlive(record.pid);
}

/**
 * Removes the lease at `path` if `isTheOne` says the file found there is the expected one; otherwise
 * puts it back (unless a new lease was taken in the meantime).
 */
async function removeLeaseIf(
  path: string,
  isTheOne: (record: LeaseRecord | undefined) => boolean,
): Promise<void> {
  const aside = tempPathFor(path);
  try {
    await rename(path, aside);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return;
    throw error;
  }
  const seen = await readLease(aside);
  if (seen !== undefined && !isTheOne(seen.record)) {
    await link(aside, path).catch(() => undefined);
  }
  await unlink(aside).catch(() => undefined);
}

async function tryCreate(path: string, record: LeaseRecord): Promise<boolean> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false;
    throw error;
  }
  try {
    await handle.writeFile(JSON.stringify(record), 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  return true;
}

/**
 * Takes the lease at `path`, breaking a stale one, retrying with a small growing backoff until
 * `timeoutMs` (then `TokenStoreLockTimeout` naming `path`). The directory must exist.
 */
export async function acquireLease(path: string, options: LeaseOptions): Promise<Lease> {
  const deadline = (options.startedAt ?? Date.now()) + options.timeoutMs;
  const owner = randomUUID();
  let delay = 5;
  for (;;) {
    const record: LeaseRecord = { pid: process.pid, host: hostname(), created: Date.now(), owner };
    if (await tryCreate(path, record)) return held(path, owner, options.leaseTtlMs);
    const seen = await readLease(path);
    if (seen !== undefined && isLeaseStale(seen, Date.now(), options.leaseTtlMs)) {
      const staleOwner = seen.record?.owner;
      await removeLeaseIf(path, (found) => found?.owner === staleOwner);
      continue;
    }
    const left = deadline - Date.now();
    if (left <= 0) throw new TokenStoreLockTimeout(options.timeoutMs, path);
    await sleep(Math.min(left, delay + Math.random() * delay));
    delay = Math.min(delay * 2, 200);
  }
}

function held(path: string, owner: string, leaseTtlMs: number): Lease {
  const heartbeat = setInterval(
    () => {
      const now = new Date();
      utimes(path, now, now).catch(() => undefined);
    },
    Math.max(1, Math.floor(leaseTtlMs / 3)),
  );
  heartbeat.unref();
  let released = false;
  return {
    owner,
    async release(): Promise<void> {
      if (released) return;
      released = true;
      clearInterval(heartbeat);
      await removeLeaseIf(path, (found) => found?.owner === owner);
    },
  };
}
