import { defineConfig } from 'tsup';

export default defineConfig({
  // worker-main is the entry of worker threads/processes started by optimize(module, { parallel }).
  entry: ['src/index.ts', 'src/worker-main.ts'],
  format: ['esm', 'cjs'],
  dts: { entry: 'src/index.ts' },
  sourcemap: true,
  clean: true,
  target: 'node20',
  // Keep class and function names as written: esbuild otherwise renames self-referencing classes
  // (`var Dense = class _Dense`), which leaked into summaries, errors and saved configs.
  keepNames: true,
  shims: true,
});
