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
  // fit's default batches per onnxruntime call, as users get it from the build: ≤ 128 (a Scan), ≤ 32 on webgpu (unrolled).
  assert.deepEqual([64, 256, 1024].map((b) => mod.autoStepsPerCall(b)), [128, 64, 16], `${how}: autoStepsPerCall`);
  assert.equal(mod.ortEngine({ device: 'cpu' }).stepsPerCall(64), 128, `${how}: ortEngine default k on cpu`);
  assert.equal(mod.ortEngine({ device: 'webgpu' }).stepsPerCall(64), 32, `${how}: ortEngine default k on webgpu`);
  return `${how}: ok`;
};
