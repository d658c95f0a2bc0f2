import { BRANDS } from '../brand';
import { fmtShape, type DType, type Shape } from '../dtype';
import { engine, noGrad, scope } from '../engine';
import { NNError, ValueError } from '../errors';
import * as o from '../ops';
import { Tensor } from '../tensor';
import { regConfig, reviveArgs, type Config } from './config';
import { getInitializer, type InitializerSpec } from './initializers';
import { classNameOf, inModule, LayerInputError, Module, ownTrainable, Parameter, setSymbolicHook, type CallOptions } from './module';
import type { Regularizer } from './regularizers';
import { hasSymbolic, SymbolicTensor, type SymShape } from './symbolic';

/** Options every Keras-style layer takes. */
export interface LayerArgs {
  /** Layer name; defaults to the snake_case class name with a counter ('dense', 'dense_1', …). */
  name?: string;
  /** @default true */
  trainable?: boolean;
  /** Input shape without the batch axis (Keras `input_shape`), for the first layer of a Sequential. */
  inputShape?: readonly (number | null)[];
  /** Regularizer on the layer's output, divided by the batch size (Keras `activity_regularizer`). */
  activityRegularizer?: Regularizer;
  /** @default 'float32' */
  dtype?: DType;
}

/** Options of {@link Layer.addWeight}. */
export interface AddWeightOptions {
  shape: Shape;
  /** @default 'glorotUniform' (Keras's default for add_weight is glorot_uniform for floats) */
  initializer?: InitializerSpec;
  regularizer?: Regularizer;
  /** @default true */
  trainable?: boolean;
  name?: string;
  dtype?: DType;
  constraint?: (w: Tensor) => Tensor;
}

const nameCounts = new Map<string, number>();
/** An explicit name like 'dense' or 'dense_3' moves the counter past it, so later automatic names never collide with it (e.g. after loadModel). */
function reserveName(name: string): void {
  const m = /^(.*?)(?:_(\d+))?$/.exec(name)!;
  const base = m[1]!, n = m[2] === undefined ? 0 : Number(m[2]);
  if ((nameCounts.get(base) ?? 0) <= n) nameCounts.set(base, n + 1);
}
function uniqueName(base: string): string {
  const n = nameCounts.get(base) ?? 0;
  nameCounts.set(base, n + 1);
  return n === 0 ? base : `${base}_${n}`;
}
/** Keras's `to_snake_case`: `Conv2D` → `conv2d`, `MaxPooling2D` → `max_pooling2d`, `LeakyReLU` → `leaky_re_lu`. */
export const snake = (s: string) => s.replace(/(.)([A-Z][a-z]+)/g, '$1_$2').replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();

/** Reset the automatic layer-name counters (tests). */
export function resetLayerNames(): void {
  nameCounts.clear();
}

/**
 * The Keras-style layer: weights made with `addWeight`, lazy `build(inputShape)` on the first call,
 * `call(inputs, {training})`. A Layer is a Module, so it sits in PyTorch-style modules too.
 *
 * Keras semantics for the mode: a layer runs in inference mode unless `training: true` is passed,
 * or the model was switched with `train()` (which `fit` does).
 *
 * @example
 * ```ts
 * class MyLinear extends Layer {
 *   w: Tensor; b: Tensor;
 *   constructor(units = 32, inputDim = 32) {
 *     super();
 *     this.w = this.addWeight({ shape: [inputDim, units], initializer: 'randomNormal' });
 *     this.b = this.addWeight({ shape: [units], initializer: 'zeros' });
 *   }
 *   call(inputs: Tensor) { return inputs.matmul(this.w).add(this.b); }
 * }
 * ```
 */
export class Layer extends Module {
  /** @internal Brand (see `isLayer`). */
  get [BRANDS.layer](): true {
    return true;
  }
  /**
   * The name under which the class is registered and saved (Keras `class_name`); defaults to the
   * JavaScript class name. Also the base of default layer names (snake_case).
   */
  static className?: string;
  override training = false;
  /** The layer's name (unique per process unless given). */
  override name: string;
  /** Whether build() has run. */
  built = false;
  /** @internal Backing field of {@link trainable}. */
  _trainable!: boolean;
  activityRegularizer?: Regularizer;
  /** Input shape given at construction (without batch). */
  readonly inputShapeArg?: readonly (number | null)[];
  readonly dtype: DType;
  /** @internal Weights made by addWeight, with their names. */
  _weights!: [string, Parameter][];
  /** @internal Activity penalties of the last call. */
  _activityLosses!: Tensor[];
  /** @internal Where this layer sits in a model, for error messages ('model.layers[3]'). */
  _path?: string;

  constructor(args: LayerArgs = {}) {
    super();
    Object.defineProperty(this, '_weights', { value: [], writable: true, enumerable: false });
    Object.defineProperty(this, '_activityLosses', { value: [], writable: true, enumerable: false });
    Object.defineProperty(this, '_trainable', { value: true, writable: true, enumerable: false });
    if (args.name !== undefined) reserveName(args.name);
    this.name = args.name ?? uniqueName(snake(classNameOf(new.target)));
    this._trainable = args.trainable ?? true; // no weights or sublayers yet: nothing to propagate
    if (args.activityRegularizer) this.activityRegularizer = args.activityRegularizer;
    if (args.inputShape) this.inputShapeArg = args.inputShape;
    this.dtype = args.dtype ?? 'float32';
  }

  /** Whether its weights are trained (Keras `layer.trainable`). */
  get trainable(): boolean {
    return this._trainable;
  }
  /**
   * Freeze (`false`) or unfreeze this layer and every layer inside it, as Keras's
   * `layer.trainable = False`: their weights leave `trainableWeights` and `parameters()`, get no
   * gradient and are not updated (compile again to bind a new Keras optimizer to the rest, as in
   * Keras), and a `BatchNormalization` runs in inference mode (moving statistics used, not updated).
   * Weights made non-trainable (`addWeight({ trainable: false })`: moving statistics) stay so when
   * unfrozen. Also applies to parameters of PyTorch-door modules inside the layer.
   * @example
   * ```ts
   * base.trainable = false;   // transfer learning: train only the new head
   * model.compile({ optimizer: optimizers.Adam(), loss: 'sparseCategoricalCrossentropy' });
   * ```
   */
  set trainable(value: boolean) {
    this._trainable = value;
    for (const m of this.modules()) if (m !== this && m instanceof Layer) m._trainable = value;
    this.requiresGrad_(value);
  }

  /** Make a weight (Keras `add_weight`). Non-trainable weights are state such as moving averages. */
  addWeight(opts: AddWeightOptions): Parameter {
    const init = getInitializer(opts.initializer, 'glorotUniform');
    const own = opts.trainable ?? true;
    const trainable = own && this.trainable;
    const value = noGrad(() => scope(() => init(opts.shape, opts.dtype ?? this.dtype).cast(opts.dtype ?? this.dtype)));
    const p = new Parameter(value, trainable);
    ownTrainable.set(p, own);
    p.trainable = trainable;
    const name = opts.name ?? `weight_${this._weights.length}`;
    p.name = `${this.name}/${name}`;
    if (opts.regularizer) p.regularizer = opts.regularizer;
    if (opts.constraint) p.constraint = opts.constraint;
    this._weights.push([name, p]);
    return p;
  }

  override *ownParameters(): Generator<[string, Parameter]> {
    const seen = new Set<Parameter>();
    for (const [k, p] of super.ownParameters()) {
      seen.add(p);
      yield [k, p];
    }
    for (const [k, p] of this._weights) if (!seen.has(p)) yield [k, p];
  }

  /** Create weights once the input shape is known. Override in layers whose weights depend on it. */
  build(inputShape: Shape | Shape[]): void {
    void inputShape;
  }

  /** The layer's computation. Override it (Keras door). */
  override call(inputs: any, options?: CallOptions): any {
    void inputs;
    void options;
    throw new NNError(`${classNameOf(this.constructor as never)}.call() is not implemented.`, this.name, 'Override call(inputs, { training }) in your layer.');
  }

  /** Output shape for an input shape (null batch allowed). Default: run the layer on zeros. */
  computeOutputShape(inputShape: SymShape | SymShape[]): SymShape | SymShape[] {
    return inferOutputShape(this, inputShape);
  }

  /** Check an input before calling (rank, sizes). Override or set expectations in build(). */
  checkInput(shape: Shape): void {
    void shape;
  }

  /**
   * The layer's configuration: every constructor argument as JSON (initializers by name or
   * `{className, config}`, regularizers as `{className: 'L1L2', config}`), so that
   * `Cls.fromConfig(layer.getConfig())` builds an equivalent layer. Subclasses extend it.
   *
   * @example
   * ```ts
   * const d = layers.Dense(4, { activation: 'relu' });
   * const copy = Dense.fromConfig(d.getConfig());
   * ```
   */
  getConfig(): Config {
    return {
      name: this.name, trainable: this.trainable, dtype: this.dtype,
      ...(this.inputShapeArg ? { inputShape: [...this.inputShapeArg] } : {}),
      ...(this.activityRegularizer ? { activityRegularizer: regConfig(this.activityRegularizer, this.describe()) } : {}),
    };
  }

  /**
   * Build a layer from {@link getConfig}'s output (Keras `from_config`). The default passes the
   * revived config as the constructor's single options argument; layers with positional
   * arguments override it.
   */
  static fromConfig(config: Config): Layer {
    return new (this as unknown as new (args: Config) => Layer)(reviveArgs(config));
  }

  override forward(inputs: unknown, options: CallOptions = {}): unknown {
    return this.call(inputs, options);
  }

  /** Where the layer is, for messages: `Dense "dense_2" (model.layers[3])`. */
  describe(): string {
    return `${classNameOf(this.constructor as never)} "${this.name}"${this._path ? ` (${this._path})` : ''}`;
  }

  override __call__(...args: unknown[]): unknown {
    if (hasSymbolic(args)) return callSymbolic(this, args);
    const [inputs, opts = {}] = args as [Tensor | Tensor[] | Record<string, Tensor>, CallOptions | undefined];
    // A dict of tensors (functional models with named inputs) is passed through as it is.
    const dict = !Array.isArray(inputs) && !(inputs instanceof Tensor) && inputs !== null && typeof inputs === 'object' && Object.values(inputs).every((v) => v instanceof Tensor);
    if (!Array.isArray(inputs) && !(inputs instanceof Tensor) && !dict) {
      throw new ValueError(`${this.describe()}: expected a Tensor (or an array or dict of Tensors), got ${inputs === null ? 'null' : typeof inputs}.`, this.name);
    }
    const list = dict ? Object.values(inputs) : null;
    const shapes = list ? list.map((t) => t.shape) : Array.isArray(inputs) ? inputs.map((t) => t.shape) : (inputs as Tensor).shape;
    if (!this.built) {
      this.build(shapes as Shape);
      this.built = true;
    }
    if (inputs instanceof Tensor) this.checkInput(inputs.shape);
    const training = opts.training ?? this.training;
    const out = inModule(this, () => {
      const y = this.call(inputs, { ...opts, training }) as Tensor;
      if (this.activityRegularizer && y instanceof Tensor) {
        // Keras divides the activity penalty by the batch size.
        for (const t of this._activityLosses) if (!t.isDisposed && !engine.scopes.length) t.dispose();
        this._activityLosses = [this.activityRegularizer(y).div(y.shape[0] ?? 1)];
      }
      return y;
    });
    if (this._forwardHooks.size) for (const h of this._forwardHooks) h(this, args, out);
    return out;
  }

  /**
   * Regularization penalties: weight regularizers of this layer and its sublayers, and the activity
   * penalties of their last call (Keras `layer.losses`). Add their sum to the loss.
   */
  get losses(): Tensor[] {
    return regularizationLosses(this);
  }

  /** Trainable weights (Keras `trainable_weights`). */
  get trainableWeights(): Parameter[] {
    return this.parameters(true).filter((p) => p.trainable);
  }
  /** Non-trainable weights (Keras `non_trainable_weights`). */
  get nonTrainableWeights(): Parameter[] {
    return this.parameters(true).filter((p) => !p.trainable);
  }
  /** All weights. */
  get weights(): Parameter[] {
    return this.parameters(true);
  }
  /**
   * Copies of the weights' values (Keras `get_weights()`), in {@link weights} order: new tensors
   * that training does not change (dispose them when done, or make them in a `scope`).
   * @param trainableOnly - Only the trainable ones (tfjs `getWeights(true)`). @default false
   * @example
   * ```ts
   * const initial = model.getWeights();  // train with one optimizer, then reset for another
   * await model.fit(x, y, { epochs: 5 });
   * model.setWeights(initial);
   * ```
   */
  getWeights(trainableOnly = false): Tensor[] {
    return (trainableOnly ? this.trainableWeights : this.weights).map((w) => w.detach());
  }

  /**
   * Assign every weight's values (Keras `set_weights()`), in {@link weights} order (what
   * {@link getWeights} returns): tensors, nested number arrays, or flat typed arrays of the weight's
   * size. Each must match its weight's shape; nothing is assigned unless all do.
   */
  setWeights(values: readonly (Tensor | ArrayLike<unknown>)[]): void {
    const ws = this.weights;
    const list = () => ws.map((w) => `${w.name ?? '?'} ${fmtShape(w.shape)}`).join(', ');
    if (values.length !== ws.length) throw new ValueError(`setWeights: ${this.name} has ${ws.length} weights (${list()}); got ${values.length} values.`, 'setWeights');
    const made: Tensor[] = [];
    try {
      const ts = values.map((v, i) => {
        const w = ws[i]!;
        let t: Tensor;
        if (v instanceof Tensor) t = v;
        else {
          const flat = ArrayBuffer.isView(v) && (v as ArrayLike<number>).length === w.size;
          t = o.tensor(v as never, flat ? w.shape : undefined, { dtype: w.dtype });
          made.push(t);
        }
        if (t.shape.length !== w.shape.length || t.shape.some((d, k) => d !== w.shape[k])) {
          throw new ValueError(`setWeights: value ${i} for ${w.name ?? `weight ${i}`} has shape ${fmtShape(t.shape)}; the weight's is ${fmtShape(w.shape)}.`, 'setWeights');
        }
        return t;
      });
      noGrad(() => ws.forEach((w, i) => w.assign_(ts[i]!.dtype === w.dtype ? o.identity(ts[i]!, false) : ts[i]!.cast(w.dtype))));
    } finally {
      for (const t of made) t.dispose();
    }
  }

  /** Number of weight elements (Keras `count_params`). */
  countParams(): number {
    return this.numParameters();
  }
}

/** @internal Raise the standard "wrong input" error for a layer. */
export function inputError(layer: Layer, expected: string, received: Shape, hint?: string): LayerInputError {
  return new LayerInputError(layer.describe(), expected, received, hint);
}

/** Run `m` on zeros shaped like `inputShape` (batch 2 for null) in inference mode to learn its output shape. */
export function inferOutputShape(m: Module, inputShape: SymShape | SymShape[]): SymShape | SymShape[] {
  const multi = Array.isArray(inputShape[0]) || (Array.isArray(inputShape) && inputShape.length > 0 && Array.isArray(inputShape[0]));
  const shapes = (multi ? inputShape : [inputShape]) as SymShape[];
  return noGrad(() => scope(() => {
    const modes = [...m.modules()].map((x) => [x, x.training] as const);
    m.eval();
    try {
      const ins = shapes.map((s) => o.zeros(s.map((d) => d ?? 2)));
      const y = (multi ? m(ins) : m(ins[0])) as Tensor | Tensor[];
      const toSym = (t: Tensor): SymShape => t.shape.map((d, i) => (i === 0 && shapes[0]![0] === null ? null : d));
      return Array.isArray(y) ? y.map(toSym) : toSym(y);
    } finally {
      for (const [x, t] of modes) x.training = t;
    }
  }));
}

/** Calling any module on symbolic tensors records a node and infers the output shape. */
export function callSymbolic(m: Module, args: readonly unknown[]): SymbolicTensor | SymbolicTensor[] {
  const [inputs, options = {}] = args as [SymbolicTensor | SymbolicTensor[], Record<string, unknown> | undefined];
  const list = Array.isArray(inputs) ? inputs : [inputs];
  if (!list.every((t) => t instanceof SymbolicTensor)) {
    throw new ValueError(`Calling ${describeModule(m)} on a mix of symbolic and concrete tensors is not supported.`, describeModule(m));
  }
  let outShape: SymShape | SymShape[];
  try {
    outShape = inferOutputShape(m, Array.isArray(inputs) ? list.map((t) => t.shape) : inputs.shape);
  } catch (e) {
    if (e instanceof NNError) throw e;
    throw new NNError(`${describeModule(m)} failed on input ${list.map((t) => fmtShape(t.shape.map((d) => d ?? -1))).join(', ')}: ${(e as Error).message}`, describeModule(m));
  }
  const base = m instanceof Layer ? m.name : classNameOf(m.constructor as never).toLowerCase();
  if (Array.isArray(outShape[0]) || (Array.isArray(outShape) && Array.isArray(outShape[0]))) {
    const shapes = outShape as SymShape[];
    return shapes.map((s, i) => new SymbolicTensor(s, 'float32', { module: m, inputs, options, outputIndex: i, numOutputs: shapes.length }, `${base}_out${i}`));
  }
  return new SymbolicTensor(outShape as SymShape, 'float32', { module: m, inputs, options, outputIndex: 0, numOutputs: 1 }, `${base}_out`);
}

/** A readable name for any module. */
export function describeModule(m: Module): string {
  return m instanceof Layer ? m.describe() : classNameOf(m.constructor as never);
}

setSymbolicHook({ isSymbolic: hasSymbolic, call: callSymbolic });

/**
 * Every regularization penalty under `root`, each counted once: the weight regularizers of every
 * parameter a module owns, and the activity penalties of every Layer's last call. Works for any
 * module tree (a Keras layer nested anywhere inside an nn.Module); `Layer.losses` and `fit` use it.
 */
export function regularizationLosses(root: Module): Tensor[] {
  const out: Tensor[] = [];
  for (const m of root.modules()) {
    for (const [, p] of m.ownParameters()) if (p.regularizer) out.push(p.regularizer(p));
    if (m instanceof Layer) out.push(...m._activityLosses.filter((t) => !t.isDisposed));
  }
  return out;
}
