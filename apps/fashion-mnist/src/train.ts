import { join } from 'node:path';
import {
  History, ModelCheckpoint, ProgressReporter, losses, nn, optim, optimizers, saveCheckpoint, summary, tensor, scope, noGrad, type Module, type Tensor,
} from '@nn/core';
import { Compose, DataLoader, Dataset, RandomAffine, RandomHorizontalFlip, computeStats, splits } from '@nn/data';
import { JsonlLogger, SummaryWriter, TensorBoard } from '@nn/monitor';
import { autoStepsPerCall, compileTrainStep, ortEngine } from '@nn/onnx';
import { CNN_SHIFT, kerasCnn, kerasModel, TorchCnn, TorchMlp } from './models';
import type { Options } from './options';

/** Human-level proxy for the Bayes error on Fashion-MNIST: the best published models reach ≈96.5% accuracy. */
export const BAYES_ERROR = 0.035;

export interface Split {
  x: Float32Array;
  y: Int32Array;
  n: number;
}

export interface TrainResult {
  model: Module;
  history: History;
  /** Final-epoch training and validation error, test accuracy. */
  trainError: number;
  valError: number;
  testAccuracy: number;
  zscore: { mean: number; std: number };
  nTrain: number;
  nVal: number;
  trainSeconds: number;
  /** Host copies for later stages (ONNX parity, learning curve). */
  xTest: Float32Array;
  yTest: Int32Array;
  xTrain: Float32Array;
  yTrain: Int32Array;
  xVal: Float32Array;
  yVal: Int32Array;
  /** The run's JsonlLogger folder (`<out>/logs/<run>`), where `nn-monitor` reads it. */
  runDir: string;
}

/**
 * Global z-score statistics in one streaming pass over the training IDX file (Welford per pixel,
 * then pooled: var = mean(var_j + mean_j²) − mean²).
 */
export async function streamingZscore(dir: string, limit?: number): Promise<{ mean: number; std: number }> {
  const all = Dataset.fromFashionMnist(dir, { split: 'train' });
  const s = await computeStats(limit === undefined ? all : all.take(limit));
  let m = 0, sq = 0;
  for (let j = 0; j < s.mean.length; j++) {
    m += s.mean[j]!;
    sq += s.variance[j]! + s.mean[j]! ** 2;
  }
  m /= s.mean.length;
  sq /= s.mean.length;
  return { mean: m, std: Math.sqrt(sq - m * m) };
}

function normalise(x: Float32Array, z: { mean: number; std: number }): Float32Array {
  const out = new Float32Array(x.length);
  const inv = 1 / z.std;
  for (let i = 0; i < x.length; i++) out[i] = (x[i]! - z.mean) * inv;
  return out;
}

/** Seeded 90/10 train/validation split with @nn/data (exact, by permutation). */
async function split(train: Split): Promise<[Split, Split]> {
  const ds = Dataset.fromItems(Array.from({ length: train.n }, (_, i) => i));
  const [a, b] = splits(ds, [0.9, 0.1], { seed: 1 });
  const take = async (d: Dataset<number>): Promise<Split> => {
    const idx: number[] = [];
    for await (const i of d) idx.push(i);
    const x = new Float32Array(idx.length * 784), y = new Int32Array(idx.length);
    idx.forEach((r, k) => {
      x.set(train.x.subarray(r * 784, r * 784 + 784), k * 784);
      y[k] = train.y[r]!;
    });
    return { x, y, n: idx.length };
  };
  return [await take(a!), await take(b!)];
}

async function prepare(opts: Options, train: Split, test: Split, dir: string) {
  // --quick reads only the images it trains on (the first train.n), for the statistics too.
  const z = await streamingZscore(dir, opts.quick ? train.n : undefined);
  console.log(`z-score: mean ${z.mean.toFixed(4)}, std ${z.std.toFixed(4)} (one streaming pass over the ${opts.quick ? `first ${train.n.toLocaleString('en-US')} images of the ` : ''}training file)`);
  const norm = { x: normalise(train.x, z), y: train.y, n: train.n };
  const [tr, va] = await split(norm);
  const total = train.n + test.n;
  console.log(
    `Split: ${tr.n} train / ${va.n} validation / ${test.n} test (seeded). With ${total.toLocaleString('en-US')} examples a 90/10 hold-out is right; ` +
      `with a million, 98/1/1 (980,000 / 10,000 / 10,000) still leaves 10,000 for validation — see @nn/data splits().`,
  );
  return { z, tr, va, te: { x: normalise(test.x, z), y: test.y, n: test.n } };
}

const t = (x: Float32Array, n: number) => tensor(x, [n, 784]);
const labels = (y: Int32Array) => tensor(y, [y.length], { dtype: 'int32' });

/** Accuracy of a model on host arrays, in eval mode. */
export function evaluateAccuracy(model: Module, x: Float32Array, y: Int32Array, batch = 1000): number {
  const was = model.training;
  model.eval();
  let correct = 0;
  for (let s = 0; s < y.length; s += batch) {
    const n = Math.min(batch, y.length - s);
    correct += noGrad(() => scope(() => {
      const logits = model(tensor(x.subarray(s * 784, (s + n) * 784), [n, 784])) as Tensor;
      return hits(logits, y.subarray(s, s + n));
    }));
  }
  model.train(was);
  return correct / y.length;
}

/** One batch's summed cross-entropy and its correct predictions, from its logits. */
function lossAndHits(logits: Tensor, yb: Int32Array): readonly [number, number] {
  return [nn.functional.crossEntropy(logits, tensor(yb, [yb.length], { dtype: 'int32' })).item() * yb.length, hits(logits, yb)];
}

/** Mean cross-entropy and accuracy of a model on host arrays, in eval mode (what Keras' val_loss / val_accuracy are). */
export function evaluateLossAccuracy(model: Module, x: Float32Array, y: Int32Array, batch = 1000): { loss: number; accuracy: number } {
  const was = model.training;
  model.eval();
  let correct = 0, lossSum = 0;
  for (let s = 0; s < y.length; s += batch) {
    const n = Math.min(batch, y.length - s);
    const [l, c] = noGrad(() => scope(() => lossAndHits(model(tensor(x.subarray(s * 784, (s + n) * 784), [n, 784])) as Tensor, y.subarray(s, s + n))));
    lossSum += l;
    correct += c;
  }
  model.train(was);
  return { loss: lossSum / y.length, accuracy: correct / y.length };
}

/**
 * How many rows of `logits` (a `[n, classes]` tensor, or its row-major values) have their largest
 * value at the row's label; the first maximum wins, as argmax.
 */
function hits(logits: Tensor | ArrayLike<number>, labels: ArrayLike<number>): number {
  const v = 'dataSync' in logits ? logits.dataSync() : logits;
  const k = v.length / labels.length;
  let c = 0;
  for (let i = 0; i < labels.length; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (v[i * k + j]! > v[i * k + best]!) best = j;
    if (best === labels[i]) c++;
  }
  return c;
}

/** Training accuracy in inference mode (dropout off) on up to 10,000 training rows: the honest "train error" for bias/variance. */
function trainAccuracyEval(model: Module, tr: Split): number {
  const n = Math.min(tr.n, 10_000);
  return evaluateAccuracy(model, tr.x.subarray(0, n * 784), tr.y.subarray(0, n));
}

export async function fitKeras(opts: Options, train: Split, test: Split, dir: string): Promise<TrainResult> {
  const { z, tr, va, te } = await prepare(opts, train, test, dir);
  const augment = opts.augment ? { fill: -z.mean / z.std } : undefined;
  const model = opts.model === 'cnn' ? kerasCnn(augment) : kerasModel(undefined, augment);
  model.summary();
  const steps = Math.ceil(tr.n / opts.batchSize) * opts.epochs;
  model.compile({
    optimizer: optimizers.Adam({ learningRate: new optimizers.CosineDecay({ initialLearningRate: 2e-3, decaySteps: steps, alpha: 0.02 }), epsilon: 1e-7 }),
    loss: losses.SparseCategoricalCrossentropy({ fromLogits: true }),
    metrics: ['accuracy'],
  });
  const run = `keras-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  const jsonl = new JsonlLogger({ logDir: join(opts.out, 'logs'), runName: run, bayesError: BAYES_ERROR, params: { style: 'keras', model: opts.model, augment: opts.augment, epochs: opts.epochs, batchSize: opts.batchSize } });
  const t0 = performance.now();
  const history = await model.fit(t(tr.x, tr.n), labels(tr.y), {
    epochs: opts.epochs,
    batchSize: opts.batchSize,
    validationData: [t(va.x, va.n), labels(va.y)],
    seed: 1,
    // fit's default engine 'auto' compiles the steps for onnxruntime (k batches per call: autoStepsPerCall) on a tfjs
    // backend; --engine ort requires it, --engine eager (or a tfjs engine) trains eagerly.
    engine: opts.engine === 'ort' ? ortEngine() : opts.engine === 'auto' ? 'auto' : 'eager',
    callbacks: [
      new TensorBoard({ logDir: join(opts.out, 'tensorboard', run) }),
      jsonl,
      new ModelCheckpoint({ dir: join(opts.out, 'checkpoint'), monitor: 'val_accuracy', saveBestOnly: true }),
    ],
  });
  const trainSeconds = (performance.now() - t0) / 1000;
  const last = history.history;
  const k = history.epoch.length - 1;
  return {
    model, history, trainSeconds, zscore: z, nTrain: tr.n, nVal: va.n,
    trainError: 1 - trainAccuracyEval(model, tr), valError: 1 - last.val_accuracy![k]!,
    testAccuracy: evaluateAccuracy(model, te.x, te.y),
    xTest: te.x, yTest: te.y, xTrain: tr.x, yTrain: tr.y, xVal: va.x, yVal: va.y, runDir: jsonl.runDir,
  };
}

/**
 * {@link evaluateLossAccuracy} with the logits from the compiled step's inference graph
 * (`engine.infer`: its newest weights, inference mode, in onnxruntime), and the loss from them as
 * nn.functional.crossEntropy computes it; eager where the engine cannot infer.
 */
async function evaluateOnEngine(engine: { infer(x: Float32Array): Promise<{ data: Float32Array; dims: readonly number[] } | undefined> }, net: Module, x: Float32Array, y: Int32Array, batch = 1000): Promise<{ loss: number; accuracy: number }> {
  let correct = 0, lossSum = 0;
  for (let s = 0; s < y.length; s += batch) {
    const n = Math.min(batch, y.length - s);
    const p = await engine.infer(x.subarray(s * 784, (s + n) * 784));
    if (!p) return evaluateLossAccuracy(net, x, y, batch);
    const [l, c] = noGrad(() => scope(() => lossAndHits(tensor(p.data, [...p.dims]), y.subarray(s, s + n))));
    lossSum += l;
    correct += c;
  }
  return { loss: lossSum / y.length, accuracy: correct / y.length };
}

/**
 * The same network and schedule PyTorch style: DataLoader, optim.Adam, CosineAnnealingLR, a manual loop
 * that logs like a PyTorch user would (a TensorBoard `SummaryWriter`), keeps the best epoch's checkpoint,
 * and writes the same JSONL run log as the Keras path so `nn-monitor` shows either.
 */
export async function fitTorch(opts: Options, train: Split, test: Split, dir: string): Promise<TrainResult> {
  const { z, tr, va, te } = await prepare(opts, train, test, dir);
  const net = opts.model === 'cnn' ? new TorchCnn() : new TorchMlp();
  summary(net); // the same model summary the Keras style prints
  const opt = new optim.Adam(net.parameters(), { lr: 2e-3 });
  const sched = new optim.CosineAnnealingLR(opt, { tMax: opts.epochs, etaMin: 4e-5 });
  const rows = Array.from({ length: tr.n }, (_, i) => ({ x: tr.x.subarray(i * 784, i * 784 + 784), y: tr.y[i]! }));
  // --augment: the same flip and ≤ 10% shifts as the Keras layers, as @nn/data transforms run in 2 worker threads
  // (torchvision's RandomAffine shifts by whole pixels; the Keras layer interpolates).
  const aug = opts.augment
    ? Compose([RandomHorizontalFlip({ p: 0.5 }), RandomAffine({ degrees: 0, translate: opts.model === 'cnn' ? [CNN_SHIFT, CNN_SHIFT] : [0.1, 0.1], fill: -z.mean / z.std })], { shape: [1, 28, 28], seed: 12 })
    : null;
  const loader = new DataLoader(Dataset.fromItems(rows), { batchSize: opts.batchSize, shuffle: true, seed: 1, ...(aug ? { numWorkers: 2, ...aug.loaderOptions() } : {}) });
  const steps = Math.ceil(tr.n / opts.batchSize);
  const history = new History();
  const run = `torch-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  const writer = new SummaryWriter(join(opts.out, 'tensorboard', run));
  const log = new JsonlLogger({ logDir: join(opts.out, 'logs'), runName: run, bayesError: BAYES_ERROR, params: { style: 'torch', model: opts.model, augment: opts.augment, epochs: opts.epochs, batchSize: opts.batchSize } });
  const progress = new ProgressReporter(1, opts.epochs);
  // The PyTorch door's fast path (default, --engine auto/ort): the same loop with the optimizer step
  // compiled (compileTrainStep: zeroGrad/forward/backward/step in onnxruntime), the DataLoader's
  // batches handed over K at a time: engine.steps() runs K steps in one onnxruntime call, the same
  // numbers as K engine.step() calls, but each call returns the whole optimizer state in new buffers
  // (README-ort-engine.md, "Where a step's time goes"), so one batch per call trained 1.7× slower.
  // Validation from engine.infer() (the newest weights, in onnxruntime); sync() before reading the
  // weights in the model (checkpoint, the final evaluation). --engine eager (or a tfjs engine): the
  // plain eager loop.
  const engine = opts.engine === 'ort' || opts.engine === 'auto'
    ? await compileTrainStep(net, { optimizer: opt, loss: (y: Tensor, p: Tensor) => nn.functional.crossEntropy(p, y), inputShape: [784] })
    : undefined;
  const K = autoStepsPerCall(opts.batchSize);
  const bx = new Float32Array(K * opts.batchSize * 784), by = new Int32Array(K * opts.batchSize);
  log.onTrainBegin();
  let best = -Infinity;
  const t0 = performance.now();
  for (let epoch = 0; epoch < opts.epochs; epoch++) {
    net.train();
    progress.epochBegin(epoch, steps);
    let lossSum = 0, correct = 0, seen = 0, step = 0, queued = 0;
    /** Run the queued batches (all of batchSize rows) in one call; log each as its own step. */
    const runQueued = async () => {
      if (!engine || queued === 0) return;
      const b = opts.batchSize, k = queued;
      queued = 0;
      const losses = await engine.steps(bx.subarray(0, k * b * 784), by.subarray(0, k * b), k);
      const p = engine.lastPred!.data, row = b * (p.length / (k * b)); // [k·b, classes]
      for (let j = 0; j < k; j++) {
        lossSum += losses[j]! * b;
        correct += hits(p.subarray(j * row, (j + 1) * row), by.subarray(j * b, (j + 1) * b));
        seen += b;
        progress.batchEnd(step++, { loss: lossSum / seen, accuracy: correct / seen });
      }
    };
    for await (const [x, yy0] of loader) {
      const y = yy0!;
      const n = y.shape[0]!;
      if (engine && n === opts.batchSize) {
        bx.set(x.dataSync() as Float32Array, queued * n * 784);
        by.set(y.dataSync() as Int32Array, queued * n);
        x.dispose();
        y.dispose();
        if (++queued === K) await runQueued();
        continue;
      }
      // The epoch's last, shorter batch: after the queued ones, in a call of its own.
      await runQueued();
      const [l, c] = engine
        ? [(await engine.step(x, y)) * n, hits(engine.lastPred!.data, y.dataSync())]
        : scope(() => {
          opt.zeroGrad();
          const logits = net(x);
          const loss = nn.functional.crossEntropy(logits, y);
          loss.backward();
          opt.step();
          return [loss.item() * n, hits(logits, y.dataSync())] as const;
        });
      lossSum += l;
      correct += c;
      seen += n;
      x.dispose();
      y.dispose();
      progress.batchEnd(step++, { loss: lossSum / seen, accuracy: correct / seen });
    }
    await runQueued();
    engine?.sync();
    sched.step();
    // The same logs at the same point as Keras' fit: running training loss/accuracy (dropout on),
    // then val_loss/val_accuracy evaluated (dropout off), then the learning rate at the end of the
    // epoch (after the scheduler's step: what the next step will use, as Keras logs it).
    const val = engine ? await evaluateOnEngine(engine, net, va.x, va.y) : evaluateLossAccuracy(net, va.x, va.y);
    const logs = { loss: lossSum / seen, accuracy: correct / seen, val_loss: val.loss, val_accuracy: val.accuracy, lr: opt.lr };
    history.onEpochEnd(epoch, logs);
    progress.epochEnd(epoch, logs);
    for (const [k, v] of Object.entries(logs)) writer.addScalar(k, v, epoch);
    log.onEpochEnd(epoch, logs);
    if (logs.val_accuracy > best) {
      best = logs.val_accuracy;
      await saveCheckpoint(join(opts.out, 'checkpoint'), { model: net, optimizer: opt, epoch, extra: { val_accuracy: best } });
    }
  }
  await engine?.dispose();
  writer.close();
  log.onTrainEnd();
  const trainSeconds = (performance.now() - t0) / 1000;
  const k = history.epoch.length - 1;
  return {
    model: net, history, trainSeconds, zscore: z, nTrain: tr.n, nVal: va.n,
    trainError: 1 - trainAccuracyEval(net, tr), valError: 1 - history.history.val_accuracy![k]!,
    testAccuracy: evaluateAccuracy(net, te.x, te.y),
    xTest: te.x, yTest: te.y, xTrain: tr.x, yTrain: tr.y, xVal: va.x, yVal: va.y, runDir: log.runDir,
  };
}
