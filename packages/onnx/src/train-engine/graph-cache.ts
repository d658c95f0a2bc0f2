import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as ort from 'onnxruntime-node';
import { isLayer, NNError, type DType, type Optimizer, type RandomHost, type Tensor } from '@nn/core';
import { DeviceError, OnnxFormatError, UnsupportedOpError } from '../errors';
import type { LoweringTarget } from '../export/lower-webgpu';
import { cudaProviderInstalled, openSession, type RunDevice } from '../runtime/open-session';
import { TrainStepCompileError } from './errors';
import { buildStepGraph, type InputSlot, type OutputSlot, type StepGraph } from './graph';
import { reseedRandomNodes } from './graph-random';
import { buildLoopGraph, type LoopGraph } from './loop';
import { multiStepOf, type CompileTrainStepOptions } from './options';
import { coreOptimizer, hyperKey } from './optim-state';
import { planStep, type ScalarSlot } from './step-plan';
import { traceForward, type TrainableModel } from './step-trace';
import type { TrainState } from './train-state';
import { buildUnrolledGraph } from './unroll';

/** Diagnostics of one compiled graph (see {@link CompiledTrainStep.graphInfo}). */
export interface GraphInfo {
  nodes: number;
  device: RunDevice;
  /** Why it runs on `device` when that is not what was asked for (`'auto'` on CPU: why not CUDA). */
  deviceReason?: string;
  /** Random tensors (dropout masks, noise …) drawn in JS per step, from the same generators and in the same order as eager steps. */
  masks: number;
  /** Random tensors generated inside the graph by onnxruntime (`randomness: 'graph'`; not the numbers eager steps would draw). */
  graphRandoms: number;
  /** Optimizer scalars fed per step (learning rates, bias corrections, from `optimizer.hostStep()`). */
  scalars: number;
  /** Parameters whose Adam moments the graph carries scaled (3 passes fewer per update; see `adam-scale.ts`). */
  scaledMoments: number;
  /** Row chunks the forward and backward run in (see `CompileTrainStepOptions.batchChunks`; 1: the whole batch at once). */
  chunks: number;
}

/** A step compiled for onnxruntime: its session and what each input and output is. */
export interface OrtGraph {
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
  /** Row chunks of the forward and backward (1: none). */
  readonly chunks: number;
  /** The optimizer's other hyperparameters when compiled (a change recompiles). */
  readonly hyper: string;
  /** The step graph (for K-step graphs) and the K-step (Scan or unrolled) sessions made from it, by K. */
  readonly step: StepGraph;
  readonly loops: Map<number, { session: ort.InferenceSession; graph: LoopGraph }>;
  /** The step graph's inputs and outputs as a one-step call feeds and fetches them (by their own names), in the K-step graphs' form. */
  readonly single: Pick<LoopGraph, 'inputs' | 'outputs'>;
}
/** A cache entry: a compiled graph, or why that batch size / mode runs eagerly. */
export type Compiled = OrtGraph | { readonly kind: 'eager'; readonly reason: string };

/** An inference graph (see {@link GraphCache.inferFor}): its session and inputs (`x`, then parameters and buffers). */
export interface InferGraph {
  readonly session: ort.InferenceSession;
  readonly inputs: readonly InputSlot[];
}

/**
 * The compiled graphs of a step, one per batch size and mode (`batch|mode` key): each step graph's
 * onnxruntime session, the k-step (Scan or unrolled) sessions made from it, or why that shape runs
 * eagerly. A change of the optimizer's compiled-in hyperparameters recompiles.
 */
export class GraphCache {
  private readonly graphs = new Map<string, Compiled>();
  private readonly info: Record<string, GraphInfo> = {};

  constructor(
    private readonly model: TrainableModel,
    private readonly optimizer: Optimizer,
    private readonly opts: CompileTrainStepOptions,
    private readonly state: TrainState,
    private readonly ySample: readonly number[],
    private readonly yDtype: 'int32' | 'float32',
  ) {}

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

  private shapes(batch: number) {
    return { x: { shape: [batch, ...this.opts.inputShape], dtype: 'float32' as DType }, y: { shape: [batch, ...this.ySample], dtype: this.yDtype as DType } };
  }

  /** Trace the step once (see {@link planStep}) and open its session. */
  private async compile(batch: number): Promise<OrtGraph> {
    const ctx = this.state.context();
    const opt = coreOptimizer(this.optimizer);
    const { x, y } = this.shapes(batch);
    const { step: g, chunks, randoms, scalars, gradParams } = planStep(ctx, opt, {
      x, y, training: this.layerTraining(), opset: this.opts.opset ?? 17, target: this.target(), randomness: this.opts.randomness ?? 'exact',
      batchChunks: this.opts.batchChunks ?? (this.onGpu() ? 1 : 'auto'),
    });
    // NN_ORT_DUMP=dir writes each compiled step graph there (for netron / onnx.checker).
    if (process.env.NN_ORT_DUMP) writeFileSync(join(process.env.NN_ORT_DUMP, `train-step-b${batch}.onnx`), g.bytes);
    const s = await this.open(g.bytes, g.outputs.flatMap((o) => (o.kind === 'state' ? [o.name] : [])));
    return {
      kind: 'ort', session: s.session, device: s.device, ...(s.fallbackReason ? { deviceReason: s.fallbackReason } : {}), step: g, loops: new Map(), hyper: hyperKey(opt), inputs: g.inputs, outputs: g.outputs,
      single: { inputs: g.inputs.map((sl) => ({ ...sl, feed: sl.name })), outputs: g.outputs.map((o) => ({ ...o, fetch: o.name })) },
      randoms, scalars, gradParams, nodeCount: g.nodeCount, chunks,
    };
  }

  /** The step may run on a GPU (webgpu, CUDA, or 'auto' with CUDA's provider installed): big batches suit it, no row chunks. */
  private onGpu(): boolean {
    const d = this.opts.device ?? 'auto';
    return d === 'webgpu' || d === 'cuda' || (d === 'auto' && cudaProviderInstalled().installed);
  }

  private target(): LoweringTarget {
    return this.opts.target ?? (this.opts.device === 'webgpu' ? 'webgpu' : this.onGpu() ? 'default' : 'cpu');
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
      spinWait: this.opts.spinWait,
      where: '<train step>',
      wrap: (e) => new OnnxFormatError('<train step>', `onnxruntime could not load the compiled step: ${(e as Error).message}`),
      ...(this.stateOnDevice() ? { preferredOutputLocation: Object.fromEntries(stateOutputs.map((n) => [n, 'gpu-buffer' as const])) } : {}),
    });
  }

  /** 'train' / 'eval', or each module's flag when they differ (e.g. a frozen batch norm in eval mode). */
  modeKey(): string {
    return this.trainingKey() + this.frozenKey();
  }

  private trainingKey(): string {
    if (isLayer(this.model)) return this.layerTraining() ? 'train' : 'eval';
    const flags = [...(this.model.modules?.() ?? [this.model])].map((m) => ((m as { training?: boolean }).training ? 1 : 0));
    return flags.every((f) => f === 1) ? 'train' : flags.every((f) => f === 0) ? 'eval' : flags.join('');
  }

  /** Which parameters were frozen when the first graph was keyed (see {@link frozenKey}). */
  private frozenAtStart: string | undefined;

  /**
   * Which parameters are frozen (`trainable = false`, `requiresGrad_(false)`, or made non-trainable
   * such as moving statistics), when that differs from the start: a step graph leaves frozen weights
   * out of the update (and a frozen Keras BatchNormalization runs in inference mode), so freezing or
   * unfreezing between steps compiles another graph. Keys stay `batch|mode` while nothing changes.
   */
  private frozenKey(): string {
    const frozen = [...this.model.namedParameters()].map(([, p]) => ((p as { trainable?: boolean }).trainable === false || !p.requiresGrad ? 1 : 0)).join('');
    this.frozenAtStart ??= frozen;
    return frozen === this.frozenAtStart ? '' : `|frozen:${frozen}`;
  }

  /** The `training` flag passed to a Keras model's call. */
  layerTraining(): boolean {
    return this.opts.training ?? true;
  }

  /** The graph of a batch size in the current mode, compiled on first use; `null` while the optimizer has no state yet (that step runs eagerly). */
  async graphFor(batch: number): Promise<Compiled | null> {
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
    await this.state.flush();
    if (this.state.fresh === 'arrays') this.state.sync();
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
      this.info[key] = { nodes: g.nodeCount, device: g.device, ...(g.deviceReason ? { deviceReason: g.deviceReason } : {}), masks: g.randoms.length, graphRandoms: g.step.inGraphRandoms, scalars: g.scalars.length, scaledMoments: g.step.scales.size / 2, chunks: g.chunks };
    }
    return g;
  }


  /** The k-step session of a step graph (a Scan, or the graph unrolled k times), built on first use. */
  async loopFor(g: OrtGraph, k: number): Promise<{ session: ort.InferenceSession; graph: LoopGraph }> {
    let l = g.loops.get(k);
    if (!l) {
      const unroll = multiStepOf(this.opts) === 'unroll';
      let graph = unroll ? buildUnrolledGraph(g.step, k) : buildLoopGraph(g.step, k);
      // In-graph generators: a seed per copy (unrolled) and per k, so no two sessions draw the same stream.
      if (g.step.inGraphRandoms > 0) graph = { ...graph, bytes: reseedRandomNodes(graph.bytes, k) };
      if (process.env.NN_ORT_DUMP) writeFileSync(join(process.env.NN_ORT_DUMP, `train-steps-k${k}${unroll ? '-unrolled' : ''}.onnx`), graph.bytes);
      const s = await this.open(graph.bytes, graph.outputs.flatMap((o) => (o.kind === 'state' ? [o.fetch] : [])));
      g.loops.set(k, (l = { session: s.session, graph }));
    }
    return l;
  }

  /** Inference graphs by batch size (null: the forward could not be compiled). */
  private readonly inferGraphs = new Map<number, InferGraph | null>();

  /**
   * The inference graph for a batch size: the model's forward in inference mode (Keras layers with
   * `training: false`, PyTorch-door modules switched to eval while it is traced), its parameters and
   * buffers as inputs. Null when that forward cannot be compiled (the caller runs it eagerly).
   */
  async inferFor(batch: number): Promise<InferGraph | null> {
    const hit = this.inferGraphs.get(batch);
    if (hit !== undefined) return hit;
    const ctx = this.state.context();
    const mods = [...(this.model.modules?.() ?? [this.model])] as { training?: boolean }[];
    const modes = mods.map((m) => m.training);
    let graph: StepGraph;
    try {
      for (const m of mods) m.training = false;
      const { trace, predId } = traceForward(ctx, this.shapes(batch).x);
      graph = buildStepGraph({ trace, predId, stateNames: new Set(ctx.named.map(([n]) => n)), randomIds: [], scalarIds: [], opset: this.opts.opset ?? 17, target: this.target() });
    } catch (e) {
      if (!(e instanceof NNError)) throw e;
      this.inferGraphs.set(batch, null);
      return null;
    } finally {
      mods.forEach((m, i) => (m.training = modes[i]));
    }
    const s = await this.open(graph.bytes, []);
    const g: InferGraph = { session: s.session, inputs: graph.inputs };
    this.inferGraphs.set(batch, g);
    return g;
  }

  /** Free every session. */
  async release(): Promise<void> {
    for (const g of this.graphs.values()) {
      if (g.kind !== 'ort') continue;
      await g.session.release();
      for (const l of g.loops.values()) await l.session.release();
    }
    this.graphs.clear();
    for (const g of this.inferGraphs.values()) await g?.session.release();
    this.inferGraphs.clear();
  }
}
