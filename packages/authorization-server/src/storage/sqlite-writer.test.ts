import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteWriteError, startSqliteWriter } from './sqlite-writer.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function freshDatabase(): { path: string; db: Database.Database } {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-writer-'));
  dirs.push(dir);
  const path = join(dir, 'test.db');
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER NOT NULL)');
  return { path, db };
}

describe('the SQLite writer thread', () => {
  it('commits concurrent writes, each visible to the main connection once its promise resolves', async () => {
    const { path, db } = freshDatabase();
    const writer = startSqliteWriter(path, 1000);
    try {
      const writes = Array.from({ length: 200 }, (_, i) =>
        writer.run('INSERT INTO t (k, v) VALUES (?, ?)', [`k${i}`, i]),
      );
      expect(await Promise.all(writes)).toEqual(Array(200).fill(1));
      expect(db.prepare('SELECT count(*) AS n, sum(v) AS s FROM t').get()).toEqual({ n: 200, s: 19900 });
      expect(await writer.run('UPDATE t SET v = v + 1 WHERE v >= ?', [150])).toBe(50);
      expect(await writer.run('UPDATE t SET v = 0 WHERE k = ?', ['missing'])).toBe(0);
    } finally {
      await writer.close();
      db.close();
    }
  });

  it('rejects a failing statement with its SQLite code, and commits the others of its batch', async () => {
    const { path, db } = freshDatabase();
    const writer = startSqliteWriter(path, 1000);
    try {
      const [first, duplicate, other] = await Promise.allSettled([
        writer.run('INSERT INTO t (k, v) VALUES (?, ?)', ['a', 1]),
        writer.run('INSERT INTO t (k, v) VALUES (?, ?)', ['a', 2]),
        writer.run('INSERT INTO t (k, v) VALUES (?, ?)', ['b', 3]),
      ]);
      expect(first).toEqual({ status: 'fulfilled', value: 1 });
      expect(other).toEqual({ status: 'fulfilled', value: 1 });
      expect(duplicate.status).toBe('rejected');
      const error = (duplicate as PromiseRejectedResult).reason;
      expect(error).toBeInstanceOf(SqliteWriteError);
      expect(error.code).toBe('SQLITE_CONSTRAINT_PRIMARYKEY');
      expect(db.prepare('SELECT k, v FROM t ORDER BY k').all()).toEqual([
        { k: 'a', v: 1 },
        { k: 'b', v: 3 },
      ]);
    } finally {
      await writer.close();
      db.close();
    }
  });

  it('finishes the writes sent before close, then refuses new ones', async () => {
    const { path, db } = freshDatabase();
    const writer = startSqliteWriter(path, 1000);
    const inFlight = Array.from({ length: 50 }, (_, i) =>
      writer.run('INSERT INTO t (k, v) VALUES (?, ?)', [`k${i}`, i]),
    );
    await writer.close();
    expect(await Promise.all(inFlight)).toEqual(Array(50).fill(1));
    expect(db.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 50 });
    await expect(writer.run('INSERT INTO t (k, v) VALUES (?, ?)', ['late', 0])).rejects.toThrow(
      /writer thread stopped/,
    );
    await writer.close(); // idempotent
    db.close();
  });
});
