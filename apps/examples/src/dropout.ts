/**
 * Dropout: random zeros and a 1/(1−p) scale while training (inverted dropout), the identity at
 * inference — in the Keras door (`training` flag, `fit` sets it) and the PyTorch door
 * (`train()`/`eval()`) — and its effect on overfitting.
 *
 *   npx tsx src/dropout.ts
 */
import { Sequential, layers, losses, nn, optimizers, ones, tensor, manualSeed, type Tensor } from '@nn/core';
import { check, makeClassification, printTable, runIfMain, setup, type ExampleOptions } from './common';

const show = (t: Tensor) => Array.from(t.dataSync().slice(0, 10), (v) => v.toFixed(1)).join(' ');

export async function main(opts: ExampleOptions = {}): Promise<void> {
  await setup();
  manualSeed(1);
  const x = ones([4, 1000]);

  // ---- Keras door: inference unless training: true (fit switches the model to training) ----
  const drop = layers.Dropout(0.5);
  const tr = drop(x, { training: true }) as Tensor, inf = drop(x) as Tensor;
  const kept = tr.gt(0).cast('float32').mean().item();
  console.log(`layers.Dropout(0.5), training: true  → ${show(tr)} …  kept ${(kept * 100).toFixed(1)}%, mean ${tr.mean().item().toFixed(3)}`);
  console.log(`layers.Dropout(0.5), inference       → ${show(inf)} …  mean ${inf.mean().item().toFixed(3)}`);
  check(Math.abs(kept - 0.5) < 0.03, 'about half the units are kept'); // 4000 Bernoulli(0.5): sd 0.8%, 3.75 sd
  check(Math.abs(tr.mean().item() - 1) < 0.06, 'inverted dropout keeps the mean'); // 2 × the kept fraction
  check(inf.sub(x).abs().max().item() === 0, 'inference is the identity');

  // ---- PyTorch door: modules start in training mode; eval() turns dropout off ----
  const net = new nn.Sequential(new nn.Linear(1000, 1000), new nn.Dropout(0.5));
  const a = net(x).dataSync(), b = net(x).dataSync();
  net.eval();
  const c = net(x).dataSync(), d = net(x).dataSync();
  const differs = (p: ArrayLike<number>, q: ArrayLike<number>) => Array.prototype.some.call(p, (v: number, i: number) => v !== q[i]);
  console.log(`nn.Dropout(0.5): net.training → two calls differ: ${differs(a, b)}; after net.eval() → two calls differ: ${differs(c, d)}`);
  check(differs(a, b) && !differs(c, d), 'train() is random, eval() deterministic');

  // ---- Effect: a wide network on little noisy data, with and without dropout ----
  const n = 200;
  const data = makeClassification(n + 500, 20, 4, 11, 0.2);
  const xt = tensor(data.x.subarray(0, n * 20), [n, 20]), yt = tensor(data.y.subarray(0, n), [n], { dtype: 'int32' });
  const xv = tensor(data.x.subarray(n * 20), [500, 20]), yv = tensor(data.y.subarray(n), [500], { dtype: 'int32' });
  const epochs = opts.small ? 30 : 60;
  const rows: Record<string, string | number>[] = [];
  for (const rate of [0, 0.5]) {
    manualSeed(2);
    const model = new Sequential([
      layers.Dense(128, { inputShape: [20], activation: 'relu' }), layers.Dropout(rate),
      layers.Dense(128, { activation: 'relu' }), layers.Dropout(rate),
      layers.Dense(4),
    ]);
    model.compile({ optimizer: optimizers.Adam({ learningRate: 3e-3 }), loss: losses.SparseCategoricalCrossentropy({ fromLogits: true }), metrics: ['accuracy'] });
    await model.fit(xt, yt, { epochs, batchSize: 50, verbose: 0 });
    const trainEval = await model.evaluate(xt, yt), valEval = await model.evaluate(xv, yv); // inference mode: dropout off
    rows.push({ dropout: rate, 'train loss': trainEval.loss!, 'val loss': valEval.loss!, 'train acc': trainEval.accuracy!, 'val acc': valEval.accuracy!,
                'gap (val − train loss)': valEval.loss! - trainEval.loss! });
  }
  console.log(`\nDense(128)-Dense(128)-Dense(4) on ${n} noisy samples, ${epochs} epochs (evaluated in inference mode):`);
  printTable(rows);
  check(Number(rows[1]!['gap (val − train loss)']) < Number(rows[0]!['gap (val − train loss)']), 'dropout narrows the train/validation gap');
  console.log('Without dropout the network memorises the training set (train loss ≈ 0) and its validation loss climbs; dropout keeps the gap smaller.');
}

runIfMain(import.meta.url, main);
