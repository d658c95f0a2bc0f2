/**
 * Momentum, RMSprop, Adam, Nadam and Adamax against plain SGD on one problem, from the same initial weights,
 * in both doors: `optim.*` (PyTorch names, defaults and formulas) and `optimizers.*` (Keras's).
 *
 *   npx tsx src/optimizers.ts
 */
import { Sequential, layers, losses, nn, optim, optimizers, tensor, manualSeed, noGrad, scope, type Optimizer, type Parameter } from '@nn/core';
import { check, fmt, makeClassification, printTable, runIfMain, setup, type ExampleOptions } from './common';

export async function main(opts: ExampleOptions = {}): Promise<void> {
  await setup();
  const n = 512, epochs = opts.small ? 4 : 8, batch = 32;
  const d = makeClassification(n, 10, 3, 51, 0);
  // Badly scaled inputs (feature j multiplied by 1…100 on a log scale): an elongated loss surface.
  for (let i = 0; i < d.x.length; i++) d.x[i] = d.x[i]! * 10 ** ((i % 10) / 4.5);
  const x = tensor(d.x, [n, 10]), y = tensor(d.y, [n], { dtype: 'int32' });

  // ---- PyTorch door: a manual loop, the optimizer chosen by a factory ----
  const torchOpts: [string, (p: Parameter[]) => optim.Optimizer][] = [
    ['SGD lr 1e-3', (p) => new optim.SGD(p, { lr: 1e-3 })],
    ['SGD momentum 0.9', (p) => new optim.SGD(p, { lr: 1e-3, momentum: 0.9 })],
    ['SGD momentum 0.9, course form (EMA)', (p) => new optim.SGD(p, { lr: 1e-2, momentum: 0.9, momentumForm: 'ema' })],
    ['RMSprop lr 1e-3', (p) => new optim.RMSprop(p, { lr: 1e-3 })],
    ['Adam lr 1e-3', (p) => new optim.Adam(p, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8 })],
    ['NAdam lr 1e-3 (momentumDecay 4e-3)', (p) => new optim.NAdam(p, { lr: 1e-3 })],
    ['Adamax lr 1e-3', (p) => new optim.Adamax(p, { lr: 1e-3 })],
  ];
  const rows: Record<string, string | number>[] = [];
  const final = new Map<string, number>();
  for (const [name, make] of torchOpts) {
    manualSeed(1);
    const net = new nn.Sequential(new nn.Linear(10, 64), new nn.Tanh(), new nn.Linear(64, 3));
    const opt = make(net.parameters());
    const perEpoch: number[] = [];
    for (let epoch = 0; epoch < epochs; epoch++) {
      for (let s = 0; s < n; s += batch) {
        scope(() => {
          opt.zeroGrad();
          nn.functional.crossEntropy(net(x.slice([s, 0], [batch, 10])), y.slice([s], [batch])).backward();
          opt.step();
        });
      }
      perEpoch.push(noGrad(() => scope(() => nn.functional.crossEntropy(net(x), y).item())));
    }
    final.set(name, perEpoch.at(-1)!);
    rows.push({ 'PyTorch door (optim.*)': name, 'loss after each epoch': perEpoch.map(fmt).join(' → ') });
  }
  console.log(`${n} examples with badly scaled features, Linear(64, tanh) → Linear(3), batch ${batch}`);
  printTable(rows);
  console.log("The course's form v = βv + (1−β)g, w −= αv with α = 1e-2 is the heavy ball with lr α(1−β) = 1e-3: the same row.");
  check(final.get('SGD momentum 0.9')! < final.get('SGD lr 1e-3')!, 'momentum beats plain SGD at the same learning rate');
  check(final.get('Adam lr 1e-3')! < final.get('SGD lr 1e-3')! && final.get('RMSprop lr 1e-3')! < final.get('SGD lr 1e-3')!, 'per-parameter step sizes (RMSprop, Adam) cope with the bad scaling');
  check(final.get('NAdam lr 1e-3 (momentumDecay 4e-3)')! < final.get('SGD lr 1e-3')! && final.get('Adamax lr 1e-3')! < final.get('SGD lr 1e-3')!, 'NAdam and Adamax (Adam variants) cope with it too');

  // ---- Keras door: compile with an optimizer object, fit ----
  const kerasOpts: [string, () => Optimizer][] = [
    ['SGD learningRate 1e-3', () => optimizers.SGD({ learningRate: 1e-3 })],
    ['SGD momentum 0.9', () => optimizers.SGD({ learningRate: 1e-3, momentum: 0.9 })],
    ['RMSprop learningRate 1e-3', () => optimizers.RMSprop({ learningRate: 1e-3 })],
    ['Adam learningRate 1e-3', () => optimizers.Adam({ learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 })],
    ['Nadam learningRate 1e-3', () => optimizers.Nadam({ learningRate: 1e-3 })],
    ['Adamax learningRate 1e-3', () => optimizers.Adamax({ learningRate: 1e-3 })],
  ];
  const krows: Record<string, string | number>[] = [];
  for (const [name, make] of kerasOpts) {
    manualSeed(1);
    const model = new Sequential([layers.Dense(64, { inputShape: [10], activation: 'tanh' }), layers.Dense(3)]);
    model.compile({ optimizer: make(), loss: losses.SparseCategoricalCrossentropy({ fromLogits: true }) });
    const h = await model.fit(x, y, { epochs, batchSize: batch, shuffle: false, verbose: 0 });
    krows.push({ 'Keras door (optimizers.*)': name, 'training loss per epoch (running mean)': h.history.loss!.map(fmt).join(' → ') });
  }
  printTable(krows);
  console.log('Note the doors differ on purpose: Keras Adam epsilon 1e-7 ("epsilon hat"), PyTorch eps 1e-8 added to √v̂;');
  console.log('Keras RMSprop rho 0.9 with epsilon inside the root, PyTorch alpha 0.99 with eps outside (optim README).');
}

runIfMain(import.meta.url, main);
