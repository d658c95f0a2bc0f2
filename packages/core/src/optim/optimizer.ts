import { BRANDS } from '../brand';
import { noGrad, scope, withGrad } from '../engine';
import { fmtShape, shapesEqual } from '../dtype';
import { NNError, ValueError } from '../errors';
import { identity } from '../ops';
import { Tensor } from '../tensor';
import { hostTensor, withScalarOwner } from './host';

/** A hyperparameter value that a state dict can hold. */
export type HyperValue = number | boolean | string | readonly number[] | null;

/** The hyperparameters every group has: at least a learning rate. */
export interface BaseHyper {
  lr: number;
}

/** A parameter group: its tensors and its own hyperparameters (PyTorch `param_groups`). */
export type ParamGroup<H extends BaseHyper = BaseHyper> = H & { params: Tensor[] };

/** A group as passed in: hyperparameters not given fall back to the optimizer's defaults. */
export type ParamGroupInput<H extends BaseHyper = BaseHyper> = Partial<H> & { params: Iterable<Tensor> };

/** Parameters as accepted by every optimizer: tensors (e.g. `net.parameters()`) or groups. */
export type ParamsInput<H extends BaseHyper = BaseHyper> = Iterable<Tensor> | readonly ParamGroupInput<H>[];

/** One serialised state buffer: shape plus row-major values (omitted when stored as a tensor). */
export interface StateBuffer {
  shape: number[];
  values?: number[];
}

/**
 * An optimizer's state as plain JSON: per-parameter step counts and buffers (keyed by the
 * parameter's index over all groups, as PyTorch does) and each group's hyperparameters.
 */
export interface OptimizerStateDict {
  format: 'nn.optim/1';
  optimizer: string;
  door: 'pytorch' | 'keras';
  /** Keras door: number of `step()` calls so far (Keras `iterations`). */
  iterations: number;
  state: Record<string, { step: number; buffers: Record<string, StateBuffer> }>;
  paramGroups: Array<Record<string, HyperValue> & { params: number[] }>;
}

/**
 * What training loops need from an optimizer of either door.
 *
 * @example
 * ```ts
 * opt.zeroGrad(); loss.backward(); opt.step();
 * ```
 */
export interface Optimizer {
  /** Name of the algorithm (`'Adam'`, `'SGD'` …). */
  readonly name: string;
  /** Which source framework's formulas and defaults it follows. */
  readonly door: 'pytorch' | 'keras';
  /** Parameter groups; schedulers change `paramGroups[i].lr`. */
  readonly paramGroups: ParamGroup[];
  /** Learning rate of the first group; setting it sets every group's. */
  lr: number;
  /** Apply one update from the parameters' `.grad`. `closure` re-evaluates the loss first. */
  step<T = unknown>(closure?: () => T): T | undefined;
  /** Dispose every parameter's gradient and set it to `null`. */
  zeroGrad(): void;
  /** State as JSON-serialisable plain data. */
  stateDict(): OptimizerStateDict;
  /** Restore {@link stateDict} (values inline) or {@link exportState} (meta + named tensors). */
  loadStateDict(sd: OptimizerStateDict, tensors?: Readonly<Record<string, Tensor>>): void;
  /** State as JSON metadata plus named tensors (`state.<index>.<buffer>`), e.g. for safetensors. */
  exportState(): { meta: OptimizerStateDict; tensors: Record<string, Tensor> };
}

/** The step counters of an optimizer (see `BaseOptimizer.getCounters`). */
export interface OptimizerCounters {
  /** Updates applied to each parameter so far. */
  readonly steps: ReadonlyMap<Tensor, number>;
  /** The Keras door's `iterations` (0 for the PyTorch door). */
  readonly iterations: number;
}

/** @internal Per-parameter state. */
export interface ParamState {
  /** Updates applied to this parameter so far. */
  step: number;
  buffers: Record<string, Tensor>;
}

/** Fields of a tensor that modules may add (nn.Parameter): honoured when present. */
interface ParamExtras {
  trainable?: boolean;
  constraint?: (w: Tensor) => Tensor;
}

function isGroupList<H extends BaseHyper>(p: ParamsInput<H>): p is readonly ParamGroupInput<H>[] {
  return Array.isArray(p) && p.length > 0 && !(p[0] instanceof Tensor) && typeof p[0] === 'object' && p[0] !== null && 'params' in p[0];
}

/**
 * Shared machinery of both doors: parameter groups, per-parameter state that is kept across
 * scopes and updated in place (`assign_`, so backend handles are reused and nothing leaks),
 * `step(closure)`, `zeroGrad()` and state dicts. Subclasses supply {@link BaseOptimizer.update}.
 */
export abstract class BaseOptimizer<H extends BaseHyper> implements Optimizer {
  /** @internal Brand (see `isBaseOptimizer`). */
  get [BRANDS.optimizer](): true {
    return true;
  }
  readonly paramGroups: ParamGroup<H>[] = [];
  /** @internal */ protected readonly state = new Map<Tensor, ParamState>();
  private cur: { p: Tensor; g: Tensor } | null = null;

  constructor(
    readonly name: string,
    readonly door: 'pytorch' | 'keras',
    /** Hyperparameters of groups that do not set their own. */
    readonly defaults: Readonly<H>,
  ) {}

  /** Throw {@link InvalidHyperparameterError} for a bad group. */
  protected abstract validate(h: H): void;

  /**
   * One parameter's update (runs under `noGrad` inside a scope). Write results with
   * {@link BaseOptimizer.setParam} and {@link BaseOptimizer.setBuffer}.
   */
  protected abstract update(p: Tensor, g: Tensor, s: ParamState, group: ParamGroup<H>): void;

  /** Add parameters: tensors, or groups with their own hyperparameters. */
  protected addParams(params: ParamsInput<H>, allowEmpty = false): void {
    const groups = isGroupList(params) ? params : [{ params } as ParamGroupInput<H>];
    for (const g of groups) this.addParamGroup(g);
    if (!allowEmpty && this.paramGroups.every((g) => g.params.length === 0)) {
      throw new ValueError(`${this.name}: got an empty parameter list.`, this.name, 'Pass model.parameters() (or a non-empty list of tensors).');
    }
  }

  /**
   * Add a parameter group (PyTorch `add_param_group`), e.g. to unfreeze layers during fine-tuning.
   *
   * @param group - `{ params, ...hyperparameters }`; missing hyperparameters take the defaults.
   */
  addParamGroup(group: ParamGroupInput<H>): void {
    const { params, ...hyper } = group;
    const list = [...params];
    const seen = new Set(this.paramGroups.flatMap((g) => g.params));
    list.forEach((p, i) => {
      if (!(p instanceof Tensor)) throw new ValueError(`${this.name}: params[${i}] is not a Tensor (got ${typeof p}).`, this.name);
      if (p.dtype !== 'float32') throw new ValueError(`${this.name}: can only optimize float32 tensors, params[${i}] is ${p.dtype}.`, this.name);
      if (seen.has(p)) throw new ValueError(`${this.name}: some parameters appear in more than one parameter group (params[${i}], ${p.name ?? `#${p.id}`}).`, this.name);
      seen.add(p);
    });
    const full = { ...this.defaults, ...(hyper as unknown as Partial<H>), params: list } as ParamGroup<H>;
    this.validate(full);
    this.paramGroups.push(full);
  }

  get lr(): number {
    return this.paramGroups[0]?.lr ?? this.defaults.lr;
  }
  set lr(v: number) {
    this.validate({ ...this.defaults, lr: v });
    for (const g of this.paramGroups) g.lr = v;
  }

  /** Parameters with a gradient that this step updates. */
  protected *active(): Iterable<[Tensor, Tensor, ParamGroup<H>]> {
    for (const group of this.paramGroups) {
      for (const p of group.params) {
        if (p.grad && (p as ParamExtras).trainable !== false) yield [p, p.grad, group];
      }
    }
  }

  step<T = unknown>(closure?: () => T): T | undefined {
    const loss = closure ? withGrad(true, closure) : undefined;
    noGrad(() => scope(() => this.applyUpdates()));
    return loss;
  }

  /** @internal The update loop (inside noGrad + scope). Keras door overrides it to clip first. */
  protected applyUpdates(): void {
    for (const [p, g, group] of this.active()) this.updateOne(p, g, group);
  }

  /**
   * For engines that run compiled training steps (the `ort` engine of `@nn/onnx`): count one
   * `step()` for `params` — the parameters that have a gradient — exactly as `step()` would, without
   * touching any tensor, and return the host scalars that step uploads while updating each of them
   * (learning rates, bias corrections …), in upload order. These are the numbers a traced `step()`
   * records as that parameter's host values ({@link ScalarHost}, numbered by `seq`). Undefined (and
   * nothing counted) when the optimizer does not declare its scalars (a subclass without
   * `updateScalars`) or a parameter has no state yet (before its first update).
   *
   * @param params - The parameters the step updates.
   * @returns Each parameter's scalars, or undefined.
   */
  hostStep(params: readonly Tensor[]): Map<Tensor, number[]> | undefined {
    const out = new Map<Tensor, number[]>();
    this.beginHostStep();
    for (const p of params) {
      const s = this.state.get(p);
      const group = this.groupOf(p);
      const k = s && group ? this.stepScalars(p, s, group) : undefined;
      if (!k) return undefined;
      out.set(p, k);
    }
    for (const p of params) this.state.get(p)!.step++;
    this.endHostStep();
    return out;
  }

  /**
   * Which of `p`'s host scalars (see {@link BaseOptimizer.hostStep}) change from one step to the next
   * or with the learning rate (true: a compiled step takes them as inputs), and which depend only on
   * the other hyperparameters (false: compiled in as constants; changing such a hyperparameter means
   * compiling again). Worked out from the optimizer's own formulas at this step, the next one and
   * another learning rate; undefined when it does not declare them.
   */
  perStepScalars(p: Tensor): boolean[] | undefined {
    const s = this.state.get(p);
    const group = this.groupOf(p);
    if (!s || !group) return undefined;
    const now = this.stepScalars(p, s, group);
    if (!now) return undefined;
    const c = this.getCounters();
    // A query: the Keras door's beginHostStep sets the scheduled lr on every group; put them back.
    const lrs = this.paramGroups.map((g) => g.lr);
    let next: number[] | undefined, otherLr: number[] | undefined;
    try {
      this.beginHostStep();
      s.step++;
      this.endHostStep();
      next = this.stepScalars(p, s, group);
    } finally {
      this.setCounters(c);
      this.paramGroups.forEach((g, i) => (g.lr = lrs[i]!));
    }
    const lr = group.lr;
    try {
      group.lr = lr * 1.375 + 1e-3;
      otherLr = this.stepScalarsAtLr(p, s, group);
    } finally {
      group.lr = lr;
    }
    if (!next || !otherLr || next.length !== now.length || otherLr.length !== now.length) return undefined;
    return now.map((v, i) => !Object.is(v, next![i]) || !Object.is(v, otherLr![i]));
  }

  /** The step counters: each parameter's update count and the Keras door's `iterations`. */
  getCounters(): OptimizerCounters {
    return { steps: new Map([...this.state].map(([p, s]) => [p, s.step])), iterations: this.iterationCount };
  }

  /** Put back counters read by {@link BaseOptimizer.getCounters} (e.g. after tracing a step, which counts one). */
  setCounters(c: OptimizerCounters): void {
    for (const [p, s] of this.state) {
      const v = c.steps.get(p);
      if (v !== undefined) s.step = v;
    }
    this.iterationCount = c.iterations;
  }

  /** True when each of `params` has its state (buffers are made by its first update). */
  hasState(params: Iterable<Tensor>): boolean {
    for (const p of params) if (!this.state.has(p)) return false;
    return true;
  }

  private groupOf(p: Tensor): ParamGroup<H> | undefined {
    return this.paramGroups.find((g) => g.params.includes(p));
  }

  /** @internal What {@link BaseOptimizer.hostStep} does around the per-parameter scalars (the Keras door sets the scheduled lr, then counts `iterations`). */
  protected beginHostStep(): void {}
  /** @internal */
  protected endHostStep(): void {}

  /** @internal {@link BaseOptimizer.stepScalars} with `group.lr` as the learning rate (the Keras door ignores its schedule here). */
  protected stepScalarsAtLr(p: Tensor, s: ParamState, group: ParamGroup<H>): number[] | undefined {
    return this.stepScalars(p, s, group);
  }

  /** @internal What one step uploads for `p` around its update (state as before the step); the Keras door adds its decay and schedule. */
  protected stepScalars(p: Tensor, s: ParamState, group: ParamGroup<H>): number[] | undefined {
    return this.updateScalars(p, s, group);
  }

  /**
   * @internal The host scalars `update` uploads for `p` (through `uploader`), in order, given the
   * state before the update and `group` as it will be when the step runs — the single source of an
   * update's per-step numbers. Undefined: not declared (compiled steps then run eagerly).
   */
  protected updateScalars(_p: Tensor, _s: ParamState, _group: ParamGroup<H>): number[] | undefined {
    return undefined;
  }

  /** @internal Update one parameter, then apply its constraint (if any). */
  protected updateOne(p: Tensor, g: Tensor, group: ParamGroup<H>): void {
    let s = this.state.get(p);
    if (!s) this.state.set(p, (s = { step: 0, buffers: {} }));
    this.cur = { p, g };
    try {
      const st = s;
      withScalarOwner(p, () => this.update(p, g, st, group));
    } finally {
      this.cur = null;
    }
    const c = (p as ParamExtras).constraint;
    if (c) p.assign_(this.fresh(c(p)));
  }

  zeroGrad(): void {
    for (const g of this.paramGroups) {
      for (const p of g.params) {
        if (p.grad) {
          p.grad.dispose();
          p.grad = null;
        }
      }
    }
  }

  /** A tensor safe to adopt: copies params, gradients and kept tensors. */
  private fresh(t: Tensor): Tensor {
    return t.kept || t === this.cur?.p || t === this.cur?.g ? identity(t, false) : t;
  }

  /** Write a parameter's new value in place (reuses the handle). */
  /** @internal */
  setParam(p: Tensor, value: Tensor): void {
    p.assign_(this.fresh(value));
  }

  /** Create or overwrite a state buffer in place; it is kept across scopes. */
  /** @internal */
  setBuffer(s: ParamState, name: string, value: Tensor): Tensor {
    const v = this.fresh(value);
    const old = s.buffers[name];
    if (old) return old.assign_(v);
    s.buffers[name] = v.keep();
    return v;
  }

  /** Dispose all state (buffers) and forget step counts. */
  resetState(): void {
    for (const s of this.state.values()) for (const b of Object.values(s.buffers)) b.dispose();
    this.state.clear();
  }

  /** @internal Global step count stored in state dicts (Keras `iterations`). */
  protected get iterationCount(): number {
    return 0;
  }
  protected set iterationCount(_v: number) {
    /* PyTorch door: none */
  }

  private allParams(): Tensor[] {
    return this.paramGroups.flatMap((g) => g.params);
  }

  private meta(withValues: boolean, tensors?: Record<string, Tensor>): OptimizerStateDict {
    const params = this.allParams();
    const state: OptimizerStateDict['state'] = {};
    params.forEach((p, i) => {
      const s = this.state.get(p);
      if (!s) return;
      const buffers: Record<string, StateBuffer> = {};
      for (const [k, b] of Object.entries(s.buffers)) {
        buffers[k] = withValues ? { shape: [...b.shape], values: Array.from(b.dataSync()) } : { shape: [...b.shape] };
        if (tensors) tensors[`state.${i}.${k}`] = b;
      }
      state[String(i)] = { step: s.step, buffers };
    });
    let offset = 0;
    const paramGroups = this.paramGroups.map((g) => {
      const out: Record<string, HyperValue> = {};
      for (const [k, v] of Object.entries(g)) {
        if (k === 'params') continue;
        if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string' || v === null) out[k] = v;
        else if (Array.isArray(v) && v.every((x) => typeof x === 'number')) out[k] = [...v];
      }
      const idx = g.params.map((_, j) => offset + j);
      offset += g.params.length;
      return { ...out, params: idx };
    });
    return { format: 'nn.optim/1', optimizer: this.name, door: this.door, iterations: this.iterationCount, state, paramGroups };
  }

  stateDict(): OptimizerStateDict {
    return this.meta(true);
  }

  exportState(): { meta: OptimizerStateDict; tensors: Record<string, Tensor> } {
    const tensors: Record<string, Tensor> = {};
    return { meta: this.meta(false, tensors), tensors };
  }

  loadStateDict(sd: OptimizerStateDict, tensors: Readonly<Record<string, Tensor>> = {}): void {
    const where = `${this.name}.loadStateDict`;
    if (sd?.format !== 'nn.optim/1') throw new NNError(`${where}: not an nn optimizer state dict (format ${String(sd?.format)}).`, where);
    if (sd.optimizer !== this.name || sd.door !== this.door) {
      throw new NNError(`${where}: state was saved by ${sd.door} ${sd.optimizer}, cannot load into ${this.door} ${this.name}.`, where);
    }
    if (sd.paramGroups.length !== this.paramGroups.length) {
      throw new NNError(`${where}: saved state has ${sd.paramGroups.length} parameter groups, this optimizer has ${this.paramGroups.length}.`, where);
    }
    sd.paramGroups.forEach((g, i) => {
      if (g.params.length !== this.paramGroups[i]!.params.length) {
        throw new NNError(`${where}: group ${i} has ${this.paramGroups[i]!.params.length} parameters, saved state has ${g.params.length}.`, where);
      }
    });
    const params = this.allParams();
    // Build everything first so that a bad entry leaves the optimizer untouched.
    const next = new Map<Tensor, ParamState>();
    try {
      for (const [key, entry] of Object.entries(sd.state)) {
        const p = params[Number(key)];
        if (!p) throw new NNError(`${where}: state for parameter ${key}, but there are ${params.length} parameters.`, where);
        const buffers: Record<string, Tensor> = {};
        next.set(p, { step: entry.step, buffers });
        for (const [name, b] of Object.entries(entry.buffers)) {
          if (!shapesEqual(b.shape, p.shape) && b.shape.length !== 0) {
            throw new NNError(`${where}: buffer ${name} of parameter ${key} has shape ${fmtShape(b.shape)}, parameter has ${fmtShape(p.shape)}.`, where);
          }
          const src = tensors[`state.${key}.${name}`];
          if (b.values) buffers[name] = hostTensor(b.values, b.shape).keep();
          else if (src) buffers[name] = identity(src, false).keep();
          else throw new NNError(`${where}: no values for state.${key}.${name} (neither inline nor in the tensors given).`, where);
        }
      }
    } catch (e) {
      for (const s of next.values()) for (const t of Object.values(s.buffers)) t.dispose();
      throw e;
    }
    this.resetState();
    for (const [p, s] of next) this.state.set(p, s);
    sd.paramGroups.forEach((g, i) => {
      const { params: _params, ...hyper } = g;
      Object.assign(this.paramGroups[i]!, hyper);
    });
    this.iterationCount = sd.iterations;
  }
}
