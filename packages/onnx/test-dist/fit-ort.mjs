// Runs the BUILT packages as an ESM user would: import '@nn/core' and fit({ engine: 'ort' }).
import { nn, optimizers, randn, randint, manualSeed, registeredFitEngines } from '@nn/core';
manualSeed(1);
const x = randn([64, 8]), y = randint(0, 3, [64]);
const model = new nn.Sequential(new nn.Linear(8, 16), new nn.ReLU(), new nn.Dropout(0.2), new nn.Linear(16, 3));
model.compile({ optimizer: optimizers.Adam({ learningRate: 1e-2 }), loss: 'crossentropy' });
const before = registeredFitEngines();
const h = await model.fit(x, y, { epochs: 3, batchSize: 16, verbose: 0, engine: 'ort' });
// The shared compileTrainStep checks, given this script's own (ESM) imports of the built packages.
const { default: compileChecks } = await import('./compile-checks.cjs');
const checks = await compileChecks(await import('@nn/core'), await import('@nn/onnx'));
console.log(JSON.stringify({ format: 'esm', before, after: registeredFitEngines(), loss: h.history.loss, ...checks }));
