import { check, InvalidHyperparameterError } from './errors';

/**
 * A Keras-style learning-rate schedule: the learning rate as a function of the optimizer's step
 * count (`iterations`, 0 for the first update). Pass one as `learningRate` to a Keras-door optimizer.
 */
export interface LearningRateSchedule {
  /** The learning rate for update number `step` (0-based). */
  call(step: number): number;
  /** Hyperparameters, for logging and checkpoints. */
  getConfig(): Record<string, number | boolean | number[] | null>;
}

/** What a Keras-door `learningRate` accepts: a number, a schedule object, or `step => lr`. */
export type LearningRateLike = number | LearningRateSchedule | ((step: number) => number);

/** @internal Evaluate a {@link LearningRateLike} at `step`. */
export function evalLearningRate(lr: LearningRateLike, step: number): number {
  return typeof lr === 'number' ? lr : typeof lr === 'function' ? lr(step) : lr.call(step);
}

/** Options of {@link ExponentialDecay}. */
export interface ExponentialDecayOptions {
  initialLearningRate: number;
  /** Steps per decay period; > 0. */
  decaySteps: number;
  /** Factor per period; > 0. */
  decayRate: number;
  /** Decay in whole periods (`floor(step / decaySteps)`). @default false */
  staircase?: boolean;
}

/**
 * `lr = initialLearningRate · decayRate^(step / decaySteps)` (Keras
 * `keras.optimizers.schedules.ExponentialDecay`).
 *
 * @example
 * ```ts
 * const opt = optimizers.SGD({ learningRate: new ExponentialDecay({ initialLearningRate: 0.1, decaySteps: 1000, decayRate: 0.96 }) });
 * ```
 */
export class ExponentialDecay implements LearningRateSchedule {
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly decayRate: number;
  readonly staircase: boolean;
  constructor(o: ExponentialDecayOptions) {
    check.nonNeg('ExponentialDecay', 'initialLearningRate', o.initialLearningRate);
    check.pos('ExponentialDecay', 'decaySteps', o.decaySteps);
    check.pos('ExponentialDecay', 'decayRate', o.decayRate);
    this.initialLearningRate = o.initialLearningRate;
    this.decaySteps = o.decaySteps;
    this.decayRate = o.decayRate;
    this.staircase = o.staircase ?? false;
  }
  call(step: number): number {
    let p = step / this.decaySteps;
    if (this.staircase) p = Math.floor(p);
    return this.initialLearningRate * this.decayRate ** p;
  }
  getConfig() {
    return { initialLearningRate: this.initialLearningRate, decaySteps: this.decaySteps, decayRate: this.decayRate, staircase: this.staircase };
  }
}

/** Options of {@link CosineDecay}. */
export interface CosineDecayOptions {
  initialLearningRate: number;
  /** Steps to decay over; > 0. */
  decaySteps: number;
  /** Floor, as a fraction of the starting rate. @default 0 */
  alpha?: number;
  /** Rate reached at the end of a linear warmup (no warmup when null). @default null */
  warmupTarget?: number | null;
  /** Steps of linear warmup from `initialLearningRate` to `warmupTarget`. @default 0 */
  warmupSteps?: number;
}

/**
 * Cosine decay with optional linear warmup (Keras `CosineDecay`, SGDR without restarts):
 * `lr = start · ((1 − alpha) · ½(1 + cos(π · min(s, decaySteps) / decaySteps)) + alpha)`, where
 * `start` is `warmupTarget` (after warmup) or `initialLearningRate`, and `s` counts steps after warmup.
 */
export class CosineDecay implements LearningRateSchedule {
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly alpha: number;
  readonly warmupTarget: number | null;
  readonly warmupSteps: number;
  constructor(o: CosineDecayOptions) {
    check.nonNeg('CosineDecay', 'initialLearningRate', o.initialLearningRate);
    check.pos('CosineDecay', 'decaySteps', o.decaySteps);
    this.alpha = o.alpha ?? 0;
    check.range('CosineDecay', 'alpha', this.alpha, 0, 1, true);
    this.warmupTarget = o.warmupTarget ?? null;
    this.warmupSteps = o.warmupSteps ?? 0;
    check.nonNeg('CosineDecay', 'warmupSteps', this.warmupSteps);
    if (this.warmupTarget !== null) check.nonNeg('CosineDecay', 'warmupTarget', this.warmupTarget);
    this.initialLearningRate = o.initialLearningRate;
    this.decaySteps = o.decaySteps;
  }
  private decayed(start: number, step: number): number {
    const frac = Math.min(step, this.decaySteps) / this.decaySteps;
    const cos = 0.5 * (1 + Math.cos(Math.PI * frac));
    return start * ((1 - this.alpha) * cos + this.alpha);
  }
  call(step: number): number {
    if (this.warmupTarget === null) return this.decayed(this.initialLearningRate, step);
    if (step < this.warmupSteps) {
      return this.initialLearningRate + (this.warmupTarget - this.initialLearningRate) * (step / this.warmupSteps);
    }
    return this.decayed(this.warmupTarget, step - this.warmupSteps);
  }
  getConfig() {
    return { initialLearningRate: this.initialLearningRate, decaySteps: this.decaySteps, alpha: this.alpha, warmupTarget: this.warmupTarget, warmupSteps: this.warmupSteps };
  }
}

/** Options of {@link PiecewiseConstantDecay}. */
export interface PiecewiseConstantDecayOptions {
  /** Increasing step boundaries. */
  boundaries: number[];
  /** One more value than boundaries. */
  values: number[];
}

/**
 * Piecewise constant rate (Keras `PiecewiseConstantDecay`): `values[0]` while step ≤
 * `boundaries[0]`, `values[i]` while `boundaries[i−1]` < step ≤ `boundaries[i]`, the last value after.
 *
 * @example
 * ```ts
 * new PiecewiseConstantDecay({ boundaries: [100000, 110000], values: [1.0, 0.5, 0.1] });
 * ```
 */
export class PiecewiseConstantDecay implements LearningRateSchedule {
  readonly boundaries: number[];
  readonly values: number[];
  constructor(o: PiecewiseConstantDecayOptions) {
    if (o.values.length !== o.boundaries.length + 1) {
      throw new InvalidHyperparameterError('PiecewiseConstantDecay', 'values', o.values, `one longer than boundaries (${o.boundaries.length + 1} values)`);
    }
    for (let i = 1; i < o.boundaries.length; i++) {
      if (!(o.boundaries[i]! > o.boundaries[i - 1]!)) throw new InvalidHyperparameterError('PiecewiseConstantDecay', 'boundaries', o.boundaries, 'strictly increasing');
    }
    this.boundaries = [...o.boundaries];
    this.values = [...o.values];
  }
  call(step: number): number {
    for (let i = 0; i < this.boundaries.length; i++) if (step <= this.boundaries[i]!) return this.values[i]!;
    return this.values[this.values.length - 1]!;
  }
  getConfig() {
    return { boundaries: [...this.boundaries], values: [...this.values] };
  }
}

/** Options of {@link InverseTimeDecay}. */
export interface InverseTimeDecayOptions {
  initialLearningRate: number;
  /** Steps per decay unit (`steps per epoch` gives the course's per-epoch form); > 0. */
  decaySteps: number;
  /** The course's `decay_rate`; ≥ 0. */
  decayRate: number;
  /** Decay in whole units (`floor(step / decaySteps)`), a discrete staircase. @default false */
  staircase?: boolean;
}

/**
 * `lr = initialLearningRate / (1 + decayRate · step / decaySteps)` (Keras
 * `keras.optimizers.schedules.InverseTimeDecay`, Keras 3 `learning_rate_schedule.py`); with
 * `staircase`, `step / decaySteps` is floored.
 *
 * This is the course's `α = 1/(1 + decay_rate · epoch_num) · α₀` with `decaySteps` = steps per
 * epoch and `staircase: true`, except that Keras counts from 0 (the first epoch uses α₀) where the
 * course's `epoch_num` starts at 1 (its first epoch uses α₀/(1 + decay_rate)).
 *
 * @example
 * ```ts
 * // α₀ = 0.2, decay_rate = 1, one decay per epoch of 100 batches: 0.2, 0.1, 0.0667, 0.05 …
 * const lr = new InverseTimeDecay({ initialLearningRate: 0.2, decaySteps: 100, decayRate: 1, staircase: true });
 * const opt = optimizers.SGD({ learningRate: lr });
 * ```
 */
export class InverseTimeDecay implements LearningRateSchedule {
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly decayRate: number;
  readonly staircase: boolean;
  constructor(o: InverseTimeDecayOptions) {
    check.nonNeg('InverseTimeDecay', 'initialLearningRate', o.initialLearningRate);
    check.pos('InverseTimeDecay', 'decaySteps', o.decaySteps);
    check.nonNeg('InverseTimeDecay', 'decayRate', o.decayRate);
    this.initialLearningRate = o.initialLearningRate;
    this.decaySteps = o.decaySteps;
    this.decayRate = o.decayRate;
    this.staircase = o.staircase ?? false;
  }
  call(step: number): number {
    let p = step / this.decaySteps;
    if (this.staircase) p = Math.floor(p);
    return this.initialLearningRate / (1 + this.decayRate * p);
  }
  getConfig() {
    return { initialLearningRate: this.initialLearningRate, decaySteps: this.decaySteps, decayRate: this.decayRate, staircase: this.staircase };
  }
}

/** Options of {@link InverseSqrtDecay}. */
export interface InverseSqrtDecayOptions {
  initialLearningRate: number;
  /** Steps per epoch; > 0. */
  decaySteps: number;
  /** The course's constant `k`; > 0. @default 1 */
  k?: number;
  /** Change the rate once per epoch (floor the epoch count), a discrete staircase. @default true */
  staircase?: boolean;
}

/**
 * The course's `α = k / √epoch_num · α₀`: `lr = initialLearningRate · k / √(step / decaySteps + 1)`,
 * with `epoch_num = step / decaySteps + 1` counted from 1 as the course does (so the first epoch
 * uses `k·α₀` and the rate is never infinite). With `staircase` (the default) `step / decaySteps`
 * is floored, so the rate changes once per epoch.
 *
 * Not a Keras class: Keras has no inverse-square-root schedule; this one follows the Keras
 * schedule interface so that it can be passed as any Keras-door optimizer's `learningRate`.
 *
 * @example
 * ```ts
 * // α₀ = 0.1, k = 1, 100 batches per epoch: 0.1, 0.0707, 0.0577, 0.05 …
 * const opt = optimizers.SGD({ learningRate: new InverseSqrtDecay({ initialLearningRate: 0.1, decaySteps: 100 }) });
 * ```
 */
export class InverseSqrtDecay implements LearningRateSchedule {
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly k: number;
  readonly staircase: boolean;
  constructor(o: InverseSqrtDecayOptions) {
    check.nonNeg('InverseSqrtDecay', 'initialLearningRate', o.initialLearningRate);
    check.pos('InverseSqrtDecay', 'decaySteps', o.decaySteps);
    this.k = o.k ?? 1;
    check.pos('InverseSqrtDecay', 'k', this.k);
    this.initialLearningRate = o.initialLearningRate;
    this.decaySteps = o.decaySteps;
    this.staircase = o.staircase ?? true;
  }
  call(step: number): number {
    let p = step / this.decaySteps;
    if (this.staircase) p = Math.floor(p);
    return (this.initialLearningRate * this.k) / Math.sqrt(p + 1);
  }
  getConfig() {
    return { initialLearningRate: this.initialLearningRate, decaySteps: this.decaySteps, k: this.k, staircase: this.staircase };
  }
}

/** Options of {@link PolynomialDecay} (Keras 3 defaults). */
export interface PolynomialDecayOptions {
  initialLearningRate: number;
  /** Steps to decay over; > 0. */
  decaySteps: number;
  /** Rate reached after `decaySteps`. @default 0.0001 */
  endLearningRate?: number;
  /** Exponent of the polynomial. @default 1 */
  power?: number;
  /** Restart beyond `decaySteps` with a longer period (see {@link PolynomialDecay}). @default false */
  cycle?: boolean;
}

/**
 * Polynomial decay (Keras `keras.optimizers.schedules.PolynomialDecay`):
 * `lr = (initial − end) · (1 − s / D)^power + end`, with `s = min(step, decaySteps)`, `D = decaySteps`;
 * with `cycle`, `s = step` and `D = decaySteps · ceil(step / decaySteps)` (1 at step 0), so the
 * rate rises again at every multiple of `decaySteps` and decays over a longer period.
 *
 * @example
 * ```ts
 * new PolynomialDecay({ initialLearningRate: 0.1, decaySteps: 10000, endLearningRate: 0.01, power: 0.5 });
 * ```
 */
export class PolynomialDecay implements LearningRateSchedule {
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly endLearningRate: number;
  readonly power: number;
  readonly cycle: boolean;
  constructor(o: PolynomialDecayOptions) {
    check.nonNeg('PolynomialDecay', 'initialLearningRate', o.initialLearningRate);
    check.pos('PolynomialDecay', 'decaySteps', o.decaySteps);
    this.endLearningRate = o.endLearningRate ?? 0.0001;
    check.nonNeg('PolynomialDecay', 'endLearningRate', this.endLearningRate);
    this.power = o.power ?? 1;
    check.nonNeg('PolynomialDecay', 'power', this.power);
    this.initialLearningRate = o.initialLearningRate;
    this.decaySteps = o.decaySteps;
    this.cycle = o.cycle ?? false;
  }
  call(step: number): number {
    let s = step, d = this.decaySteps;
    if (this.cycle) d *= step === 0 ? 1 : Math.ceil(step / this.decaySteps);
    else s = Math.min(step, d);
    return (this.initialLearningRate - this.endLearningRate) * (1 - s / d) ** this.power + this.endLearningRate;
  }
  getConfig() {
    return { initialLearningRate: this.initialLearningRate, decaySteps: this.decaySteps, endLearningRate: this.endLearningRate, power: this.power, cycle: this.cycle };
  }
}

/** Options of {@link CosineDecayRestarts} (Keras 3 defaults). */
export interface CosineDecayRestartsOptions {
  initialLearningRate: number;
  /** Steps of the first period; > 0. */
  firstDecaySteps: number;
  /** Each period is `tMul` times longer than the one before; > 0. @default 2 */
  tMul?: number;
  /** Each restart starts at `mMul` times the previous period's starting rate; ≥ 0. @default 1 */
  mMul?: number;
  /** Floor, as a fraction of the starting rate. @default 0 */
  alpha?: number;
}

/**
 * Cosine decay with warm restarts (Keras `keras.optimizers.schedules.CosineDecayRestarts`, SGDR,
 * Loshchilov & Hutter 2016). With `f = step / firstDecaySteps`: the period index is
 * `i = floor(f)` when `tMul = 1`, else `i = floor(log(1 − f(1 − tMul)) / log(tMul))`, and the
 * fraction done of period `i` is `f − i`, resp. `(f − (1 − tMulⁱ)/(1 − tMul)) / tMulⁱ`; then
 * `lr = initialLearningRate · ((1 − alpha) · ½ · mMulⁱ · (1 + cos(π · fraction)) + alpha)`.
 *
 * @example
 * ```ts
 * new CosineDecayRestarts({ initialLearningRate: 0.1, firstDecaySteps: 1000 }); // periods 1000, 2000, 4000 …
 * ```
 */
export class CosineDecayRestarts implements LearningRateSchedule {
  readonly initialLearningRate: number;
  readonly firstDecaySteps: number;
  readonly tMul: number;
  readonly mMul: number;
  readonly alpha: number;
  constructor(o: CosineDecayRestartsOptions) {
    check.nonNeg('CosineDecayRestarts', 'initialLearningRate', o.initialLearningRate);
    check.pos('CosineDecayRestarts', 'firstDecaySteps', o.firstDecaySteps);
    this.tMul = o.tMul ?? 2;
    check.pos('CosineDecayRestarts', 'tMul', this.tMul);
    this.mMul = o.mMul ?? 1;
    check.nonNeg('CosineDecayRestarts', 'mMul', this.mMul);
    this.alpha = o.alpha ?? 0;
    check.range('CosineDecayRestarts', 'alpha', this.alpha, 0, 1, true);
    this.initialLearningRate = o.initialLearningRate;
    this.firstDecaySteps = o.firstDecaySteps;
  }
  call(step: number): number {
    let f = step / this.firstDecaySteps;
    let i: number;
    if (this.tMul === 1) {
      i = Math.floor(f);
      f -= i;
    } else {
      i = Math.floor(Math.log(1 - f * (1 - this.tMul)) / Math.log(this.tMul));
      const done = (1 - this.tMul ** i) / (1 - this.tMul);
      f = (f - done) / this.tMul ** i;
    }
    const cos = 0.5 * this.mMul ** i * (1 + Math.cos(Math.PI * f));
    return this.initialLearningRate * ((1 - this.alpha) * cos + this.alpha);
  }
  getConfig() {
    return { initialLearningRate: this.initialLearningRate, firstDecaySteps: this.firstDecaySteps, tMul: this.tMul, mMul: this.mMul, alpha: this.alpha };
  }
}
