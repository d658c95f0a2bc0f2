import { BRANDS } from '../brand';
import { engine, noGrad, scope } from '../engine';
import { NNError, ShapeError } from '../errors';
import { fmtShape, shapesEqual } from '../dtype';
import { Tensor } from '../tensor';

/**
 * A tensor that is a module's learnable weight: it requires grad, is listed by `parameters()` and
 * is never disposed by scopes. Wraps (adopts) the tensor it is made from.
 *
 * @example
 * ```ts
 * this.weight = new nn.Parameter(randn([inUnits, units]));
 * ```
 */
export class Parameter extends Tensor {
  /** Whether optimizers update it (Keras `trainable`). @default true */
  trainable: boolean;
  /** Weight regularizer (Keras door), applied by `model.losses`. */
  regularizer?: (w: Tensor) => Tensor;
  /** Constraint applied after each optimizer step. */
  constraint?: (w: Tensor) => Tensor;

  constructor(data: Tensor, requiresGrad = true) {
    const h = data.handle;
    data.releaseHandle();
    super(h, data.shape, data.dtype);
    this.requiresGrad = requiresGrad;
    this.trainable = requiresGrad;
    this.keep();
  }
}

/**
 * @internal Each parameter's own trainability (what a Keras `addWeight` was given, or its flag when
 * a layer first froze it), apart from the `trainable` flags of the layers that hold it.
 */
export const ownTrainable = new WeakMap<Parameter, boolean>();

/** Options passed through a call to `forward`/`call`. */
export interface CallOptions {
  /** Training mode for this call (dropout on, batch statistics). Defaults to the module's mode. */
  training?: boolean;
  /** Boolean mask (Keras masking); unused by the built-in layers. */
  mask?: Tensor;
}

export interface Module {
  /** Modules are callable: `module(x)` runs `forward(x)` (PyTorch `__call__`, Keras `__call__`). */
  (...args: any[]): any;
}

let moduleCounter = 0;

/** A forward hook: sees the module, its call arguments and its output. */
export type ForwardHook = (module: Module, inputs: readonly unknown[], output: unknown) => void;

/**
 * @internal The training functions `Module.compile/fit/evaluate/predict` call: core's train/ module
 * provides them (train/ imports nn/, so nn/ cannot import train/ without a cycle in class
 * definitions). Typed, one slot, set once by core's own entry point.
 */
export interface TrainingApi {
  compile(model: Module, args: import('../train/fit').CompileArgs): void;
  fit(model: Module, x: unknown, y?: unknown, args?: import('../train/fit').FitArgs): Promise<import('../train/fit').History>;
  evaluate(model: Module, x: unknown, y?: unknown, args?: { batchSize?: number }): Promise<Record<string, number>>;
  predict(model: Module, x: unknown, args?: { batchSize?: number }): Promise<Tensor | Tensor[]>;
}
let trainingApi: TrainingApi | null = null;
/** @internal Called once by core's train/ module. */
export function provideTrainingApi(api: TrainingApi): void {
  trainingApi = api;
}
function training(what: string): TrainingApi {
  if (!trainingApi) throw new NNError(`${what}() is unavailable: @nn/core's training module was not loaded.`, what);
  return trainingApi;
}

let symbolicHook: { isSymbolic(args: readonly unknown[]): boolean; call(m: Module, args: readonly unknown[]): unknown } | null = null;
/** @internal The functional API registers how modules are called on symbolic tensors. */
export function setSymbolicHook(h: NonNullable<typeof symbolicHook>): void {
  symbolicHook = h;
}

/** @internal Run `f` as the forward of `m`: while tracing, the ops it records belong to `m` ({@link TracedOp.scope}). */
export function inModule<T>(m: object, f: () => T): T {
  const tr = engine.tracing?.hook;
  if (!tr) return f();
  tr.enterModule(m);
  try {
    return f();
  } finally {
    tr.exitModule();
  }
}

/**
 * The class name users see in summaries, messages and saved configs: the class's OWN static
 * `className` (every registered Keras layer sets one, and so do PyTorch-door classes exported under
 * another name, e.g. `TorchDropout` as `nn.Dropout`), else the JavaScript class name. Only an own
 * property counts, so `class MyDense extends Dense` is "MyDense", not "Dense". Explicit names keep
 * bundlers that rename classes (esbuild's `class _Dense`) out of configs.
 *
 * @param ctor - A class (a module's `constructor`).
 * @example
 * ```ts
 * classNameOf(layers.Dense(3).constructor); // 'Dense'
 * ```
 */
export function classNameOf(ctor: abstract new (...args: never[]) => unknown): string {
  const own = Object.prototype.hasOwnProperty.call(ctor, 'className') ? (ctor as { className?: unknown }).className : undefined;
  return typeof own === 'string' ? own : ctor.name;
}

/**
 * The base of every PyTorch-style module and every Keras-style layer.
 *
 * Submodules and parameters are found from the instance's own properties (in declaration order),
 * as PyTorch's `__setattr__` does; arrays of modules count too (like `nn.ModuleList`).
 *
 * @example
 * ```ts
 * class Net extends nn.Module {
 *   fc1 = new nn.Linear(784, 128);
 *   fc2 = new nn.Linear(128, 10);
 *   forward(x: Tensor) { return this.fc2(this.fc1(x).relu()); }
 * }
 * const net = new Net();
 * const logits = net(x);
 * ```
 */
export class Module {
  /** @internal Brand (see `isModule`). */
  get [BRANDS.module](): true {
    return true;
  }
  /**
   * Training mode: dropout active, batch statistics used and updated. PyTorch modules start in
   * training mode; Keras layers (which override it) in inference mode.
   */
  declare training: boolean;
  /** @internal Buffers registered with {@link registerBuffer}. */
  _buffers!: Map<string, Tensor>;
  /** @internal Unique id for naming. */
  _uid!: number;
  /** @internal */
  _forwardHooks!: Set<ForwardHook>;

  constructor() {
    const self = function (this: unknown, ...args: unknown[]) {
      return (self as unknown as Module).__call__(...args);
    } as unknown as Module;
    Object.setPrototypeOf(self, new.target.prototype);
    // Functions carry their own `name`/`length`: remove them so subclasses and getters can use them.
    delete (self as { name?: unknown }).name;
    delete (self as { length?: unknown }).length;
    Object.defineProperty(self, '_buffers', { value: new Map(), writable: true, enumerable: false });
    Object.defineProperty(self, '_forwardHooks', { value: new Set(), writable: false, enumerable: false });
    Object.defineProperty(self, '_uid', { value: ++moduleCounter, writable: false, enumerable: false });
    // A field initialiser here would land on `this`, not on the callable `self` returned below.
    (self as Module).training = true;
    return self;
  }

  /** The computation. Subclasses override it (PyTorch door) — Keras layers override `call`. */
  forward(...args: any[]): any {
    throw new NNError(`${classNameOf(this.constructor as never)}.forward() is not implemented.`, classNameOf(this.constructor as never), 'Override forward(x) in your module.');
  }

  /** @internal What `module(...)` runs. */
  __call__(...args: unknown[]): unknown {
    if (symbolicHook && symbolicHook.isSymbolic(args)) return symbolicHook.call(this, args);
    const out = inModule(this, () => this.forward(...args));
    if (this._forwardHooks.size) for (const h of this._forwardHooks) h(this, args, out);
    return out;
  }

  /**
   * Run `hook(module, inputs, output)` after every forward call (PyTorch `register_forward_hook`),
   * e.g. to collect activation statistics. Returns a handle whose `remove()` unregisters it.
   */
  registerForwardHook(hook: ForwardHook): { remove(): void } {
    this._forwardHooks.add(hook);
    return { remove: () => this._forwardHooks.delete(hook) };
  }

  // ---- structure ----
  /** Direct submodules with their property names. */
  *namedChildren(): Generator<[string, Module]> {
    for (const key of Object.keys(this)) {
      const v = (this as Record<string, unknown>)[key];
      if (v instanceof Module) yield [key, v];
      else if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) if (v[i] instanceof Module) yield [`${key}.${i}`, v[i] as Module];
      }
    }
  }

  /** Direct submodules. */
  *children(): Generator<Module> {
    for (const [, m] of this.namedChildren()) yield m;
  }

  /** This module and all descendants, each once, with dotted paths ('' for this one). */
  *namedModules(prefix = '', seen = new Set<Module>()): Generator<[string, Module]> {
    if (seen.has(this)) return;
    seen.add(this);
    yield [prefix, this];
    for (const [name, child] of this.namedChildren()) yield* child.namedModules(prefix ? `${prefix}.${name}` : name, seen);
  }

  /** This module and all descendants. */
  *modules(): Generator<Module> {
    for (const [, m] of this.namedModules()) yield m;
  }

  /** @internal Parameters held directly by this module, with local names. */
  *ownParameters(): Generator<[string, Parameter]> {
    for (const key of Object.keys(this)) {
      const v = (this as Record<string, unknown>)[key];
      if (v instanceof Parameter) yield [key, v];
    }
  }

  /** Every parameter with its dotted path, each once (shared weights appear under their first path). */
  namedParameters(): [string, Parameter][] {
    const out: [string, Parameter][] = [];
    const seen = new Set<Parameter>();
    for (const [path, m] of this.namedModules()) {
      for (const [name, p] of m.ownParameters()) {
        if (seen.has(p)) continue;
        seen.add(p);
        out.push([path ? `${path}.${name}` : name, p]);
      }
    }
    return out;
  }

  /**
   * Freeze (`false`) or unfreeze every parameter of this module and its descendants (PyTorch
   * `module.requires_grad_(False)`): no gradient, no update, left out of `parameters()`. Weights made
   * non-trainable (Keras moving statistics) stay so when unfrozen.
   * @example
   * ```ts
   * net.features.requiresGrad_(false);   // fine-tune only the head
   * const opt = new optim.Adam(net.parameters(), { lr: 1e-3 });
   * ```
   */
  requiresGrad_(requiresGrad = true): this {
    for (const m of this.modules()) {
      for (const [, p] of m.ownParameters()) {
        if (!ownTrainable.has(p)) ownTrainable.set(p, p.trainable);
        p.trainable = p.requiresGrad = requiresGrad && ownTrainable.get(p)!;
      }
    }
    return this;
  }

  /** Every parameter (what an optimizer updates). Only trainable ones unless `all`. */
  parameters(all = false): Parameter[] {
    return this.namedParameters().map(([, p]) => p).filter((p) => all || p.trainable);
  }

  /**
   * Register a tensor that is state but not a parameter (running statistics): saved in
   * `stateDict()`, never updated by optimizers.
   */
  registerBuffer(name: string, t: Tensor): Tensor {
    const old = this._buffers.get(name);
    if (old && old !== t) old.dispose();
    t.keep();
    this._buffers.set(name, t);
    return t;
  }

  /** Every buffer with its dotted path. */
  namedBuffers(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [path, m] of this.namedModules()) for (const [name, b] of m._buffers) out.push([path ? `${path}.${name}` : name, b]);
    return out;
  }

  /** Apply `fn` to every submodule (children first) and then to this one, like PyTorch. */
  apply(fn: (m: Module) => void): this {
    for (const c of this.children()) c.apply(fn);
    fn(this);
    return this;
  }

  /** Set training mode here and in every descendant. */
  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  /** Set inference mode (dropout off, running statistics used). */
  eval(): this {
    return this.train(false);
  }

  /** Dispose every parameter's gradient. */
  zeroGrad(): void {
    for (const p of this.parameters(true)) {
      p.grad?.dispose();
      p.grad = null;
    }
  }

  /** Parameters and buffers by dotted name (PyTorch `state_dict`). Values are the live tensors. */
  stateDict(): Record<string, Tensor> {
    const sd: Record<string, Tensor> = {};
    for (const [n, p] of this.namedParameters()) sd[n] = p;
    for (const [n, b] of this.namedBuffers()) sd[n] = b;
    return sd;
  }

  /**
   * Copy values from a state dict. With `strict` (default) any missing or unexpected key, or any
   * shape mismatch, is an error that lists them all; otherwise the lists are returned.
   */
  loadStateDict(sd: Record<string, Tensor>, opts: { strict?: boolean } = {}): { missingKeys: string[]; unexpectedKeys: string[] } {
    const own = this.stateDict();
    const missingKeys = Object.keys(own).filter((k) => !(k in sd));
    const unexpectedKeys = Object.keys(sd).filter((k) => !(k in own));
    const mismatched = Object.keys(own)
      .filter((k) => k in sd && !shapesEqual(own[k]!.shape, sd[k]!.shape))
      .map((k) => `${k}: expected ${fmtShape(own[k]!.shape)}, got ${fmtShape(sd[k]!.shape)}`);
    if (mismatched.length || (opts.strict !== false && (missingKeys.length || unexpectedKeys.length))) {
      const parts = [
        missingKeys.length ? `missing keys: ${missingKeys.join(', ')}` : '',
        unexpectedKeys.length ? `unexpected keys: ${unexpectedKeys.join(', ')}` : '',
        mismatched.length ? `shape mismatches: ${mismatched.join('; ')}` : '',
      ].filter(Boolean);
      throw new StateDictError(`loadStateDict(${classNameOf(this.constructor as never)}): ${parts.join('; ')}.`, missingKeys, unexpectedKeys, mismatched);
    }
    noGrad(() => {
      for (const [k, t] of Object.entries(own)) {
        const src = sd[k];
        if (!src) continue;
        scope(() => t.assign_(src.dtype === t.dtype ? src.detach() : src.cast(t.dtype)));
      }
    });
    return { missingKeys, unexpectedKeys };
  }

  // ---- training (implemented in train/, registered at import) ----
  /** Configure for training: optimizer, loss, metrics (Keras `compile`). Works on any module. */
  compile(args: import('../train/fit').CompileArgs): void {
    return training('compile').compile(this, args);
  }
  /**
   * Train (Keras `fit`): `fit(x, y, options)` with arrays or tensors, or `fit(source, options)` with a
   * batched source yielding `[x, y]` (an @nn/data DataLoader).
   */
  fit(source: import('../train/data').BatchSource, args?: import('../train/fit').FitArgs): Promise<import('../train/fit').History>;
  fit(x: import('../train/data').ArrayLikeData, y: import('../train/data').ArrayLikeData, args?: import('../train/fit').FitArgs): Promise<import('../train/fit').History>;
  fit(x: unknown, y?: unknown, args?: import('../train/fit').FitArgs): Promise<import('../train/fit').History> {
    return training('fit').fit(this, x, y, args);
  }
  /** Loss and metrics in inference mode (Keras `evaluate`). */
  evaluate(x: unknown, y?: unknown, args?: { batchSize?: number }): Promise<Record<string, number>> {
    return training('evaluate').evaluate(this, x, y, args);
  }
  /** Outputs in inference mode, in batches (Keras `predict`). */
  predict(x: unknown, args?: { batchSize?: number }): Promise<Tensor | Tensor[]> {
    return training('predict').predict(this, x, args);
  }

  /** Total number of parameter elements. */
  numParameters(trainableOnly = false): number {
    return this.parameters(!trainableOnly).reduce((s, p) => s + p.size, 0);
  }
}

/** Raised by `loadStateDict`: lists every missing, unexpected and mis-shaped key. */
export class StateDictError extends NNError {
  override name = 'StateDictError';
  constructor(message: string, readonly missingKeys: string[], readonly unexpectedKeys: string[], readonly shapeMismatches: string[]) {
    super(message, 'loadStateDict');
  }
}

/** A layer got an input of the wrong rank or size: names the layer, expected and received. */
export class LayerInputError extends ShapeError {
  override name = 'LayerInputError';
  constructor(readonly layer: string, readonly expected: string, readonly received: readonly number[], hint?: string) {
    super(layer, `expected ${expected}, got input ${fmtShape(received)}`, [], hint);
    this.message = `${layer} expected ${expected}, got input ${fmtShape(received)}.${hint ? ` ${hint}` : ''}`;
  }
}

/** A list of modules registered as children (PyTorch `nn.ModuleList`). */
export class ModuleList extends Module {
  items: Module[];
  constructor(items: Module[] = []) {
    super();
    this.items = [...items];
  }
  override *namedChildren(): Generator<[string, Module]> {
    for (let i = 0; i < this.items.length; i++) yield [String(i), this.items[i]!];
  }
  push(m: Module): this {
    this.items.push(m);
    return this;
  }
  override get length(): number {
    return this.items.length;
  }
  at(i: number): Module | undefined {
    return this.items.at(i);
  }
  [Symbol.iterator]() {
    return this.items[Symbol.iterator]();
  }
}

/** Modules applied in order (PyTorch `nn.Sequential`). */
export class SequentialModule extends Module {
  /** Shown in summaries: the PyTorch name. */
  static className = 'Sequential';
  items: Module[];
  constructor(...items: Module[]) {
    super();
    this.items = items;
  }
  override *namedChildren(): Generator<[string, Module]> {
    for (let i = 0; i < this.items.length; i++) yield [String(i), this.items[i]!];
  }
  override forward(x: Tensor): Tensor {
    let h = x;
    for (const m of this.items) h = m(h) as Tensor;
    return h;
  }
}

export { engine };
