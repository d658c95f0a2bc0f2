// Runs the BUILT packages as an ESM user would: import '@nn/core' and fit({ engine: 'ort' }).
import { nn, optimizers, randn, randint, manualSeed, registeredFitEngines } from '@nn/core';
manualSeed(1);
const x = randn([64, 8]), y = randint(0, 3, [64]);
const model = new nn.Sequential(new nn.Linear(8, 16), new nn.ReLU(), new nn.Dropout(0.2), new nn.Linear(16, 3));
model.compile({ optimizer: optimizers.Adam({ learningRate: 1e-2 }), loss: 'crossentropy' });
const before = registeredFitEngines();
const h = await model.fit(x, y, { epochs: 3, batchSize: 16, verbose: 0, engine: 'ort' });
// Keras augmentation layers and a PyTorch loss module, compiled by the built @nn/onnx: the layers'
// random plans are per-step inputs (no eager fallback), the module is called (input, target).
const { compileTrainStep } = await import('@nn/onnx');
const { layers, Sequential } = await import('@nn/core');
const augModel = new Sequential([layers.Reshape([4, 4, 1]), layers.RandomFlip({ seed: 1 }), layers.RandomTranslation(0.2, 0.2, { seed: 2 }), layers.Flatten(), layers.Dense(3)]);
augModel.build([8, 16]);
augModel.train();
const fallbacks = [];
const e = await compileTrainStep(augModel, { optimizer: optimizers.Adam(), loss: new nn.CrossEntropyLoss(), inputShape: [16], device: 'cpu', onFallback: (r) => fallbacks.push(r) });
const augLoss = [];
for (let i = 0; i < 3; i++) augLoss.push(await e.step(randn([8, 16]), randint(0, 3, [8])));
const augment = { fallbacks, randoms: Object.values(e.graphInfo)[0]?.masks ?? 0, ort: e.counts.ort, loss: augLoss };
console.log(JSON.stringify({ format: 'esm', before, after: registeredFitEngines(), loss: h.history.loss, augment }));
