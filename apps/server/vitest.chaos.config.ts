import { defineConfig } from 'vitest/config';

/** `pnpm test:chaos`: real processes, real Redis, real nginx; one scenario per file. */
export default defineConfig({
  resolve: { conditions: ['@tavern/source'] },
  ssr: { resolve: { conditions: ['@tavern/source'] } },
  test: {
    include: ['test/chaos/**/*.chaos.ts'],
    testTimeout: 240_000,
    hookTimeout: 60_000,
    // Scenarios measure recovery; running them one at a time keeps the figures honest.
    fileParallelism: false,
  },
});
