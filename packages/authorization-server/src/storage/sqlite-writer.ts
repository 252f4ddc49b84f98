/**
 * The SQLite writer: runs the model stores' write statements (upsert, consume, destroy,
 * revokeByGrantId, purge) on a worker thread with its own connection, so that the event loop never
 * waits for a commit or a WAL checkpoint. Statements that arrive together commit together (group
 * commit); each promise resolves after its commit, so a read issued after it sees the write (WAL:
 * every read starts from the latest commit).
 *
 * Why: on a token endpoint under load, SQLite writes and their checkpoints were the largest share
 * of the main thread's time per rotating refresh (see bench/authorization-server).
 */
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { WriteRequest, WriteResult, WriterWorkerData } from './sqlite-writer-worker.js';

/** A failed write, with SQLite's error code (e.g. `SQLITE_BUSY`, `SQLITE_FULL`). */
export class SqliteWriteError extends Error {
  override readonly name = 'SqliteWriteError';
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

/** Runs write statements on the writer thread. */
export interface SqliteWriter {
  /** Runs one statement; resolves with the number of rows it changed, after its commit. */
  run(sql: string, params: readonly (string | number | null)[]): Promise<number>;
  /** Lets pending writes finish, then closes the writer's connection and ends the thread. */
  close(): Promise<void>;
}

type Pending = { resolve(changes: number): void; reject(error: Error): void };

/** Starts the writer thread on the database at `path` (which must exist, in WAL mode). */
export function startSqliteWriter(path: string, busyTimeoutMs: number): SqliteWriter {
  const here = fileURLToPath(import.meta.url);
  const script = new URL(`./sqlite-writer-worker${extname(here)}`, import.meta.url);
  const worker = new Worker(script, { workerData: { path, busyTimeoutMs } satisfies WriterWorkerData });
  const pending = new Map<number, Pending>();
  let nextId = 0;
  /** Requests not yet posted: those issued in one turn of the event loop go in one message. */
  let outbox: WriteRequest[] = [];
  let failure: Error | undefined;
  let exited = false;
  const exit = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  worker.unref(); // referenced only while writes are pending: an idle writer never holds the process open

  function settle(results: readonly WriteResult[]): void {
    for (const result of results) {
      const waiter = pending.get(result.id);
      if (waiter === undefined) continue;
      pending.delete(result.id);
      if ('error' in result) waiter.reject(new SqliteWriteError(result.error.code, result.error.message));
      else waiter.resolve(result.changes);
    }
    if (pending.size === 0) worker.unref();
  }

  function failAll(error: Error): void {
    failure ??= error;
    for (const waiter of pending.values()) waiter.reject(failure);
    pending.clear();
  }

  function post(): void {
    const requests = outbox;
    outbox = [];
    if (requests.length > 0) worker.postMessage(requests);
  }

  worker.on('message', settle);
  worker.on('error', (error) => failAll(new SqliteWriteError('ERR_SQLITE_WRITER', error.message)));
  worker.once('exit', () => {
    exited = true;
    failAll(new SqliteWriteError('ERR_SQLITE_WRITER', 'the SQLite writer thread stopped'));
  });

  return {
    run(sql, params) {
      if (failure !== undefined) return Promise.reject(failure);
      const id = nextId++;
      const request: WriteRequest = { id, sql, params };
      return new Promise<number>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        if (outbox.push(request) === 1) {
          worker.ref();
          queueMicrotask(post);
        }
      });
    },
    async close() {
      if (exited) return;
      // The worker answers in order: 'close' is handled after every write sent before it.
      if (outbox.length > 0) post();
      worker.ref();
      worker.postMessage('close');
      await exit;
    },
  };
}
