import { defineConfig } from 'tsup';

export default defineConfig({
  // cli.ts is the `nn-monitor` bin (its #!/usr/bin/env node line is kept by esbuild).
  entry: ['src/index.ts', 'src/cli.ts'],
  format: ['esm', 'cjs'],
  dts: { entry: 'src/index.ts' },
  sourcemap: true,
  clean: true,
  target: 'node20',
  // Keep class and function names as written: esbuild otherwise renames self-referencing classes
  // (`var Dense = class _Dense`), which leaked into summaries, errors and saved configs.
  keepNames: true,
});
