import { describe, expect, it } from 'vitest';
import {
  isLayer, layers, losses, manualSeed, nn, optim, optimizers, rand, randint, randn, regularizers, scope, Sequential,
  type Module, type Optimizer, type Tensor,
} from '@nn/core';
import { compileTrainStep, type LossArg } from './compile';

// "Everything compiles": each layer, activation, loss, optimizer (both doors, with clipping and weight
// decay) and regularizer of core, trained 20 steps by the ort engine and eagerly on the float64
// reference backend. The engine must compile the step (no eager fallback: onFallback throws) and give
// eager's losses within 1e-5 relative — the tolerance of parity.test.ts (float32 graph vs float64
// eager: measured ~1e-7 per step; a wrong mask, a stale scalar or a missing penalty moves the loss
// by ≥ 1e-3).
const TOL = 1e-5;
const STEPS = 20;
const B = 8;

interface Row {
  name: string;
  model: () => Module;
  /** One sample's shape, and how to draw a batch of inputs / targets. */
  input: readonly number[];
  x?: (b: number) => Tensor;
  y: (b: number) => Tensor;
  /** One target's shape (float targets); class indices when absent. */
  target?: readonly number[];
  loss: LossArg;
  opt?: (m: Module) => Optimizer;
  /** At least this many random values drawn per step (the augmentation layers really ran in the graph). */
  randoms?: number;
}

const sparse = (c: number) => (b: number) => randint(0, c, [b]);
const ce = (y: Tensor, p: Tensor) => nn.functional.crossEntropy(p, y);
const kce = losses.SparseCategoricalCrossentropy({ fromLogits: true });
const seq = (...ls: Module[]) => new nn.Sequential(...ls);

function kerasModel(input: readonly number[], make: () => Module[]): () => Module {
  return () => {
    const ls = make();
    const m = new Sequential(ls);
    m.build([B, ...input]);
    return m;
  };
}

const rows: Row[] = [
  // ---- layers, PyTorch door ----
  { name: 'nn.Linear + every nn activation', input: [6], y: sparse(3), loss: ce,
    model: () => seq(new nn.Linear(6, 8), new nn.ReLU(), new nn.Linear(8, 8), new nn.LeakyReLU(0.1), new nn.Linear(8, 8), new nn.ELU(), new nn.Linear(8, 8), new nn.SELU(),
      new nn.Linear(8, 8), new nn.GELU(), new nn.Linear(8, 8), new nn.Sigmoid(), new nn.Linear(8, 8), new nn.Tanh(), new nn.Linear(8, 8), new nn.Softplus(), new nn.Linear(8, 3)) },
  { name: 'nn.Conv2d + nn.MaxPool2d + nn.AvgPool2d + nn.Flatten', input: [1, 8, 8], y: sparse(3), loss: ce,
    model: () => seq(new nn.Conv2d(1, 4, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2), new nn.Conv2d(4, 4, 3), new nn.AvgPool2d(2), new nn.Flatten(), new nn.Linear(4, 3)) },
  { name: 'nn.BatchNorm2d + nn.AdaptiveAvgPool2d', input: [2, 6, 6], y: sparse(3), loss: ce,
    model: () => seq(new nn.Conv2d(2, 4, 3), new nn.BatchNorm2d(4), new nn.ReLU(), new nn.AdaptiveAvgPool2d(1), new nn.Flatten(), new nn.Linear(4, 3)) },
  { name: 'nn.BatchNorm1d + nn.Dropout + nn.LayerNorm', input: [6], y: sparse(3), loss: ce,
    model: () => seq(new nn.Linear(6, 8), new nn.BatchNorm1d(8), new nn.ReLU(), new nn.Dropout(0.3), new nn.Linear(8, 8), new nn.LayerNorm(8), new nn.Linear(8, 3)) },
  { name: 'nn.Embedding', input: [5], x: (b) => randint(0, 10, [b, 5]), y: sparse(3), loss: ce,
    model: () => seq(new nn.Embedding(10, 4), new nn.Flatten(), new nn.Linear(20, 3)) },
  { name: 'nn.Softmax / nn.LogSoftmax heads with nll and mse', input: [6], y: sparse(3), loss: (y: Tensor, p: Tensor) => nn.functional.nllLoss(p, y),
    model: () => seq(new nn.Linear(6, 3), new nn.LogSoftmax(1)) },
  // ---- layers, Keras door ----
  { name: 'Keras Dense with every activation name', input: [6], y: sparse(3), loss: kce,
    model: kerasModel([6], () => ['relu', 'elu', 'selu', 'gelu', 'sigmoid', 'tanh', 'softplus', 'linear'].map((a): Module => layers.Dense(6, { activation: a as never })).concat([layers.LeakyReLU(), layers.Dense(3)])) },
  { name: 'Keras Conv2D + MaxPooling2D + AveragePooling2D + Flatten', input: [8, 8, 1], y: sparse(3), loss: kce,
    model: kerasModel([8, 8, 1], () => [layers.Conv2D(4, 3, { padding: 'same', activation: 'relu' }), layers.MaxPooling2D(), layers.Conv2D(4, 3), layers.AveragePooling2D(), layers.Flatten(), layers.Dense(3)]) },
  { name: 'Keras BatchNormalization + Dropout + GlobalAveragePooling2D', input: [6, 6, 2], y: sparse(3), loss: kce,
    model: kerasModel([6, 6, 2], () => [layers.Conv2D(4, 3), layers.BatchNormalization(), layers.Activation('relu'), layers.Dropout(0.25), layers.GlobalAveragePooling2D(), layers.Dense(3)]) },
  { name: 'Keras frozen layers (trainable = false on a built Dense and BatchNormalization: not updated, BN in inference mode)', input: [6], y: sparse(3), loss: kce,
    model: () => {
      const m = kerasModel([6], () => [layers.Dense(8, { activation: 'relu' }), layers.BatchNormalization(), layers.Dense(8, { activation: 'relu' }), layers.Dense(3)])() as Sequential;
      for (const l of m.layers.slice(0, 2)) (l as unknown as { trainable: boolean }).trainable = false;
      return m;
    } },
  { name: 'nn requiresGrad_(false) on the first Linear (fine-tuning the rest)', input: [6], y: sparse(3), loss: ce,
    model: () => seq(new nn.Linear(6, 8).requiresGrad_(false), new nn.ReLU(), new nn.BatchNorm1d(8), new nn.Linear(8, 3)) },
  { name: 'Keras LayerNormalization + Normalization + Reshape', input: [6], y: sparse(3), loss: kce,
    model: kerasModel([6], () => [layers.Normalization({ mean: [0, 0, 0, 0, 0, 0], variance: [1, 2, 1, 2, 1, 2] }), layers.Dense(8), layers.LayerNormalization(), layers.Reshape([2, 4]), layers.Flatten(), layers.Dense(3)]) },
  { name: 'Keras Embedding', input: [5], x: (b) => randint(0, 10, [b, 5]), y: sparse(3), loss: kce,
    model: kerasModel([5], () => [layers.Embedding(10, 4), layers.Flatten(), layers.Dense(3)]) },
  { name: 'Keras kernel, bias and activity regularizers (L1, L2, L1L2)', input: [6], y: sparse(3), loss: kce,
    model: kerasModel([6], () => [layers.Dense(8, { activation: 'relu', kernelRegularizer: regularizers.L2({ l2: 0.01 }), biasRegularizer: regularizers.L1({ l1: 0.01 }), activityRegularizer: regularizers.L1L2({ l1: 0.001, l2: 0.01 }) }), layers.Dense(3, { kernelRegularizer: regularizers.L1L2({ l1: 0.01, l2: 0.01 }) })]) },
  // Keras augmentation layers (training only): their per-pixel plans and factors are core random values, redrawn every step.
  { name: 'Keras RandomFlip + RandomTranslation + RandomRotation + RandomZoom (bilinear, every fill mode)', input: [6, 6, 1], y: sparse(3), loss: kce,
    model: kerasModel([6, 6, 1], () => [layers.RandomFlip({ seed: 1 }), layers.RandomTranslation(0.2, 0.2, { fillMode: 'constant', fillValue: -0.5, seed: 2 }), layers.RandomRotation(0.1, { fillMode: 'reflect', seed: 3 }),
      layers.RandomZoom(0.2, null, { fillMode: 'wrap', seed: 4 }), layers.RandomTranslation(0.1, 0.1, { fillMode: 'nearest', interpolation: 'nearest', seed: 5 }), layers.Conv2D(3, 3), layers.Flatten(), layers.Dense(3)]), randoms: 5 },
  { name: 'Keras RandomContrast + GaussianNoise', input: [6, 6, 2], y: sparse(3), loss: kce,
    model: kerasModel([6, 6, 2], () => [layers.RandomContrast(0.3, { valueRange: null, seed: 6 }), layers.GaussianNoise(0.1, { seed: 7 }), layers.Flatten(), layers.Dense(3)]), randoms: 2 },
  // ---- losses ----
  { name: 'loss: mse (Keras name)', input: [6], y: (b) => randn([b, 2]), target: [2], loss: 'mse', model: () => seq(new nn.Linear(6, 4), new nn.Tanh(), new nn.Linear(4, 2)) },
  { name: 'loss: mae', input: [6], y: (b) => randn([b, 2]), target: [2], loss: 'mae', model: () => seq(new nn.Linear(6, 4), new nn.Tanh(), new nn.Linear(4, 2)) },
  { name: 'loss: huber', input: [6], y: (b) => randn([b, 2]), target: [2], loss: losses.Huber(), model: () => seq(new nn.Linear(6, 4), new nn.Tanh(), new nn.Linear(4, 2)) },
  { name: 'loss: binary crossentropy from logits', input: [6], y: (b) => randint(0, 2, [b, 1]).cast('float32'), target: [1], loss: losses.BinaryCrossentropy({ fromLogits: true }), model: () => seq(new nn.Linear(6, 4), new nn.ReLU(), new nn.Linear(4, 1)) },
  { name: 'loss: binary crossentropy on probabilities', input: [6], y: (b) => randint(0, 2, [b, 1]).cast('float32'), target: [1], loss: 'binaryCrossentropy', model: () => seq(new nn.Linear(6, 4), new nn.ReLU(), new nn.Linear(4, 1), new nn.Sigmoid()) },
  { name: 'loss: categorical crossentropy (one-hot targets, softmax output)', input: [6], y: (b) => rand([b, 3]).softmax(-1), target: [3], loss: 'categoricalCrossentropy', model: () => seq(new nn.Linear(6, 3), new nn.Softmax(1)) },
  { name: 'loss: F.binaryCrossEntropyWithLogits / F.l1Loss / F.huberLoss', input: [6], y: (b) => rand([b, 2]), target: [2], loss: (y: Tensor, p: Tensor) => nn.functional.binaryCrossEntropyWithLogits(p, y).add(nn.functional.l1Loss(p, y)).add(nn.functional.huberLoss(p, y)), model: () => seq(new nn.Linear(6, 2)) },
];

/** Optimizers of both doors, with clipping and weight decay. */
const opts: [string, (m: Module) => Optimizer][] = [
  ['optim.SGD momentum nesterov + weight decay', (m) => new optim.SGD(m.parameters(), { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 1e-3 })],
  ['optim.Adam amsgrad + weight decay', (m) => new optim.Adam(m.parameters(), { lr: 1e-2, amsgrad: true, weightDecay: 1e-3 })],
  ['optim.AdamW', (m) => new optim.AdamW(m.parameters(), { lr: 1e-2 })],
  ['optim.RMSprop centered + momentum', (m) => new optim.RMSprop(m.parameters(), { lr: 1e-3, centered: true, momentum: 0.5 })],
  ['optim.Adagrad', (m) => new optim.Adagrad(m.parameters(), { lr: 0.05, lrDecay: 0.01 })],
  ['optimizers.SGD clipnorm', () => optimizers.SGD({ learningRate: 0.05, momentum: 0.9, clipnorm: 0.5 })],
  ['optimizers.Adam globalClipnorm', () => optimizers.Adam({ learningRate: 1e-2, globalClipnorm: 1 })],
  ['optimizers.AdamW clipvalue', () => optimizers.AdamW({ learningRate: 1e-2, clipvalue: 0.1 })],
  ['optimizers.RMSprop + schedule', () => optimizers.RMSprop({ learningRate: new optimizers.ExponentialDecay({ initialLearningRate: 1e-3, decaySteps: 5, decayRate: 0.5 }) })],
  ['optimizers.Adagrad weight decay', () => optimizers.Adagrad({ learningRate: 0.05, weightDecay: 1e-3 })],
  ['optim.NAdam + weight decay', (m) => new optim.NAdam(m.parameters(), { lr: 1e-2, weightDecay: 1e-3 })],
  ['optim.Adamax', (m) => new optim.Adamax(m.parameters(), { lr: 1e-2 })],
  ['optimizers.Nadam', () => optimizers.Nadam({ learningRate: 1e-2 })],
  ['optimizers.Adamax', () => optimizers.Adamax({ learningRate: 1e-2 })],
];

function batches(r: Row) {
  manualSeed(7);
  return Array.from({ length: STEPS }, () => ({ x: r.x ? r.x(B) : randn([B, ...r.input]), y: r.y(B) }));
}

function bindIfKeras(o: Optimizer, m: Module): void {
  const k = o as Optimizer & { isBound?: boolean; bind?: (p: Iterable<Tensor>) => void };
  if (k.bind && k.isBound === false) k.bind(m.parameters());
}

async function compare(r: Row, makeOpt: (m: Module) => Optimizer) {
  const data = batches(r);
  const lossFn = typeof r.loss === 'function' && !('lossName' in r.loss) ? r.loss : losses.getLoss(r.loss as never);
  // Eager, as fit trains: forward in training mode, loss + the layers' penalties, backward, step.
  manualSeed(1);
  const m1 = r.model();
  const o1 = makeOpt(m1);
  bindIfKeras(o1, m1);
  m1.train();
  const want = data.map(({ x, y }) =>
    scope(() => {
      const p = (isLayer(m1) ? m1(x, { training: true }) : m1(x)) as Tensor;
      let l = (lossFn as (a: Tensor, b: Tensor) => Tensor)(y, p);
      for (const pen of isLayer(m1) ? m1.losses : []) l = l.add(pen);
      o1.zeroGrad();
      l.backward();
      o1.step();
      return l.item();
    }),
  );
  manualSeed(1);
  const m2 = r.model();
  m2.train();
  const e = await compileTrainStep(m2 as never, { optimizer: makeOpt(m2), loss: r.loss, inputShape: r.input, ...(r.target ? { targetShape: r.target, targetDtype: 'float32' as const } : {}), device: 'cpu', onFallback: (reason) => { throw new Error(`fell back to eager: ${reason}`); } });
  const got: number[] = [];
  for (const { x, y } of data) got.push(await e.step(x, y));
  if (r.randoms) expect(Object.values(e.graphInfo)[0]!.masks).toBeGreaterThanOrEqual(r.randoms);
  await e.dispose();
  expect(e.counts.ort).toBe(STEPS - 1); // step 1 is eager (it makes the optimizer's state)
  const rel = Math.max(...got.map((v, i) => Math.abs(v - want[i]!) / Math.max(1, Math.abs(want[i]!))));
  expect(rel).toBeLessThanOrEqual(TOL);
  // Training moved (the comparison is not of a frozen model).
  expect(want[0]).not.toBe(want[STEPS - 1]);
  return rel;
}

describe('everything compiles: each layer / loss × ort vs eager, 20 steps (optim.Adam)', () => {
  for (const r of rows) {
    it(r.name, async () => {
      await compare(r, r.opt ?? ((m) => new optim.Adam(m.parameters(), { lr: 1e-2 })));
    });
  }
});

describe('everything compiles: each optimizer (both doors, clipping, weight decay, schedules) × ort vs eager, 20 steps', () => {
  const base = rows[3]!; // BatchNorm1d + Dropout + LayerNorm MLP
  for (const [name, make] of opts) {
    it(name, async () => {
      await compare({ ...base, name }, make);
    });
  }
});
