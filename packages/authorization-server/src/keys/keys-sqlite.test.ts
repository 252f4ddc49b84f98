/**
 * Keys on a real SQLite file shared by two connections (as two `gatehouse serve` processes would
 * share it): both starting at once end with one active key of each kind, and a restart keeps them.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Storage } from '../storage/contract.js';
import { openSqliteStorage } from '../storage/sqlite.js';
import { loadOrCreateKeys, rotateSigningKey } from './keys.js';

describe('keys on SQLite', () => {
  let dir: string;
  const open: Storage[] = [];
  const openStorage = (file: string): Storage => {
    const storage = openSqliteStorage({ path: file, purgeIntervalSeconds: 0 });
    open.push(storage);
    return storage;
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-keys-'));
  });
  afterEach(async () => {
    for (const storage of open.splice(0)) await storage.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('gives two connections starting at once the same single key of each kind', async () => {
    const file = join(dir, 'gatehouse.db');
    const a = openStorage(file);
    const b = openStorage(file);
    const [ka, kb] = await Promise.all([loadOrCreateKeys(a.keys), loadOrCreateKeys(b.keys)]);
    expect(ka).toEqual(kb);
    expect(await a.keys.list('signing')).toHaveLength(1);
    expect(await b.keys.list('cookie')).toHaveLength(1);
  });

  it('keeps the keys, and their order after a rotation, across a restart', async () => {
    const file = join(dir, 'gatehouse.db');
    const first = openStorage(file);
    await loadOrCreateKeys(first.keys);
    const rotated = await rotateSigningKey(first.keys, { retainSeconds: 3600 });
    await first.close();
    const again = openStorage(file);
    expect(await loadOrCreateKeys(again.keys)).toEqual(rotated);
  });
});
