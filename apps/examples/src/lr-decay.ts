/**
 * Learning-rate decay as the course writes it, in both doors, plotted side by side:
 * `1/(1 + decay·epoch)·α₀`, `0.95^epoch·α₀`, `k/√epoch·α₀`, a discrete staircase, and the
 * schedules users reach for next (polynomial, cosine with warm restarts, one-cycle). Then one
 * small model trained with a decayed rate in each door.
 *
 *   npx tsx src/lr-decay.ts
 */
import { join } from 'node:path';
import { Sequential, layers, losses, manualSeed, nn, noGrad, optim, optimizers, scope, tensor, type Tensor } from '@nn/core';
import { savePlot, type VegaLiteSpec } from '@nn/monitor';
import { check, fmt, makeClassification, printTable, runIfMain, setup, tempDir, type ExampleOptions } from './common';

const ALPHA0 = 0.2;

/** The learning rate of a PyTorch-door scheduler at each epoch 0…epochs−1 (one `step()` per epoch). */
function torchCurve(make: (opt: optim.SGD) => optim.LRScheduler, epochs: number): number[] {
  const opt = new optim.SGD([tensor([0]).requiresGrad_()], { lr: ALPHA0, momentum: 0.9 });
  const sched = make(opt);
  const out: number[] = [];
  for (let e = 0; e < epochs; e++) {
    out.push(opt.lr);
    if (e < epochs - 1) sched.step();
  }
  return out;
}

export async function main(opts: ExampleOptions = {}): Promise<void> {
  await setup();
  const epochs = 30, stepsPerEpoch = 10;

  // ---- Keras door: schedules are functions of the optimizer step (Keras `iterations`) ----
  const S = optimizers.schedules;
  const keras: [string, { call(step: number): number }][] = [
    ['InverseTimeDecay 1/(1+0.5·epoch)·α₀', new S.InverseTimeDecay({ initialLearningRate: ALPHA0, decaySteps: stepsPerEpoch, decayRate: 0.5, staircase: true })],
    ['ExponentialDecay 0.95^epoch·α₀', new S.ExponentialDecay({ initialLearningRate: ALPHA0, decaySteps: stepsPerEpoch, decayRate: 0.95, staircase: true })],
    ['InverseSqrtDecay k/√epoch·α₀ (k=1)', new S.InverseSqrtDecay({ initialLearningRate: ALPHA0, decaySteps: stepsPerEpoch })],
    ['PiecewiseConstantDecay (staircase)', new S.PiecewiseConstantDecay({ boundaries: [10 * stepsPerEpoch - 1, 20 * stepsPerEpoch - 1], values: [ALPHA0, ALPHA0 / 2, ALPHA0 / 4] })],
    ['PolynomialDecay power 2', new S.PolynomialDecay({ initialLearningRate: ALPHA0, decaySteps: epochs * stepsPerEpoch, power: 2 })],
    ['CosineDecayRestarts', new S.CosineDecayRestarts({ initialLearningRate: ALPHA0, firstDecaySteps: 5 * stepsPerEpoch })],
  ];
  const kerasCurves = keras.map(([name, s]) => [name, Array.from({ length: epochs }, (_, e) => s.call(e * stepsPerEpoch))] as const);

  // ---- PyTorch door: schedulers set param_groups[i].lr at each step() ----
  const torch: [string, (o: optim.SGD) => optim.LRScheduler][] = [
    ['LambdaLR 1/(1+0.5·epoch)', (o) => new optim.LambdaLR(o, { lrLambda: (e) => 1 / (1 + 0.5 * e) })],
    ['ExponentialLR γ=0.95', (o) => new optim.ExponentialLR(o, { gamma: 0.95 })],
    ['MultiStepLR [10, 20] γ=0.5', (o) => new optim.MultiStepLR(o, { milestones: [10, 20], gamma: 0.5 })],
    ['PolynomialLR 30 epochs power 2', (o) => new optim.PolynomialLR(o, { totalIters: epochs, power: 2 })],
    ['CosineAnnealingWarmRestarts T₀=5 ×2', (o) => new optim.CosineAnnealingWarmRestarts(o, { t0: 5, tMult: 2 })],
    ['OneCycleLR max 0.2', (o) => new optim.OneCycleLR(o, { maxLr: ALPHA0, totalSteps: epochs })],
  ];
  const torchCurves = torch.map(([name, make]) => [name, torchCurve(make, epochs)] as const);

  const show = [0, 1, 2, 5, 10, 20, 29];
  const rows = (curves: readonly (readonly [string, number[]])[], door: string) =>
    curves.map(([name, c]) => ({ [door]: name, ...Object.fromEntries(show.map((e) => [`epoch ${e}`, fmt(c[e]!)])) }));
  console.log(`α₀ = ${ALPHA0}, ${stepsPerEpoch} steps per epoch; the rate at the start of some epochs:`);
  printTable(rows(kerasCurves, 'Keras door (optimizers.schedules.*)'));
  printTable(rows(torchCurves, 'PyTorch door (optim.*)'));
  console.log("The course counts epoch_num from 1 (its first epoch already uses α₀/(1+decay)); Keras and PyTorch count from 0.");

  const k = Object.fromEntries(kerasCurves), t = Object.fromEntries(torchCurves);
  const agree = (a: number[], b: number[]) => a.every((v, i) => Math.abs(v - b[i]!) <= 1e-12 * Math.abs(b[i]!));
  check(agree(k['InverseTimeDecay 1/(1+0.5·epoch)·α₀']!, t['LambdaLR 1/(1+0.5·epoch)']!), 'InverseTimeDecay (Keras) = LambdaLR 1/(1+0.5·epoch) (PyTorch)');
  check(agree(k['ExponentialDecay 0.95^epoch·α₀']!, t['ExponentialLR γ=0.95']!), 'ExponentialDecay staircase (Keras) = ExponentialLR (PyTorch)');
  check(Math.abs(k['InverseSqrtDecay k/√epoch·α₀ (k=1)']![3]! - ALPHA0 / 2) < 1e-15, 'k/√epoch_num · α₀ is α₀/2 in the 4th epoch');
  check(t['CosineAnnealingWarmRestarts T₀=5 ×2']![5] === ALPHA0 && t['CosineAnnealingWarmRestarts T₀=5 ×2']![15] === ALPHA0, 'warm restarts at epochs 5 and 15');
  const oc = t['OneCycleLR max 0.2']!;
  check(Math.max(...oc) === ALPHA0 && Math.abs(oc[0]! - ALPHA0 / 25) < 1e-15, 'one cycle: starts at max/25, peaks at max');

  const values = [...kerasCurves.map(([n, c]) => ({ door: 'Keras door', n, c })), ...torchCurves.map(([n, c]) => ({ door: 'PyTorch door', n, c }))]
    .flatMap(({ door, n, c }) => c.map((lr, epoch) => ({ door, schedule: n, epoch, lr })));
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `Learning-rate schedules, α₀ = ${ALPHA0}`,
    data: { values },
    facet: { column: { field: 'door', type: 'nominal', title: null } },
    spec: {
      width: 360, height: 260,
      mark: { type: 'line', point: { size: 10 } },
      encoding: {
        x: { field: 'epoch', type: 'quantitative' },
        y: { field: 'lr', type: 'quantitative', title: 'learning rate' },
        color: { field: 'schedule', type: 'nominal', scale: { scheme: 'category10' }, legend: { orient: 'bottom', columns: 2, labelLimit: 260 } },
      },
    },
    resolve: { scale: { color: 'independent' } },
  } as VegaLiteSpec;
  const dir = await tempDir('lr-decay');
  await savePlot(spec, join(dir, 'schedules.svg'));
  await savePlot(spec, join(dir, 'schedules.png'));
  console.log(`plot: ${join(dir, 'schedules.png')} (and .svg)`);

  // ---- Training with a decayed rate, both doors ----
  const n = opts.small ? 256 : 1024, batch = 32, trainEpochs = opts.small ? 4 : 8;
  const d = makeClassification(n, 10, 3, 7);
  const x = tensor(d.x, [n, 10]), y = tensor(d.y, [n], { dtype: 'int32' });
  manualSeed(3);
  const model = new Sequential([layers.Dense(32, { inputShape: [10], activation: 'relu' }), layers.Dense(3)]);
  const lr = new S.InverseTimeDecay({ initialLearningRate: 0.1, decaySteps: Math.ceil(n / batch), decayRate: 1, staircase: true });
  const opt = optimizers.SGD({ learningRate: lr, momentum: 0.9 });
  model.compile({ optimizer: opt, loss: losses.SparseCategoricalCrossentropy({ fromLogits: true }) });
  const h = await model.fit(x, y, { epochs: trainEpochs, batchSize: batch, shuffle: false, verbose: 0 });
  console.log(`Keras door, SGD + InverseTimeDecay(0.1, decay 1 per epoch): loss ${h.history.loss!.map(fmt).join(' → ')}; rate now ${fmt(opt.lr)}`);
  check(Math.abs(opt.lr - 0.1 / (1 + trainEpochs)) < 1e-12, `after ${trainEpochs} epochs the rate is 0.1/(1 + ${trainEpochs})`);

  manualSeed(3);
  const net = new nn.Sequential(new nn.Linear(10, 32), new nn.ReLU(), new nn.Linear(32, 3));
  const sgd = new optim.SGD(net.parameters(), { lr: 0.1, momentum: 0.9 });
  const sched = new optim.OneCycleLR(sgd, { maxLr: 0.1, epochs: trainEpochs, stepsPerEpoch: Math.ceil(n / batch) });
  const lossOf = () => noGrad(() => scope(() => nn.functional.crossEntropy(net(x) as Tensor, y).item()));
  const torchLosses = [lossOf()];
  for (let e = 0; e < trainEpochs; e++) {
    for (let s = 0; s < n; s += batch) {
      scope(() => {
        sgd.zeroGrad();
        nn.functional.crossEntropy(net(x.slice([s, 0], [Math.min(batch, n - s), 10])) as Tensor, y.slice([s], [Math.min(batch, n - s)])).backward();
        sgd.step();
      });
      sched.step();
    }
    torchLosses.push(lossOf());
  }
  console.log(`PyTorch door, SGD + OneCycleLR(max 0.1, momentum cycled 0.95 → 0.85 → 0.95): loss ${torchLosses.map(fmt).join(' → ')}`);
  check(torchLosses.at(-1)! < torchLosses[0]!, 'one-cycle training lowers the loss');
}

runIfMain(import.meta.url, main);
