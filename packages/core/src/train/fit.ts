import { getBackend, noGrad, scope } from '../engine';
import { shapesEqual } from '../dtype';
import { ValueError } from '../errors';
import type { Module } from '../nn/module';
import * as o from '../ops';
import { defaultGenerator, Generator } from '../random';
import { Tensor } from '../tensor';
import { canonicalLossName } from '../losses';
import { KerasOptimizer } from '../optim/keras-optimizer';
import type { Callback, Logs } from './callbacks';
import { ArrayData, hostBatchesOf, isBatchSource, setSourceEpoch, unpackBatch, type ArrayLikeData, type BatchSource, type GroupBuffers, type HostBatch, type HostBatchPart } from './data';
import { ProgressReporter } from './progress';
import { biasVariance, InvalidErrorRateError } from './bias-variance';
import { autoFitEngine, namedFitEngine, type FitEngine, type FitEngineName, type FitEngineSession } from './fit-engine';
import { asList, Averager, bindIfNeeded, forward, isOptions, logPlan, metricLogs, warnIfLogitsToProbabilityLoss } from './batch';
import { requireCompiled, type Compiled, type Trainable } from './compile';
import { EagerSession } from './eager-step';
import { evaluateData, type EngineInfer } from './evaluate';
import { engineHostBatch, hostGroup, stackHostBatches, tensorGroup, withFirstPair, type EngineGroup } from './groups';
import { History } from './history';

export { compile, requireCompiled, type CompileArgs, type Compiled, type Trainable } from './compile';
export { evaluate, predict } from './evaluate';
export { History } from './history';

/** Options of {@link fit}. */
export interface FitArgs {
  /** Samples per step for in-memory data (ignored for batched sources). @default 32 */
  batchSize?: number;
  /** @default 1 */
  epochs?: number;
  /**
   * Also show in the progress display `loss_ewa`, an exponentially weighted average of the per-batch
   * losses with this β and the course's bias correction v_t/(1 − βᵗ) (see `ewa`), e.g. 0.98.
   * @default null (Keras's running mean only)
   */
  smoothing?: number | null;
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
  /** `[xVal, yVal]` (or `[xVal, yVal, sampleWeightVal]`) arrays, or a batched source. */
  validationData?: [ArrayLikeData, ArrayLikeData] | [ArrayLikeData, ArrayLikeData, ArrayLikeData | Float32Array | Float64Array] | BatchSource;
  /** Epoch to start at (for resuming). @default 0 */
  initialEpoch?: number;
  /** Weight of each class in the loss (Keras `class_weight`). */
  classWeight?: Record<number, number>;
  /**
   * Weight of each sample in the loss (Keras `sample_weight`): one finite, non-negative number per
   * row of in-memory x (a batched source yields `[x, y, sampleWeight]` batches instead). The loss
   * of a batch is Σ wᵢ·lossᵢ / batch size (Keras's `sum_over_batch_size`); with `classWeight` the two
   * multiply. Metrics are not weighted. Trains eagerly (the compiled engine takes no weights).
   */
  sampleWeight?: ArrayLikeData | Float32Array | Float64Array;
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
   * Where the training steps run. `'auto'` (the default): the compiled `ort` engine (each step one
   * ONNX graph in onnxruntime, from @nn/onnx) when the active backend computes in float32 (tfjs) and
   * @nn/onnx loads, else eagerly — fit prints which and why when `verbose` is on. `'eager'`: on the
   * active backend. `'ort'` or an engine object such as `ortEngine({ threads: 2 })`: that engine.
   * The environment variable `NN_FIT_ENGINE` sets the default (e.g. `NN_FIT_ENGINE=eager`).
   *
   * With an engine, fit keeps epochs, batching, shuffling, callbacks, metrics, validation and
   * History, and gives the same results as eager training up to the engine's stated tolerance.
   * Validation batches are predicted by the engine when it can (`ort`: in onnxruntime, from its
   * newest weights). The model's tensors hold the newest weights at each epoch end (before
   * validation and callbacks),
   * before batch callbacks (which then force one batch per engine call, and a copy of the weights
   * per step), and when fit returns. Several inputs/outputs/losses or `classWeight` train eagerly
   * instead, saying why. A model the engine cannot compile runs eagerly inside it, saying why. The
   * engine compiles for the first batch's sample shapes: a batch of another one (variable-length
   * data) hands the engine's weights and optimizer state to the model, and fit goes on eagerly,
   * saying why.
   * @default 'auto'
   * @example
   * ```ts
   * import { ortEngine } from '@nn/onnx';
   * await model.fit(xTrain, yTrain, { epochs: 5, batchSize: 64, engine: ortEngine({ threads: 2 }) });
   * await model.fit(xTrain, yTrain, { epochs: 5, batchSize: 64, engine: 'ort' }); // @nn/onnx loaded by name
   * await model.fit(xTrain, yTrain, { epochs: 5, batchSize: 64, engine: 'eager' }); // on the active backend
   * ```
   */
  engine?: FitEngine | FitEngineName;
  /**
   * Options for an engine given by name (`'ort'`, or `'auto'` when it picks ort), passed to its
   * factory: for ort, `ortEngine`'s options, e.g. `{ device: 'webgpu', threads: 2 }`.
   * @example
   * ```ts
   * await model.fit(x, y, { engine: 'ort', engineOptions: { device: 'cpu', threads: 2 } });
   * ```
   */
  engineOptions?: Readonly<Record<string, unknown>>;
}

/** The engine fit was asked for: an engine object, a registered name, or eager (undefined). */
async function chooseEngine(spec: FitEngine | FitEngineName, verbose: number, options?: Readonly<Record<string, unknown>>): Promise<{ engine: FitEngine | undefined; auto: boolean }> {
  if (typeof spec !== 'string') return { engine: spec, auto: false };
  if (spec === 'eager') return { engine: undefined, auto: false };
  if (spec !== 'auto') return { engine: await namedFitEngine(spec, options), auto: false };
  const choice = await autoFitEngine(getBackend().name, options);
  if (verbose) console.log(`fit: engine 'auto' → ${choice.engine ? choice.engine.name : `eager (${getBackend().name})`}: ${choice.reason}.`);
  return { engine: choice.engine, auto: true };
}

/** Whether two batches' targets have one shape (both absent counts as one; lists never group). */
const sameYShape = (a: Tensor | Tensor[] | undefined, b: Tensor | Tensor[] | undefined): boolean =>
  a === undefined || b === undefined ? a === b : !Array.isArray(a) && !Array.isArray(b) && shapesEqual(a.shape, b.shape);

/** A host batch part as a tensor on the active backend. */
const hostTensor = (p: HostBatchPart): Tensor => o.tensor(p.data, [...p.shape], { dtype: p.dtype });

/** Why an engine cannot train these batches (fit then trains eagerly), or undefined. */
function unsupported(c: Compiled, xb: Tensor | Tensor[], yb: Tensor | Tensor[] | undefined, classWeight: FitArgs['classWeight'], weighted: boolean): string | undefined {
  return Array.isArray(xb) || Array.isArray(yb) || c.losses.length !== 1 ? 'it trains models with one input, one output and one loss'
    : yb === undefined ? 'the batches have no targets'
    : classWeight ? 'classWeight is not supported'
    : weighted ? 'sample weights are not supported'
    : undefined;
}

/**
 * Train a compiled model (Keras `fit`): in-memory arrays or tensors (batched here, shuffled each
 * epoch), or a batched source such as an @nn/data DataLoader yielding `[x, y]`.
 *
 * One loop for every engine: it batches and shuffles, hands groups of batches to the engine's
 * session (the eager step, or e.g. the compiled `ort` engine, several batches per call), and runs
 * callbacks, metrics, progress, validation and History the same way for all.
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
    if (args.sampleWeight !== undefined) throw new ValueError('fit: sampleWeight goes with in-memory x; a batched source yields [x, y, sampleWeight] batches instead.', 'fit');
  } else {
    if (y === undefined) throw new ValueError('fit: y is required with in-memory x.', 'fit');
    if (isOptions(y)) throw new ValueError('fit: with in-memory x, pass fit(x, y, options); the second argument looks like options.', 'fit');
    const multiX = Array.isArray(x) && x[0] instanceof Tensor;
    const multiY = Array.isArray(y) && y[0] instanceof Tensor;
    const all = new ArrayData(x, y as ArrayLikeData, multiX, multiY);
    all.checkFinite();
    checkLabels(model, c, all);
    if (args.sampleWeight !== undefined) all.setSampleWeights(args.sampleWeight, 'fit');
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
      const [vx, vy, vw] = vd as [ArrayLikeData, ArrayLikeData, (ArrayLikeData | Float32Array | Float64Array)?];
      const mx = Array.isArray(vx) && vx[0] instanceof Tensor, my = Array.isArray(vy) && vy[0] instanceof Tensor;
      val = new ArrayData(vx, vy, mx, my);
      if (vw !== undefined) val.setSampleWeights(vw, 'fit: validationData');
    }
  }

  // ---- callbacks ----
  const history = new History();
  const callbacks: Callback[] = [...(args.callbacks ?? []), history];
  for (const cb of callbacks) cb.setModel?.(model);
  const steps = train instanceof ArrayData ? Math.ceil(train.n / batchSize) : args.stepsPerEpoch;
  const progress = new ProgressReporter(verbose, epochs, process.stdout, { smoothing: args.smoothing ?? null });
  let interrupted = false;
  const onSigint = () => {
    interrupted = true;
    model.stopTraining = true;
  };
  if (args.handleSigint !== false) process.once('SIGINT', onSigint);
  model.stopTraining = false;
  const { outKeys, metrics } = logPlan(model, c);
  const initialEpoch = args.initialEpoch ?? 0;

  // ---- engine: who runs the steps. Started on the first batch (it needs the batches' shapes). ----
  const { engine, auto } = await chooseEngine(args.engine ?? (process.env.NN_FIT_ENGINE as FitEngineName | undefined) ?? 'auto', verbose, args.engineOptions);
  const batchHooks = (args.callbacks ?? []).some((cb) => cb.onBatchBegin || cb.onBatchEnd);
  const spc = engine?.stepsPerCall ?? 1;
  const enginePerCall = batchHooks ? 1 : typeof spc === 'function' ? spc(batchSize) : spc;
  if (engine && (!Number.isInteger(enginePerCall) || enginePerCall < 1)) throw new ValueError(`fit: engine "${engine.name}" stepsPerCall must be a positive integer, got ${enginePerCall}.`, 'fit');
  let session: FitEngineSession | EagerSession | undefined;
  /** Batches per session call: the engine's, or 1 for the eager step. */
  let perCall = 1;
  let firstEngineCall = true;
  let weighted = args.sampleWeight !== undefined;
  /** The sample shapes the engine compiled for (from the first batch). */
  let engineSample: { x: readonly number[]; y: readonly number[] } | undefined;
  const eagerSession = () => new EagerSession(model, c, { metrics, outKeys, ...(args.classWeight ? { classWeight: args.classWeight } : {}) });
  const startSession = async (xb: Tensor | Tensor[], yb: Tensor | Tensor[] | undefined): Promise<FitEngineSession | EagerSession> => {
    const off = engine ? unsupported(c, xb, yb, args.classWeight, weighted) : undefined;
    if (engine && off && (!auto || verbose)) (auto ? console.log : console.warn)(`fit: engine "${engine.name}" not used: ${off}; training eagerly.`);
    if (!engine || off) return eagerSession();
    perCall = enginePerCall;
    const x1 = xb as Tensor, y1 = yb as Tensor;
    if (c.optimizer instanceof KerasOptimizer && !c.optimizer.isBound) {
      // A Keras model builds its weights on the first call: build them (inference, no dropout draws) to bind the optimizer.
      const modes = [...model.modules()].map((m) => [m, m.training] as const);
      model.eval();
      try {
        noGrad(() => scope(() => void forward(model, x1, false)));
      } finally {
        for (const [m, t] of modes) m.training = t;
      }
      bindIfNeeded(c, model);
    }
    const loss = c.losses[0]!, w = c.lossWeights[0] ?? 1;
    engineSample = { x: x1.shape.slice(1), y: y1.shape.slice(1) };
    return engine.compile(
      model,
      { optimizer: c.optimizer, losses: [w === 1 ? (yt, yp) => loss(yt, yp) : (yt, yp) => loss(yt, yp).mul(w)] },
      { x: x1.shape.slice(1), y: y1.shape.slice(1), yDtype: y1.dtype === 'int32' ? 'int32' : 'float32' },
    );
  };

  /**
   * The engine's inference for validation (`FitEngineSession.infer`): predictions from its newest
   * weights, in onnxruntime for `ort`. Not for models whose loss has activity penalties (they come
   * from an eager forward) or several outputs.
   */
  const engineInfer = (): EngineInfer | undefined => {
    const s = session;
    if (!s || s instanceof EagerSession || !s.infer || c.losses.length !== 1) return undefined;
    if ([...model.modules()].some((m) => (m as { activityRegularizer?: unknown }).activityRegularizer)) return undefined;
    return (x) => s.infer!(x);
  };

  // The engine's input buffers (host-gathered groups, or a batched source's batches stacked) live as
  // long as this fit call: one allocation, not one per group or epoch.
  const groupBuffers: GroupBuffers = {};
  try {
    for (const cb of callbacks) await cb.onTrainBegin?.({});
    for (let epoch = initialEpoch; epoch < epochs && !model.stopTraining; epoch++) {
      model.train();
      setSourceEpoch(train, epoch, args.initialEpoch); // resumed: a DataLoader reads this epoch's order
      for (const cb of callbacks) await cb.onEpochBegin?.(epoch, {});
      progress.epochBegin(epoch, steps);
      for (const b of metrics) b.m.reset();
      const avg = new Averager();
      let step = 0;
      /** Train on a group of k equal-size batches (k ≤ perCall): one session call; batch hooks run for each batch, in order. */
      const runGroup = async (group: EngineGroup) => {
        const { k, size } = group;
        let s = (session ??= await withFirstPair(group, startSession));
        const [gx, gy] = group.sample;
        if (!(s instanceof EagerSession) && engineSample && !(shapesEqual(gx, engineSample.x) && shapesEqual(gy, engineSample.y))) {
          // A batch of another sample shape (variable-length data): the engine compiled for the first
          // batch's. The engine's weights and optimizer state go into the model; eager from here.
          if (!auto || verbose) (auto ? console.log : console.warn)(`fit: engine "${engine!.name}" not used from here: a batch has samples of shape x [${gx.join(', ')}], y [${gy.join(', ')}], and the engine compiled for x [${engineSample.x.join(', ')}], y [${engineSample.y.join(', ')}] (the first batch's); training eagerly.`);
          await s.dispose();
          s = session = eagerSession();
        }
        for (let t = 0; t < k; t++) for (const cb of callbacks) await cb.onBatchBegin?.(step + t, { batch: step + t, size });
        let results: { loss: number; parts: Record<string, number>; size: number }[];
        if (s instanceof EagerSession) {
          const eager = s;
          // One batch per step (k > 1 only for a group made for the engine before fit switched to eager).
          results = Array.from({ length: k }, (_, t) => {
            const [bx, by] = group.batch(t);
            try {
              return eager.stepBatch(bx, by, t === 0 ? pendingWeight : null);
            } finally {
              if (group.owned) for (const u of [...asList(bx), ...asList(by)]) u.dispose();
            }
          });
        } else {
          const losses = k === 1 ? [await withFirstPair(group, (x0, y0) => s.step(x0, y0))] : await s.steps!(...group.stacked(), k);
          results = Array.from({ length: k }, (_, t) => ({ loss: losses[t]!, parts: {}, size }));
          const pred = s.lastPred;
          if (pred && (metrics.length || firstEngineCall)) {
            // The engine's predictions (host values) for the compiled metrics.
            const per = pred.data.length / k;
            for (let t = 0; t < k; t++) {
              scope(() => {
                const p = o.tensor(pred.data.subarray(t * per, (t + 1) * per), [size, ...pred.dims.slice(1)]);
                if (firstEngineCall && epoch === initialEpoch) warnIfLogitsToProbabilityLoss(c, p);
                firstEngineCall = false;
                const yt = group.target(t); // created inside this scope when the group owns its tensors
                noGrad(() => { for (const b of metrics) b.m.update(yt, p); });
              });
            }
          }
        }
        for (const r of results) {
          avg.add({ loss: r.loss, ...r.parts }, r.size);
          const logs: Logs = { ...avg.result(), ...metricLogs(metrics) };
          if (batchHooks) s.sync();
          for (const cb of callbacks) await cb.onBatchEnd?.(step, { ...logs, batch: step, loss: r.loss, ...r.parts });
          if (batchHooks) s.invalidate();
          progress.batchEnd(step, logs, { loss: r.loss });
          step++;
        }
        // Let the event loop run between calls: signal handlers (SIGINT), timers and I/O of
        // callbacks would otherwise wait for the end of the epoch.
        await new Promise<void>((r) => setImmediate(r));
      };
      // Batches wait here until a group of perCall equal-size ones is ready (eager: one at a time, with
      // its sample weights if any: weighted batches train eagerly).
      const pending: [Tensor | Tensor[], Tensor | Tensor[] | undefined][] = [];
      let pendingWeight: Tensor | null = null;
      const flush = async () => {
        const group = pending.splice(0);
        try {
          if (group.length && !model.stopTraining) await runGroup(tensorGroup(group, groupBuffers));
        } finally {
          for (const [a, b] of group) for (const t of [...asList(a), ...asList(b)]) t.dispose();
          pendingWeight?.dispose();
          pendingWeight = null;
        }
      };
      /** Queue one batch (taking ownership of its tensors); run the group when it is full. */
      const consume = async (xb: Tensor | Tensor[], yb: Tensor | Tensor[] | undefined, sw: Tensor | null = null) => {
        // fit owns queued batches: a source that scopes each batch (an @nn/data DataLoader disposes a
        // batch when the next one is requested) must not free them while they wait for their group.
        for (const t of [...asList(xb), ...asList(yb), ...(sw ? [sw] : [])]) t.keep();
        if (sw) {
          weighted = true;
          if (session && !(session instanceof EagerSession)) {
            for (const t of [...asList(xb), ...asList(yb), sw]) t.dispose();
            throw new ValueError(`fit: a batch has sample weights, but the first batches had none and engine "${engine!.name}" takes none; give every batch weights, or train with engine: 'eager'.`, 'fit');
          }
          await flush();
          pendingWeight = sw;
          pending.push([xb, yb]);
          await flush();
          return;
        }
        // A group stacks batches of one shape (x and y): another batch size, or another sample shape
        // (variable-length batches), starts a new group.
        const [first, firstY] = pending[0] ?? [];
        if (first && (Array.isArray(first) || Array.isArray(xb) || !shapesEqual(first.shape, xb.shape) || !sameYShape(firstY, yb))) await flush();
        pending.push([xb, yb]);
        if (pending.length >= perCall || !session) await flush();
      };
      try {
        if (train instanceof ArrayData) {
          const gen = args.shuffle === false ? null : new Generator((args.seed ?? 0) + epoch);
          if (!session && engine && train.hostable && train.n > 0) {
            // Start the engine before the first epoch's batches, from the first rows' shapes (only
            // shapes and dtypes matter to it), so that epoch runs on host-gathered groups too:
            // otherwise its batches went through backend tensors and were read back (about 2× the
            // time of a later epoch for the MLP at batch 256).
            const first = train.batches(Math.min(batchSize, train.n), null).next().value!;
            try {
              session = await startSession(first[0], first[1]);
            } finally {
              for (const t of [...asList(first[0]), ...asList(first[1])]) t.dispose();
            }
          }
          if (session && !(session instanceof EagerSession) && train.hostable) {
            // The engine runs: gather each group of batches on the host straight into the buffers it
            // takes (same order and grouping as consume's, without a tensor per batch to upload and read back).
            for (const g of train.hostGroups(batchSize, gen, perCall, groupBuffers)) {
              if (model.stopTraining) break;
              await runGroup(hostGroup(g));
            }
          } else {
            for (const [xb, yb, rows] of train.batches(batchSize, gen)) {
              await consume(xb, yb, train.batchWeights(rows));
              if (model.stopTraining) break;
            }
          }
        } else {
          // With an engine, a source that can (an @nn/data DataLoader) hands over its batches as host
          // arrays: stacked straight into the engine's buffers, no backend tensor made and read back.
          const host = engine && !(session instanceof EagerSession) ? hostBatchesOf(train) : null;
          if (host) {
            const queued: HostBatch[] = [];
            const runQueued = async () => {
              const group = queued.splice(0);
              if (group.length && !model.stopTraining) await runGroup(hostGroup(stackHostBatches(group, groupBuffers)));
            };
            for await (const b of host) {
              const takes = engineHostBatch(b);
              if (!session && takes) {
                const x1 = hostTensor(b[0]), y1 = hostTensor(b[1]!);
                try {
                  session = await startSession(x1, y1);
                } finally {
                  x1.dispose();
                  y1.dispose();
                }
              }
              if (session && !(session instanceof EagerSession) && takes) {
                if (queued.length && !(shapesEqual(queued[0]![0].shape, b[0].shape) && shapesEqual(queued[0]![1]!.shape, b[1]!.shape))) await runQueued();
                queued.push(b);
                if (queued.length >= perCall) await runQueued();
              } else {
                // Training eagerly (or a batch the engine cannot take as it is): as tensors.
                await runQueued();
                const xt = hostTensor(b[0]), yt = b[1] && hostTensor(b[1]);
                let parts: ReturnType<typeof unpackBatch>;
                try {
                  parts = unpackBatch([xt, yt], 'fit');
                } catch (e) {
                  xt.dispose();
                  throw e;
                }
                await consume(...parts);
              }
              if (model.stopTraining || (args.stepsPerEpoch && step + pending.length + queued.length >= args.stepsPerEpoch)) break;
            }
            await runQueued();
          } else {
            for await (const raw of train) {
              const [xb, yb, sw] = unpackBatch(raw, 'fit');
              await consume(xb, yb, sw);
              if (model.stopTraining || (args.stepsPerEpoch && step + pending.length >= args.stepsPerEpoch)) break;
            }
          }
        }
        await flush();
      } finally {
        for (const [a, b] of pending.splice(0)) for (const t of [...asList(a), ...asList(b)]) t.dispose();
      }
      session?.sync();
      const logs: Logs = { ...avg.result(), ...metricLogs(metrics) };
      if (val && !interrupted) Object.assign(logs, await evaluateData(model, c, val, batchSize, 'val_', engineInfer()));
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

export { defaultGenerator };
