import { cp } from 'node:fs/promises';
import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/main.ts', 'src/index.ts', 'src/cli/token.ts'],
  format: ['esm'],
  dts: { entry: 'src/index.ts' },
  clean: true,
  sourcemap: true,
  target: 'node20',
  // The admin dashboard is a static page read at start-up from `./dashboard/` beside the
  // module that serves it: in `src/features/admin/`, and in `dist/` once bundled.
  async onSuccess() {
    await cp('src/features/admin/dashboard', 'dist/dashboard', { recursive: true, filter: (source) => !source.endsWith('tsconfig.json') });
  },
});
