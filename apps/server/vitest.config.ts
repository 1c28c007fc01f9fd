import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@tavern/source'] },
  ssr: { resolve: { conditions: ['@tavern/source'] } },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    typecheck: { include: ['src/**/*.test-d.ts', 'test/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Real servers and real Redis per file; two cores, so two files at a time.
    maxWorkers: 2,
  },
});
