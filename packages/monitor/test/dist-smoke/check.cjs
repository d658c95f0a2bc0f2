// Dist smoke check shared by smoke.mjs (ESM import) and smoke.cjs (CJS require): the BUILT
// @nn/monitor (Node resolves it through package.json "exports" to dist/), never the sources.
'use strict';
const assert = require('node:assert/strict');

/** @param mod @nn/monitor @param core @nn/core (same module format) @param how 'esm' | 'cjs' */
module.exports = async function check(mod, core, how) {
  // CRC-32C check value of "123456789" (RFC 3720).
  assert.equal(mod.crc32c(new TextEncoder().encode('123456789')), 0xe3069283, `${how}: crc32c`);
  for (const c of ['JsonlLogger', 'TensorBoard', 'SummaryWriter', 'MlflowLogger']) assert.equal(mod[c].name, c, `${how}: class name of ${c}`);
  return `${how}: ok`;
};
