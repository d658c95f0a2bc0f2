import { NNError } from '../errors';
import { check, InvalidHyperparameterError } from './errors';

/** What a scheduler needs from an optimizer: its groups' learning rates. */
export interface HasParamGroups {
  readonly paramGroups: Array<{ lr: number }>;
  readonly schedule?: unknown;
}

/**
 * Base of the PyTorch-style schedulers (`torch.optim.lr_scheduler`): call `step()` once per epoch
 * (or per batch) after `optimizer.step()`; it sets every group's `lr` from the group's starting rate.
 * Construction counts as epoch 0 (as in PyTorch, where the constructor calls `step()` once).
 */
export abstract class LRScheduler {
  /** Starting rate of each group. */
  readonly baseLrs: number[];
  /** Epochs stepped so far (0 after construction). */
  lastEpoch = 0;

  constructor(readonly optimizer: HasParamGroups) {
    if (optimizer.schedule) {
      throw new NNError(`${new.target.name}: the optimizer already follows a Keras learning-rate schedule.`, new.target.name, 'Pass a number as learningRate, or use only one of the two.');
    }
    this.baseLrs = optimizer.paramGroups.map((g) => g.lr);
  }

  /** @internal Subclasses call this at the end of their constructor. */
  protected init(): void {
    this.apply();
  }

  /** The learning rate of a group with starting rate `base` at `epoch`. */
  abstract lrAt(epoch: number, base: number): number;

  /** Advance one epoch and set the optimizer's learning rates. */
  step(): void {
    this.lastEpoch++;
    this.apply();
  }

  private apply(): void {
    this.optimizer.paramGroups.forEach((g, i) => (g.lr = this.lrAt(this.lastEpoch, this.baseLrs[i]!)));
  }

  /** The last learning rates set (one per group). */
  getLastLr(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }

  /** State as plain data. */
  stateDict(): { lastEpoch: number; baseLrs: number[] } {
    return { lastEpoch: this.lastEpoch, baseLrs: [...this.baseLrs] };
  }

  /** Restore {@link LRScheduler.stateDict} and set the rates for that epoch. */
  loadStateDict(sd: { lastEpoch: number; baseLrs: number[] }): void {
    this.lastEpoch = sd.lastEpoch;
    this.baseLrs.splice(0, this.baseLrs.length, ...sd.baseLrs);
    this.apply();
  }
}

/**
 * Multiply the rate by `gamma` every `stepSize` epochs: lr = base·γ^⌊epoch/stepSize⌋ (`StepLR`).
 *
 * @example
 * ```ts
 * const sched = new StepLR(opt, { stepSize: 30, gamma: 0.1 });
 * for (let e = 0; e < 100; e++) { train(); sched.step(); }
 * ```
 */
export class StepLR extends LRScheduler {
  readonly stepSize: number;
  readonly gamma: number;
  /** @param o - `stepSize` (positive integer) and `gamma` (@default 0.1). */
  constructor(optimizer: HasParamGroups, o: { stepSize: number; gamma?: number }) {
    super(optimizer);
    check.posInt('StepLR', 'stepSize', o.stepSize);
    this.stepSize = o.stepSize;
    this.gamma = o.gamma ?? 0.1;
    check.nonNeg('StepLR', 'gamma', this.gamma);
    this.init();
  }
  lrAt(epoch: number, base: number): number {
    return base * this.gamma ** Math.floor(epoch / this.stepSize);
  }
}

/** lr = base·γ^epoch (`ExponentialLR`). */
export class ExponentialLR extends LRScheduler {
  readonly gamma: number;
  /** @param o - `gamma`, the factor per epoch. */
  constructor(optimizer: HasParamGroups, o: { gamma: number }) {
    super(optimizer);
    check.nonNeg('ExponentialLR', 'gamma', o.gamma);
    this.gamma = o.gamma;
    this.init();
  }
  lrAt(epoch: number, base: number): number {
    return base * this.gamma ** epoch;
  }
}

/**
 * Cosine annealing (`CosineAnnealingLR`, closed form of SGDR without restarts):
 * lr = ηmin + (base − ηmin)·(1 + cos(π·epoch/tMax))/2.
 */
export class CosineAnnealingLR extends LRScheduler {
  readonly tMax: number;
  readonly etaMin: number;
  /** @param o - `tMax` (epochs of one half period) and `etaMin` (@default 0). */
  constructor(optimizer: HasParamGroups, o: { tMax: number; etaMin?: number }) {
    super(optimizer);
    check.pos('CosineAnnealingLR', 'tMax', o.tMax);
    this.tMax = o.tMax;
    this.etaMin = o.etaMin ?? 0;
    check.nonNeg('CosineAnnealingLR', 'etaMin', this.etaMin);
    this.init();
  }
  lrAt(epoch: number, base: number): number {
    return this.etaMin + ((base - this.etaMin) * (1 + Math.cos((Math.PI * epoch) / this.tMax))) / 2;
  }
}

/** Options of {@link LinearWarmup}. */
export interface LinearWarmupOptions {
  /** Epochs (or steps) of warmup. */
  warmupSteps: number;
  /** Fraction of the base rate at epoch 0. @default 0 */
  startFactor?: number;
  /** Schedule to follow after warmup (its epoch 0 is the first epoch after warmup). */
  after?: LRScheduler;
}

/**
 * Linear warmup from `startFactor·base` to `base` over `warmupSteps`, then the wrapped schedule
 * (PyTorch `LinearLR` + `SequentialLR` in one).
 *
 * @example
 * ```ts
 * const sched = new LinearWarmup(opt, { warmupSteps: 5, after: new CosineAnnealingLR(opt, { tMax: 95 }) });
 * ```
 */
export class LinearWarmup extends LRScheduler {
  readonly warmupSteps: number;
  readonly startFactor: number;
  readonly after: LRScheduler | null;
  constructor(optimizer: HasParamGroups, o: LinearWarmupOptions) {
    super(optimizer);
    check.posInt('LinearWarmup', 'warmupSteps', o.warmupSteps);
    this.warmupSteps = o.warmupSteps;
    this.startFactor = o.startFactor ?? 0;
    check.range('LinearWarmup', 'startFactor', this.startFactor, 0, 1, true);
    this.after = o.after ?? null;
    if (this.after && this.after.optimizer !== optimizer) throw new InvalidHyperparameterError('LinearWarmup', 'after', 'a scheduler of another optimizer', 'a scheduler of the same optimizer');
    if (this.after) this.baseLrs.splice(0, this.baseLrs.length, ...this.after.baseLrs);
    this.init();
  }
  lrAt(epoch: number, base: number): number {
    if (epoch < this.warmupSteps) return base * (this.startFactor + ((1 - this.startFactor) * epoch) / this.warmupSteps);
    return this.after ? this.after.lrAt(epoch - this.warmupSteps, base) : base;
  }
}

/** Options of {@link ReduceLROnPlateau} (PyTorch names and defaults). */
export interface ReduceLROnPlateauOptions {
  /** `'min'`: lower metric is better (a loss); `'max'`: higher is better. @default 'min' */
  mode?: 'min' | 'max';
  /** Multiply the rate by this on a plateau; < 1. @default 0.1 */
  factor?: number;
  /** Epochs without improvement tolerated before reducing. @default 10 */
  patience?: number;
  /** Smallest change that counts as an improvement. @default 1e-4 */
  threshold?: number;
  /** `'rel'`: improvement relative to the best (best·(1 ∓ threshold)); `'abs'`: best ∓ threshold. @default 'rel' */
  thresholdMode?: 'rel' | 'abs';
  /** Epochs to wait after a reduction before counting again. @default 0 */
  cooldown?: number;
  /** Lower bound of the rate (one per group, or one for all). @default 0 */
  minLr?: number | number[];
  /** Reductions smaller than this are skipped. @default 1e-8 */
  eps?: number;
}

/**
 * Reduce the rate when a metric has stopped improving (`torch.optim.lr_scheduler.ReduceLROnPlateau`):
 * call `step(valLoss)` once per epoch.
 *
 * @example
 * ```ts
 * const sched = new ReduceLROnPlateau(opt, { mode: 'min', factor: 0.5, patience: 2 });
 * sched.step(valLoss);
 * ```
 */
export class ReduceLROnPlateau {
  readonly mode: 'min' | 'max';
  readonly factor: number;
  readonly patience: number;
  readonly threshold: number;
  readonly thresholdMode: 'rel' | 'abs';
  readonly cooldown: number;
  readonly minLrs: number[];
  readonly eps: number;
  best: number;
  numBadEpochs = 0;
  cooldownCounter = 0;
  lastEpoch = 0;

  constructor(readonly optimizer: HasParamGroups, o: ReduceLROnPlateauOptions = {}) {
    this.mode = o.mode ?? 'min';
    check.oneOf('ReduceLROnPlateau', 'mode', this.mode, ['min', 'max']);
    this.factor = o.factor ?? 0.1;
    if (!(this.factor < 1 && this.factor >= 0)) throw new InvalidHyperparameterError('ReduceLROnPlateau', 'factor', this.factor, '< 1.0', 'factor');
    this.patience = o.patience ?? 10;
    check.nonNeg('ReduceLROnPlateau', 'patience', this.patience);
    this.threshold = o.threshold ?? 1e-4;
    check.nonNeg('ReduceLROnPlateau', 'threshold', this.threshold);
    this.thresholdMode = o.thresholdMode ?? 'rel';
    check.oneOf('ReduceLROnPlateau', 'thresholdMode', this.thresholdMode, ['rel', 'abs']);
    this.cooldown = o.cooldown ?? 0;
    check.nonNeg('ReduceLROnPlateau', 'cooldown', this.cooldown);
    const n = optimizer.paramGroups.length;
    const min = o.minLr ?? 0;
    if (Array.isArray(min) && min.length !== n) throw new InvalidHyperparameterError('ReduceLROnPlateau', 'minLr', min, `one value or ${n} values (one per group)`);
    this.minLrs = Array.isArray(min) ? [...min] : new Array<number>(n).fill(min);
    this.eps = o.eps ?? 1e-8;
    this.best = this.mode === 'min' ? Infinity : -Infinity;
  }

  private isBetter(a: number): boolean {
    const { mode, thresholdMode: tm, threshold: t, best } = this;
    if (mode === 'min') return tm === 'rel' ? a < best * (1 - t) : a < best - t;
    return tm === 'rel' ? a > best * (1 + t) : a > best + t;
  }

  /** Record this epoch's metric; reduce the rate after `patience` epochs without improvement. */
  step(metric: number): void {
    this.lastEpoch++;
    if (this.isBetter(metric)) {
      this.best = metric;
      this.numBadEpochs = 0;
    } else this.numBadEpochs++;
    if (this.cooldownCounter > 0) {
      this.cooldownCounter--;
      this.numBadEpochs = 0;
    }
    if (this.numBadEpochs > this.patience) {
      this.optimizer.paramGroups.forEach((g, i) => {
        const next = Math.max(g.lr * this.factor, this.minLrs[i]!);
        if (g.lr - next > this.eps) g.lr = next;
      });
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
  }

  /** The current learning rates. */
  getLastLr(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }

  /** State as plain JSON (an infinite `best`, before the first step, is stored as null). */
  stateDict(): { best: number | null; numBadEpochs: number; cooldownCounter: number; lastEpoch: number } {
    return { best: Number.isFinite(this.best) ? this.best : null, numBadEpochs: this.numBadEpochs, cooldownCounter: this.cooldownCounter, lastEpoch: this.lastEpoch };
  }

  loadStateDict(sd: { best: number | null; numBadEpochs: number; cooldownCounter: number; lastEpoch: number }): void {
    this.best = sd.best ?? (this.mode === 'min' ? Infinity : -Infinity);
    this.numBadEpochs = sd.numBadEpochs;
    this.cooldownCounter = sd.cooldownCounter;
    this.lastEpoch = sd.lastEpoch;
  }
}
