import { expect, it } from 'vitest';
import { describeStorageContract } from './contract-suite.test-helpers.js';
import { createMemoryStorage } from './memory.js';

describeStorageContract(
  'memory',
  async (clock) => {
    const storage = createMemoryStorage({ now: clock.now });
    return { storage, cleanup: () => storage.close() };
  },
  { persistent: false },
);

it('memory: rejects a `now` that is not a function', () => {
  expect(() => createMemoryStorage({ now: 5 as never })).toThrow(/"now"/);
});

it('memory: starts empty in each instance (nothing shared between two storages)', async () => {
  const a = createMemoryStorage();
  const b = createMemoryStorage();
  await a.settings.set('x', '1');
  expect(await b.settings.get('x')).toBeUndefined();
  expect(a.kind).toBe('memory');
});
