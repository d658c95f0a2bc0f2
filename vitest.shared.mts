import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const pkg = (name: string, entry = 'index.ts') =>
  fileURLToPath(new URL(`./packages/${name}/src/${entry}`, import.meta.url));

/** Tests import sibling packages from source, so one Tensor class is shared and no rebuild is needed. */
export const alias = [
  { find: /^@nn\/core\/testing$/, replacement: pkg('core', 'testing/index.ts') },
  { find: /^@nn\/core$/, replacement: pkg('core') },
  { find: /^@nn\/backend-tfjs$/, replacement: pkg('backend-tfjs') },
  { find: /^@nn\/data$/, replacement: pkg('data') },
  { find: /^@nn\/onnx$/, replacement: pkg('onnx') },
  { find: /^@nn\/monitor$/, replacement: pkg('monitor') },
  { find: /^@nn\/tune$/, replacement: pkg('tune') },
];

export default defineConfig({
  resolve: { alias },
  test: { testTimeout: 60_000, hookTimeout: 60_000, pool: 'forks' },
});
