import { fmtShape, type Shape } from '../dtype';
import { NNError, ValueError } from '../errors';
import { Tensor } from '../tensor';
import { Layer, describeModule, type LayerArgs } from './layer';
import { classNameOf, Module, type CallOptions } from './module';
import { SymbolicTensor, type SymShape } from './symbolic';
import type { Config } from './config';
import { moduleRows, renderSummary, summaryOptions, symStr, type SummaryArg, type SummaryRow } from './summary';
import { functionalConfig, functionalFromConfig, saveModel, sequentialConfig, sequentialFromConfig } from './saving';

interface GraphNode {
  module: Module;
  inputs: SymbolicTensor | readonly SymbolicTensor[];
  options: Readonly<Record<string, unknown>>;
  outputs: SymbolicTensor[];
}

/** Options of {@link Model}. */
export interface ModelArgs {
  inputs: SymbolicTensor | SymbolicTensor[] | Record<string, SymbolicTensor>;
  outputs: SymbolicTensor | SymbolicTensor[] | Record<string, SymbolicTensor>;
  name?: string;
}

/**
 * A functional model: the graph of layer calls from `inputs` to `outputs` (any DAG: several
 * inputs and outputs, tensors used many times, shared layers). It is itself a Layer: callable,
 * nestable, trainable with `fit`.
 */
export class FunctionalModel extends Layer {
  /** The registered (saved) class name, explicit so bundlers that rename classes cannot change it. */
  static override className = 'Functional';
  readonly inputs: SymbolicTensor[];
  readonly outputs: SymbolicTensor[];
  readonly outputNames: string[] | null;
  readonly inputNames: string[] | null;
  /** @internal */ nodes: GraphNode[];
  /** The distinct layers (modules) in call order. */
  readonly layers: Module[];

  constructor(args: ModelArgs) {
    super(args.name ? { name: args.name } : {});
    const asList = (v: ModelArgs['inputs']): [SymbolicTensor[], string[] | null] =>
      v instanceof SymbolicTensor ? [[v], null] : Array.isArray(v) ? [v, null] : [Object.values(v), Object.keys(v)];
    [this.inputs, this.inputNames] = asList(args.inputs);
    [this.outputs, this.outputNames] = asList(args.outputs);
    this._multiOut = !(args.outputs instanceof SymbolicTensor);
    this._multiIn = !(args.inputs instanceof SymbolicTensor);
    for (const t of [...this.inputs, ...this.outputs]) {
      if (!(t instanceof SymbolicTensor)) throw new ValueError('Model: inputs and outputs must be symbolic tensors (from Input() and layer calls).', this.name);
    }
    // Walk back from the outputs, collecting nodes in topological order.
    const nodes = new Map<string, GraphNode>();
    const order: GraphNode[] = [];
    const visiting = new Set<SymbolicTensor>();
    const inputSet = new Set(this.inputs);
    const visit = (t: SymbolicTensor): void => {
      if (inputSet.has(t)) return;
      if (!t.node) {
        throw new ValueError(`Model: output depends on ${t.name}, an Input that is not among the model's inputs (${this.inputs.map((i) => i.name).join(', ')}).`, this.name);
      }
      if (visiting.has(t)) return;
      visiting.add(t);
      const ins = Array.isArray(t.node.inputs) ? t.node.inputs : [t.node.inputs as SymbolicTensor];
      for (const i of ins) visit(i);
      const key = nodeKey(t);
      let n = nodes.get(key);
      if (!n) {
        n = { module: t.node.module, inputs: t.node.inputs, options: t.node.options, outputs: [] };
        nodes.set(key, n);
        order.push(n);
      }
      n.outputs[t.node.outputIndex] = t;
    };
    for (const t of this.outputs) visit(t);
    this.nodes = order;
    const layers: Module[] = [];
    for (const n of order) if (!layers.includes(n.module)) layers.push(n.module);
    this.layers = layers;
    const seen = new Map<string, number>();
    layers.forEach((m, i) => {
      if (!(m instanceof Layer)) return;
      const j = seen.get(m.name);
      if (j !== undefined) {
        throw new ValueError(`Model: two different layers are named "${m.name}" (model.layers[${j}] and model.layers[${i}]); layer names must be unique within a model (they name its weights).`, this.name);
      }
      seen.set(m.name, i);
      m._path = `model.layers[${i}]`;
    });
    this.built = true;
  }
  /** @internal Whether outputs were given as a list or dict (so calls return one). */
  readonly _multiOut: boolean;
  /** @internal */
  readonly _multiIn: boolean;

  /** The graph as JSON: distinct layers with their configs, the inputs, every call and the outputs. */
  override getConfig(): Config {
    return functionalConfig(this);
  }
  /** Rebuild a functional model from {@link getConfig} (fresh weights; see {@link loadModel} for saved ones). */
  static override fromConfig(config: Config): FunctionalModel {
    return functionalFromConfig(config);
  }
  /**
   * Save to a folder: `config.json` (the graph) and `model.safetensors` (the weights); reload with
   * `loadModel(dir)`.
   */
  save(dir: string): Promise<void> {
    return saveModel(this, dir);
  }

  override *namedChildren(): Generator<[string, Module]> {
    for (const m of this.layers) yield [m instanceof Layer ? m.name : `${classNameOf(m.constructor as never).toLowerCase()}_${m._uid}`, m];
  }

  /** A layer by name (Keras `get_layer`). */
  getLayer(name: string): Module {
    const m = this.layers.find((l) => l instanceof Layer && l.name === name);
    if (!m) throw new ValueError(`No layer named "${name}". Layers: ${this.layers.map((l) => (l instanceof Layer ? l.name : classNameOf(l.constructor as never))).join(', ')}.`, this.name);
    return m;
  }

  override call(inputs: Tensor | Tensor[] | Record<string, Tensor>, opts: CallOptions = {}): Tensor | Tensor[] | Record<string, Tensor> {
    const list = inputs instanceof Tensor ? [inputs] : Array.isArray(inputs) ? inputs : this.inputNames ? this.inputNames.map((n) => (inputs as Record<string, Tensor>)[n]!) : Object.values(inputs);
    if (list.length !== this.inputs.length) {
      throw new ValueError(`${this.describe()} expects ${this.inputs.length} input(s) (${this.inputs.map((i) => i.name).join(', ')}), got ${list.length}.`, this.name);
    }
    const values = new Map<SymbolicTensor, Tensor>();
    this.inputs.forEach((s, i) => {
      const t = list[i]!;
      if (!(t instanceof Tensor)) throw new ValueError(`${this.describe()}: input ${i} is not a Tensor.`, this.name);
      const want = s.shape;
      if (t.rank !== want.length || want.some((d, k) => d !== null && d !== t.shape[k])) {
        throw new ValueError(`${this.describe()} input "${s.name}" expected shape ${fmtShape(want.map((d) => d ?? -1)).replace(/-1/g, 'None')}, got ${fmtShape(t.shape)}.`, this.name);
      }
      values.set(s, t);
    });
    for (const n of this.nodes) {
      const args = Array.isArray(n.inputs) ? (n.inputs as SymbolicTensor[]).map((s) => values.get(s)!) : values.get(n.inputs as SymbolicTensor)!;
      const callOpts = { ...n.options, ...(opts.training !== undefined ? { training: opts.training } : {}) };
      const y = n.module instanceof Layer ? n.module(args, callOpts) : n.module(args);
      const ys: Tensor[] = Array.isArray(y) ? y : [y as Tensor];
      n.outputs.forEach((s, i) => s && values.set(s, ys[i]!));
    }
    const outs = this.outputs.map((s) => values.get(s)!);
    if (this.outputNames) return Object.fromEntries(this.outputNames.map((n, i) => [n, outs[i]!]));
    return this._multiOut ? outs : outs[0]!;
  }

  override computeOutputShape(): SymShape | SymShape[] {
    return this._multiOut ? this.outputs.map((o) => o.shape) : this.outputs[0]!.shape;
  }

  /**
   * Rows of {@link summary}: one per input and per call (a shared layer appears once per call, its
   * parameters counted at the first), with the output shape and, Keras-style, where the call's
   * inputs come from (`layer[call][output]`).
   */
  summaryRows(): SummaryRow[] {
    const label = new Map<SymbolicTensor, string>();
    const rows: SummaryRow[] = this.inputs.map((i) => {
      label.set(i, `${i.name}[0][0]`);
      return { layer: `${i.name} (InputLayer)`, outputShape: symStr(i.shape), params: 0, connectedTo: '-' };
    });
    const calls = new Map<Module, number>();
    for (const n of this.nodes) {
      const k = calls.get(n.module) ?? 0;
      calls.set(n.module, k + 1);
      const name = n.module instanceof Layer ? n.module.name : classNameOf(n.module.constructor as never).toLowerCase();
      const ins = Array.isArray(n.inputs) ? (n.inputs as SymbolicTensor[]) : [n.inputs as SymbolicTensor];
      rows.push({
        layer: `${name} (${classNameOf(n.module.constructor as never)})`, outputShape: n.outputs.map((o) => symStr(o.shape)).join(', '),
        params: k === 0 ? n.module.numParameters() : 0, connectedTo: ins.map((t) => label.get(t) ?? t.name).join(', '),
      });
      n.outputs.forEach((o, i) => o && label.set(o, `${name}[${k}][${i}]`));
    }
    return rows;
  }

  /**
   * Print (and return) the Keras summary table: layer (type), output shape, parameter count,
   * inputs of each call, and the totals (trainable vs non-trainable).
   *
   * @param opts - A print function, or {@link SummaryOptions}. @default console.log
   */
  summary(opts?: SummaryArg): string {
    return renderSummary(this, this.summaryRows(), summaryOptions(opts).print);
  }
}

const nodeKey = (t: SymbolicTensor): string => {
  const n = t.node!;
  const ins = (Array.isArray(n.inputs) ? n.inputs : [n.inputs as SymbolicTensor]).map((i) => i.id).join(',');
  return `${n.module._uid}|${ins}|${JSON.stringify(n.options)}`;
};

/**
 * Keras `Sequential`: layers applied in order. Give the first layer an `inputShape` (or start the
 * list with an `Input`) to build it at once; otherwise it builds on the first call.
 */
export class Sequential extends Layer {
  /** The registered (saved) class name, explicit so bundlers that rename classes cannot change it. */
  static override className = 'Sequential';
  readonly layers: Module[] = [];
  private inputSym: SymbolicTensor | null = null;
  private outShapes: SymShape[] = [];

  constructor(layers: Array<Module | SymbolicTensor> = [], args: LayerArgs = {}) {
    super(args);
    for (const l of layers) this.add(l);
  }

  /** Append a layer (or, first, an `Input`). */
  add(layer: Module | SymbolicTensor): this {
    if (layer instanceof SymbolicTensor) {
      if (this.layers.length) throw new ValueError('Sequential: an Input can only come first.', this.name);
      this.inputSym = layer;
      return this;
    }
    if (!(layer instanceof Module)) throw new ValueError(`Sequential.add: expected a layer or module, got ${typeof layer}.`, this.name);
    if (layer instanceof Layer) {
      const j = this.layers.findIndex((l) => l instanceof Layer && l.name === layer.name);
      if (j >= 0) {
        throw new ValueError(`Sequential.add: ${this.name}.layers[${j}] is already named "${layer.name}"; layer names must be unique within a model (they name its weights).`, this.name);
      }
      layer._path = `${this.name}.layers[${this.layers.length}]`;
    }
    this.layers.push(layer);
    if (this.layers.length === 1 && !this.inputSym && layer instanceof Layer && layer.inputShapeArg) {
      this.inputSym = new SymbolicTensor([null, ...layer.inputShapeArg], 'float32', null, 'input_layer');
    }
    if (this.inputSym) this.buildSymbolic();
    return this;
  }

  private buildSymbolic(): void {
    let h: SymbolicTensor = this.inputSym!;
    this.outShapes = [];
    for (const l of this.layers) {
      h = l(h) as SymbolicTensor;
      this.outShapes.push(h.shape);
    }
    this.built = true;
  }

  override build(inputShape: Shape): void {
    if (!this.inputSym) {
      this.inputSym = new SymbolicTensor([null, ...inputShape.slice(1)], 'float32', null, 'input_layer');
      this.buildSymbolic();
    }
  }

  /** @internal The input shape (with batch) once known. */
  _inputShape(): SymShape | null {
    return this.inputSym?.shape ?? null;
  }
  /** The layers' configs in order, and the input shape once known. */
  override getConfig(): Config {
    return sequentialConfig(this);
  }
  /** Rebuild from {@link getConfig} (fresh weights; see {@link loadModel} for saved ones). */
  static override fromConfig(config: Config): Sequential {
    return sequentialFromConfig(config);
  }
  /** Save to a folder: `config.json` and `model.safetensors`; reload with `loadModel(dir)`. */
  save(dir: string): Promise<void> {
    return saveModel(this, dir);
  }

  override *namedChildren(): Generator<[string, Module]> {
    for (let i = 0; i < this.layers.length; i++) {
      const m = this.layers[i]!;
      yield [m instanceof Layer ? m.name : String(i), m];
    }
  }

  override call(x: Tensor, opts: CallOptions = {}): Tensor {
    let h = x;
    for (const l of this.layers) h = (l instanceof Layer ? l(h, opts) : l(h)) as Tensor;
    return h;
  }

  /**
   * Print (and return) the Keras summary table. An unbuilt model lists its layers with shape '?'
   * and parameters 0 (unbuilt) — unless `inputShape` (with the batch axis) is given, which builds it.
   *
   * @param opts - A print function, or {@link SummaryOptions}. @default console.log
   */
  summary(opts?: SummaryArg): string {
    const o = summaryOptions(opts);
    if (!this.inputSym && o.inputShape) this.build(o.inputShape as Shape);
    const rows = this.layers.map((l, i) => ({
      layer: `${l instanceof Layer ? l.name : String(i)} (${classNameOf(l.constructor as never)})`,
      outputShape: this.outShapes[i] ? symStr(this.outShapes[i]!) : '? (unbuilt)',
      params: l.numParameters(),
    }));
    return renderSummary(this, rows, o.print);
  }
}

/**
 * Make a functional model (Keras `keras.Model(inputs, outputs)`).
 *
 * @example
 * ```ts
 * const inputs = Input({ shape: [784] });
 * const x1 = layers.Dense(64, { activation: 'relu' })(inputs);
 * const x2 = layers.Dense(128, { activation: 'relu' })(inputs);
 * const outputs = layers.Dense(10)(layers.Concatenate()([x1, x2]));
 * const model = Model({ inputs, outputs });
 * ```
 */
export function Model(args: ModelArgs): FunctionalModel {
  return new FunctionalModel(args);
}

/**
 * Print (and return) a summary of any model or module. Keras models print their own table; a
 * PyTorch-style module lists its submodules (indented, to `depth` levels) with parameter counts and,
 * given `inputShape` (with the batch axis), the output shape of each from one dummy forward pass
 * in inference mode (as torchinfo does).
 *
 * @param m - A Sequential, functional model, layer or nn.Module.
 * @param opts - A print function, or {@link SummaryOptions}. @default console.log
 * @example
 * ```ts
 * summary(net, { inputShape: [1, 1, 28, 28] });
 * ```
 */
export function summary(m: Module, opts?: SummaryArg): string {
  if (m instanceof FunctionalModel || m instanceof Sequential) return m.summary(opts);
  const o = summaryOptions(opts);
  return renderSummary(m, moduleRows(m, o), o.print);
}

export { describeModule, NNError };

export type { SummaryRow, SummaryOptions, SummaryArg } from './summary';
