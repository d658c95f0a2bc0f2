// A program on the wasm engine whose own code fails: node must report the user's error (exit 1, the
// user's file as its location), and a user's own `uncaughtException` handler must keep the process
// alive. Usage: node error-exit.mjs throw | reject | handled
import { tensor, useBackend } from '@nn/core';
import { tfjs } from '@nn/backend-tfjs';

const mode = process.argv[2];
if (mode === 'handled') {
  process.on('uncaughtException', (e) => {
    console.log(`handled: ${e.message}`);
    setTimeout(() => console.log('still alive'), 10);
  });
}
await useBackend(tfjs({ engine: 'wasm' }));
console.log(`on wasm: ${tensor([1, 2]).sum().item()}`);
if (mode === 'reject') void Promise.reject(new Error('user rejection'));
else setTimeout(() => {
  throw new Error('user error');
}, 0);
