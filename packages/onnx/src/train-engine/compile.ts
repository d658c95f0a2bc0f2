import * as ort from 'onnxruntime-node';
import { isKerasOptimizer, noGrad, scope, tensor, Tensor, zeros, type Optimizer } from '@nn/core';
import { checkDevice, type RunDevice } from '../runtime/open-session';
import { TrainStepCompileError, TrainStepInputError } from './errors';
import { GraphCache, type Compiled, type GraphInfo, type OrtGraph } from './graph-cache';
import { resolveLoss, type BatchData, type CompileTrainStepOptions } from './options';
import { bindIfNeeded, coreOptimizer } from './optim-state';
import { forward, totalLoss, type StepLoss, type TrainableModel } from './step-trace';
import { TrainState } from './train-state';

// The engine's public face: a compiled step runs batches through the graph of its batch size
// (./graph-cache.ts, planned by ./step-plan.ts) and keeps weights and optimizer state between calls
// (./train-state.ts); what cannot be compiled runs eagerly.
export type { BatchData, CompileTrainStepOptions, LossArg } from './options';
export type { GraphInfo } from './graph-cache';

/**
 * The step graph takes float32 inputs: integer inputs (embedding ids) pass exactly up to 2^24. Beyond,
 * they would round to another id — refuse instead of training on wrong rows.
 */
function checkExactInFloat32(which: 'x' | 'y', d: ArrayLike<number>): void {
  for (let i = 0; i < d.length; i++) {
    if (Math.abs(d[i]!) > 16_777_216) throw new TrainStepInputError(which, 'int32 values within ±2^24 (the compiled step reads its input as float32, which holds integers exactly only that far)', `${d[i]} at flat index ${i}`);
  }
}

/**
 * A whole training step — forward, loss, backward, optimizer update — compiled into one ONNX graph
 * and run by onnxruntime-node. Weights and optimizer state live in Float32Arrays owned by this
 * object between steps; {@link CompiledTrainStep.sync} writes them into the model's tensors.
 * Create it with {@link compileTrainStep}.
 */
export class CompiledTrainStep {
  private readonly state: TrainState;
  private readonly cache: GraphCache;
  private busy = false;
  /** Per graph (the step graph, or a k-step Scan): the host buffers of its random and scalar feeds, reused call after call. */
  private readonly feedBuffers = new WeakMap<object, Map<string, Float32Array | Int32Array>>();
  private readonly warned = new Set<string>();
  private readonly ySample: readonly number[];
  private readonly yDtype: 'int32' | 'float32';
  /** Predictions (logits) of the last call, `[batch, …]` (`[k · batch, …]` after `steps(…, k)`); overwritten by the next call. */
  lastPred: { data: Float32Array; dims: readonly number[] } | undefined;
  /** Steps run by onnxruntime and eagerly. */
  readonly counts = { ort: 0, eager: 0 };

  /** @internal Use {@link compileTrainStep}. */
  constructor(
    readonly model: TrainableModel,
    readonly optimizer: Optimizer,
    private readonly loss: StepLoss,
    private readonly opts: CompileTrainStepOptions,
  ) {
    this.ySample = opts.targetShape ?? [];
    this.yDtype = opts.targetDtype ?? (this.ySample.length === 0 ? 'int32' : 'float32');
    this.state = new TrainState(model, optimizer, loss);
    this.cache = new GraphCache(model, optimizer, opts, this.state, this.ySample, this.yDtype);
  }

  /** The device of the most recently compiled graph (`undefined` before the first compile). */
  get device(): RunDevice | undefined {
    return this.cache.device;
  }

  /** Why steps run eagerly, when some do (one entry per batch shape / mode). */
  get fallbackReasons(): string[] {
    return this.cache.fallbackReasons;
  }

  /** ONNX node count of each compiled graph, by `batch|mode` key (for diagnostics). */
  get graphSizes(): Record<string, number> {
    return this.cache.graphSizes;
  }

  /** Each compiled graph by `batch|mode` key: its node count, device, per-step inputs (random draws, optimizer scalars) and scaled Adam moments. */
  get graphInfo(): Record<string, GraphInfo> {
    return this.cache.graphInfo;
  }

  /** @internal Compile the graph of a batch size now (`compileTrainStep({ batchSize })`). */
  /**
   * The model's output for a batch in inference mode (dropout off, moving statistics), computed in
   * onnxruntime from the engine's newest weights and buffers: nothing is written into the model and
   * no step is counted. `fit` uses it for validation (onnxruntime's kernels instead of the eager
   * backend's). Each batch size compiles an inference graph once. Undefined where it cannot run
   * (a forward that does not compile, the webgpu device, a tensor of another sample shape than the
   * step's): run the model eagerly then.
   *
   * @param x - `[batch, ...inputShape]` float values.
   * @returns The predictions `[batch, …]` as host values.
   */
  async infer(x: BatchData): Promise<{ data: Float32Array; dims: readonly number[] } | undefined> {
    if (this.busy) throw new TrainStepCompileError('infer', 'a step is running; await it first');
    if ((this.opts.device ?? 'auto') === 'webgpu') return undefined;
    // Another sample shape than the step's (validation data of a model that takes any width): eager.
    if (x instanceof Tensor && x.shape.slice(1).join(',') !== this.opts.inputShape.join(',')) return undefined;
    const xs = this.batchValues('x', x, this.opts.inputShape, 'float32');
    this.busy = true;
    try {
      const g = await this.cache.inferFor(xs.batch);
      if (!g) return undefined;
      if (this.state.fresh === 'tensors') this.state.load();
      const feeds: Record<string, ort.Tensor> = {};
      for (const sl of g.inputs) {
        if (sl.kind === 'x') feeds[sl.name] = new ort.Tensor('float32', xs.data as Float32Array, [xs.batch, ...this.opts.inputShape]);
        else if (sl.kind === 'state' && !this.state.scales.has(sl.name)) feeds[sl.name] = new ort.Tensor(sl.dtype as 'float32', this.state.arrays.get(sl.name) as Float32Array, sl.shape as number[]);
        else return undefined; // not a parameter or buffer as it is (never expected in a forward)
      }
      const pred = (await g.session.run(feeds)).pred!;
      return { data: pred.data as Float32Array, dims: [...pred.dims] };
    } finally {
      this.busy = false;
    }
  }

  async prepare(batch: number): Promise<void> {
    await this.cache.graphFor(batch);
  }

  /**
   * Run one training step on a batch and return its loss. The first step runs eagerly when the
   * optimizer has no state yet (its buffers are made by the first update); a batch size or mode seen
   * for the first time is traced and compiled (a few hundred ms); a step that cannot be compiled runs
   * eagerly, and {@link fallbackReasons} says why.
   *
   * @param x - `[batch, ...inputShape]` float values.
   * @param y - `[batch, ...targetShape]` targets (class indices as int32 by default).
   * @returns The loss (float32 precision on the ort path).
   */
  async step(x: BatchData, y: BatchData): Promise<number> {
    if (this.busy) throw new TrainStepCompileError('a step', 'the previous step() has not finished; await each step');
    this.busy = true;
    try {
      const xs = this.batchValues('x', x, this.opts.inputShape, 'float32');
      const ys = this.batchValues('y', y, this.ySample, this.yDtype);
      if (ys.batch !== xs.batch) throw new TrainStepInputError('y', `${xs.batch} rows like x`, `${ys.batch} rows`);
      const g = await this.cache.graphFor(xs.batch);
      if (!g || g.kind === 'eager') {
        if (g && !this.warned.has(g.reason)) {
          this.warned.add(g.reason);
          (this.opts.onFallback ?? ((r: string) => console.warn(`[nn ort engine] running eagerly: ${r}`)))(g.reason);
        }
        await this.state.flush();
        return this.eagerStep(xs, ys);
      }
      return (await this.ortSteps(g, 1, xs, ys))[0]!;
    } finally {
      this.busy = false;
    }
  }

  private batchValues(which: 'x' | 'y', v: BatchData, sample: readonly number[], dtype: 'float32' | 'int32') {
    const per = sample.reduce((p, d) => p * d, 1);
    let data: Float32Array | Int32Array;
    if (v instanceof Tensor) {
      const want = sample.join(',');
      if (v.shape.slice(1).join(',') !== want) throw new TrainStepInputError(which, `[batch, ${sample.join(', ')}]`, `[${v.shape.join(', ')}]`);
      const d = v.dataSync();
      if (dtype === 'float32' && v.dtype === 'int32') checkExactInFloat32(which, d);
      // new Float32Array(typedArray) converts natively; Float32Array.from walks an iterator (~10× slower).
      data = dtype === 'float32' ? (d instanceof Float32Array ? d : new Float32Array(d as Float64Array)) : d instanceof Int32Array ? d : new Int32Array(d as Float64Array);
    } else {
      if (dtype === 'float32' && v instanceof Int32Array) checkExactInFloat32(which, v);
      data = dtype === 'float32' ? (v instanceof Float32Array ? v : ArrayBuffer.isView(v) ? new Float32Array(v as Float64Array) : Float32Array.from(v)) : v instanceof Int32Array ? v : ArrayBuffer.isView(v) ? new Int32Array(v as Float64Array) : Int32Array.from(v);
    }
    if (per === 0 || data.length % per !== 0 || data.length === 0) throw new TrainStepInputError(which, `a multiple of ${per} values (samples of shape [${sample.join(', ')}])`, `${data.length} values`);
    return { data, batch: data.length / per };
  }

  private eagerStep(x: { data: Float32Array | Int32Array; batch: number }, y: { data: Float32Array | Int32Array; batch: number }): number {
    if (this.state.fresh === 'arrays') this.state.sync();
    this.state.fresh = 'tensors';
    this.counts.eager++;
    return scope(() => {
      const xt = tensor(x.data, [x.batch, ...this.opts.inputShape]);
      const yt = tensor(y.data, [y.batch, ...this.ySample], { dtype: this.yDtype });
      const pred = forward(this.model, xt, this.cache.layerTraining());
      const l = totalLoss(this.model, this.loss, yt, pred);
      this.optimizer.zeroGrad();
      l.backward();
      this.optimizer.step();
      this.optimizer.zeroGrad();
      const pd = pred.dataSync();
      this.lastPred = { data: pd instanceof Float32Array ? pd.slice() : Float32Array.from(pd as ArrayLike<number>), dims: [...pred.shape] };
      return l.item();
    });
  }


  /** Count one step in the optimizer (as an eager step would) and return the per-step scalars of that step, in input order. */
  private nextScalars(g: OrtGraph): Map<Tensor, number[]> {
    const k = coreOptimizer(this.optimizer).hostStep(g.gradParams);
    if (!k) throw new TrainStepCompileError(`the optimizer "${this.optimizer.name}"`, 'it no longer declares its per-step scalars (its state was reset?)');
    return k;
  }

  /** Run `k` steps in one onnxruntime call (`k` = 1: the step graph itself, else its Scan); returns the k losses. */
  private async ortSteps(g: OrtGraph, k: number, x: { data: Float32Array | Int32Array; batch: number }, y: { data: Float32Array | Int32Array; batch: number }): Promise<Float32Array<ArrayBufferLike>> {
    if (this.state.fresh === 'tensors') this.state.load();
    if (this.state.needsConversion(g.step.scales)) {
      // The GPU copies hold the old representation: bring them home, convert there, upload again.
      await this.state.flush();
      this.state.dropDeviceState();
    }
    this.state.represent(g.step.scales);
    const loop = k === 1 ? undefined : await this.cache.loopFor(g, k);
    const session = loop ? loop.session : g.session;
    const { inputs: slots, outputs: outs } = loop ? loop.graph : g.single;
    const lead = loop ? [k] : [];
    const b = x.batch / k;
    // Each step's random draws and optimizer scalars, in step order (the generators' and counters' order),
    // into buffers kept per graph: a dropout layer's k masks are megabytes, and fresh ones every call
    // were garbage for V8 to collect (on its helper threads: CPU that a 1-thread engine should not use).
    // Safe to reuse: `busy` lets one call run at a time, and onnxruntime is done with them when run resolves.
    let per = this.feedBuffers.get(loop ?? g);
    if (!per) this.feedBuffers.set(loop ?? g, (per = new Map()));
    for (let t = 0; t < k; t++) {
      const sc = this.nextScalars(g);
      for (const sl of slots) {
        if (sl.kind !== 'random' && sl.kind !== 'scalar') continue;
        const n = sl.shape.reduce((p, d) => p * d, 1);
        let buf = per.get(sl.feed);
        if (!buf) per.set(sl.feed, (buf = sl.dtype === 'int32' ? new Int32Array(n * k) : new Float32Array(n * k)));
        if (sl.kind === 'random') g.randoms[sl.index]!.draw(k === 1 ? buf : buf.subarray(t * n, (t + 1) * n));
        else {
          const own = g.scalars[sl.index]!;
          buf[t] = sc.get(own.owner)![own.seq]!;
        }
      }
    }
    const feeds: Record<string, ort.Tensor> = {};
    for (const sl of slots) {
      switch (sl.kind) {
        case 'x': feeds[sl.feed] = new ort.Tensor('float32', x.data as Float32Array, [...lead, b, ...this.opts.inputShape]); break;
        case 'y': feeds[sl.feed] = new ort.Tensor(this.yDtype, y.data as Int32Array, [...lead, b, ...this.ySample]); break;
        case 'state': {
          // The previous call's output tensor is fed back as it is when it still holds the array.
          const a = this.state.arrays.get(sl.name)!, t = this.state.onDevice.get(sl.name) ?? this.state.outputTensors.get(sl.name);
          feeds[sl.feed] = t && (t.location === 'gpu-buffer' || t.data === a) ? t : new ort.Tensor(sl.dtype as 'float32', a as Float32Array, sl.shape as number[]);
          break;
        }
        default: feeds[sl.feed] = new ort.Tensor(sl.dtype as 'float32', per.get(sl.feed) as Float32Array, [...lead, ...sl.shape]);
      }
    }
    // onnxruntime-node returns every output in a new ArrayBuffer (a copy of onnxruntime's own), so the
    // new state arrays simply replace the old ones. Preallocated outputs do not help: onnxruntime-node
    // 1.30 writes them and still returns a new buffer (README-ort-engine.md, "Where a step's time goes").
    const out = await session.run(feeds);
    let losses: Float32Array<ArrayBufferLike> = new Float32Array(0);
    for (const o of outs) {
      if (o.kind === 'loss') losses = out[o.fetch]!.data as Float32Array;
      else if (o.kind === 'pred') {
        const t = out[o.fetch]!;
        this.lastPred = { data: t.data as Float32Array, dims: loop ? [k * t.dims[1]!, ...t.dims.slice(2)] : t.dims };
      } else if (o.kind === 'state') {
        const t = out[o.fetch]!;
        if (t.location === 'gpu-buffer') {
          // The new state stays on the GPU: the next call feeds it back; the previous buffer was
          // this call's input and is free now. Never t.getData() here (see ./device-state.ts).
          const old = this.state.onDevice.get(o.state);
          this.state.onDevice.set(o.state, t);
          if (old && old !== t) old.dispose();
          this.state.hostBehind = true;
        } else {
          this.state.arrays.set(o.state, t.data as Float32Array);
          this.state.outputTensors.set(o.state, t);
        }
      }
    }
    this.counts.ort += k;
    if (this.state.hostBehind && this.opts.readbackEachCall) await this.state.flush();
    return losses;
  }
  /**
   * Run `k` training steps in ONE onnxruntime call (an ONNX Scan over the k batches; on webgpu the step graph unrolled k times): weights and
   * optimizer state cross between JS and onnxruntime once per call instead of once per step, which
   * is what makes a GPU worthwhile (onnxruntime-node keeps outputs on the GPU only for WebGPU). Same results as `k` calls of
   * {@link step}. Each `k` compiles a Scan graph once.
   *
   * @param x - k batches of equal size, back to back: `[k · batch, ...inputShape]` values.
   * @param y - their targets, back to back.
   * @param k - Number of steps (batches).
   * @returns The k losses (float32 from onnxruntime; float64 when the steps ran eagerly on a float64 backend).
   */
  async steps(x: BatchData, y: BatchData, k: number): Promise<Float32Array<ArrayBufferLike> | Float64Array> {
    if (!Number.isInteger(k) || k < 1) throw new TrainStepInputError('k', 'a positive integer', String(k));
    if (this.busy) throw new TrainStepCompileError('a step', 'the previous call has not finished; await each call');
    const xs = this.batchValues('x', x, this.opts.inputShape, 'float32');
    const ys = this.batchValues('y', y, this.ySample, this.yDtype);
    if (xs.batch % k !== 0 || ys.batch !== xs.batch) throw new TrainStepInputError('x', `${k} batches of equal size with as many targets`, `${xs.batch} rows of x and ${ys.batch} of y`);
    const b = xs.batch / k;
    this.busy = true;
    let g: Compiled | null;
    try {
      g = await this.cache.graphFor(b);
    } finally {
      this.busy = false;
    }
    if (!g || g.kind === 'eager' || k === 1) {
      const out = new Float64Array(k); // eager losses keep the backend's precision
      const px = xs.data.length / k, py = ys.data.length / k;
      let preds: Float32Array | undefined;
      for (let t = 0; t < k; t++) {
        out[t] = await this.step(xs.data.subarray(t * px, (t + 1) * px), ys.data.subarray(t * py, (t + 1) * py));
        const p = this.lastPred!;
        preds ??= new Float32Array(p.data.length * k);
        preds.set(p.data, t * p.data.length);
      }
      this.lastPred = { data: preds!, dims: [k * b, ...this.lastPred!.dims.slice(1)] };
      return out;
    }
    this.busy = true;
    try {
      return await this.ortSteps(g, k, xs, ys);
    } finally {
      this.busy = false;
    }
  }

  /**
   * Say that the model's tensors (weights, buffers, optimizer state) may have been changed outside
   * the engine — loaded from a checkpoint, restored by a callback — so the next step reads them
   * again (all of them, unless none was assigned since {@link sync} wrote them: then the engine's
   * copy is still theirs). Call {@link sync} first if the engine's newest weights must not be lost.
   */
  invalidate(): void {
    this.state.invalidate();
  }

  /**
   * Read the state the GPU holds (`device: 'webgpu'` keeps weights and optimizer state there between
   * calls) back into the engine's host arrays, through a read-back session on the same provider (the
   * one safe download path of onnxruntime-node 1.30: see src/train-engine/device-state.ts). The GPU
   * copies stay the inputs of the next call. A no-op on CPU / CUDA or when nothing is pending.
   *
   * @example
   * ```ts
   * await engine.steps(x, y, 32);
   * await engine.flush();   // state on the host
   * engine.sync();          // and in the model's tensors
   * ```
   */
  async flush(): Promise<void> {
    await this.state.flush();
  }

  /**
   * Write the current weights, buffers and optimizer state into the model's tensors.
   *
   * @throws TrainStepStateError when the newest state is still on the GPU (webgpu): `await flush()` first.
   */
  sync(): void {
    this.state.sync();
  }

  /** {@link flush} and {@link sync}, then free the onnxruntime sessions and GPU buffers. */
  async dispose(): Promise<void> {
    await this.state.flush();
    this.state.sync();
    await this.state.release();
    await this.cache.release();
  }
}

/**
 * A Keras model builds its weights on its first call: call it once on zeros (inference mode, no
 * gradients, so no dropout draws), as eager `fit`'s first forward would build it, so that the
 * optimizer can be bound to the weights.
 */
function buildModel(model: TrainableModel, inputShape: readonly number[]): void {
  const modules = [...(model.modules?.() ?? [model])] as { training?: boolean }[];
  const modes = modules.map((m) => m.training);
  model.eval?.();
  try {
    noGrad(() => scope(() => void forward(model, zeros([1, ...inputShape]), false)));
  } finally {
    modules.forEach((m, i) => (m.training = modes[i]));
  }
}

/**
 * Compile a model's training step for onnxruntime (the `ort` training engine).
 *
 * @param model - A Module or Keras model (in training mode for training).
 * @param opts - Optimizer, loss, sample shapes, device; see {@link CompileTrainStepOptions}.
 * @returns A {@link CompiledTrainStep}; call `step(x, y)` per batch and `sync()` (or `dispose()`) at the end.
 * @example
 * ```ts
 * const engine = await compileTrainStep(model, { optimizer: new optim.Adam(model.parameters()), loss: 'crossentropy', inputShape: [784] });
 * for (const [x, y] of batches) await engine.step(x, y);
 * engine.sync();   // model's tensors now hold the trained weights
 * ```
 */
export async function compileTrainStep(model: TrainableModel, opts: CompileTrainStepOptions): Promise<CompiledTrainStep> {
  const compiled = (model as { compiled?: { optimizer: Optimizer; losses: StepLoss[] } }).compiled;
  const optimizer = opts.optimizer ?? compiled?.optimizer;
  if (!optimizer) throw new TrainStepCompileError('the model', 'no optimizer was given and the model is not compiled', 'Pass { optimizer } or call model.compile() first.');
  const lossSpec = opts.loss ?? compiled?.losses[0];
  if (!lossSpec) throw new TrainStepCompileError('the model', 'no loss was given and the model is not compiled', "Pass { loss: 'sparseCategoricalCrossentropy' } or a function.");
  checkDevice(opts.device ?? 'auto');
  if (!Array.isArray(opts.inputShape) || opts.inputShape.some((d) => !(Number.isInteger(d) && d > 0))) {
    throw new TrainStepInputError('inputShape', 'positive integers, the shape of one sample (e.g. [784])', JSON.stringify(opts.inputShape));
  }
  const bc = opts.batchChunks;
  if (bc !== undefined && bc !== 'auto' && !(Number.isInteger(bc) && bc >= 1)) throw new TrainStepInputError('batchChunks', "'auto' or a positive integer", JSON.stringify(bc));
  if (isKerasOptimizer(optimizer) && !optimizer.isBound && [...model.parameters()].length === 0) buildModel(model, opts.inputShape);
  bindIfNeeded(optimizer, model.parameters());
  const engine = new CompiledTrainStep(model, optimizer, resolveLoss(lossSpec), opts);
  if (opts.batchSize !== undefined) await engine.prepare(opts.batchSize);
  return engine;
}
