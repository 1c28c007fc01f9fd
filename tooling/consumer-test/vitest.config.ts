import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@tavern/source'] },
  ssr: { resolve: { conditions: ['@tavern/source'] } },
  test: {
    include: ['test/**/*.test.ts'],
    // Packing and installing takes most of it (npm, from its cache when it can).
    testTimeout: 90_000,
    hookTimeout: 90_000,
  },
});
