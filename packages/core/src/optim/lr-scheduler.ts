import { NNError, ValueError } from '../errors';
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

  /** The learning rate of group number `group` (starting rate `base`) at `epoch`. */
  abstract lrAt(epoch: number, base: number, group?: number): number;

  /** Advance one epoch and set the optimizer's learning rates. */
  step(): void {
    this.lastEpoch++;
    this.apply();
  }

  /** @internal Set every group's rate for {@link LRScheduler.lastEpoch}. */
  protected apply(): void {
    this.optimizer.paramGroups.forEach((g, i) => (g.lr = this.lrAt(this.lastEpoch, this.baseLrs[i]!, i)));
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
  lrAt(epoch: number, base: number, group = 0): number {
    if (epoch < this.warmupSteps) return base * (this.startFactor + ((1 - this.startFactor) * epoch) / this.warmupSteps);
    return this.after ? this.after.lrAt(epoch - this.warmupSteps, base, group) : base;
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

/**
 * lr = base · λ(epoch) (`torch.optim.lr_scheduler.LambdaLR`): any schedule written as a function,
 * e.g. the course's `1/(1 + decay·epoch)` or `0.95^epoch`.
 *
 * @param o - `lrLambda`: one function for all groups, or one per group.
 * @example
 * ```ts
 * const sched = new LambdaLR(opt, { lrLambda: (epoch) => 1 / (1 + 0.5 * epoch) });
 * ```
 */
export class LambdaLR extends LRScheduler {
  readonly lrLambdas: Array<(epoch: number) => number>;
  constructor(optimizer: HasParamGroups, o: { lrLambda: ((epoch: number) => number) | Array<(epoch: number) => number> }) {
    super(optimizer);
    const n = optimizer.paramGroups.length;
    if (Array.isArray(o.lrLambda) && o.lrLambda.length !== n) throw new InvalidHyperparameterError('LambdaLR', 'lrLambda', `${o.lrLambda.length} functions`, `one function or ${n} (one per group)`);
    if (![o.lrLambda].flat().every((f) => typeof f === 'function')) throw new InvalidHyperparameterError('LambdaLR', 'lrLambda', typeof o.lrLambda, 'a function (epoch) => factor, or one per group');
    this.lrLambdas = Array.isArray(o.lrLambda) ? [...o.lrLambda] : new Array<(e: number) => number>(n).fill(o.lrLambda);
    this.init();
  }
  lrAt(epoch: number, base: number, group = 0): number {
    return base * this.lrLambdas[group]!(epoch);
  }
}

/**
 * lr = base · γ^(number of milestones ≤ epoch) (`torch.optim.lr_scheduler.MultiStepLR`): the
 * course's discrete staircase at chosen epochs. A milestone listed twice counts twice, as in PyTorch.
 *
 * @param o - `milestones` (epoch indices) and `gamma` (@default 0.1).
 * @example
 * ```ts
 * const sched = new MultiStepLR(opt, { milestones: [30, 80], gamma: 0.1 }); // 0.1 → 0.01 → 0.001
 * ```
 */
export class MultiStepLR extends LRScheduler {
  readonly milestones: number[];
  readonly gamma: number;
  constructor(optimizer: HasParamGroups, o: { milestones: number[]; gamma?: number }) {
    super(optimizer);
    if (!Array.isArray(o.milestones) || !o.milestones.every((m) => Number.isInteger(m) && m >= 0)) {
      throw new InvalidHyperparameterError('MultiStepLR', 'milestones', o.milestones, 'a list of epoch indices (integers ≥ 0)');
    }
    this.milestones = [...o.milestones].sort((a, b) => a - b);
    this.gamma = o.gamma ?? 0.1;
    check.nonNeg('MultiStepLR', 'gamma', this.gamma);
    this.init();
  }
  lrAt(epoch: number, base: number): number {
    return base * this.gamma ** this.milestones.filter((m) => m <= epoch).length;
  }
}

/**
 * Polynomial decay to 0 over `totalIters` epochs (`torch.optim.lr_scheduler.PolynomialLR`, torch 1.13):
 * lr = base · (1 − min(epoch, totalIters)/totalIters)^power.
 *
 * @param o - `totalIters` (@default 5) and `power` (@default 1).
 * @example
 * ```ts
 * const sched = new PolynomialLR(opt, { totalIters: 100, power: 2 });
 * ```
 */
export class PolynomialLR extends LRScheduler {
  readonly totalIters: number;
  readonly power: number;
  constructor(optimizer: HasParamGroups, o: { totalIters?: number; power?: number } = {}) {
    super(optimizer);
    this.totalIters = o.totalIters ?? 5;
    check.posInt('PolynomialLR', 'totalIters', this.totalIters);
    this.power = o.power ?? 1;
    check.nonNeg('PolynomialLR', 'power', this.power);
    this.init();
  }
  lrAt(epoch: number, base: number): number {
    return base * (1 - Math.min(epoch, this.totalIters) / this.totalIters) ** this.power;
  }
}

/**
 * Cosine annealing with warm restarts (`torch.optim.lr_scheduler.CosineAnnealingWarmRestarts`, SGDR):
 * lr = ηmin + (base − ηmin)·(1 + cos(π·Tcur/Ti))/2, where the i-th period lasts Ti = T₀·Tmultⁱ
 * epochs and Tcur counts epochs since the last restart.
 *
 * @param o - `t0` (epochs of the first period, positive integer), `tMult` (integer ≥ 1, @default 1),
 *   `etaMin` (@default 0).
 * @example
 * ```ts
 * const sched = new CosineAnnealingWarmRestarts(opt, { t0: 10, tMult: 2 }); // restarts at 10, 30, 70 …
 * ```
 */
export class CosineAnnealingWarmRestarts extends LRScheduler {
  readonly t0: number;
  readonly tMult: number;
  readonly etaMin: number;
  constructor(optimizer: HasParamGroups, o: { t0: number; tMult?: number; etaMin?: number }) {
    super(optimizer);
    check.posInt('CosineAnnealingWarmRestarts', 't0', o.t0);
    this.t0 = o.t0;
    this.tMult = o.tMult ?? 1;
    check.posInt('CosineAnnealingWarmRestarts', 'tMult', this.tMult);
    this.etaMin = o.etaMin ?? 0;
    check.nonNeg('CosineAnnealingWarmRestarts', 'etaMin', this.etaMin);
    this.init();
  }
  lrAt(epoch: number, base: number): number {
    let tCur = epoch, tI = this.t0;
    if (this.tMult === 1) tCur = epoch % tI;
    else while (tCur >= tI) (tCur -= tI), (tI *= this.tMult);
    return this.etaMin + ((base - this.etaMin) * (1 + Math.cos((Math.PI * tCur) / tI))) / 2;
  }
}

/** Options of {@link OneCycleLR} (PyTorch 1.13 names and defaults). */
export interface OneCycleLROptions {
  /** Peak rate (one for all groups, or one per group). */
  maxLr: number | number[];
  /** Steps in the cycle; or give `epochs` and `stepsPerEpoch`. */
  totalSteps?: number;
  epochs?: number;
  stepsPerEpoch?: number;
  /** Fraction of the cycle spent increasing the rate. @default 0.3 */
  pctStart?: number;
  /** @default 'cos' */
  annealStrategy?: 'cos' | 'linear';
  /** Cycle momentum inversely to the rate (`momentum`, or `betas[0]` for Adam-like optimizers). @default true */
  cycleMomentum?: boolean;
  /** Lowest momentum (at the peak rate). @default 0.85 */
  baseMomentum?: number;
  /** Highest momentum (at the start and end). @default 0.95 */
  maxMomentum?: number;
  /** Starting rate = maxLr / divFactor. @default 25 */
  divFactor?: number;
  /** Final rate = starting rate / finalDivFactor. @default 1e4 */
  finalDivFactor?: number;
  /** Three phases (up, down to the start, then annihilate) instead of two. @default false */
  threePhase?: boolean;
}

interface Phase {
  end: number;
  lr: ['initial' | 'max' | 'min', 'initial' | 'max' | 'min'];
  mom: ['max' | 'base', 'max' | 'base'];
}

/**
 * The 1cycle policy (`torch.optim.lr_scheduler.OneCycleLR`, Smith & Topin 2017), stepped once per
 * batch: the rate goes from maxLr/divFactor up to maxLr over the first `pctStart` of `totalSteps`,
 * then down to maxLr/(divFactor·finalDivFactor), annealed by cosine (`a + (b − a)(1 − cos(π·pct))/2`)
 * or linearly. With `cycleMomentum` the optimizer's `momentum` (or `betas[0]`) goes the other way,
 * maxMomentum → baseMomentum → maxMomentum, and is set at construction as PyTorch does (so
 * `optim.SGD` without momentum gets momentum 0.95; pass `cycleMomentum: false` to keep it).
 *
 * @example
 * ```ts
 * const sched = new OneCycleLR(opt, { maxLr: 0.1, epochs: 10, stepsPerEpoch: loader.length });
 * for (const batch of loader) { train(batch); sched.step(); }
 * ```
 */
export class OneCycleLR extends LRScheduler {
  readonly totalSteps: number;
  readonly maxLrs: number[];
  readonly divFactor: number;
  readonly finalDivFactor: number;
  readonly annealStrategy: 'cos' | 'linear';
  readonly cycleMomentum: boolean;
  readonly baseMomentum: number;
  readonly maxMomentum: number;
  private readonly phases: Phase[];

  constructor(optimizer: HasParamGroups, o: OneCycleLROptions) {
    super(optimizer);
    const n = optimizer.paramGroups.length;
    if (o.totalSteps !== undefined) {
      check.posInt('OneCycleLR', 'totalSteps', o.totalSteps);
      this.totalSteps = o.totalSteps;
    } else if (o.epochs !== undefined && o.stepsPerEpoch !== undefined) {
      check.posInt('OneCycleLR', 'epochs', o.epochs);
      check.posInt('OneCycleLR', 'stepsPerEpoch', o.stepsPerEpoch);
      this.totalSteps = o.epochs * o.stepsPerEpoch;
    } else {
      throw new InvalidHyperparameterError('OneCycleLR', 'totalSteps', undefined, 'given (or both epochs and stepsPerEpoch)');
    }
    const pct = o.pctStart ?? 0.3;
    check.range('OneCycleLR', 'pctStart', pct, 0, 1, true);
    this.annealStrategy = o.annealStrategy ?? 'cos';
    check.oneOf('OneCycleLR', 'annealStrategy', this.annealStrategy, ['cos', 'linear']);
    if (Array.isArray(o.maxLr) && o.maxLr.length !== n) throw new InvalidHyperparameterError('OneCycleLR', 'maxLr', o.maxLr, `one value or ${n} (one per group)`);
    this.maxLrs = Array.isArray(o.maxLr) ? [...o.maxLr] : new Array<number>(n).fill(o.maxLr);
    this.maxLrs.forEach((v, i) => check.nonNeg('OneCycleLR', `maxLr[${i}]`, v));
    this.divFactor = o.divFactor ?? 25;
    check.pos('OneCycleLR', 'divFactor', this.divFactor);
    this.finalDivFactor = o.finalDivFactor ?? 1e4;
    check.pos('OneCycleLR', 'finalDivFactor', this.finalDivFactor);
    const T = this.totalSteps;
    this.phases = o.threePhase
      ? [
          { end: pct * T - 1, lr: ['initial', 'max'], mom: ['max', 'base'] },
          { end: 2 * pct * T - 2, lr: ['max', 'initial'], mom: ['base', 'max'] },
          { end: T - 1, lr: ['initial', 'min'], mom: ['max', 'max'] },
        ]
      : [
          { end: pct * T - 1, lr: ['initial', 'max'], mom: ['max', 'base'] },
          { end: T - 1, lr: ['max', 'min'], mom: ['base', 'max'] },
        ];
    this.cycleMomentum = o.cycleMomentum ?? true;
    this.baseMomentum = o.baseMomentum ?? 0.85;
    this.maxMomentum = o.maxMomentum ?? 0.95;
    if (this.cycleMomentum) {
      const g = optimizer.paramGroups[0] as { momentum?: unknown; betas?: unknown } | undefined;
      if (!g || (typeof g.momentum !== 'number' && !Array.isArray(g.betas))) {
        throw new InvalidHyperparameterError('OneCycleLR', 'cycleMomentum', true, 'false for an optimizer without momentum or betas (optimizer must support momentum with `cycle_momentum` option enabled)');
      }
    }
    this.baseLrs.splice(0, n, ...this.maxLrs.map((m) => m / this.divFactor));
    this.init();
  }

  private anneal(a: number, b: number, pct: number): number {
    return this.annealStrategy === 'cos' ? b + ((a - b) / 2) * (Math.cos(Math.PI * pct) + 1) : (b - a) * pct + a;
  }

  /** The phase of `epoch` and how far into it (PyTorch's `get_lr` walk). */
  private where(epoch: number): { phase: Phase; pct: number } {
    if (epoch > this.totalSteps) {
      throw new ValueError(`OneCycleLR: tried to step ${epoch} times; the specified number of total steps is ${this.totalSteps}.`, 'OneCycleLR', 'Give totalSteps (or epochs × stepsPerEpoch) covering every sched.step() call.');
    }
    let start = 0;
    for (let i = 0; i < this.phases.length; i++) {
      const phase = this.phases[i]!;
      if (epoch <= phase.end || i === this.phases.length - 1) return { phase, pct: (epoch - start) / (phase.end - start) };
      start = phase.end;
    }
    throw new Error('unreachable');
  }

  lrAt(epoch: number, _base: number, group = 0): number {
    const initial = this.maxLrs[group]! / this.divFactor;
    const v = { initial, max: this.maxLrs[group]!, min: initial / this.finalDivFactor };
    const { phase, pct } = this.where(epoch);
    return this.anneal(v[phase.lr[0]], v[phase.lr[1]], pct);
  }

  /** The momentum (or β₁) at `epoch`. */
  momentumAt(epoch: number): number {
    const v = { max: this.maxMomentum, base: this.baseMomentum };
    const { phase, pct } = this.where(epoch);
    return this.anneal(v[phase.mom[0]], v[phase.mom[1]], pct);
  }

  protected override apply(): void {
    super.apply();
    if (!this.cycleMomentum) return;
    const m = this.momentumAt(this.lastEpoch);
    for (const g of this.optimizer.paramGroups as Array<{ momentum?: number; betas?: readonly number[] }>) {
      if (Array.isArray(g.betas)) g.betas = [m, ...g.betas.slice(1)];
      else g.momentum = m;
    }
  }
}
