/** Asynchronous successive halving (ASHA) and Hyperband. */
import { InvalidOptionError } from '../errors.js';
import { deriveSeed } from '../prng.js';
import type { Direction, FrozenTrial } from '../types.js';
import type { Pruner, PrunerContext, PrunerSpec } from './pruner.js';
import { reportedSteps } from './pruner.js';

/** Options of {@link successiveHalving}. */
export interface SuccessiveHalvingOptions {
  /** Steps (e.g. epochs) a trial runs before its first rung. @default 1 */
  minResource?: number;
  /** η: only the best 1/η of the trials at a rung go on. @default 3 */
  reductionFactor?: number;
  /** s: the first rung is at minResource·η^s. @default 0 */
  minEarlyStoppingRate?: number;
}

function checkInt(where: string, k: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min) throw new InvalidOptionError(where, k, v, `an integer ≥ ${min}`);
}

/** A trial's value at a rung: its value at the first reported step ≥ the rung's step. */
function rungValue(intermediate: Readonly<Record<number, number>>, rungStep: number): { step: number; value: number } | null {
  const s = reportedSteps(intermediate).find((x) => x >= rungStep);
  return s === undefined ? null : { step: s, value: intermediate[s]! };
}

/** Optuna's promotion rule: top ⌊n/η⌋ of the rung (at least the single best) go on. */
function promotable(value: number, competing: number[], eta: number, direction: Direction): boolean {
  const sorted = [...competing].sort((a, b) => a - b);
  let idx = Math.floor(sorted.length / eta) - 1;
  if (idx === -1) idx = 0;
  return direction === 'maximize' ? value >= sorted[sorted.length - 1 - idx]! : value <= sorted[idx]!;
}

/** Shared decision of ASHA among `peers`. */
function ashaPrune(
  ctx: PrunerContext,
  peers: readonly FrozenTrial[],
  minResource: number,
  eta: number,
  rate: number,
): boolean {
  const steps = reportedSteps(ctx.trial.intermediate);
  if (steps.length === 0) return false;
  const step = steps[steps.length - 1]!;
  if (Number.isNaN(ctx.trial.intermediate[step]!)) return true;
  for (let rung = 0; ; rung++) {
    const rungStep = minResource * eta ** (rate + rung);
    if (step < rungStep) return false;
    const mine = rungValue(ctx.trial.intermediate, rungStep)!;
    // Decide each rung once: at the first step that reaches it (stateless, like Optuna's rung attrs).
    if (mine.step !== step) continue;
    const competing = [mine.value];
    for (const t of peers) {
      if (t.number === ctx.trial.number || t.state === 'waiting') continue;
      const v = rungValue(t.intermediate, rungStep);
      if (v && Number.isFinite(v.value)) competing.push(v.value);
    }
    if (!promotable(mine.value, competing, eta, ctx.direction)) return true;
  }
}

/**
 * Asynchronous successive halving (Li et al. 2018; Optuna's SuccessiveHalvingPruner): at rungs
 * minResource·η^(s+k) a trial goes on only if it is in the top 1/η of the trials that reached the
 * same rung.
 */
export class SuccessiveHalvingPruner implements Pruner {
  readonly name = 'successiveHalving';
  readonly options: Required<SuccessiveHalvingOptions>;
  constructor(options: SuccessiveHalvingOptions = {}) {
    this.options = { minResource: 1, reductionFactor: 3, minEarlyStoppingRate: 0, ...options };
    checkInt('successiveHalving()', 'minResource', this.options.minResource, 1);
    checkInt('successiveHalving()', 'reductionFactor', this.options.reductionFactor, 2);
    checkInt('successiveHalving()', 'minEarlyStoppingRate', this.options.minEarlyStoppingRate, 0);
  }
  spec(): PrunerSpec {
    return { type: 'successiveHalving', options: { ...this.options } };
  }
  prune(ctx: PrunerContext): boolean {
    const o = this.options;
    return ashaPrune(ctx, ctx.history, o.minResource, o.reductionFactor, o.minEarlyStoppingRate);
  }
}

/**
 * Successive halving pruner.
 *
 * @param options - See {@link SuccessiveHalvingOptions}.
 * @example
 * ```ts
 * const s = study({ pruner: successiveHalving({ minResource: 1, reductionFactor: 3 }) });
 * ```
 */
export function successiveHalving(options: SuccessiveHalvingOptions = {}): SuccessiveHalvingPruner {
  return new SuccessiveHalvingPruner(options);
}

/** Options of {@link hyperband}. */
export interface HyperbandOptions {
  /** Steps before the first rung of the most aggressive bracket. @default 1 */
  minResource?: number;
  /** The most steps a trial runs (e.g. the number of epochs). */
  maxResource: number;
  /** η. @default 3 */
  reductionFactor?: number;
}

/**
 * Hyperband (Li et al. 2018, as in Optuna): several successive-halving brackets with different
 * early-stopping rates; each trial is assigned to one bracket (deterministically from its number,
 * in proportion to each bracket's budget) and competes only with trials of that bracket.
 */
export class HyperbandPruner implements Pruner {
  readonly name = 'hyperband';
  readonly options: Required<HyperbandOptions>;
  /** Number of brackets: ⌊log_η(max/min)⌋ + 1. */
  readonly nBrackets: number;
  private readonly budgets: number[];
  constructor(options: HyperbandOptions) {
    this.options = { minResource: 1, reductionFactor: 3, ...options };
    const o = this.options;
    checkInt('hyperband()', 'minResource', o.minResource, 1);
    checkInt('hyperband()', 'reductionFactor', o.reductionFactor, 2);
    checkInt('hyperband()', 'maxResource', o.maxResource, o.minResource + 1);
    this.nBrackets = Math.floor(Math.log(o.maxResource / o.minResource) / Math.log(o.reductionFactor) + 1e-9) + 1;
    this.budgets = Array.from({ length: this.nBrackets }, (_, b) => {
      const s = this.nBrackets - 1 - b;
      return Math.ceil((this.nBrackets * o.reductionFactor ** s) / (s + 1));
    });
  }
  /** The bracket (= its minimum early-stopping rate) of a trial. */
  bracketOf(trialNumber: number): number {
    const total = this.budgets.reduce((a, b) => a + b, 0);
    let r = deriveSeed(trialNumber, 'hyperband') % total;
    for (let b = 0; b < this.budgets.length; b++) {
      r -= this.budgets[b]!;
      if (r < 0) return b;
    }
    return this.budgets.length - 1;
  }
  spec(): PrunerSpec {
    return { type: 'hyperband', options: { ...this.options } };
  }
  prune(ctx: PrunerContext): boolean {
    const b = this.bracketOf(ctx.trial.number);
    const peers = ctx.history.filter((t) => this.bracketOf(t.number) === b);
    return ashaPrune(ctx, peers, this.options.minResource, this.options.reductionFactor, b);
  }
}

/**
 * Hyperband pruner.
 *
 * @param options - See {@link HyperbandOptions}; `maxResource` is required.
 * @example
 * ```ts
 * const s = study({ pruner: hyperband({ maxResource: 27 }) });
 * ```
 */
export function hyperband(options: HyperbandOptions): HyperbandPruner {
  return new HyperbandPruner(options);
}
