import { defineConfig } from 'tsup';

export default defineConfig({
  // cli.ts is the `nn-monitor` bin (its #!/usr/bin/env node line is kept by esbuild).
  entry: ['src/index.ts', 'src/cli.ts'],
  format: ['esm', 'cjs'],
  dts: { entry: 'src/index.ts' },
  sourcemap: true,
  clean: true,
  target: 'node20',
});
