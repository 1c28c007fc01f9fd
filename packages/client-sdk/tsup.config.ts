import { defineConfig } from 'tsup';

export default defineConfig({
  // The React bindings are a separate entry so that the core SDK never imports React.
  entry: { index: 'src/index.ts', 'react/index': 'src/react/index.ts' },
  // ESM for bundlers and Node; CommonJS for require() from CommonJS apps and tools.
  format: ['esm', 'cjs'],
  // Shared code in chunks for CommonJS too (esbuild splits only ESM unless asked), so that
  // `require('@tavern/client-sdk')` and `.../react` share one `ClientError` class.
  splitting: true,
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  external: ['react'],
});
