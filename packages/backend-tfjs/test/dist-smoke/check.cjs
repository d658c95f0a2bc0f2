// Dist smoke check shared by smoke.mjs (ESM import) and smoke.cjs (CJS require): the BUILT
// @nn/backend-tfjs (Node resolves it through package.json "exports" to dist/), never the sources.
'use strict';
const assert = require('node:assert/strict');

/** @param mod @nn/backend-tfjs @param core @nn/core (same module format) @param how 'esm' | 'cjs' */
module.exports = async function check(mod, core, how) {
  const backend = await core.useBackend(mod.tfjs({ engine: 'cpu' }));
  assert.equal(backend.name, 'tfjs-cpu', `${how}: backend name`);
  const y = core.tensor([[1, 2], [3, 4]]).matmul(core.tensor([[1], [1]]));
  assert.deepEqual(Array.from(y.dataSync()), [3, 7], `${how}: matmul on tfjs-cpu`);
  assert.equal(mod.TfjsEngineError.name, 'TfjsEngineError', `${how}: class name`);
  return `${how}: ok`;
};
