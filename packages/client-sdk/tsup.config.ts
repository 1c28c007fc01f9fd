import { defineConfig } from 'tsup';

export default defineConfig({
  // The React bindings are a separate entry so that the core SDK never imports React.
  entry: { index: 'src/index.ts', 'react/index': 'src/react/index.ts' },
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  external: ['react'],
});
