import { BRANDS } from '../brand';
import { NNError } from '../errors';
import { clip, maximum, mul, sqrt, square, sub, sum } from '../ops';
import type { Tensor } from '../tensor';
import { clipByGlobalNorm, clipByNorm } from './clip';
import { check, InvalidHyperparameterError } from './errors';
import { hostScalar, withScalarOwner } from './host';
import { BaseOptimizer, type BaseHyper, type ParamGroup, type ParamState, type ParamsInput } from './optimizer';
import { evalLearningRate, type LearningRateLike } from './schedules';

/** Options every Keras-door optimizer takes (Keras 3 `keras.optimizers.Optimizer` arguments). */
export interface KerasOptimizerOptions {
  /** A number, a {@link LearningRateSchedule}, or `step => lr`. Default depends on the optimizer. */
  learningRate?: LearningRateLike;
  /**
   * Decoupled weight decay: before each update `w ← w − w · weightDecay · lr` (Keras 3
   * `_apply_weight_decay`). Not the same as an L2 regularizer: Keras `L2(λ)` adds λ‖w‖² to the loss,
   * i.e. `2λw` to the gradient — PyTorch SGD's `weightDecay: 2λ`.
   * @default null (none; AdamW: 0.004)
   */
  weightDecay?: number | null;
  /** Clip each gradient to this norm (Keras `clipnorm`, per variable). @default null */
  clipnorm?: number | null;
  /** Clip gradient values to [−clipvalue, clipvalue]. @default null */
  clipvalue?: number | null;
  /** Scale all gradients together so that their global norm is at most this. @default null */
  globalClipnorm?: number | null;
}

/** Hyperparameters stored per group by every Keras-door optimizer. */
export interface KerasHyper extends BaseHyper {
  weightDecay: number;
}

/**
 * Base of the Keras-door optimizers (`optimizers.SGD({...})`, `optimizers.Adam({...})` …).
 *
 * Keras optimizers are created without variables. Bind them once with {@link KerasOptimizer.bind}
 * (what `model.compile`/`fit` does) or let the first {@link KerasOptimizer.apply} call bind them;
 * then `step()` reads every bound tensor's `.grad`, clips (clipvalue / clipnorm / globalClipnorm),
 * applies decoupled weight decay, updates, and counts `iterations`.
 *
 * @example
 * ```ts
 * const opt = optimizers.Adam({ learningRate: 1e-3 }).bind(model.trainableWeights);
 * opt.zeroGrad(); loss.backward(); opt.step();
 * ```
 */
export abstract class KerasOptimizer<H extends KerasHyper> extends BaseOptimizer<H> {
  /** @internal Brand (see `isKerasOptimizer`). */
  get [BRANDS.kerasOptimizer](): true {
    return true;
  }
  /** Number of updates applied (Keras `optimizer.iterations`). */
  iterations = 0;
  /** The learning-rate schedule when `learningRate` was not a number. */
  readonly schedule: Exclude<LearningRateLike, number> | null;
  readonly clipnorm: number | null;
  readonly clipvalue: number | null;
  readonly globalClipnorm: number | null;
  private bound = false;

  constructor(name: string, defaults: H, opts: KerasOptimizerOptions) {
    const lr = opts.learningRate ?? defaults.lr;
    const schedule = typeof lr === 'number' ? null : lr;
    super(name, 'keras', { ...defaults, lr: schedule ? evalLearningRate(schedule, 0) : lr, weightDecay: opts.weightDecay ?? defaults.weightDecay });
    this.schedule = schedule;
    this.clipnorm = opts.clipnorm ?? null;
    this.clipvalue = opts.clipvalue ?? null;
    this.globalClipnorm = opts.globalClipnorm ?? null;
    for (const k of ['clipnorm', 'clipvalue', 'globalClipnorm'] as const) if (this[k] !== null) check.pos(name, k, this[k]!);
    const set = (['clipnorm', 'clipvalue', 'globalClipnorm'] as const).filter((k) => this[k] !== null);
    if (set.length > 1) throw new InvalidHyperparameterError(name, set.join(' and '), set.map((k) => this[k]), 'set alone: only one of clipnorm, clipvalue and globalClipnorm can be set');
    this.validate(this.defaults as H);
  }

  protected validateCommon(h: H): void {
    check.nonNeg(this.name, 'learningRate', h.lr);
    check.nonNeg(this.name, 'weightDecay', h.weightDecay);
  }

  /** True once {@link KerasOptimizer.bind} was called. */
  get isBound(): boolean {
    return this.bound;
  }

  /**
   * Attach the variables to train (Keras `optimizer.build(var_list)`). Once only.
   *
   * @param params - Tensors (e.g. `model.trainableWeights`, `net.parameters()`) or parameter groups.
   * @returns this, for chaining.
   */
  bind(params: ParamsInput<H>): this {
    if (this.bound) throw new NNError(`${this.name}: already bound to variables; create a new optimizer for another model.`, this.name);
    this.addParams(params);
    this.bound = true;
    return this;
  }

  /** Bind on first use (when `params` are given and it is not bound yet), then {@link KerasOptimizer.step}. */
  apply(params?: ParamsInput<H>): void {
    if (!this.bound && params) this.bind(params);
    this.step();
  }

  override get lr(): number {
    return this.schedule ? evalLearningRate(this.schedule, this.iterations) : super.lr;
  }
  override set lr(v: number) {
    if (this.schedule) {
      throw new NNError(`${this.name}: this optimizer was created with a learning-rate schedule, hence its learning rate is not settable.`, this.name, 'Create it with a number as learningRate to set it later.');
    }
    super.lr = v;
  }

  override step<T = unknown>(closure?: () => T): T | undefined {
    if (!this.bound) {
      throw new NNError(`${this.name}: no variables bound.`, this.name, 'Call opt.bind(params) once (model.compile does it), or opt.apply(params).');
    }
    if (this.schedule) {
      const lr = evalLearningRate(this.schedule, this.iterations);
      for (const g of this.paramGroups) g.lr = lr;
    }
    const r = super.step(closure);
    this.iterations++;
    return r;
  }

  protected override applyUpdates(): void {
    const items = [...this.active()];
    let gs = items.map(([, g]) => g);
    if (this.clipnorm !== null) gs = gs.map((g) => clipByNorm(g, sqrt(sum(square(g))), this.clipnorm!));
    else if (this.globalClipnorm !== null) gs = clipByGlobalNorm(gs, this.globalClipnorm);
    else if (this.clipvalue !== null) gs = gs.map((g) => clip(g, -this.clipvalue!, this.clipvalue!));
    items.forEach(([p, , group], i) => {
      // The decay's scalar is the first of p's host scalars (see stepScalars).
      withScalarOwner(p, () => {
        if (group.weightDecay > 0) this.setParam(p, sub(p, mul(p, hostScalar(group.weightDecay * group.lr))));
        this.updateOne(p, gs[i]!, group as ParamGroup<H>);
      });
    });
  }

  /** @internal Adds the decoupled weight decay constant uploaded before the update; the learning rate is the schedule's at the next step. */
  protected override stepScalars(p: Tensor, s: ParamState, group: ParamGroup<H>): number[] | undefined {
    const lr = this.schedule ? evalLearningRate(this.schedule, this.iterations) : group.lr;
    // In hostStep the group already has the scheduled lr (beginHostStep): no copy per parameter and step.
    return this.stepScalarsAtLr(p, s, lr === group.lr ? group : { ...group, lr });
  }

  /** @internal */
  protected override stepScalarsAtLr(p: Tensor, s: ParamState, group: ParamGroup<H>): number[] | undefined {
    const own = this.updateScalars(p, s, group);
    return own && group.weightDecay > 0 ? [group.weightDecay * group.lr, ...own] : own;
  }

  /** @internal As `step()`: the groups take the scheduled learning rate, then `iterations` counts the step. */
  protected override beginHostStep(): void {
    if (this.schedule) {
      const lr = evalLearningRate(this.schedule, this.iterations);
      for (const g of this.paramGroups) g.lr = lr;
    }
  }
  /** @internal */
  protected override endHostStep(): void {
    this.iterations++;
  }

  protected override get iterationCount(): number {
    return this.iterations;
  }
  protected override set iterationCount(v: number) {
    this.iterations = v;
  }
}

