// ESM: `import` the built @nn/backend-tfjs (package.json exports → dist/index.js).
import { createRequire } from 'node:module';
import * as core from '@nn/core';
import * as mod from '@nn/backend-tfjs';
const check = createRequire(import.meta.url)('./check.cjs');
console.log(await check(mod, core, 'esm'));
