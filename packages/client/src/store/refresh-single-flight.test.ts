import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFileStore } from './file-store.js';
import { createMemoryStore } from './memory-store.js';
import { refreshSingleFlight } from './refresh-single-flight.js';
import type { StoredTokens, StoreKey, TokenStore } from './types.js';

const KEY: StoreKey = {
  issuer: 'https://as.example',
  resource: 'https://mcp.example/mcp',
  clientId: 'client-1',
};
const STALE: StoredTokens = {
  access_token: 'access-0',
  token_type: 'Bearer',
  expires_at: 1,
  refresh_token: 'refresh-0',
  scope: 'tools:read',
  resource: KEY.resource,
  issuer: KEY.issuer,
  client_id: KEY.clientId,
};
const isFresh = (t: StoredTokens) => t.expires_at !== undefined && t.expires_at > Date.now() / 1000 + 60;

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'gatehouse-refresh-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const stores: Array<[string, () => TokenStore]> = [
  ['memory', () => createMemoryStore()],
  ['file', () => createFileStore({ directory: join(root, String(Math.random()).slice(2)) })],
];

describe.each(stores)('refreshSingleFlight over the %s store', (_name, makeStore) => {
  it('concurrent callers redeem the refresh token once and all get the new tokens', async () => {
    const store = makeStore();
    await store.set(KEY, STALE);
    const redeemed: string[] = [];
    const refresh = async (current: StoredTokens): Promise<StoredTokens> => {
      redeemed.push(current.refresh_token!);
      await new Promise((resolve) => setTimeout(resolve, 20));
      return {
        ...current,
        access_token: `access-${redeemed.length}`,
        refresh_token: `refresh-${redeemed.length}`,
        expires_at: Math.floor(Date.now() / 1000) + 3600,
      };
    };
    const results = await Promise.all(
      Array.from({ length: 5 }, () => refreshSingleFlight(store, KEY, refresh, { isFresh })),
    );
    expect(redeemed).toEqual(['refresh-0']);
    for (const result of results) expect(result?.access_token).toBe('access-1');
    expect((await store.get(KEY))?.refresh_token).toBe('refresh-1');
  });

  it('returns fresh tokens without refreshing', async () => {
    const store = makeStore();
    const fresh = { ...STALE, expires_at: Math.floor(Date.now() / 1000) + 3600 };
    await store.set(KEY, fresh);
    const result = await refreshSingleFlight(
      store,
      KEY,
      async () => {
        throw new Error('must not refresh');
      },
      { isFresh },
    );
    expect(result).toEqual(fresh);
  });

  it('resolves undefined when nothing is stored', async () => {
    const store = makeStore();
    expect(await refreshSingleFlight(store, KEY, async (t) => t, { isFresh })).toBeUndefined();
  });

  it('keeps the current refresh token when the server issued none (RFC 6749 §6)', async () => {
    const store = makeStore();
    await store.set(KEY, STALE);
    const result = await refreshSingleFlight(
      store,
      KEY,
      async (current) => {
        const { refresh_token: _dropped, ...rest } = current;
        return { ...rest, access_token: 'access-new', expires_at: Math.floor(Date.now() / 1000) + 3600 };
      },
      { isFresh },
    );
    expect(result).toMatchObject({ access_token: 'access-new', refresh_token: 'refresh-0' });
    expect(await store.get(KEY)).toEqual(result);
  });

  it('passes a refresh error through, leaves the stored tokens, and releases the lock', async () => {
    const store = makeStore();
    await store.set(KEY, STALE);
    await expect(
      refreshSingleFlight(
        store,
        KEY,
        async () => {
          throw new Error('invalid_grant');
        },
        { isFresh },
      ),
    ).rejects.toThrow('invalid_grant');
    expect(await store.get(KEY)).toEqual(STALE);
    expect(await store.withLock(KEY, async () => 'free', { timeoutMs: 1_000 })).toBe('free');
  });

  it('refuses tokens for another key and a missing isFresh', async () => {
    const store = makeStore();
    await store.set(KEY, STALE);
    await expect(
      refreshSingleFlight(store, KEY, async (current) => ({ ...current, issuer: 'https://evil.example' }), {
        isFresh,
      }),
    ).rejects.toThrow(TypeError);
    expect(await store.get(KEY)).toEqual(STALE);
    await expect(refreshSingleFlight(store, KEY, async (t) => t, {} as never)).rejects.toMatchObject({
      code: 'ERR_MISSING_OPTION',
    });
  });
});
