import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrCreateKeys, openSqliteStorage, type Storage } from '@gatehouse/authorization-server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runGatehouse } from './admin-test-io.test-helpers.js';

/** The table rows of `keys list`, as cells. */
function rows(output: string): string[][] {
  return output
    .trimEnd()
    .split('\n')
    .slice(1)
    .map((line) => line.split(/\s{2,}/));
}

describe('gatehouse keys', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-keys-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function withStorage<T>(use: (storage: Storage) => Promise<T>): Promise<T> {
    const storage = openSqliteStorage({ path: join(dir, 'gatehouse.db'), purgeIntervalSeconds: 0 });
    try {
      return await use(storage);
    } finally {
      await storage.close();
    }
  }

  it('list shows the keys a first start creates, without key material', async () => {
    const empty = await withStorage(async () => runGatehouse(['keys', 'list', '--data-dir', dir]));
    expect(empty.stdout).toMatch(/No keys yet/);
    const keys = await withStorage((storage) => loadOrCreateKeys(storage.keys));
    const listed = await runGatehouse(['keys', 'list', '--data-dir', dir]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^ID\s+USE\s+JWK KID\s+CREATED\s+STATE\s+EXPIRES\n/);
    const thumbprint = keys.signing.keys[0]?.kid ?? '';
    expect(rows(listed.stdout)).toEqual([
      ['signing-1', 'signing', thumbprint, expect.stringMatching(/^\d{4}-\S+Z$/), 'active', '-'],
      ['cookie-1', 'cookie', '-', expect.stringMatching(/^\d{4}-\S+Z$/), 'active', '-'],
    ]);
    expect(listed.stdout).not.toContain(String(keys.signing.keys[0]?.d));
    expect(listed.stdout).not.toContain(keys.cookieKeys[0]);
  });

  it('rotate makes a new signing key active, keeps the old one until its retention ends, and says running servers follow', async () => {
    const before = await withStorage((storage) => loadOrCreateKeys(storage.keys));
    const rotated = await runGatehouse([
      'keys',
      'rotate',
      '--use',
      'signing',
      '--retain-seconds',
      '3600',
      '--data-dir',
      dir,
    ]);
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(rotated.stdout).toMatch(/Rotated the signing key/);
    expect(rotated.stdout).toMatch(
      /switch to the new keys within[\s\S]*no restart is needed[\s\S]*stays valid until/,
    );

    // A restarted server signs with the new key and still publishes the retired one.
    const after = await withStorage((storage) => loadOrCreateKeys(storage.keys));
    const newKid = after.signing.keys[0]?.kid ?? '';
    expect(newKid).not.toBe(before.signing.keys[0]?.kid);
    expect(after.signing.keys.map((key) => key.kid)).toEqual([newKid, before.signing.keys[0]?.kid]);
    expect(after.cookieKeys).toEqual(before.cookieKeys);

    const listed = rows((await runGatehouse(['keys', 'list', '--data-dir', dir])).stdout);
    expect(listed.map((row) => [row[0], row[2], row[4]?.split(' ')[0]])).toEqual([
      ['signing-2', newKid, 'active'],
      ['signing-1', before.signing.keys[0]?.kid, 'retired'],
      ['cookie-1', '-', 'active'],
    ]);
    const retired = listed[1] ?? [];
    const retiredAt = Date.parse(retired[4]?.replace('retired ', '') ?? '');
    expect(Date.parse(retired[5] ?? '') - retiredAt).toBe(3600 * 1000);
  });

  it('rotate rotates both kinds by default, with a default retention of one day for signing keys', async () => {
    await withStorage((storage) => loadOrCreateKeys(storage.keys));
    const rotated = await runGatehouse(['keys', 'rotate', '--data-dir', dir]);
    expect(rotated.code, rotated.stderr).toBe(0);
    const listed = rows((await runGatehouse(['keys', 'list', '--data-dir', dir])).stdout);
    expect(listed.map((row) => `${row[0]} ${row[4]?.split(' ')[0]}`)).toEqual([
      'signing-2 active',
      'signing-1 retired',
      'cookie-2 active',
      'cookie-1 retired',
    ]);
    const span = (row: string[] | undefined) =>
      (Date.parse(row?.[5] ?? '') - Date.parse(row?.[4]?.replace('retired ', '') ?? '')) / 1000;
    expect(span(listed[1])).toBe(86_400);
    expect(span(listed[3])).toBe(14 * 86_400);
  });

  it('refuses bad values with exit 2 and a missing database with exit 1', async () => {
    expect((await runGatehouse(['keys', 'rotate', '--use', 'both', '--data-dir', dir])).code).toBe(2);
    expect((await runGatehouse(['keys', 'rotate', '--retain-seconds', '-5', '--data-dir', dir])).code).toBe(
      2,
    );
    expect((await runGatehouse(['keys', 'rotate', '--retain-seconds', '1h', '--data-dir', dir])).code).toBe(
      2,
    );
    expect((await runGatehouse(['keys', 'list', '--use', 'signing', '--data-dir', dir])).code).toBe(2);
    const missing = await runGatehouse(['keys', 'rotate', '--data-dir', dir]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no Gatehouse database/);
    const help = await runGatehouse(['keys', '--help']);
    expect(help.stdout).toMatch(/restart[\s\S]*Examples:\n {2}gatehouse keys list/);
  });
});
