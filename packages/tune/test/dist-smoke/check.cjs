// Dist smoke check shared by smoke.mjs (ESM import) and smoke.cjs (CJS require): the BUILT
// @nn/tune (Node resolves it through package.json "exports" to dist/), never the sources.
'use strict';
const assert = require('node:assert/strict');

/** @param mod @nn/tune @param core @nn/core (same module format) @param how 'esm' | 'cjs' */
module.exports = async function check(mod, core, how) {
  const s = mod.study({ direction: 'minimize', sampler: mod.random({ seed: 1 }) });
  await s.optimize((t) => (t.suggestFloat('x', -1, 1)) ** 2, { trials: 5 });
  assert.equal(s.trials.length, 5, `${how}: trials run`);
  assert.ok(s.bestValue >= 0 && s.bestValue <= 1, `${how}: best value ${s.bestValue}`);
  for (const c of ['Study', 'Trial', 'TpeSampler']) assert.equal(mod[c].name, c, `${how}: class name of ${c}`);
  return `${how}: ok`;
};
