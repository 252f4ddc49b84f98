import { describe, expect, it } from 'vitest';
import type { ClientRegistration } from '../registration/types.js';
import { TokenStoreLockTimeout } from './errors.js';
import { createMemoryStore } from './memory-store.js';
import { clientRegistrationStore } from './registration-store.js';
import type { StoredTokens, StoreKey } from './types.js';

const KEY: StoreKey = {
  issuer: 'https://as.example',
  resource: 'https://mcp.example/mcp',
  clientId: 'client-1',
};
const TOKENS: StoredTokens = {
  access_token: 'secret-access',
  token_type: 'Bearer',
  expires_at: 2_000_000_000,
  refresh_token: 'secret-refresh',
  scope: 'tools:read',
  resource: KEY.resource,
  issuer: KEY.issuer,
  client_id: KEY.clientId,
};
const REGISTRATION: ClientRegistration = {
  issuer: KEY.issuer,
  method: 'dynamic',
  clientId: 'client-1',
  redirectUris: ['http://127.0.0.1:4000/callback'],
  tokenEndpointAuthMethod: 'none',
};

describe('createMemoryStore', () => {
  it('stores, returns and deletes tokens per key', async () => {
    const store = createMemoryStore();
    expect(await store.get(KEY)).toBeUndefined();
    await store.set(KEY, TOKENS);
    expect(await store.get(KEY)).toEqual(TOKENS);
    expect(await store.get({ ...KEY, resource: 'https://other.example/mcp' })).toBeUndefined();
    await store.delete(KEY);
    expect(await store.get(KEY)).toBeUndefined();
    await store.delete(KEY);
  });

  it('keeps a copy: mutating the object given or returned changes nothing stored', async () => {
    const store = createMemoryStore();
    const given = { ...TOKENS };
    await store.set(KEY, given);
    given.access_token = 'changed';
    const read = await store.get(KEY);
    expect(read?.access_token).toBe('secret-access');
    expect(Object.isFrozen(read)).toBe(true);
  });

  it('list() gives keys, expiry and scope, never a token value', async () => {
    const store = createMemoryStore();
    await store.set(KEY, TOKENS);
    const listing = await store.list();
    expect(listing.entries).toEqual([
      { key: KEY, expires_at: TOKENS.expires_at, scope: 'tools:read', hasRefreshToken: true },
    ]);
    expect(listing.problems).toEqual([]);
    expect(JSON.stringify(listing)).not.toContain('secret-');
  });

  it('rejects misuse with a TypeError naming the field', async () => {
    const store = createMemoryStore();
    await expect(store.get({ ...KEY, clientId: '' })).rejects.toMatchObject({
      name: 'TypeError',
      code: 'ERR_INVALID_ARG_VALUE',
      message: expect.stringContaining('key.clientId'),
    });
    await expect(store.set(KEY, { ...TOKENS, access_token: 42 } as unknown as StoredTokens)).rejects.toThrow(
      /tokens\.access_token/,
    );
    await expect(store.set(KEY, { ...TOKENS, issuer: 'https://evil.example' })).rejects.toThrow(TypeError);
    await expect(store.withLock(KEY, async () => 1, { timeoutMs: -1 })).rejects.toThrow(/timeoutMs/);
  });

  it('withLock serializes work on one key and not across keys', async () => {
    const store = createMemoryStore();
    const events: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const first = store.withLock(KEY, async () => {
      events.push('first:start');
      await gate;
      events.push('first:end');
    });
    const second = store.withLock(KEY, async () => {
      events.push('second');
    });
    const other = store.withLock({ ...KEY, clientId: 'client-2' }, async () => {
      events.push('other');
    });
    await other;
    expect(events).toEqual(['first:start', 'other']);
    release();
    await Promise.all([first, second]);
    expect(events).toEqual(['first:start', 'other', 'first:end', 'second']);
  });

  it('withLock releases the lock when fn throws', async () => {
    const store = createMemoryStore();
    await expect(
      store.withLock(KEY, async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await store.withLock(KEY, async () => 'again')).toBe('again');
  });

  it('a waiter that runs out of time gets TokenStoreLockTimeout and leaves the queue', async () => {
    const store = createMemoryStore();
    let release!: () => void;
    const held = store.withLock(
      KEY,
      () =>
        new Promise<void>((resolve) => {
          release = resolve;
        }),
    );
    const error = await store.withLock(KEY, async () => 'never', { timeoutMs: 20 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenStoreLockTimeout);
    expect(error).toMatchObject({ code: 'ERR_STORE_LOCK_TIMEOUT', timeoutMs: 20 });
    release();
    await held;
    expect(await store.withLock(KEY, async () => 'next')).toBe('next');
  });

  it('keeps client registrations per issuer and backs a ClientRegistrationStore', async () => {
    const store = createMemoryStore();
    const registrations = clientRegistrationStore(store);
    expect(await registrations.get(KEY.issuer)).toBeUndefined();
    await registrations.set(KEY.issuer, REGISTRATION);
    expect(await store.getClient(KEY.issuer)).toEqual(REGISTRATION);
    await expect(store.setClient('https://other.example', REGISTRATION)).rejects.toThrow(
      /registration\.issuer/,
    );
    await store.deleteClient(KEY.issuer);
    expect(await registrations.get(KEY.issuer)).toBeUndefined();
  });
});
