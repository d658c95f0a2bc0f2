// Runs the BUILT packages as a CommonJS user would: require('@nn/core') and fit({ engine: 'ort' }).
// Core must load @nn/onnx's CommonJS build (the same core copy): the engine then accepts core's own
// optimizer and trains. Prints one JSON line for dist.test.ts.
const core = require('@nn/core');
const { nn, optimizers, randn, randint, manualSeed, registeredFitEngines } = core;
(async () => {
  manualSeed(1);
  const x = randn([64, 8]), y = randint(0, 3, [64]);
  const model = new nn.Sequential(new nn.Linear(8, 16), new nn.ReLU(), new nn.Dropout(0.2), new nn.Linear(16, 3));
  model.compile({ optimizer: optimizers.Adam({ learningRate: 1e-2 }), loss: 'crossentropy' });
  const before = registeredFitEngines();
  const h = await model.fit(x, y, { epochs: 3, batchSize: 16, verbose: 0, engine: 'ort' });
  // fit loaded @nn/onnx with require: its CommonJS build is in require's cache (and it uses this core).
  const sameCore = Object.keys(require.cache).some((k) => /onnx[\\/]dist[\\/]index\.cjs$/.test(k));
  const checks = await require('./compile-checks.cjs')(core, require('@nn/onnx'));
  console.log(JSON.stringify({ format: 'cjs', before, after: registeredFitEngines(), loss: h.history.loss, sameCore, ...checks }));
})().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
