// Dist smoke check shared by smoke.mjs (ESM import) and smoke.cjs (CJS require): the BUILT
// @nn/data (Node resolves it through package.json "exports" to dist/), never the sources.
'use strict';
const assert = require('node:assert/strict');

/** @param mod @nn/data @param core @nn/core (same module format) @param how 'esm' | 'cjs' */
module.exports = async function check(mod, core, how) {
  assert.deepEqual(mod.countsFromRatios(10, [0.8, 0.2]), [8, 2], `${how}: countsFromRatios`);
  for (const c of ['Dataset', 'DataLoader', 'SplitLengthError']) assert.equal(mod[c].name, c, `${how}: class name of ${c}`);
  return `${how}: ok`;
};
