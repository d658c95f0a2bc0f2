/**
 * Mini-batch sizes on one problem: batch gradient descent (the whole set per step), mini-batches
 * of 32, and stochastic gradient descent (one example per step) — the loss after each epoch and
 * the time each takes. Keras door (`fit({ batchSize })`) and PyTorch door (a DataLoader).
 *
 *   npx tsx src/mini-batch.ts
 */
import { Sequential, layers, losses, nn, optim, optimizers, tensor, manualSeed, noGrad, scope } from '@nn/core';
import { DataLoader, Dataset } from '@nn/data';
import { check, fmt, makeClassification, printTable, runIfMain, setup, type ExampleOptions } from './common';

export async function main(opts: ExampleOptions = {}): Promise<void> {
  await setup();
  const n = opts.small ? 256 : 512, epochs = opts.small ? 4 : 6, lr = 0.05;
  const d = makeClassification(n, 10, 3, 41, 0);
  const x = tensor(d.x, [n, 10]), y = tensor(d.y, [n], { dtype: 'int32' });
  const sizes: [string, number][] = [['batch GD', n], ['mini-batch 32', 32], ['SGD (batch 1)', 1]];

  // ---- Keras door ----
  const rows: Record<string, string | number>[] = [];
  const finalLoss = new Map<string, number>();
  for (const [name, batchSize] of sizes) {
    manualSeed(1);
    const model = new Sequential([layers.Dense(32, { inputShape: [10], activation: 'tanh' }), layers.Dense(3)]);
    model.compile({ optimizer: optimizers.SGD({ learningRate: lr }), loss: losses.SparseCategoricalCrossentropy({ fromLogits: true }) });
    const perEpoch: number[] = [];
    let evalMs = 0;
    const t0 = performance.now();
    await model.fit(x, y, { epochs, batchSize, verbose: 0, seed: 1, callbacks: [{ onEpochEnd: async () => {
      const e0 = performance.now();
      perEpoch.push((await model.evaluate(x, y, { batchSize: n })).loss!);
      evalMs += performance.now() - e0;   // the measurement is not part of training time
    } }] });
    const seconds = (performance.now() - t0 - evalMs) / 1000;
    finalLoss.set(name, perEpoch.at(-1)!);
    rows.push({ 'Keras fit': name, 'steps/epoch': Math.ceil(n / batchSize), 'loss after each epoch (whole set)': perEpoch.map(fmt).join(' → '),
                seconds: seconds.toFixed(2), 'ms/step': ((seconds * 1000) / (epochs * Math.ceil(n / batchSize))).toFixed(2) });
  }
  console.log(`${n} examples, Dense(32, tanh) → Dense(3), SGD lr ${lr}, ${epochs} epochs`);
  printTable(rows);
  check(finalLoss.get('mini-batch 32')! < finalLoss.get('batch GD')!, 'per epoch, mini-batches make more progress than one full-batch step');

  // ---- PyTorch door: the same with a DataLoader ----
  const samples = Array.from({ length: n }, (_, i) => ({ x: d.x.subarray(i * 10, i * 10 + 10), y: d.y[i]! }));
  const torchRows: Record<string, string | number>[] = [];
  for (const [name, batchSize] of sizes) {
    manualSeed(1);
    const net = new nn.Sequential(new nn.Linear(10, 32), new nn.Tanh(), new nn.Linear(32, 3));
    const opt = new optim.SGD(net.parameters(), { lr });
    const loader = new DataLoader(Dataset.fromItems(samples), { batchSize, shuffle: true, seed: 1 });
    const perEpoch: number[] = [];
    const t0 = performance.now();
    for (let epoch = 0; epoch < epochs; epoch++) {
      for await (const [xb, yb] of loader) {
        scope(() => {
          opt.zeroGrad();
          nn.functional.crossEntropy(net(xb), yb!).backward();
          opt.step();
        });
        xb.dispose(); yb!.dispose();
      }
      perEpoch.push(noGrad(() => scope(() => nn.functional.crossEntropy(net(x), y).item())));
    }
    const seconds = (performance.now() - t0) / 1000;
    torchRows.push({ 'PyTorch loop': name, 'loss after each epoch': perEpoch.map(fmt).join(' → '), seconds: seconds.toFixed(2) });
  }
  printTable(torchRows);
  console.log('Batch GD: one smooth step per epoch (slow progress per pass). SGD: many noisy steps, no vectorisation (slow per example).');
  console.log('Mini-batches (32–512) get most of both: fast progress per pass and vectorised steps.');
}

runIfMain(import.meta.url, main);
