import { evaluate, Generator, History, Tensor, type Callback, type Logs, type Optimizer } from '@nn/core';
import type { Device } from '../serve/session';
import { TrainStepInputError } from './errors';
import { compileTrainStep, type CompiledTrainStep, type LossArg } from './compile';
import { autoStepsPerCall } from './engine';
import type { TrainableModel } from './step-trace';

/** In-memory data for {@link fitOrt}: a tensor or a flat typed array of `n × sample` values. */
export type FitData = Tensor | Float32Array | Int32Array;

/** Options of {@link fitOrt} (the subset of core `fit`'s that the ort engine honours, plus engine options). */
export interface FitOrtArgs {
  /** @default the model's compiled optimizer */
  optimizer?: Optimizer;
  /** @default the model's compiled loss */
  loss?: LossArg;
  /** Shape of one sample; required when `x` is a typed array. @default x.shape.slice(1) */
  inputShape?: readonly number[];
  /** Shape of one target. @default y.shape.slice(1), or [] for a typed array */
  targetShape?: readonly number[];
  /** @default 32 */
  batchSize?: number;
  /** @default 1 */
  epochs?: number;
  /** Shuffle each epoch with `Generator(seed + epoch)`, exactly as core `fit` does. @default true */
  shuffle?: boolean;
  /** @default 0 */
  seed?: number;
  /** `'accuracy'` (class indices or one-hot targets against the argmax of the predictions). @default [] */
  metrics?: readonly 'accuracy'[];
  /** Evaluated with core `evaluate` after each epoch (needs `model.compile`), logged as `val_*`. */
  validationData?: [Tensor, Tensor];
  callbacks?: Callback[];
  /**
   * Batches per onnxruntime call (an ONNX Loop; see `CompiledTrainStep.steps`): weights cross into
   * JS once per call. Batch callbacks then run after the call, for each of its batches in order.
   * @default `autoStepsPerCall(batchSize)` (32 up to batch 512), or 1 when a callback has onBatchBegin / onBatchEnd (exact per-batch timing)
   */
  stepsPerCall?: number;
  /** 0 silent, 1 one line per epoch. @default 1 */
  verbose?: 0 | 1;
  /** @default 'auto' */
  device?: Device;
  /** onnxruntime intra-op threads (0: its choice). @default 0 */
  threads?: number;
}

interface Host {
  data: Float32Array | Int32Array;
  per: number;
  n: number;
  sample: number[];
}

function host(v: FitData, sample: readonly number[] | undefined, what: 'x' | 'y'): Host {
  if (v instanceof Tensor) {
    const d = v.dataSync();
    const data = v.dtype === 'int32' ? (d as Int32Array) : d instanceof Float32Array ? d : Float32Array.from(d as ArrayLike<number>);
    return { data, per: v.shape.slice(1).reduce((p, q) => p * q, 1), n: v.shape[0] ?? 0, sample: v.shape.slice(1) };
  }
  const s = sample ? [...sample] : what === 'y' ? [] : undefined;
  if (!s) throw new TrainStepInputError('inputShape', 'given when x is a typed array (the shape of one sample)', 'nothing');
  const per = s.reduce((p, q) => p * q, 1);
  if (v.length % per !== 0) throw new TrainStepInputError(what, `a multiple of ${per} values`, `${v.length}`);
  return { data: v, per, n: v.length / per, sample: s };
}

const argmax = (a: ArrayLike<number>, off: number, k: number) => {
  let best = 0;
  for (let j = 1; j < k; j++) if (a[off + j]! > a[off + best]!) best = j;
  return best;
};

/**
 * Train with the ort engine: each step is one compiled ONNX graph run by onnxruntime-node (CUDA when
 * its provider is installed, else CPU). Same batches (the same seeded shuffle) and the same updates
 * as core `fit`; the weights are written back into the model after every epoch (before callbacks and
 * validation) and at the end.
 *
 * @param model - A Module or Keras model; `model.compile()` supplies optimizer and loss unless given.
 * @param x - Inputs `[n, ...sample]`.
 * @param y - Targets `[n]` (class indices) or `[n, ...]`.
 * @param args - Epochs, batch size, metrics, callbacks, engine options.
 * @returns A core `History` (`history.loss`, `history.accuracy`, `history.val_loss` …).
 * @example
 * ```ts
 * model.compile({ optimizer: optimizers.Adam(), loss: 'sparseCategoricalCrossentropy' });
 * const h = await fitOrt(model, xTrain, yTrain, { epochs: 5, batchSize: 64, metrics: ['accuracy'] });
 * ```
 */
export async function fitOrt(model: TrainableModel, x: FitData, y: FitData, args: FitOrtArgs = {}): Promise<History> {
  const X = host(x, args.inputShape, 'x');
  const Y = host(y, args.targetShape, 'y');
  if (X.n !== Y.n) throw new TrainStepInputError('y', `${X.n} samples like x`, `${Y.n}`);
  const batchSize = args.batchSize ?? 32, epochs = args.epochs ?? 1;
  const engine: CompiledTrainStep = await compileTrainStep(model, {
    inputShape: X.sample, targetShape: Y.sample, targetDtype: Y.data instanceof Int32Array ? 'int32' : 'float32',
    ...(args.optimizer ? { optimizer: args.optimizer } : {}), ...(args.loss ? { loss: args.loss } : {}),
    ...(args.device ? { device: args.device } : {}), ...(args.threads !== undefined ? { threads: args.threads } : {}),
  });
  const trainable = model as TrainableModel & { stopTraining?: boolean };
  const history = new History();
  const callbacks: Callback[] = [...(args.callbacks ?? []), history];
  for (const cb of callbacks) cb.setModel?.(model as never);
  const batchHooks = (args.callbacks ?? []).some((c) => c.onBatchBegin || c.onBatchEnd);
  const perCall = args.stepsPerCall ?? (batchHooks ? 1 : autoStepsPerCall(batchSize));
  if (!Number.isInteger(perCall) || perCall < 1) throw new TrainStepInputError('stepsPerCall', 'a positive integer', String(perCall));
  const xb = new Float32Array(perCall * batchSize * X.per);
  const yb = new (Y.data.constructor as new (n: number) => Float32Array | Int32Array)(perCall * batchSize * Y.per);
  const wantAcc = args.metrics?.includes('accuracy') ?? false;
  trainable.stopTraining = false;
  try {
    for (const cb of callbacks) await cb.onTrainBegin?.({});
    for (let epoch = 0; epoch < epochs && !trainable.stopTraining; epoch++) {
      model.train?.();
      for (const cb of callbacks) await cb.onEpochBegin?.(epoch, {});
      const order = args.shuffle === false ? Int32Array.from({ length: X.n }, (_, i) => i) : new Generator((args.seed ?? 0) + epoch).permutation(X.n);
      let lossSum = 0, seen = 0, correct = 0, accSeen = 0, step = 0;
      for (let s = 0; s < X.n && !trainable.stopTraining; ) {
        // Up to `perCall` full batches in one call; a last partial batch runs alone.
        const full = Math.floor((X.n - s) / batchSize);
        const k = Math.max(1, Math.min(perCall, full));
        const b = Math.min(batchSize, X.n - s);
        const rows = k * b;
        for (let r = 0; r < rows; r++) {
          const i = order[s + r]!;
          xb.set(X.data.subarray(i * X.per, (i + 1) * X.per), r * X.per);
          yb.set(Y.data.subarray(i * Y.per, (i + 1) * Y.per) as Float32Array, r * Y.per);
        }
        for (let t = 0; t < k; t++) for (const cb of callbacks) await cb.onBatchBegin?.(step + t, { batch: step + t, size: b });
        const losses = k === 1 ? [await engine.step(xb.subarray(0, b * X.per), yb.subarray(0, b * Y.per))] : await engine.steps(xb.subarray(0, rows * X.per), yb.subarray(0, rows * Y.per), k);
        for (let t = 0; t < k; t++) {
          const loss = losses[t]!;
          lossSum += loss * b;
          seen += b;
          if (wantAcc && engine.lastPred) {
            const p = engine.lastPred.data, kk = p.length / rows, off = t * b;
            for (let r = off; r < off + b; r++) {
              const label = Y.per === 1 ? yb[r]! : argmax(yb, r * Y.per, Y.per);
              if (argmax(p, r * kk, kk) === label) correct++;
            }
            accSeen += b;
          }
          const logs: Logs = { loss: lossSum / seen, ...(wantAcc ? { accuracy: correct / Math.max(accSeen, 1) } : {}) };
          for (const cb of callbacks) await cb.onBatchEnd?.(step, { ...logs, batch: step, loss });
          step++;
        }
        s += rows;
      }
      engine.sync();
      const logs: Logs = { loss: lossSum / Math.max(seen, 1), ...(wantAcc ? { accuracy: correct / Math.max(accSeen, 1) } : {}) };
      if (args.validationData) {
        const v = await evaluate(model as never, args.validationData[0], args.validationData[1], { batchSize });
        for (const [k, val] of Object.entries(v)) logs[`val_${k}`] = val;
      }
      logs.lr = engine.optimizer.lr;
      if ((args.verbose ?? 1) > 0) console.log(`epoch ${epoch + 1}/${epochs} [ort ${engine.device ?? 'eager'}] ${Object.entries(logs).map(([k, v]) => `${k} ${v.toPrecision(4)}`).join(' · ')}`);
      for (const cb of callbacks) await cb.onEpochEnd?.(epoch, logs);
      engine.invalidate(); // callbacks may have changed the weights (restoring best weights …)
    }
    for (const cb of callbacks) await cb.onTrainEnd?.({});
  } finally {
    await engine.dispose();
    model.eval?.();
  }
  return history;
}
