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
  // Keras augmentation layers and a PyTorch loss module, compiled by the built @nn/onnx: the layers'
  // random plans are per-step inputs (no eager fallback), the module is called (input, target).
  const { compileTrainStep } = require('@nn/onnx');
  const augModel = new core.Sequential([core.layers.Reshape([4, 4, 1]), core.layers.RandomFlip({ seed: 1 }), core.layers.RandomTranslation(0.2, 0.2, { seed: 2 }), core.layers.Flatten(), core.layers.Dense(3)]);
  augModel.build([8, 16]);
  augModel.train();
  const fallbacks = [];
  const e = await compileTrainStep(augModel, { optimizer: optimizers.Adam(), loss: new nn.CrossEntropyLoss(), inputShape: [16], device: 'cpu', onFallback: (r) => fallbacks.push(r) });
  const augLoss = [];
  for (let i = 0; i < 3; i++) augLoss.push(await e.step(randn([8, 16]), randint(0, 3, [8])));
  const augment = { fallbacks, randoms: Object.values(e.graphInfo)[0]?.masks ?? 0, ort: e.counts.ort, loss: augLoss };
  console.log(JSON.stringify({ format: 'cjs', before, after: registeredFitEngines(), loss: h.history.loss, sameCore, augment }));
})().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
