import { Sequential, layers, losses, optimizers, tensor, manualSeed } from '@nn/core';
import { makeClassification, setup } from './common';
await setup();
const n = 200;
for (const noise of [0.2]) for (const epochs of [30, 60]) for (const hidden of [128]) {
const data = makeClassification(n + 500, 20, 4, 11, noise);
const xt = tensor(data.x.subarray(0, n * 20), [n, 20]), yt = tensor(data.y.subarray(0, n), [n], { dtype: 'int32' });
const xv = tensor(data.x.subarray(n * 20), [500, 20]), yv = tensor(data.y.subarray(n), [500], { dtype: 'int32' });
for (const rate of [0, 0.5]) {
  manualSeed(2);
  const model = new Sequential([layers.Dense(hidden, { inputShape: [20], activation: 'relu' }), layers.Dropout(rate), layers.Dense(hidden, { activation: 'relu' }), layers.Dropout(rate), layers.Dense(4)]);
  model.compile({ optimizer: optimizers.Adam({ learningRate: 3e-3 }), loss: losses.SparseCategoricalCrossentropy({ fromLogits: true }), metrics: ['accuracy'] });
  const t0 = performance.now();
  const h = await model.fit(xt, yt, { epochs, batchSize: 50, verbose: 0, validationData: [xv, yv] });
  const te = await model.evaluate(xt, yt), ve = await model.evaluate(xv, yv);
  console.log(noise, epochs, hidden, rate, te.loss!.toFixed(3), ve.loss!.toFixed(3), te.accuracy!.toFixed(3), ve.accuracy!.toFixed(3), 'minval', Math.min(...h.history.val_loss!).toFixed(3), ((performance.now()-t0)/1000).toFixed(1));
}}
