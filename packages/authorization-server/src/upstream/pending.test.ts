import { describe, expect, it } from 'vitest';
import { createMemoryStorage } from '../storage/memory.js';
import { savePending, saveResult, takePending, takeResult } from './pending.js';

const STATE = 'Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0';
const pending = { uid: 'uid_1', codeVerifier: 'v', nonce: 'n' };
const later = () => Math.floor(Date.now() / 1000) + 600;

describe('pending upstream sign-ins', () => {
  it('are taken once, by state, and never stored under the raw state', async () => {
    const storage = createMemoryStorage();
    await savePending(storage.settings, STATE, pending, later());
    expect(await storage.settings.get(`upstream.pending.${STATE}`)).toBeUndefined();
    expect(await takePending(storage.settings, STATE)).toEqual(pending);
    expect(await takePending(storage.settings, STATE)).toBeUndefined();
  });

  it('let only one of two racing callbacks with the same state proceed', async () => {
    const storage = createMemoryStorage();
    await savePending(storage.settings, STATE, pending, later());
    const results = await Promise.all([
      takePending(storage.settings, STATE),
      takePending(storage.settings, STATE),
    ]);
    expect(results.filter((r) => r !== undefined)).toHaveLength(1);
  });

  it('refuse malformed, unknown and expired states', async () => {
    const storage = createMemoryStorage();
    await savePending(storage.settings, STATE, pending, Math.floor(Date.now() / 1000) - 1);
    for (const state of [STATE, undefined, '', 'short', `${STATE}x`, ['a'], 'a b'.repeat(20)]) {
      expect(await takePending(storage.settings, state)).toBeUndefined();
    }
  });

  it('keep a verified result for the interaction until taken', async () => {
    const storage = createMemoryStorage();
    await saveResult(storage.settings, 'uid_1', 'account-1', later());
    expect(await takeResult(storage.settings, 'uid_2')).toBeUndefined();
    expect(await takeResult(storage.settings, 'uid_1')).toBe('account-1');
    expect(await takeResult(storage.settings, 'uid_1')).toBeUndefined();
    expect(await takeResult(storage.settings, '../x')).toBeUndefined();
  });
});
