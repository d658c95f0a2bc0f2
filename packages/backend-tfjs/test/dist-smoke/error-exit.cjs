// CJS twin of error-exit.mjs (require the built @nn/backend-tfjs → dist/index.cjs): `throw` mode only.
const { tensor, useBackend } = require('@nn/core');
const { tfjs } = require('@nn/backend-tfjs');

useBackend(tfjs({ engine: 'wasm' })).then(() => {
  console.log(`on wasm: ${tensor([1, 2]).sum().item()}`);
  setTimeout(() => {
    throw new Error('user error');
  }, 0);
});
