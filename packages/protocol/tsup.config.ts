import { defineConfig } from 'tsup';

export default defineConfig({
  // codes: the zod-free values (error codes, protocol version) a browser client needs.
  entry: ['src/index.ts', 'src/codes.ts'],
  // ESM for bundlers and Node; CommonJS for require() (a CommonJS app, or the SDK's own CJS build).
  format: ['esm', 'cjs'],
  // One copy of what the entries share, in CommonJS as in ESM.
  splitting: true,
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
});
