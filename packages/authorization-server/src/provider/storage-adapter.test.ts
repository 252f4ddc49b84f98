import { describe, expect, it } from 'vitest';
import { createMemoryStorage } from '../storage/memory.js';
import { createStorageAdapter } from './storage-adapter.js';

function setup(window: number) {
  let clock = 1_000_000;
  const now = () => clock;
  const storage = createMemoryStorage({ now });
  const Adapter = createStorageAdapter(storage, { refreshTokenReuseWindowSeconds: window, now });
  return {
    storage,
    Adapter,
    advance(seconds: number) {
      clock += seconds;
    },
  };
}

describe('createStorageAdapter', () => {
  it('passes every call through to storage.model(name)', async () => {
    const { Adapter, storage } = setup(30);
    const sessions = new Adapter('Session');
    await sessions.upsert('s1', { uid: 'u1', accountId: 'a' }, 60);
    expect(await sessions.find('s1')).toMatchObject({ uid: 'u1', accountId: 'a' });
    expect(await sessions.findByUid('u1')).toMatchObject({ accountId: 'a' });
    expect(await storage.model('Session').find('s1')).toMatchObject({ uid: 'u1' });
    await sessions.destroy('s1');
    expect(await sessions.find('s1')).toBeUndefined();

    const codes = new Adapter('AuthorizationCode');
    await codes.upsert('c1', { grantId: 'g1' }, 60);
    await codes.upsert('c2', { grantId: 'g2' }, 60);
    await codes.revokeByGrantId('g1');
    expect(await codes.find('c1')).toBeUndefined();
    expect(await codes.find('c2')).toBeDefined();
  });

  it('shows a consumed authorization code as consumed at once (no window outside RefreshToken)', async () => {
    const { Adapter } = setup(30);
    const codes = new Adapter('AuthorizationCode');
    await codes.upsert('c1', { grantId: 'g1' }, 60);
    await codes.consume('c1');
    expect((await codes.find('c1'))?.consumed).toBeTypeOf('number');
  });

  it('hides a refresh token consumption during the reuse window, then shows it', async () => {
    const { Adapter, advance } = setup(30);
    const tokens = new Adapter('RefreshToken');
    await tokens.upsert('r1', { grantId: 'g1' }, 3600);
    await tokens.consume('r1');
    expect((await tokens.find('r1'))?.consumed).toBeUndefined();
    advance(29);
    expect((await tokens.find('r1'))?.consumed).toBeUndefined();
    advance(1);
    expect((await tokens.find('r1'))?.consumed).toBeTypeOf('number');
  });

  it('keeps the first consumption time, so presenting the token again does not stretch the window', async () => {
    const { Adapter, advance } = setup(30);
    const tokens = new Adapter('RefreshToken');
    await tokens.upsert('r1', { grantId: 'g1' }, 3600);
    await tokens.consume('r1');
    advance(20);
    await tokens.consume('r1');
    advance(10);
    expect((await tokens.find('r1'))?.consumed).toBe(1_000_000);
  });

  it('with a window of 0 behaves as oidc-provider expects (consumption visible at once)', async () => {
    const { Adapter } = setup(0);
    const tokens = new Adapter('RefreshToken');
    await tokens.upsert('r1', { grantId: 'g1' }, 3600);
    await tokens.consume('r1');
    expect((await tokens.find('r1'))?.consumed).toBe(1_000_000);
  });
});
