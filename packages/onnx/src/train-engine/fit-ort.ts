import { compile, fit, isModule, tensor, Tensor, type Callback, type History, type LossSpec, type Optimizer, type Trainable } from '@nn/core';
import type { Device } from '../runtime/open-session';
import { TrainStepCompileError, TrainStepInputError } from './errors';
import type { LossArg } from './compile';
import { ortEngine } from './engine';
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
   * Batches per onnxruntime call (an ONNX Scan; see `CompiledTrainStep.steps`): weights cross into
   * JS once per call. Batch callbacks then run after the call, for each of its batches in order.
   * @default `autoStepsPerCall(batchSize)` (about 16k samples per call, at most 128 batches), or 1 when a callback has onBatchBegin / onBatchEnd (exact per-batch timing)
   */
  stepsPerCall?: number;
  /** 0 silent, 1 one line per epoch. @default 1 */
  verbose?: 0 | 1;
  /** @default 'auto' */
  device?: Device;
  /** onnxruntime intra-op threads (0: its choice). @default 0 */
  threads?: number;
}

/** A typed array as a tensor `[n, ...sample]` (the sample shape must be given). */
function asTensor(v: FitData, sample: readonly number[] | undefined, what: 'x' | 'y'): Tensor {
  if (v instanceof Tensor) return v;
  const s = sample ? [...sample] : what === 'y' ? [] : undefined;
  if (!s) throw new TrainStepInputError('inputShape', 'given when x is a typed array (the shape of one sample)', 'nothing');
  const per = s.reduce((p, q) => p * q, 1);
  if (v.length % per !== 0) throw new TrainStepInputError(what, `a multiple of ${per} values`, `${v.length}`);
  return tensor(v, [v.length / per, ...s], { dtype: v instanceof Int32Array ? 'int32' : 'float32' });
}

/**
 * Train with the ort engine: core `fit` with `engine: ortEngine({ device, threads, stepsPerCall })`
 * (one training loop for every engine), after compiling the model with the optimizer, loss and
 * metrics given here (else the model's compiled ones). Kept for code written before `fit` took
 * engines; new code calls `model.fit(x, y, { engine: 'ort' })`.
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
  const { optimizer, loss, inputShape, targetShape, metrics, device, threads, stepsPerCall, verbose, ...rest } = args;
  if (!isModule(model)) throw new TrainStepCompileError('the model', 'it is not an nn Module or Keras model, so core fit cannot train it');
  const m: Trainable = model;
  const opt = optimizer ?? m.compiled?.optimizer, lossSpec = loss ?? m.compiled?.lossSpecs[0];
  if (!opt || !lossSpec) throw new TrainStepCompileError('the model', 'no optimizer/loss was given and the model is not compiled', 'Pass { optimizer, loss } or call model.compile() first.');
  compile(m, { optimizer: opt, loss: lossSpec as LossSpec, metrics: [...(metrics ?? m.compiled?.metricSpecs ?? [])] });
  const engine = ortEngine({ ...(device ? { device } : {}), ...(threads !== undefined ? { threads } : {}), ...(stepsPerCall !== undefined ? { stepsPerCall } : {}) });
  return fit(m, asTensor(x, inputShape, 'x'), asTensor(y, targetShape, 'y'), { ...rest, verbose: verbose === 0 ? 0 : 2, engine });
}
