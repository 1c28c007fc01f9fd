import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@tavern/source'] },
  ssr: { resolve: { conditions: ['@tavern/source'] } },
  test: {
    include: ['test/**/*.test.ts'],
    // Packing, installing and type-checking are what these tests wait for (npm from its cache
    // when it can, tsc twice): on a loaded 2-core machine one tsc run alone took over a minute.
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
});
