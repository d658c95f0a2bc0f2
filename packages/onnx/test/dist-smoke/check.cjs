// Dist smoke check shared by smoke.mjs (ESM import) and smoke.cjs (CJS require): the BUILT
// @nn/onnx (Node resolves it through package.json "exports" to dist/), never the sources.
'use strict';
const assert = require('node:assert/strict');

/** @param mod @nn/onnx @param core @nn/core (same module format) @param how 'esm' | 'cjs' */
module.exports = async function check(mod, core, how) {
  const model = new core.Sequential([core.layers.Dense(2, { inputShape: [3] })]);
  const bytes = mod.toOnnxBytes(model, { inputs: { x: [null, 3] } });
  assert.ok(bytes instanceof Uint8Array && bytes.length > 50, `${how}: toOnnxBytes returned ${bytes && bytes.length} bytes`);
  assert.equal(mod.InferenceSession.name, 'InferenceSession', `${how}: class name`);
  return `${how}: ok`;
};
