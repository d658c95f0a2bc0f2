// Dist smoke check shared by smoke.mjs (ESM import) and smoke.cjs (CJS require): the BUILT
// @nn/data (Node resolves it through package.json "exports" to dist/), never the sources.
'use strict';
const assert = require('node:assert/strict');

/** @param mod @nn/data @param core @nn/core (same module format) @param how 'esm' | 'cjs' */
module.exports = async function check(mod, core, how) {
  assert.deepEqual(mod.countsFromRatios(10, [0.8, 0.2]), [8, 2], `${how}: countsFromRatios`);
  for (const c of ['Dataset', 'DataLoader', 'SplitLengthError']) assert.equal(mod[c].name, c, `${how}: class name of ${c}`);
  // The host-batch pass core's fit takes from a DataLoader (the same Symbol.for key in both builds).
  const loader = new mod.DataLoader(mod.Dataset.fromItems([{ x: [1, 2], y: 0 }, { x: [3, 4], y: 1 }]), { batchSize: 2 });
  const passes = [];
  for await (const [x, y] of loader[core.HOST_BATCHES]()) passes.push([Array.from(x.data), x.shape, Array.from(y.data), y.dtype]);
  assert.deepEqual(passes, [[[1, 2, 3, 4], [2, 2], [0, 1], 'int32']], `${how}: DataLoader[HOST_BATCHES]`);
  return `${how}: ok`;
};
