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
