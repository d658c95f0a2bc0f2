// ESM: `import` the built @nn/core (package.json exports → dist/index.js).
import { createRequire } from 'node:module';
import * as nn from '@nn/core';
const check = createRequire(import.meta.url)('./check.cjs');
console.log(await check(nn, 'esm'));
