/**
 * The worker thread of the SQLite writer (see `sqlite-writer.ts`). It owns a second connection to
 * the database and runs the write statements it is sent, grouped: every statement that arrived
 * while it was busy runs in one `BEGIN IMMEDIATE … COMMIT`, and each sender is answered after that
 * commit. WAL checkpoints therefore also run here, off the main thread.
 *
 * Self-contained on purpose (only `node:worker_threads` and `better-sqlite3`): it runs as a plain
 * module in a worker, from `src` (Node 22 strips the types) or from `dist`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

/** A statement to run: its SQL and positional parameters. The main thread sends them in arrays. */
export interface WriteRequest {
  readonly id: number;
  readonly sql: string;
  readonly params: readonly (string | number | null)[];
}

/** The answer to one {@link WriteRequest}: rows changed, or the error's code and message. */
export type WriteResult =
  | { readonly id: number; readonly changes: number }
  | { readonly id: number; readonly error: { readonly code: string; readonly message: string } };

/** What the main thread passes to the worker. */
export interface WriterWorkerData {
  readonly path: string;
  readonly busyTimeoutMs: number;
}

const port = parentPort;
if (port === null) throw new Error('sqlite-writer-worker must run in a worker thread');
const { path, busyTimeoutMs } = workerData as WriterWorkerData;

const db = new Database(path, { fileMustExist: true, timeout: busyTimeoutMs });
db.pragma('synchronous = NORMAL');
db.pragma(`busy_timeout = ${busyTimeoutMs}`);
const statements = new Map<string, Database.Statement>();
let queue: WriteRequest[] = [];
let scheduled = false;

function statement(sql: string): Database.Statement {
  let prepared = statements.get(sql);
  if (prepared === undefined) {
    prepared = db.prepare(sql);
    statements.set(sql, prepared);
  }
  return prepared;
}

/** The error as the main thread rebuilds it: code and message only (SQLite messages quote no values). */
function describe(error: unknown): { code: string; message: string } {
  const code = (error as { code?: unknown }).code;
  return {
    code: typeof code === 'string' ? code : 'SQLITE_ERROR',
    message: error instanceof Error ? error.message : String(error),
  };
}

function flush(): void {
  scheduled = false;
  const batch = queue;
  queue = [];
  if (batch.length === 0) return;
  const results: WriteResult[] = [];
  try {
    db.transaction(() => {
      for (const request of batch) {
        // A failing statement is rolled back alone (SQLite's statement journal); the rest commit.
        try {
          results.push({ id: request.id, changes: statement(request.sql).run(...request.params).changes });
        } catch (error) {
          results.push({ id: request.id, error: describe(error) });
        }
      }
    }).immediate();
  } catch (error) {
    // BEGIN or COMMIT failed (busy beyond the timeout, disk full): nothing of the batch was written.
    const failure = describe(error);
    port?.postMessage(batch.map((request): WriteResult => ({ id: request.id, error: failure })));
    return;
  }
  port?.postMessage(results);
}

port.on('message', (message: readonly WriteRequest[] | 'close') => {
  if (message === 'close') {
    flush();
    db.close();
    port.close();
    return;
  }
  queue.push(...message);
  if (!scheduled) {
    scheduled = true;
    // After every message already waiting has been queued: one transaction for all of them.
    setImmediate(flush);
  }
});
