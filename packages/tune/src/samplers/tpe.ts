/** Tree-structured Parzen Estimator (TPE) search. */
import type { Distribution } from '../distributions.js';
import { InvalidOptionError } from '../errors.js';
import { Rng, deriveSeed } from '../prng.js';
import type { Direction, FrozenTrial } from '../types.js';
import { CategoricalParzen, NumericalParzen } from './parzen.js';
import { sampleUniformInternal } from './random.js';
import type { Sampler, SamplerContext, SamplerSpec } from './sampler.js';

/** Options of {@link tpe}. */
export interface TpeOptions {
  /** Random trials before TPE starts modelling. @default 10 */
  nStartupTrials?: number;
  /** Candidates drawn from l(x) and scored by l(x)/g(x). @default 24 */
  nEiCandidates?: number;
  /** Fraction of finished trials counted as "good": n_good = min(ceil(gamma·n), gammaMax). @default 0.1 */
  gamma?: number;
  /** Cap on the number of good trials. @default 25 */
  gammaMax?: number;
  /** Weight of the prior component in each estimator. @default 1 */
  priorWeight?: number;
  /** Lower-bound bandwidths by range/min(100, n+1). @default true */
  considerMagicClip?: boolean;
  /** Use the search bounds as neighbours for the extreme observations' bandwidth. @default false */
  considerEndpoints?: boolean;
  /**
   * Score candidates with each continuous kernel weighted by its bandwidth, as Optuna 3.1 does
   * (its truncated-normal log density leaves out 1/σ). Measured more sample-efficient on every
   * problem of apps/bench's `tpe` bench; `false` gives the textbook mixture density. @default true
   */
  bandwidthWeighted?: boolean;
}

const DEFAULTS: Required<TpeOptions> = {
  nStartupTrials: 10,
  nEiCandidates: 24,
  gamma: 0.1,
  gammaMax: 25,
  priorWeight: 1,
  considerMagicClip: true,
  considerEndpoints: false,
  bandwidthWeighted: true,
};

/** Optuna's default_weights: flat for the last 25 trials, a linear ramp from 1/n for older ones. */
export function defaultWeights(n: number): number[] {
  if (n === 0) return [];
  if (n < 25) return new Array<number>(n).fill(1);
  const ramp = Array.from({ length: n - 25 }, (_, i) => (n - 25 === 1 ? 1 / n : 1 / n + ((1 - 1 / n) * i) / (n - 26)));
  return [...ramp, ...new Array<number>(25).fill(1)];
}

/** Sort key of a finished trial: complete trials by value, then pruned ones by (−last step, value). */
function rankTrials(trials: readonly FrozenTrial[], direction: Direction): FrozenTrial[] {
  const sign = direction === 'minimize' ? 1 : -1;
  const key = (t: FrozenTrial): [number, number, number] => {
    if (t.state === 'complete') return [0, 0, sign * t.value!];
    const steps = Object.keys(t.intermediate).map(Number);
    if (steps.length === 0) return [2, 0, 0];
    const last = Math.max(...steps);
    const v = t.intermediate[last]!;
    return [1, -last, Number.isFinite(v) ? sign * v : Infinity];
  };
  return [...trials].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    return ka[0] - kb[0] || ka[1] - kb[1] || ka[2] - kb[2] || a.number - b.number;
  });
}

/**
 * TPE (Bergstra et al. 2011; Optuna's independent TPESampler). After `nStartupTrials` random
 * trials it splits finished trials into the best γ (by value; pruned trials ranked after complete
 * ones by how far they got) and the rest, fits a Parzen estimator l(x) to the good and g(x) to the
 * others for each parameter in its internal space (so log scales are modelled in log10), draws
 * `nEiCandidates` from l and keeps the one maximising l(x)/g(x) — which maximises expected
 * improvement. Categoricals use weighted counts with a uniform prior.
 */
export class TpeSampler implements Sampler {
  readonly name = 'tpe';
  readonly options: Required<TpeOptions>;

  constructor(options: TpeOptions = {}) {
    this.options = { ...DEFAULTS, ...options };
    const o = this.options;
    const pos = (k: keyof TpeOptions, v: number, int: boolean): void => {
      if (!(v >= (k === 'nStartupTrials' ? 0 : 1)) || (int && !Number.isInteger(v))) {
        throw new InvalidOptionError('tpe()', k, v, int ? 'a positive integer' : 'a positive number');
      }
    };
    pos('nStartupTrials', o.nStartupTrials, true);
    pos('nEiCandidates', o.nEiCandidates, true);
    pos('gammaMax', o.gammaMax, true);
    if (!(o.gamma > 0 && o.gamma < 1)) throw new InvalidOptionError('tpe()', 'gamma', o.gamma, 'a fraction in (0, 1)');
    if (!(o.priorWeight > 0)) throw new InvalidOptionError('tpe()', 'priorWeight', o.priorWeight, 'a number > 0');
  }

  spec(): SamplerSpec {
    return { type: 'tpe', options: { ...this.options } };
  }

  sample(name: string, dist: Distribution, ctx: SamplerContext): number {
    const rng = new Rng(deriveSeed(ctx.seed, ctx.trialNumber, name, 'tpe'));
    const finished = ctx.history.filter(
      (t) => (t.state === 'complete' && t.value !== null && Number.isFinite(t.value)) || t.state === 'pruned',
    );
    if (finished.length < this.options.nStartupTrials) return sampleUniformInternal(dist, rng);

    const ranked = rankTrials(finished, ctx.direction);
    const nBelow = Math.min(Math.ceil(this.options.gamma * ranked.length), this.options.gammaMax);
    const belowSet = new Set(ranked.slice(0, nBelow).map((t) => t.number));
    // Observations of this parameter (same distribution only: conditional spaces may reuse names),
    // in trial-number order so that the weight ramp favours recent trials.
    const below: number[] = [];
    const above: number[] = [];
    for (const t of [...finished].sort((a, b) => a.number - b.number)) {
      const p = t.params[name];
      if (!p || JSON.stringify(p.distribution) !== JSON.stringify(dist.toJSON())) continue;
      (belowSet.has(t.number) ? below : above).push(p.internal);
    }
    const o = this.options;
    const build = (obs: number[]): NumericalParzen | CategoricalParzen => {
      const w = defaultWeights(obs.length);
      if (dist.kind === 'categorical') return new CategoricalParzen(obs, w, dist.internalHigh + 1, o.priorWeight);
      return new NumericalParzen(obs, w, dist.internalLow, dist.internalHigh, dist.internalStep, o);
    };
    const l = build(below);
    const g = build(above);
    let best = NaN;
    let bestScore = -Infinity;
    for (let i = 0; i < o.nEiCandidates; i++) {
      const x = l.sample(rng);
      const score = l.logPdf(x) - g.logPdf(x);
      if (score > bestScore || Number.isNaN(best)) {
        best = x;
        bestScore = score;
      }
    }
    return best;
  }
}

/**
 * Bayesian optimisation with a Tree-structured Parzen Estimator.
 *
 * @param options - See {@link TpeOptions}; defaults follow Optuna.
 * @example
 * ```ts
 * const s = study({ sampler: tpe({ nStartupTrials: 10 }), seed: 42 });
 * ```
 */
export function tpe(options: TpeOptions = {}): TpeSampler {
  return new TpeSampler(options);
}
