import { endScope, noGrad, scope, startScope } from '../engine';
import { NNError, ValueError } from '../errors';
import { Layer, regularizationLosses } from '../nn/layer';
import type { Module } from '../nn/module';
import * as o from '../ops';
import { defaultGenerator, Generator } from '../random';
import { Tensor } from '../tensor';
import type { Optimizer } from '../optim';
import { canonicalLossName } from '../losses';
import { KerasOptimizer } from '../optim/keras-optimizer';
import { resolveLoss, resolveMetrics, resolveOptimizer, type LossSpec, type MetricLike, type MetricSpec, type OptimizerSpec, type TrainLoss } from './resolve';
import type { Callback, Logs } from './callbacks';
import { ArrayData, isBatchSource, setSourceEpoch, unpackBatch, type ArrayLikeData, type BatchSource, type HostGroup } from './data';
import { ProgressReporter } from './progress';
import { biasVariance, InvalidErrorRateError, type BiasVarianceResult } from './bias-variance';
import { namedFitEngine, type FitEngine, type FitEngineName, type FitEngineSession } from './fit-engine';

/** Options of {@link compile}. */
export interface CompileArgs {
  /** An optimizer object of either door, or a Keras name ('adam', 'sgd', 'rmsprop', 'adagrad') with Keras defaults. */
  optimizer: OptimizerSpec;
  /**
   * Loss name ('sparseCategoricalCrossentropy', 'mse' …) or function `(yTrue, yPred) => scalar`; one per
   * output for several. With several outputs, the logs hold the weighted total as `loss` and each
   * output's own unweighted loss as `<name>_loss` (name: the key of a dict of outputs, else the layer
   * that produced it, else `output_<i>`), as Keras logs them.
   */
  loss: LossSpec | LossSpec[];
  /**
   * Metric names ('accuracy', 'mae' …) or metric objects. With several outputs, as in Keras 2, a metric
   * named by a string is computed for every output and logged as `<output>_<metric>`; a metric object
   * (one instance, one state) for the first output only.
   */
  metrics?: MetricSpec[];
  /** Weights of the per-output losses. @default all 1 */
  lossWeights?: number[];
}

/** Training state attached to a compiled model. */
export interface Compiled {
  optimizer: Optimizer;
  losses: TrainLoss[];
  lossWeights: number[];
  metricSpecs: MetricSpec[];
  lossNames: string[];
  lossSpecs: LossSpec[];
}

/** A module with training state (every Module can be compiled and fitted). */
export interface Trainable extends Module {
  compiled?: Compiled;
  optimizer?: Optimizer;
  stopTraining?: boolean;
}

/** Per-epoch results of `fit` (Keras `History`). */
export class History implements Callback {
  /** Each logged value per epoch: `history.loss[i]`, `history.val_accuracy[i]` … */
  history: Record<string, number[]> = {};
  /** Epoch indices run. */
  epoch: number[] = [];
  /** Set when training stopped on SIGINT. */
  interrupted = false;
  /** The bias/variance report, when fit was given a `bayesError`. */
  biasVariance?: BiasVarianceResult;
  onEpochEnd(epoch: number, logs: Logs = {}) {
    this.epoch.push(epoch);
    for (const [k, v] of Object.entries(logs)) (this.history[k] ??= []).push(v);
  }
}

/** Options of {@link fit}. */
export interface FitArgs {
  /** Samples per step for in-memory data (ignored for batched sources). @default 32 */
  batchSize?: number;
  /** @default 1 */
  epochs?: number;
  /** 0 silent, 1 progress bar (one line per epoch when not a TTY), 2 one line per epoch. @default 1 */
  verbose?: 0 | 1 | 2;
  /** Shuffle in-memory data each epoch. @default true */
  shuffle?: boolean;
  /** Seed of the per-epoch shuffle: epoch e uses seed + e, so a resumed run sees the same order. @default 0 */
  seed?: number;
  /**
   * Fraction of in-memory data held out for validation. As in Keras, the LAST rows are taken, before
   * shuffling (use @nn/data `splits` for a seeded random split).
   */
  validationSplit?: number;
  /** `[xVal, yVal]` arrays or a batched source. */
  validationData?: [ArrayLikeData, ArrayLikeData] | BatchSource;
  /** Epoch to start at (for resuming). @default 0 */
  initialEpoch?: number;
  /** Weight of each class in the loss (Keras `class_weight`). */
  classWeight?: Record<number, number>;
  callbacks?: Callback[];
  /** Steps per epoch for batched sources (default: until the source ends). */
  stepsPerEpoch?: number;
  /** On SIGINT: finish the step, call `onInterrupt` on callbacks (checkpoints save), and stop. @default true */
  handleSigint?: boolean;
  /**
   * Estimate of the Bayes (human-level) error, a fraction. When given, fit ends with a bias/variance
   * report from the last epoch's accuracy and val_accuracy (stored in `history.biasVariance`).
   */
  bayesError?: number;
  /**
   * Run the training steps on another engine, e.g. `ortEngine()` from `@nn/onnx` (each step one
   * compiled ONNX graph in onnxruntime). fit keeps epochs, batching, shuffling, callbacks, metrics,
   * validation and History, and gives the same results as eager training up to the engine's stated
   * tolerance. The model's tensors hold the newest weights at each epoch end (before validation and
   * callbacks), before batch callbacks (which then force one batch per engine call, and a copy of the
   * weights per step), and when fit returns. Several inputs/outputs/losses or `classWeight` train
   * eagerly instead, with a warning saying why.
   * @default eager training on the active backend
   * @example
   * ```ts
   * import { ortEngine } from '@nn/onnx';
   * await model.fit(xTrain, yTrain, { epochs: 5, batchSize: 64, engine: ortEngine() });
   * await model.fit(xTrain, yTrain, { epochs: 5, batchSize: 64, engine: 'ort' }); // the same, @nn/onnx loaded by name
   * ```
   */
  engine?: FitEngine | FitEngineName;
}

/**
 * Configure a model for training (Keras `compile`): binds a Keras optimizer to the trainable weights.
 */
export function compile(model: Trainable, args: CompileArgs): void {
  if (!args || !args.loss) throw new ValueError('compile: a loss is required, e.g. { loss: "sparseCategoricalCrossentropy" }.', 'compile');
  const optimizer = resolveOptimizer(args.optimizer, model);
  const specs = Array.isArray(args.loss) ? args.loss : [args.loss];
  const losses = specs.map((s) => resolveLoss(s));
  const lossWeights = args.lossWeights ?? losses.map(() => 1);
  if (lossWeights.length !== losses.length) throw new ValueError(`compile: ${lossWeights.length} lossWeights for ${losses.length} losses.`, 'compile');
  model.compiled = { optimizer, losses, lossWeights, lossSpecs: specs, metricSpecs: args.metrics ?? [], lossNames: specs.map((s) => (typeof s === 'string' ? s : typeof s === 'function' ? 'custom' : (s as { name: string }).name)) };
  model.optimizer = optimizer;
}

function requireCompiled(model: Trainable, what: string): Compiled {
  if (!model.compiled) throw new NNError(`${what}: the model is not compiled.`, what, 'Call model.compile({ optimizer, loss, metrics }) first.');
  return model.compiled;
}

const asList = (t: Tensor | Tensor[] | undefined): Tensor[] => (t === undefined ? [] : Array.isArray(t) ? t : [t]);
const forward = (model: Module, x: Tensor | Tensor[], training: boolean): Tensor[] => {
  const y = model instanceof Layer ? model(x, { training }) : Array.isArray(x) ? model(...x) : model(x);
  if (y instanceof Tensor) return [y];
  if (Array.isArray(y)) return y as Tensor[];
  if (y && typeof y === 'object') return Object.values(y as Record<string, Tensor>);
  throw new NNError(`The model's forward returned ${typeof y}, expected a Tensor.`, 'fit');
};

function regularization(model: Module): Tensor | null {
  const l = regularizationLosses(model);
  return l.length ? l.reduce((a, b) => a.add(b)) : null;
}

const isOptions = (v: unknown): v is FitArgs =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Tensor) && !ArrayBuffer.isView(v);

/** The weighted total loss of one batch, with the regularization penalties; pushes each output's unweighted loss to `parts` when given. */
function batchLoss(c: Compiled, model: Module, ys: Tensor[], preds: Tensor[], sampleWeight: Tensor | null, parts?: Tensor[]): Tensor {
  if (ys.length !== c.losses.length || preds.length !== c.losses.length) {
    throw new ValueError(`fit: the model has ${preds.length} output(s) and ${ys.length} target(s), but ${c.losses.length} loss(es) were compiled.`, 'fit');
  }
  let total: Tensor | null = null;
  c.losses.forEach((loss, i) => {
    const raw = loss(ys[i]!, preds[i]!, sampleWeight ?? undefined);
    parts?.push(raw);
    const l = raw.mul(c.lossWeights[i]!);
    total = total ? total.add(l) : l;
  });
  const reg = regularization(model);
  return reg ? total!.add(reg) : total!;
}

/**
 * Keras's names for the outputs of a multi-output model, used in log keys (`<name>_loss`,
 * `<name>_<metric>`): the key of a dict of outputs, else the name of the layer that produced the
 * output, else `output_<i>`. Empty for single-output models (Keras logs plain `loss` there).
 */
function outputNames(model: Module, c: Compiled): string[] {
  if (c.losses.length < 2) return [];
  const m = model as unknown as { outputNames?: string[] | null; outputs?: { node?: { module?: { name?: unknown } } | null }[] };
  const names = c.losses.map((_, i) => {
    const n = m.outputNames?.[i] ?? m.outputs?.[i]?.node?.module?.name;
    return typeof n === 'string' && n ? n : `output_${i + 1}`;
  });
  // Two outputs of one layer would share a name: number them instead.
  return new Set(names).size === names.length ? names : names.map((_, i) => `output_${i + 1}`);
}

/** A compiled metric bound to one output, with its log key. */
interface BoundMetric {
  m: MetricLike;
  out: number;
  key: string;
}

/**
 * The compiled metrics, bound to outputs. One output: each metric as given, logged under its name.
 * Several outputs (Keras 2's rule for a flat list): each metric named by a string is computed for
 * every output and logged as `<output>_<metric>`; a metric object (one instance, one state) is
 * computed for the first output only, logged as `<first output>_<metric>`.
 */
function bindMetrics(c: Compiled, names: string[]): BoundMetric[] {
  if (names.length === 0) return resolveMetrics(c.metricSpecs, c.lossNames[0]!).map((m) => ({ m, out: 0, key: m.name }));
  return names.flatMap((name, i) =>
    c.metricSpecs
      .filter((spec) => typeof spec === 'string' || i === 0)
      .map((spec) => resolveMetrics([spec], c.lossNames[i]!)[0]!)
      .map((m) => ({ m, out: i, key: `${name}_${m.name}` })),
  );
}

/** `{ key: value }` of each output's loss value for the log. */
function partLogs(keys: string[], parts: Tensor[]): Record<string, number> {
  return Object.fromEntries(keys.map((k, i) => [k, parts[i]!.item()]));
}

/** The log keys of each output's loss and the metrics bound to outputs, for fit and evaluate. */
function logPlan(model: Module, c: Compiled): { outKeys: string[]; metrics: BoundMetric[] } {
  const names = outputNames(model, c);
  return { outKeys: names.map((n) => `${n}_loss`), metrics: bindMetrics(c, names) };
}

function sampleWeights(cw: Record<number, number> | undefined, y: Tensor | Tensor[] | undefined): Tensor | null {
  if (!cw || !y) return null;
  const t = Array.isArray(y) ? y[0]! : y;
  const lab = t.rank > 1 && t.shape[t.rank - 1]! > 1 ? o.argmax(t, -1).dataSync() : t.dataSync();
  return o.tensor(Float32Array.from(lab, (v) => cw[v] ?? 1), [lab.length]);
}

/** Keras optimizers bind to the weights once they exist (layers build on their first call). */
function bindIfNeeded(c: Compiled, model: Module): void {
  if (c.optimizer instanceof KerasOptimizer && !c.optimizer.isBound) c.optimizer.bind(model.parameters());
}

const PROB_LOSSES = new Set(['sparsecategoricalcrossentropy', 'categoricalcrossentropy', 'binarycrossentropy']);
/**
 * Keras's cross-entropies default to probabilities: a model that outputs logits then trains on
 * nonsense without a word. Warn once when the first predictions are clearly not probabilities.
 */
function warnIfLogitsToProbabilityLoss(c: Compiled, pred: Tensor): void {
  const name = c.lossNames[0]!;
  if (!c.lossSpecs[0] || typeof c.lossSpecs[0] !== 'string' || !PROB_LOSSES.has(canonicalLossName(name))) return;
  const v = pred.dataSync();
  let outside = false;
  for (let i = 0; i < v.length && !outside; i++) outside = v[i]! < 0 || v[i]! > 1;
  if (outside) {
    console.warn(`fit: loss "${name}" expects probabilities, but the model's outputs include values outside [0, 1] (logits?). ` +
      `Use losses.${name.includes('sparse') ? 'SparseCategoricalCrossentropy' : name.includes('binary') ? 'BinaryCrossentropy' : 'CategoricalCrossentropy'}({ fromLogits: true }), or end the model with a softmax/sigmoid.`);
  }
}

/**
 * k equal-size batches for one engine call: their values stacked on the host, and each batch as
 * tensors on demand. `owned`: pair() makes new tensors, which the caller disposes (or a scope does).
 */
interface EngineGroup {
  readonly k: number;
  readonly size: number;
  readonly owned: boolean;
  stacked(): [Float32Array | Int32Array, Float32Array | Int32Array];
  pair(t: number): [Tensor, Tensor];
  target(t: number): Tensor;
}

/** Call `f` with the group's first batch as tensors, disposing them after when the group made them. */
async function withFirstPair<T>(group: EngineGroup, f: (x: Tensor, y: Tensor) => Promise<T>): Promise<T> {
  const [x, y] = group.pair(0);
  try {
    return await f(x, y);
  } finally {
    if (group.owned) {
      x.dispose();
      y.dispose();
    }
  }
}

/** A group of batches that are already tensors (fit disposes them). */
function tensorGroup(pairs: [Tensor, Tensor][]): EngineGroup {
  return {
    k: pairs.length, size: pairs[0]![0].shape[0]!, owned: false,
    stacked: () => [stackValues(pairs.map((g) => g[0])), stackValues(pairs.map((g) => g[1]))],
    pair: (t) => pairs[t]!,
    target: (t) => pairs[t]![1],
  };
}

/** A group gathered on the host by {@link ArrayData.hostGroups}. */
function hostGroup(g: HostGroup): EngineGroup {
  const px = g.x.length / (g.k * g.size), py = g.y.length / (g.k * g.size);
  const target = (t: number) => o.tensor(g.y.subarray(t * g.size * py, (t + 1) * g.size * py), [g.size, ...g.ySampleShape], { dtype: g.yDtype });
  return {
    k: g.k, size: g.size, owned: true,
    stacked: () => [g.x, g.y],
    pair: (t) => [o.tensor(g.x.subarray(t * g.size * px, (t + 1) * g.size * px), [g.size, ...g.sampleShape]), target(t)],
    target,
  };
}

/** The values of equal-shape tensors back to back (float32 → Float32Array, else Int32Array), for `FitEngineSession.steps`. */
function stackValues(ts: readonly Tensor[]): Float32Array | Int32Array {
  const n = ts[0]!.size;
  const out = ts[0]!.dtype === 'float32' ? new Float32Array(n * ts.length) : new Int32Array(n * ts.length);
  ts.forEach((t, i) => out.set(t.dataSync() as ArrayLike<number>, i * n));
  return out;
}

/** Running mean of logged values over an epoch, weighted by batch size. */
class Averager {
  private sums: Record<string, number> = {};
  private n = 0;
  add(values: Record<string, number>, count: number) {
    for (const [k, v] of Object.entries(values)) this.sums[k] = (this.sums[k] ?? 0) + v * count;
    this.n += count;
  }
  result(): Logs {
    return Object.fromEntries(Object.entries(this.sums).map(([k, v]) => [k, v / Math.max(this.n, 1)]));
  }
}

function metricLogs(metrics: BoundMetric[], prefix = ''): Logs {
  const out: Logs = {};
  for (const b of metrics) out[prefix + b.key] = b.m.result();
  return out;
}

/**
 * Train a compiled model (Keras `fit`): in-memory arrays or tensors (batched here, shuffled each
 * epoch), or a batched source such as an @nn/data DataLoader yielding `[x, y]`.
 *
 * @example
 * ```ts
 * model.compile({ optimizer: optimizers.Adam({ learningRate: 1e-3 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
 * const history = await model.fit(xTrain, yTrain, { epochs: 15, batchSize: 64, validationSplit: 0.1 });
 * ```
 */
export async function fit(model: Trainable, x: ArrayLikeData | BatchSource, y?: ArrayLikeData | FitArgs, args: FitArgs = {}): Promise<History> {
  const c = requireCompiled(model, 'fit');
  // Keras's fit(dataset, { epochs, … }): with a batched source the second argument is the options.
  if (isBatchSource(x) && isOptions(y)) {
    args = y;
    y = undefined;
  }
  const epochs = args.epochs ?? 1;
  const batchSize = args.batchSize ?? 32;
  if (!Number.isInteger(epochs) || epochs < 0) throw new ValueError(`fit: epochs must be a non-negative integer, got ${epochs}.`, 'fit');
  if (!Number.isInteger(batchSize) || batchSize <= 0) throw new ValueError(`fit: batchSize must be a positive integer, got ${batchSize}.`, 'fit');
  const verbose = args.verbose ?? 1;
  if (args.bayesError !== undefined && !(args.bayesError >= 0 && args.bayesError <= 1)) throw new InvalidErrorRateError('fit: bayesError', args.bayesError);

  // ---- data ----
  let train: ArrayData | BatchSource;
  let val: ArrayData | BatchSource | null = null;
  if (isBatchSource(x)) {
    train = x;
    if (args.validationSplit) throw new ValueError('fit: validationSplit needs in-memory arrays; split the dataset instead (@nn/data splits).', 'fit');
  } else {
    if (y === undefined) throw new ValueError('fit: y is required with in-memory x.', 'fit');
    if (isOptions(y)) throw new ValueError('fit: with in-memory x, pass fit(x, y, options); the second argument looks like options.', 'fit');
    const multiX = Array.isArray(x) && x[0] instanceof Tensor;
    const multiY = Array.isArray(y) && y[0] instanceof Tensor;
    const all = new ArrayData(x, y as ArrayLikeData, multiX, multiY);
    all.checkFinite();
    checkLabels(model, c, all);
    if (args.validationSplit) {
      const vs = args.validationSplit;
      if (!(vs > 0 && vs < 1)) throw new ValueError(`fit: validationSplit must be in (0, 1), got ${vs}.`, 'fit');
      const nVal = Math.floor(all.n * vs);
      if (nVal === 0 || nVal === all.n) throw new ValueError(`fit: validationSplit ${vs} of ${all.n} samples leaves an empty split.`, 'fit');
      const nTrain = all.n - nVal;
      train = all.subset(Int32Array.from({ length: nTrain }, (_, i) => i));
      val = all.subset(Int32Array.from({ length: nVal }, (_, i) => nTrain + i));
    } else train = all;
  }
  if (args.validationData) {
    const vd = args.validationData;
    if (isBatchSource(vd)) val = vd;
    else {
      const [vx, vy] = vd;
      const mx = Array.isArray(vx) && vx[0] instanceof Tensor, my = Array.isArray(vy) && vy[0] instanceof Tensor;
      val = new ArrayData(vx, vy, mx, my);
    }
  }

  // ---- callbacks ----
  const history = new History();
  const callbacks: Callback[] = [...(args.callbacks ?? []), history];
  for (const cb of callbacks) cb.setModel?.(model);
  const steps = train instanceof ArrayData ? Math.ceil(train.n / batchSize) : args.stepsPerEpoch;
  const progress = new ProgressReporter(verbose, epochs, process.stdout);
  let interrupted = false;
  const onSigint = () => {
    interrupted = true;
    model.stopTraining = true;
  };
  if (args.handleSigint !== false) process.once('SIGINT', onSigint);
  model.stopTraining = false;
  const { outKeys, metrics } = logPlan(model, c);

  // ---- engine (args.engine): steps run there; started on the first batch ----
  const engine = typeof args.engine === 'string' ? await namedFitEngine(args.engine) : args.engine;
  const batchHooks = (args.callbacks ?? []).some((cb) => cb.onBatchBegin || cb.onBatchEnd);
  const spc = engine?.stepsPerCall ?? 1;
  const perCall = batchHooks ? 1 : typeof spc === 'function' ? spc(batchSize) : spc;
  if (engine && (!Number.isInteger(perCall) || perCall < 1)) throw new ValueError(`fit: engine "${engine.name}" stepsPerCall must be a positive integer, got ${perCall}.`, 'fit');
  let session: FitEngineSession | undefined;
  let engineOff: string | undefined;
  let firstEngineCall = true;
  /** True when the engine trains this batch; false (after one warning) when fit trains eagerly. */
  const useEngine = (xb: Tensor | Tensor[], yb: Tensor | Tensor[] | undefined): boolean => {
    if (!engine || engineOff) return false;
    if (session) return true;
    engineOff =
      Array.isArray(xb) || Array.isArray(yb) || c.losses.length !== 1 ? 'it trains models with one input, one output and one loss'
        : yb === undefined ? 'the batches have no targets'
        : args.classWeight ? 'classWeight is not supported'
        : undefined;
    if (engineOff) console.warn(`fit: engine "${engine.name}" not used: ${engineOff}; training eagerly.`);
    return !engineOff;
  };
  const startEngine = async (xb: Tensor, yb: Tensor): Promise<FitEngineSession> => {
    if (c.optimizer instanceof KerasOptimizer && !c.optimizer.isBound) {
      // A Keras model builds its weights on the first call: build them (inference, no dropout draws) to bind the optimizer.
      const modes = [...model.modules()].map((m) => [m, m.training] as const);
      model.eval();
      try {
        noGrad(() => scope(() => void forward(model, xb, false)));
      } finally {
        for (const [m, t] of modes) m.training = t;
      }
      bindIfNeeded(c, model);
    }
    const loss = c.losses[0]!, w = c.lossWeights[0] ?? 1;
    return engine!.compile(
      model,
      { optimizer: c.optimizer, losses: [w === 1 ? (yt, yp) => loss(yt, yp) : (yt, yp) => loss(yt, yp).mul(w)] },
      { x: xb.shape.slice(1), y: yb.shape.slice(1), yDtype: yb.dtype === 'int32' ? 'int32' : 'float32' },
    );
  };

  try {
    for (const cb of callbacks) await cb.onTrainBegin?.({});
    for (let epoch = args.initialEpoch ?? 0; epoch < epochs && !model.stopTraining; epoch++) {
      model.train();
      setSourceEpoch(train, epoch, args.initialEpoch); // resumed: a DataLoader reads this epoch's order
      for (const cb of callbacks) await cb.onEpochBegin?.(epoch, {});
      progress.epochBegin(epoch, steps);
      for (const b of metrics) b.m.reset();
      const avg = new Averager();
      let step = 0;
      const runStep = async (xb: Tensor | Tensor[], yb: Tensor | Tensor[] | undefined) => {
        for (const cb of callbacks) await cb.onBatchBegin?.(step, { batch: step, size: asList(xb)[0]!.shape[0]! });
        const token = startScope('fit-step');
        let lossValue: number;
        let n: number;
        let outParts: Record<string, number> = {};
        try {
          const ys = asList(yb);
          const sw = sampleWeights(args.classWeight, yb);
          const preds = forward(model, xb, true);
          if (step === 0 && epoch === (args.initialEpoch ?? 0)) {
            bindIfNeeded(c, model);
            warnIfLogitsToProbabilityLoss(c, preds[0]!);
          }
          const parts: Tensor[] = [];
          const loss = batchLoss(c, model, ys, preds, sw, outKeys.length ? parts : undefined);
          c.optimizer.zeroGrad();
          loss.backward();
          c.optimizer.step();
          lossValue = loss.item();
          outParts = partLogs(outKeys, parts);
          n = preds[0]!.shape[0] ?? 1;
          noGrad(() => { for (const b of metrics) b.m.update(ys[b.out]!, preds[b.out]!); });
        } finally {
          endScope(token);
        }
        avg.add({ loss: lossValue, ...outParts }, n);
        const logs: Logs = { ...avg.result(), ...metricLogs(metrics) };
        for (const cb of callbacks) await cb.onBatchEnd?.(step, { ...logs, batch: step, loss: lossValue, ...outParts });
        progress.batchEnd(step, logs);
        step++;
        // Let the event loop run between steps: signal handlers (SIGINT), timers and I/O of
        // callbacks would otherwise wait for the end of the epoch.
        await new Promise<void>((r) => setImmediate(r));
      };
      // k (≤ perCall) equal-size batches in one engine call: batch hooks run for each, in order.
      const runEngine = async (group: EngineGroup) => {
        const { k, size } = group;
        session ??= await withFirstPair(group, startEngine);
        for (let t = 0; t < k; t++) for (const cb of callbacks) await cb.onBatchBegin?.(step + t, { batch: step + t, size });
        let losses: ArrayLike<number>;
        const s = session;
        if (k === 1) losses = [await withFirstPair(group, (x0, y0) => s.step(x0, y0))];
        else losses = await s.steps!(...group.stacked(), k);
        const pred = session.lastPred;
        for (let t = 0; t < k; t++) {
          if (pred && (metrics.length || firstEngineCall)) {
            const per = pred.data.length / k;
            scope(() => {
              const p = o.tensor(pred.data.subarray(t * per, (t + 1) * per), [size, ...pred.dims.slice(1)]);
              if (firstEngineCall && epoch === (args.initialEpoch ?? 0)) warnIfLogitsToProbabilityLoss(c, p);
              firstEngineCall = false;
              const yt = group.target(t); // created inside this scope when the group owns its tensors
              noGrad(() => { for (const b of metrics) b.m.update(yt, p); });
            });
          }
          const lossValue = losses[t]!;
          avg.add({ loss: lossValue }, size);
          const logs: Logs = { ...avg.result(), ...metricLogs(metrics) };
          if (batchHooks) session.sync();
          for (const cb of callbacks) await cb.onBatchEnd?.(step, { ...logs, batch: step, loss: lossValue });
          if (batchHooks) session.invalidate();
          progress.batchEnd(step, logs);
          step++;
        }
        await new Promise<void>((r) => setImmediate(r));
      };
      const pending: [Tensor, Tensor][] = [];
      const flush = async () => {
        const group = pending.splice(0);
        try {
          if (group.length && !model.stopTraining) await runEngine(tensorGroup(group));
        } finally {
          for (const [a, b] of group) {
            a.dispose();
            b.dispose();
          }
        }
      };
      /** Train on one batch (eagerly, or queued for the engine); takes ownership of its tensors. */
      const consume = async (xb: Tensor | Tensor[], yb: Tensor | Tensor[] | undefined) => {
        if (!useEngine(xb, yb)) {
          try {
            await runStep(xb, yb);
          } finally {
            for (const t of [...asList(xb), ...asList(yb)]) t.dispose();
          }
          return;
        }
        const x1 = xb as Tensor, y1 = yb as Tensor;
        if (pending.length && pending[0]![0].shape[0] !== x1.shape[0]) await flush();
        pending.push([x1, y1]);
        if (pending.length >= perCall) await flush();
      };
      try {
        if (train instanceof ArrayData) {
          const gen = args.shuffle === false ? null : new Generator((args.seed ?? 0) + epoch);
          if (session && train.hostable && pending.length === 0) {
            // The engine runs: gather each group of batches on the host straight into the buffers it
            // takes (same order and grouping as consume's, without a tensor per batch to upload and read back).
            for (const g of train.hostGroups(batchSize, gen, perCall)) {
              if (model.stopTraining) break;
              await runEngine(hostGroup(g));
            }
          } else {
            for (const [xb, yb] of train.batches(batchSize, gen)) {
              await consume(xb, yb);
              if (model.stopTraining) break;
            }
          }
        } else {
          for await (const raw of train) {
            const [xb, yb] = unpackBatch(raw, 'fit');
            await consume(xb, yb);
            if (model.stopTraining || (args.stepsPerEpoch && step + pending.length >= args.stepsPerEpoch)) break;
          }
        }
        await flush();
      } finally {
        for (const [a, b] of pending.splice(0)) {
          a.dispose();
          b.dispose();
        }
      }
      session?.sync();
      const logs: Logs = { ...avg.result(), ...metricLogs(metrics) };
      if (val && !interrupted) Object.assign(logs, await evaluateData(model, c, val, batchSize, 'val_'));
      logs.lr ??= c.optimizer.lr;
      progress.epochEnd(epoch, logs);
      if (interrupted) {
        history.interrupted = true;
        for (const cb of callbacks) await cb.onInterrupt?.(epoch, logs);
        break;
      }
      for (const cb of callbacks) await cb.onEpochEnd?.(epoch, logs);
      session?.invalidate(); // callbacks may have changed the weights (restoring the best ones …)
    }
    if (interrupted && !history.interrupted) {
      history.interrupted = true;
      for (const cb of callbacks) await cb.onInterrupt?.(history.epoch.length, {});
    }
    if (args.bayesError !== undefined) reportBiasVariance(history, args.bayesError, verbose);
    for (const cb of callbacks) await cb.onTrainEnd?.({});
  } finally {
    process.removeListener('SIGINT', onSigint);
    try {
      await session?.dispose(); // writes the engine's last weights into the model
    } finally {
      model.eval();
    }
  }
  return history;
}

/** End-of-fit bias/variance report from the last epoch's accuracies (Keras's running training accuracy). */
function reportBiasVariance(history: History, bayesError: number, verbose: number): void {
  const last = (k: string) => history.history[k]?.[history.history[k]!.length - 1];
  const acc = last('accuracy'), valAcc = last('val_accuracy');
  if (acc === undefined || valAcc === undefined) {
    if (verbose) console.warn('fit: bayesError given, but no accuracy and val_accuracy were logged: compile with metrics: ["accuracy"] and pass validation data.');
    return;
  }
  const r = biasVariance({ trainError: 1 - acc, valError: 1 - valAcc, bayesError });
  history.biasVariance = r;
  if (verbose) console.log(`Bias/variance: ${r.verdict}. ${r.explanation}${r.advice.length ? ` Try: ${r.advice.join('; ')}.` : ''}`);
}

/** Clear errors before training for class labels outside the model's outputs. */
function checkLabels(model: Module, c: Compiled, data: ArrayData): void {
  const name = canonicalLossName(c.lossNames[0]!);
  if (name !== 'sparsecategoricalcrossentropy' && name !== 'crossentropy') return;
  const labels = data.labels();
  if (!labels) return;
  // One sample through the model (inference) tells the number of classes.
  const classes = scope(() => {
    const [xb] = data.batches(1, null).next().value!;
    try {
      const modes = [...model.modules()].map((m) => [m, m.training] as const);
      model.eval();
      const out = noGrad(() => forward(model, xb, false))[0]!;
      for (const [m, t] of modes) m.training = t;
      return out.shape[out.rank - 1]!;
    } finally {
      for (const t of asList(xb)) t.dispose();
    }
  });
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i]!;
    if (!Number.isInteger(v) || v < 0 || v >= classes) {
      throw new ValueError(`fit: label ${v} at sample ${i} is out of range for ${classes} classes (expected integers in [0, ${classes - 1}]).`, 'fit', 'Check the labels, or the size of the last layer.');
    }
  }
}

async function evaluateData(model: Trainable, c: Compiled, data: ArrayData | BatchSource, batchSize: number, prefix: string): Promise<Logs> {
  const { outKeys, metrics } = logPlan(model, c);
  const avg = new Averager();
  const modes = [...model.modules()].map((m) => [m, m.training] as const);
  model.eval();
  const one = (xb: Tensor | Tensor[], yb: Tensor | Tensor[] | undefined) => {
    noGrad(() => scope(() => {
      const ys = asList(yb);
      const preds = forward(model, xb, false);
      const parts: Tensor[] = [];
      const loss = batchLoss(c, model, ys, preds, null, outKeys.length ? parts : undefined);
      avg.add({ loss: loss.item(), ...partLogs(outKeys, parts) }, preds[0]!.shape[0] ?? 1);
      for (const b of metrics) b.m.update(ys[b.out]!, preds[b.out]!);
    }));
    for (const t of [...asList(xb), ...asList(yb)]) t.dispose();
  };
  try {
    if (data instanceof ArrayData) for (const [xb, yb] of data.batches(batchSize, null)) one(xb, yb);
    else for await (const raw of data) one(...unpackBatch(raw, 'evaluate'));
  } finally {
    for (const [m, t] of modes) m.training = t;
  }
  const r = avg.result();
  return { [`${prefix}loss`]: r.loss ?? NaN, ...Object.fromEntries(outKeys.map((k) => [prefix + k, r[k] ?? NaN])), ...metricLogs(metrics, prefix) };
}

/** Loss and metrics on data, in inference mode (Keras `evaluate`). */
export async function evaluate(model: Trainable, x: ArrayLikeData | BatchSource, y?: ArrayLikeData, args: { batchSize?: number } = {}): Promise<Logs> {
  const c = requireCompiled(model, 'evaluate');
  const data = isBatchSource(x) ? x : new ArrayData(x, y, Array.isArray(x) && x[0] instanceof Tensor, Array.isArray(y) && y[0] instanceof Tensor);
  return evaluateData(model, c, data, args.batchSize ?? 32, '');
}

/** Outputs for inputs, in batches, in inference mode (Keras `predict`). Returns one tensor (or one per output). */
export async function predict(model: Module, x: ArrayLikeData | AsyncIterable<Tensor | Tensor[]>, args: { batchSize?: number } = {}): Promise<Tensor | Tensor[]> {
  const modes = [...model.modules()].map((m) => [m, m.training] as const);
  model.eval();
  const parts: Tensor[][] = [];
  const one = (xb: Tensor | Tensor[]) => parts.push(noGrad(() => scope(() => forward(model, xb, false))));
  try {
    if (isBatchSource(x)) {
      for await (const b of x as AsyncIterable<unknown>) {
        const xb = Array.isArray(b) && b.length === 2 && b[0] instanceof Tensor && b[1] instanceof Tensor ? (b[0] as Tensor) : (b as Tensor);
        one(xb);
      }
    } else {
      const data = new ArrayData(x as ArrayLikeData, undefined, Array.isArray(x) && x[0] instanceof Tensor, false);
      for (const [xb] of data.batches(args.batchSize ?? 32, null)) {
        one(xb);
        for (const t of asList(xb)) t.dispose();
      }
    }
  } finally {
    for (const [m, t] of modes) m.training = t;
  }
  const outs = parts[0]!.map((_, k) => {
    const cat = o.concat(parts.map((p) => p[k]!), 0);
    if (parts.length > 1) for (const p of parts) p[k]!.dispose();
    return cat;
  });
  return outs.length === 1 ? outs[0]! : outs;
}

export { defaultGenerator };
