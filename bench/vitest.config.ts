import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@tavern/source'] },
  ssr: { resolve: { conditions: ['@tavern/source'] } },
  test: {
    include: ['src/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 30_000,
  },
});
