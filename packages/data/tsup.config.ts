import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  // Keep class and function names as written: esbuild otherwise renames self-referencing classes
  // (`var Dense = class _Dense`), which leaked into summaries, errors and saved configs.
  keepNames: true,
});
