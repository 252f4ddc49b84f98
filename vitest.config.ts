import { defineConfig } from 'vitest/config';

/**
 * Tests run against the TypeScript sources: the `@gatehouse/source` export condition points each
 * workspace package at its `src/`, so no build is needed before `npm test`.
 */
export default defineConfig({
  resolve: { conditions: ['@gatehouse/source'] },
  ssr: { resolve: { conditions: ['@gatehouse/source'], externalConditions: ['@gatehouse/source'] } },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
  },
});
