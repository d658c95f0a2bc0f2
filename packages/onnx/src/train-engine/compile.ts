import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { getLoss, isKerasOptimizer, isLayer, NNError, noGrad, scope, tensor, Tensor, zeros, type DType, type Optimizer, type RandomHost, type ScalarHost } from '@nn/core';
import { DeviceError, OnnxFormatError, UnsupportedOpError } from '../errors';
import type { LoweringTarget } from '../export/lower-webgpu';
import { checkDevice, openSession, type Device, type RunDevice } from '../runtime/open-session';
import { buildReadbackGraph, readbackNames } from './device-state';
import { TrainStepCompileError, TrainStepInputError, TrainStepStateError } from './errors';
import { buildStepGraph, type InputSlot, type OutputSlot, type StepGraph } from './graph';
import { buildLoopGraph, type LoopGraph } from './loop';
import { bindIfNeeded, coreOptimizer, hyperKey, namedState } from './optim-state';
import { buildUnrolledGraph } from './unroll';
import { forward, totalLoss, traceStep, type StepContext, type StepLoss, type TrainableModel } from './step-trace';

/** A batch: an nn Tensor, or a typed array / number array of `batch × sample size` values. */
export type BatchData = Tensor | Float32Array | Float64Array | Int32Array | readonly number[];

/** Options of {@link compileTrainStep}. */
export interface CompileTrainStepOptions {
  /** The optimizer (either door). @default the one given to `model.compile` */
  optimizer?: Optimizer;
  /** `(yTrue, yPred) => scalar`, a loss name of `compile` ('sparseCategoricalCrossentropy', 'mse' …) or a Keras loss object. @default the compiled loss */
  loss?: LossArg;
  /** Shape of ONE sample, e.g. `[784]`. */
  inputShape: readonly number[];
  /** Shape of one sample's target. @default [] (a class index) */
  targetShape?: readonly number[];
  /** Target dtype. @default 'int32' when `targetShape` is [], else 'float32' */
  targetDtype?: 'int32' | 'float32';
  /** Compile for this batch size now (other sizes compile on first use). */
  batchSize?: number;
  /**
   * Where onnxruntime runs: `'auto'` (CUDA when its provider is installed, else CPU), `'cpu'`,
   * `'cuda'` or `'webgpu'` (onnxruntime-node's bundled WebGPU provider; opt-in, never chosen by
   * 'auto'). 'cuda' / 'webgpu' throw a `DeviceError` when they cannot start. @default 'auto'
   */
  device?: Device;
  /** onnxruntime intra-op threads (0: onnxruntime's choice). @default 0 */
  threads?: number;
  /** ONNX opset of the compiled graph (16 – 18: max-pool gradients need ScatterElements add). @default 17 */
  opset?: number;
  /**
   * How `steps(x, y, k)` puts k steps in one call: an ONNX `Loop` (one copy of the step graph), or
   * the step graph unrolled k times into one flat graph. The WebGPU provider has no Loop kernel (it
   * runs on the CPU there, and one measured run gave wrong Adam moments), so webgpu unrolls.
   * @default 'unroll' on webgpu, else 'loop'
   */
  multiStep?: 'loop' | 'unroll';
  /**
   * Write the graphs for this provider: `'webgpu'` expresses the ops the WebGPU provider has no
   * kernel for (LogSoftmax) with ops it runs. @default 'webgpu' when device is 'webgpu', else 'default'
   */
  target?: LoweringTarget;
  /**
   * webgpu only: keep weights and optimizer state on the GPU between calls (outputs stay GPU
   * buffers and are fed back as the next call's inputs); they come back to the host only on
   * {@link CompiledTrainStep.flush} / `dispose()` (and after each call with `readbackEachCall`).
   * Ignored on CPU and CUDA. @default true
   */
  stateOnDevice?: boolean;
  /**
   * webgpu with `stateOnDevice`: read the state back after every call, so that the synchronous
   * `sync()` always works (what `ortEngine` uses for core `fit`, whose `sync()` cannot wait).
   * @default false
   */
  readbackEachCall?: boolean;
  /**
   * Mode passed to a Keras model's call (`model(x, { training })`), as `fit` does. PyTorch-style
   * modules use their own `train()` / `eval()` flags; changing them compiles another graph. @default true
   */
  training?: boolean;
  /** Called once per reason when a step runs eagerly instead. @default console.warn */
  onFallback?: (reason: string) => void;
}

/** Diagnostics of one compiled graph (see {@link CompiledTrainStep.graphInfo}). */
export interface GraphInfo {
  nodes: number;
  device: RunDevice;
  /** Why it runs on `device` when that is not what was asked for (`'auto'` on CPU: why not CUDA). */
  deviceReason?: string;
  /** Random tensors (dropout masks, noise …) drawn in JS per step, from the same generators and in the same order as eager steps. */
  masks: number;
  /** Optimizer scalars fed per step (learning rates, bias corrections, from `optimizer.hostStep()`). */
  scalars: number;
  /** Parameters whose Adam moments the graph carries scaled (3 passes fewer per update; see `adam-scale.ts`). */
  scaledMoments: number;
}

/** A per-step optimizer scalar input: the `seq`-th host scalar of parameter `owner`'s update. */
interface ScalarSlot {
  readonly owner: Tensor;
  readonly seq: number;
}

interface OrtGraph {
  readonly kind: 'ort';
  readonly session: ort.InferenceSession;
  readonly device: RunDevice;
  readonly deviceReason?: string;
  readonly inputs: readonly InputSlot[];
  readonly outputs: readonly OutputSlot[];
  /** The random host values, in draw order (an input `random.<i>` each). */
  readonly randoms: readonly RandomHost[];
  /** The per-step optimizer scalars (an input `optim.scalar.<i>` each). */
  readonly scalars: readonly ScalarSlot[];
  /** Parameters the optimizer updates in a step (those with a gradient). */
  readonly gradParams: readonly Tensor[];
  readonly nodeCount: number;
  /** The optimizer's other hyperparameters when compiled (a change recompiles). */
  readonly hyper: string;
  /** The step graph (for K-step Loop graphs) and the Loop sessions made from it, by K. */
  readonly step: StepGraph;
  readonly loops: Map<number, { session: ort.InferenceSession; graph: LoopGraph }>;
}
type Compiled = OrtGraph | { readonly kind: 'eager'; readonly reason: string };

/**
 * The step graph takes float32 inputs: integer inputs (embedding ids) pass exactly up to 2^24. Beyond,
 * they would round to another id — refuse instead of training on wrong rows.
 */
function checkExactInFloat32(which: 'x' | 'y', d: ArrayLike<number>): void {
  for (let i = 0; i < d.length; i++) {
    if (Math.abs(d[i]!) > 16_777_216) throw new TrainStepInputError(which, 'int32 values within ±2^24 (the compiled step reads its input as float32, which holds integers exactly only that far)', `${d[i]} at flat index ${i}`);
  }
}

/** `[m, v]` state names of each Adam moment pair (`optim.<i>.expAvg` / `optim.<i>.expAvgSq`). */
function momentPairs(names: readonly string[]): [string, string][] {
  const have = new Set(names);
  return names.flatMap((n) => (/^optim\.\d+\.expAvg$/.test(n) && have.has(`${n}Sq`) ? [[n, `${n}Sq`] as [string, string]] : []));
}

/** A loss as `compile` takes it: a function, a name, or a Keras loss object (`losses.SparseCategoricalCrossentropy({ fromLogits: true })`). */
export type LossArg = StepLoss | string | Parameters<typeof getLoss>[0];

function resolveLoss(l: LossArg): StepLoss {
  if (typeof l === 'function' && !('lossName' in l)) return l as StepLoss;
  return getLoss(l as Parameters<typeof getLoss>[0]);
}

/**
 * A whole training step — forward, loss, backward, optimizer update — compiled into one ONNX graph
 * and run by onnxruntime-node. Weights and optimizer state live in Float32Arrays owned by this
 * object between steps; {@link CompiledTrainStep.sync} writes them into the model's tensors.
 * Create it with {@link compileTrainStep}.
 */
export class CompiledTrainStep {
  private readonly graphs = new Map<string, Compiled>();
  private readonly arrays = new Map<string, Float32Array | Int32Array | Uint8Array>();
  private tensorsByName = new Map<string, Tensor>();
  /** Each tensor's handle right after {@link sync}: an unchanged handle means nothing was assigned to it since. */
  private synced: Map<string, unknown> | undefined;
  /** How each array is stored when not as is: true value = scale · stored (Adam moments, see ./adam-scale.ts). */
  private readonly scales = new Map<string, number>();
  /** Where the newest weights are: in the arrays (after ort steps) or in the model's tensors. */
  private fresh: 'arrays' | 'tensors' = 'tensors';
  private busy = false;
  /** webgpu: state tensors that live on the GPU (fed back as inputs), by state name. */
  private readonly onDevice = new Map<string, ort.Tensor>();
  /** The arrays are older than {@link onDevice} (nothing read back since the last call). */
  private hostBehind = false;
  /** The read-back session of {@link flush}, by the names it copies. */
  private readback: { key: string; session: ort.InferenceSession } | undefined;
  private readonly info: Record<string, GraphInfo> = {};
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
  }

  /** The device of the most recently compiled graph (`undefined` before the first compile). */
  get device(): RunDevice | undefined {
    let d: RunDevice | undefined;
    for (const g of this.graphs.values()) if (g.kind === 'ort') d = g.device;
    return d;
  }

  /** Why steps run eagerly, when some do (one entry per batch shape / mode). */
  get fallbackReasons(): string[] {
    return [...this.graphs.values()].flatMap((g) => (g.kind === 'eager' ? [g.reason] : []));
  }

  /** ONNX node count of each compiled graph, by `batch|mode` key (for diagnostics). */
  get graphSizes(): Record<string, number> {
    return Object.fromEntries(Object.entries(this.info).map(([k, v]) => [k, v.nodes]));
  }

  /** Each compiled graph by `batch|mode` key: its node count, device, per-step inputs (random draws, optimizer scalars) and scaled Adam moments. */
  get graphInfo(): Record<string, GraphInfo> {
    return { ...this.info };
  }

  private ctx: StepContext | undefined;

  /** Parameters, buffers and optimizer state by name (rebuilt when state is (re)loaded from the tensors). */
  private context(): StepContext {
    const seen = new Set<Tensor>();
    const named: [string, Tensor][] = [];
    const add = (n: string, t: Tensor) => {
      if (seen.has(t)) return;
      seen.add(t);
      named.push([n, t]);
    };
    for (const [n, t] of this.model.namedParameters()) add(n, t);
    for (const [n, t] of this.model.namedBuffers?.() ?? []) add(n, t);
    for (const [n, t] of namedState(this.optimizer)) add(n, t);
    this.tensorsByName = new Map(named);
    this.ctx = { model: this.model, optimizer: this.optimizer, loss: this.loss, named };
    return this.ctx;
  }

  private shapes(batch: number) {
    return { x: { shape: [batch, ...this.opts.inputShape], dtype: 'float32' as DType }, y: { shape: [batch, ...this.ySample], dtype: this.yDtype as DType } };
  }

  /**
   * Trace the step once and compile it. The trace's host values say what changes between steps:
   * random draws (fed per step, drawn from their generators in trace order) and the optimizer's
   * scalars, which its own formulas split into per-step inputs (learning rate, bias corrections) and
   * constants (β, ε …; changing those recompiles, see `hyperKey`).
   */
  private async compile(batch: number): Promise<OrtGraph> {
    const ctx = this.context();
    const opt = coreOptimizer(this.optimizer);
    opt.zeroGrad();
    const { x, y } = this.shapes(batch);
    const c0 = opt.getCounters();
    let a: ReturnType<typeof traceStep>;
    let declared: Map<Tensor, number[]> | undefined;
    try {
      a = traceStep(ctx, x, y, this.layerTraining());
      opt.setCounters(c0);
      declared = opt.hostStep(a.gradParams);
    } finally {
      opt.setCounters(c0);
    }
    // Random numbers drawn from a Generator outside core's random ops are constants of the trace:
    // the graph would repeat them every step. Refuse (the step runs eagerly, with this reason).
    const stray = a.trace.strayDraws?.[0];
    if (stray) {
      throw new TrainStepCompileError(
        `random numbers drawn${stray.scope ? ` in ${stray.scope}` : ''} (${stray.draws} draws from a Generator)`,
        "they are drawn outside core's random ops (rand, randn, bernoulli, randomUniform …), so a compiled step would freeze one draw",
        'Draw with core random ops (they replay per step), or train this model eagerly.',
      );
    }
    const randomIds: number[] = [], randoms: RandomHost[] = [];
    const scalarIds: number[] = [], scalars: ScalarSlot[] = [];
    const perStep = new Map<Tensor, boolean[] | undefined>();
    for (const id of a.trace.hosts ?? []) {
      const v = a.trace.values.get(id)!;
      const h = v.host!;
      if (h.role === 'random') {
        randomIds.push(id);
        randoms.push(h);
        continue;
      }
      const owner = (h as ScalarHost).owner as Tensor;
      if (!perStep.has(owner)) perStep.set(owner, opt.perStepScalars(owner));
      const flags = perStep.get(owner);
      const value = declared?.get(owner)?.[h.seq];
      if (!flags || value === undefined) {
        throw new TrainStepCompileError(`the optimizer "${opt.name}"`, 'it does not declare the per-step scalars of its update (updateScalars), so a compiled step could not recompute them', 'Use an optimizer from optim.* or optimizers.*, or declare updateScalars in your subclass.');
      }
      if (!Object.is(value, v.data?.[0])) {
        throw new TrainStepCompileError(`the optimizer "${opt.name}"`, `its declared scalar #${h.seq} of ${owner.name ?? 'a parameter'} is ${value}, but its update uploaded ${v.data?.[0]}`);
      }
      if (flags[h.seq]) {
        scalarIds.push(id);
        scalars.push({ owner, seq: h.seq });
      }
    }
    const g = buildStepGraph({
      trace: a.trace, lossId: a.lossId, predId: a.predId, stateNames: new Set(ctx.named.map(([n]) => n)), adamMoments: momentPairs(ctx.named.map(([n]) => n)),
      randomIds, scalarIds, opset: this.opts.opset ?? 17, target: this.target(),
    });
    // NN_ORT_DUMP=dir writes each compiled step graph there (for netron / onnx.checker).
    if (process.env.NN_ORT_DUMP) writeFileSync(join(process.env.NN_ORT_DUMP, `train-step-b${batch}.onnx`), g.bytes);
    const s = await this.open(g.bytes, g.outputs.flatMap((o) => (o.kind === 'state' ? [o.name] : [])));
    return {
      kind: 'ort', session: s.session, device: s.device, ...(s.fallbackReason ? { deviceReason: s.fallbackReason } : {}), step: g, loops: new Map(), hyper: hyperKey(opt), inputs: g.inputs, outputs: g.outputs,
      randoms, scalars, gradParams: a.gradParams, nodeCount: g.nodeCount,
    };
  }

  private target(): LoweringTarget {
    return this.opts.target ?? (this.opts.device === 'webgpu' ? 'webgpu' : 'default');
  }

  /** webgpu keeps state on the GPU between calls unless told not to. */
  private stateOnDevice(): boolean {
    return this.opts.device === 'webgpu' && this.opts.stateOnDevice !== false;
  }

  /** Open a graph's session on the engine's device; `stateOutputs` stay GPU buffers when the state lives on the GPU. */
  private open(bytes: Uint8Array, stateOutputs: readonly string[]) {
    return openSession(bytes, {
      device: this.opts.device ?? 'auto',
      threads: this.opts.threads ?? 0,
      where: '<train step>',
      wrap: (e) => new OnnxFormatError('<train step>', `onnxruntime could not load the compiled step: ${(e as Error).message}`),
      ...(this.stateOnDevice() ? { preferredOutputLocation: Object.fromEntries(stateOutputs.map((n) => [n, 'gpu-buffer' as const])) } : {}),
    });
  }

  /** 'train' / 'eval', or each module's flag when they differ (e.g. a frozen batch norm in eval mode). */
  private modeKey(): string {
    if (isLayer(this.model)) return this.layerTraining() ? 'train' : 'eval';
    const flags = [...(this.model.modules?.() ?? [this.model])].map((m) => ((m as { training?: boolean }).training ? 1 : 0));
    return flags.every((f) => f === 1) ? 'train' : flags.every((f) => f === 0) ? 'eval' : flags.join('');
  }

  private layerTraining(): boolean {
    return this.opts.training ?? true;
  }

  /** @internal Compile the graph of a batch size now (`compileTrainStep({ batchSize })`). */
  async prepare(batch: number): Promise<void> {
    await this.graphFor(batch);
  }

  private async graphFor(batch: number): Promise<Compiled | null> {
    const key = `${batch}|${this.modeKey()}`;
    const hit = this.graphs.get(key);
    // Learning rates are fed per step; any other hyperparameter is compiled in, so a change recompiles.
    if (hit && (hit.kind !== 'ort' || hit.hyper === hyperKey(this.optimizer))) return hit;
    if (hit?.kind === 'ort') {
      this.graphs.delete(key);
      await hit.session.release();
      for (const l of hit.loops.values()) await l.session.release();
    }
    // Optimizer buffers are created lazily by the first update: that step runs eagerly.
    if (!coreOptimizer(this.optimizer).hasState([...this.model.parameters()].filter((p) => p.requiresGrad))) return null;
    await this.flush();
    if (this.fresh === 'arrays') this.sync();
    let g: Compiled;
    try {
      g = await this.compile(batch);
    } catch (e) {
      // Anything the tracer or the lowering refuses (an op with no ONNX form, a value read inside
      // forward, a random op that is not dropout …) runs eagerly; the eager step reports real errors.
      if (!(e instanceof NNError) || e instanceof DeviceError) throw e;
      g = { kind: 'eager', reason: e instanceof TrainStepCompileError || e instanceof UnsupportedOpError ? e.message : `tracing failed: ${e.message}` };
    }
    this.graphs.set(key, g);
    if (g.kind === 'ort') {
      this.info[key] = { nodes: g.nodeCount, device: g.device, ...(g.deviceReason ? { deviceReason: g.deviceReason } : {}), masks: g.randoms.length, scalars: g.scalars.length, scaledMoments: g.step.scales.size / 2 };
    }
    return g;
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
      const g = await this.graphFor(xs.batch);
      if (!g || g.kind === 'eager') {
        if (g && !this.warned.has(g.reason)) {
          this.warned.add(g.reason);
          (this.opts.onFallback ?? ((r: string) => console.warn(`[nn ort engine] running eagerly: ${r}`)))(g.reason);
        }
        await this.flush();
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
    if (this.fresh === 'arrays') this.sync();
    this.fresh = 'tensors';
    this.counts.eager++;
    return scope(() => {
      const xt = tensor(x.data, [x.batch, ...this.opts.inputShape]);
      const yt = tensor(y.data, [y.batch, ...this.ySample], { dtype: this.yDtype });
      const pred = forward(this.model, xt, this.layerTraining());
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

  /** Copy the model's tensors into the arrays (after eager steps or a user edit). */
  private load(): void {
    this.dropDeviceState();
    this.context();
    // Nothing assigned since sync() wrote the arrays into the tensors (fit syncs every epoch): the
    // arrays still hold those values.
    const synced = this.synced;
    this.synced = undefined;
    if (synced && synced.size === this.tensorsByName.size && [...this.tensorsByName].every(([n, t]) => synced.get(n) === t.handle)) {
      this.fresh = 'arrays';
      return;
    }
    for (const [n, t] of this.tensorsByName) {
      const d = t.dataSync();
      // new Float32Array(typedArray) converts natively (Float32Array.from walks an iterator).
      this.arrays.set(n, t.dtype === 'float32' ? new Float32Array(d as Float64Array) : d.slice() as Int32Array | Uint8Array);
    }
    this.scales.clear();
    this.fresh = 'arrays';
  }

  /** Convert the arrays to the way a graph carries them (its {@link StepGraph.scales}; absent: as is). */
  private represent(want: ReadonlyMap<string, number>): void {
    for (const n of new Set([...this.scales.keys(), ...want.keys()])) {
      const cur = this.scales.get(n) ?? 1, next = want.get(n) ?? 1;
      if (cur === next) continue;
      const f = cur / next;
      this.arrays.set(n, (this.arrays.get(n) as Float32Array).map((x) => x * f));
      if (next === 1) this.scales.delete(n);
      else this.scales.set(n, next);
    }
  }

  /** Count one step in the optimizer (as an eager step would) and return the per-step scalars of that step, in input order. */
  private nextScalars(g: OrtGraph): number[] {
    const k = coreOptimizer(this.optimizer).hostStep(g.gradParams);
    if (!k) throw new TrainStepCompileError(`the optimizer "${this.optimizer.name}"`, 'it no longer declares its per-step scalars (its state was reset?)');
    return g.scalars.map((sl) => k.get(sl.owner)![sl.seq]!);
  }

  /** How k steps share one call: `multiStep`, by default unrolled on webgpu (no Loop kernel there) and a Loop elsewhere. */
  private multiStep(): 'loop' | 'unroll' {
    return this.opts.multiStep ?? (this.opts.device === 'webgpu' ? 'unroll' : 'loop');
  }

  private async loopFor(g: OrtGraph, k: number): Promise<{ session: ort.InferenceSession; graph: LoopGraph }> {
    let l = g.loops.get(k);
    if (!l) {
      const unroll = this.multiStep() === 'unroll';
      const graph = unroll ? buildUnrolledGraph(g.step, k) : buildLoopGraph(g.step, k);
      if (process.env.NN_ORT_DUMP) writeFileSync(join(process.env.NN_ORT_DUMP, `train-steps-k${k}${unroll ? '-unrolled' : ''}.onnx`), graph.bytes);
      const s = await this.open(graph.bytes, graph.outputs.flatMap((o) => (o.kind === 'state' ? [o.fetch] : [])));
      g.loops.set(k, (l = { session: s.session, graph }));
    }
    return l;
  }

  /** Run `k` steps in one onnxruntime call (`k` = 1: the step graph itself, else its Loop); returns the k losses. */
  private async ortSteps(g: OrtGraph, k: number, x: { data: Float32Array | Int32Array; batch: number }, y: { data: Float32Array | Int32Array; batch: number }): Promise<Float32Array<ArrayBufferLike>> {
    if (this.fresh === 'tensors') this.load();
    if (this.needsConversion(g.step.scales)) {
      // The GPU copies hold the old representation: bring them home, convert there, upload again.
      await this.flush();
      this.dropDeviceState();
    }
    this.represent(g.step.scales);
    const loop = k === 1 ? undefined : await this.loopFor(g, k);
    const session = loop ? loop.session : g.session;
    const slots = loop ? loop.graph.inputs : g.inputs.map((sl) => ({ ...sl, feed: sl.name }));
    const outs = loop ? loop.graph.outputs : g.outputs.map((o) => ({ ...o, fetch: o.name }));
    const lead = loop ? [k] : [];
    const b = x.batch / k;
    // Each step's random draws and optimizer scalars, in step order (the generators' and counters' order).
    const per = new Map<string, Float32Array | Int32Array>();
    for (let t = 0; t < k; t++) {
      const sc = this.nextScalars(g);
      for (const sl of slots) {
        if (sl.kind !== 'random' && sl.kind !== 'scalar') continue;
        const n = sl.shape.reduce((p, d) => p * d, 1);
        let buf = per.get(sl.feed);
        if (!buf) per.set(sl.feed, (buf = sl.dtype === 'int32' ? new Int32Array(n * k) : new Float32Array(n * k)));
        if (sl.kind === 'random') g.randoms[sl.index]!.draw(buf.subarray(t * n, (t + 1) * n));
        else buf[t] = sc[sl.index]!;
      }
    }
    const feeds: Record<string, ort.Tensor> = {};
    for (const sl of slots) {
      switch (sl.kind) {
        case 'x': feeds[sl.feed] = new ort.Tensor('float32', x.data as Float32Array, [...lead, b, ...this.opts.inputShape]); break;
        case 'y': feeds[sl.feed] = new ort.Tensor(this.yDtype, y.data as Int32Array, [...lead, b, ...this.ySample]); break;
        case 'state': feeds[sl.feed] = this.onDevice.get(sl.name) ?? new ort.Tensor(sl.dtype as 'float32', this.arrays.get(sl.name)! as Float32Array, sl.shape as number[]); break;
        default: feeds[sl.feed] = new ort.Tensor(sl.dtype as 'float32', per.get(sl.feed) as Float32Array, [...lead, ...sl.shape]);
      }
    }
    // Outputs are onnxruntime's own buffers (onnxruntime-node 1.30 hands them to JS without a copy),
    // so the new state arrays simply replace the old ones. Preallocated outputs (written in place)
    // were measured no faster here (FMNIST-MLP Adam, 1 and 32 steps per call).
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
          const old = this.onDevice.get(o.state);
          this.onDevice.set(o.state, t);
          if (old && old !== t) old.dispose();
          this.hostBehind = true;
        } else this.arrays.set(o.state, t.data as Float32Array);
      }
    }
    this.counts.ort += k;
    if (this.hostBehind && this.opts.readbackEachCall) await this.flush();
    return losses;
  }

  /**
   * Run `k` training steps in ONE onnxruntime call (an ONNX Loop over the k batches; on webgpu the step graph unrolled k times): weights and
   * optimizer state cross between JS and onnxruntime once per call instead of once per step, which
   * is what makes a GPU worthwhile (onnxruntime-node keeps outputs on the GPU only for WebGPU). Same results as `k` calls of
   * {@link step}. Each `k` compiles a Loop graph once.
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
      g = await this.graphFor(b);
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
    if (this.hostBehind) throw new TrainStepStateError('invalidate', 'the newest weights are still on the GPU and would be lost');
    this.dropDeviceState();
    this.ctx = undefined;
    this.fresh = 'tensors';
  }

  /** State names whose stored scale differs from what a graph wants. */
  private needsConversion(want: ReadonlyMap<string, number>): boolean {
    for (const n of new Set([...this.scales.keys(), ...want.keys()])) if ((this.scales.get(n) ?? 1) !== (want.get(n) ?? 1)) return true;
    return false;
  }

  /** Forget the GPU copies of the state (after the host arrays or the model's tensors became the newest). */
  private dropDeviceState(): void {
    for (const t of this.onDevice.values()) t.dispose();
    this.onDevice.clear();
    this.hostBehind = false;
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
    if (!this.hostBehind) return;
    const names = [...this.onDevice.keys()].sort();
    const key = names.join('|');
    if (this.readback?.key !== key) {
      await this.readback?.session.release();
      const bytes = buildReadbackGraph(names.map((n) => ({ name: n, dtype: this.onDevice.get(n)!.type, shape: [...this.onDevice.get(n)!.dims] })));
      // Outputs at their default location (the host): onnxruntime copies GPU → CPU itself.
      const s = await openSession(bytes, { device: 'webgpu', where: '<state read-back>' });
      this.readback = { key, session: s.session };
    }
    const feeds = Object.fromEntries(names.map((n) => [readbackNames(n).input, this.onDevice.get(n)!]));
    const out = await this.readback.session.run(feeds);
    for (const n of names) this.arrays.set(n, out[readbackNames(n).output]!.data as Float32Array);
    this.hostBehind = false;
  }

  /**
   * Write the current weights, buffers and optimizer state into the model's tensors.
   *
   * @throws TrainStepStateError when the newest state is still on the GPU (webgpu): `await flush()` first.
   */
  sync(): void {
    if (this.hostBehind) throw new TrainStepStateError('sync', 'the newest weights and optimizer state are on the GPU (device webgpu keeps them there between calls)');
    if (this.fresh !== 'arrays') return;
    noGrad(() => {
      for (const [n, a] of this.arrays) {
        const t = this.tensorsByName.get(n);
        const f = this.scales.get(n) ?? 1;
        if (t) t.assign_(tensor(f === 1 ? a : (a as Float32Array).map((x) => x * f), [...t.shape], { dtype: t.dtype }));
      }
    });
    this.fresh = 'tensors';
    this.synced = new Map([...this.tensorsByName].map(([n, t]) => [n, t.handle]));
  }

  /** {@link flush} and {@link sync}, then free the onnxruntime sessions and GPU buffers. */
  async dispose(): Promise<void> {
    await this.flush();
    this.sync();
    this.dropDeviceState();
    await this.readback?.session.release();
    this.readback = undefined;
    for (const g of this.graphs.values()) {
      if (g.kind !== 'ort') continue;
      await g.session.release();
      for (const l of g.loops.values()) await l.session.release();
    }
    this.graphs.clear();
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
  if (isKerasOptimizer(optimizer) && !optimizer.isBound && [...model.parameters()].length === 0) buildModel(model, opts.inputShape);
  bindIfNeeded(optimizer, model.parameters());
  const engine = new CompiledTrainStep(model, optimizer, resolveLoss(lossSpec), opts);
  if (opts.batchSize !== undefined) await engine.prepare(opts.batchSize);
  return engine;
}
