/**
 * Two processes sharing a file store refresh the same stale token at the same moment: exactly one
 * redeems the refresh token, and both end with its result (issue 4 item 9; pain points 7 and 11).
 *
 * The children run the TypeScript sources directly with this Node (`runSourceChild`, test/support/
 * source-child.ts). No build is needed.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSourceChild } from '../../../../test/support/source-child.js';
import { WRITTEN_KEY, writtenTokens } from './entry-writer-child.test-helpers.js';
import { createFileStore } from './file-store.js';
import type { StoredTokens, StoreKey } from './types.js';

const CHILD = fileURLToPath(new URL('./cross-process-child.test-helpers.ts', import.meta.url));
const WRITER = fileURLToPath(new URL('./entry-writer-child.test-helpers.ts', import.meta.url));
const KEY: StoreKey = { issuer: 'https://as.example', resource: 'https://mcp.example/mcp', clientId: 'c1' };

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'gatehouse-xproc-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function runChild(directory: string, work: string, name: string) {
  return runSourceChild([CHILD, directory, work, name]);
}

describe('refreshSingleFlight across processes', () => {
  it('two processes refreshing the same rotating token at once: one redemption, same tokens', async () => {
    const directory = join(root, 'store');
    const work = join(root, 'work');
    await mkdir(work);
    const stale: StoredTokens = {
      access_token: 'access-0',
      token_type: 'Bearer',
      expires_at: 1,
      refresh_token: 'refresh-0',
      resource: KEY.resource,
      issuer: KEY.issuer,
      client_id: KEY.clientId,
    };
    await createFileStore({ directory }).set(KEY, stale);

    const children = [runChild(directory, work, 'a'), runChild(directory, work, 'b')];
    // Both children are loading; release them together.
    await new Promise((resolve) => setTimeout(resolve, 300));
    await writeFile(join(work, 'go'), '');
    const [a, b] = await Promise.all(children);

    expect(a, a?.err).toMatchObject({ code: 0 });
    expect(b, b?.err).toMatchObject({ code: 0 });
    expect(await readFile(join(work, 'counter'), 'utf8')).toBe('1');
    const redeemed = (await readFile(join(work, 'redeemed.log'), 'utf8')).trim().split('\n');
    expect(redeemed).toHaveLength(1);
    expect(redeemed[0]).toMatch(/^[ab] refresh-0$/);
    const tokensA = JSON.parse(a!.out) as StoredTokens;
    const tokensB = JSON.parse(b!.out) as StoredTokens;
    expect(tokensA).toEqual(tokensB);
    expect(tokensA).toMatchObject({ access_token: 'access-1', refresh_token: 'refresh-1' });
    expect(await createFileStore({ directory }).get(KEY)).toEqual(tokensA);
  });
});

describe('the file store entry kept in memory, across processes', () => {
  it('another process replacing the entry (once, twice, deleting it): the next get sees it', async () => {
    const directory = join(root, 'rewritten');
    const store = createFileStore({ directory });
    await store.set(WRITTEN_KEY, writtenTokens('access-1'));
    const kept = await store.get(WRITTEN_KEY);
    expect(await store.get(WRITTEN_KEY)).toBe(kept); // answered from memory

    const write = async (...accessTokens: string[]) => {
      const child = await runSourceChild([WRITER, directory, ...accessTokens]);
      expect(child, child.err).toMatchObject({ code: 0 });
    };
    // Same-size values: only the file's identity tells the entries apart.
    await write('access-2');
    expect(await store.get(WRITTEN_KEY)).toEqual(writtenTokens('access-2'));
    await write('access-3', 'access-4');
    expect(await store.get(WRITTEN_KEY)).toEqual(writtenTokens('access-4'));
    await write('-');
    expect(await store.get(WRITTEN_KEY)).toBeUndefined();
    await write('access-5');
    expect(await store.get(WRITTEN_KEY)).toEqual(writtenTokens('access-5'));
  });
});
