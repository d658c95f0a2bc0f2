import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/testing/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  // Keep class and function names as written: esbuild otherwise renames self-referencing classes
  // (`var Dense = class _Dense`), which leaked into summaries, errors and saved configs.
  keepNames: true,
  // The CommonJS build loads engine packages (`fit({ engine: 'ort' })`) with require, the ESM build
  // with import(): each gets the matching build of the engine and, with it, this copy of core.
  esbuildOptions(options, { format }) {
    options.define = { ...options.define, __NN_CJS__: format === 'cjs' ? 'true' : 'false' };
  },
});
