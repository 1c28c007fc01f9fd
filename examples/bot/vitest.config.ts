import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@tavern/source'] },
  ssr: { resolve: { conditions: ['@tavern/source'] } },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
