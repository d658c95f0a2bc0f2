/** Median stopping rule. */
import { InvalidOptionError } from '../errors.js';
import type { Pruner, PrunerContext, PrunerSpec } from './pruner.js';
import { reportedSteps } from './pruner.js';

/** Options of {@link medianPruner}. */
export interface MedianPrunerOptions {
  /** Never prune until this many trials have completed. @default 5 */
  nStartupTrials?: number;
  /** Never prune a trial before this step. @default 0 */
  nWarmupSteps?: number;
  /** Check only every this many steps after the warm-up. @default 1 */
  intervalSteps?: number;
  /** Need at least this many completed trials with a value at the step. @default 1 */
  nMinTrials?: number;
}

/**
 * Prunes a trial whose best intermediate value so far is worse than the median of completed
 * trials' intermediate values at the same step (Optuna's MedianPruner).
 */
export class MedianPruner implements Pruner {
  readonly name = 'median';
  readonly options: Required<MedianPrunerOptions>;
  constructor(options: MedianPrunerOptions = {}) {
    this.options = { nStartupTrials: 5, nWarmupSteps: 0, intervalSteps: 1, nMinTrials: 1, ...options };
    for (const [k, v] of Object.entries(this.options)) {
      const min = k === 'intervalSteps' || k === 'nMinTrials' ? 1 : 0;
      if (!Number.isInteger(v) || v < min) throw new InvalidOptionError('medianPruner()', k, v, `an integer ≥ ${min}`);
    }
  }
  spec(): PrunerSpec {
    return { type: 'median', options: { ...this.options } };
  }
  prune({ trial, history, direction }: PrunerContext): boolean {
    const steps = reportedSteps(trial.intermediate);
    if (steps.length === 0) return false;
    const step = steps[steps.length - 1]!;
    const o = this.options;
    const completed = history.filter((t) => t.state === 'complete');
    if (completed.length < o.nStartupTrials) return false;
    if (step < o.nWarmupSteps || (step - o.nWarmupSteps) % o.intervalSteps !== 0) return false;
    const mine = steps.map((s) => trial.intermediate[s]!);
    if (mine.some((v) => Number.isNaN(v))) return true;
    const best = direction === 'minimize' ? Math.min(...mine) : Math.max(...mine);
    const others = completed.map((t) => t.intermediate[step]).filter((v): v is number => v !== undefined && Number.isFinite(v));
    if (others.length < o.nMinTrials) return false;
    others.sort((a, b) => a - b);
    const mid = others.length / 2;
    const median = others.length % 2 ? others[Math.floor(mid)]! : (others[mid - 1]! + others[mid]!) / 2;
    return direction === 'minimize' ? best > median : best < median;
  }
}

/**
 * Median pruner.
 *
 * @param options - See {@link MedianPrunerOptions}.
 * @example
 * ```ts
 * const s = study({ pruner: medianPruner({ nStartupTrials: 5, nWarmupSteps: 2 }) });
 * ```
 */
export function medianPruner(options: MedianPrunerOptions = {}): MedianPruner {
  return new MedianPruner(options);
}
