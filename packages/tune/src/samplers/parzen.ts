/**
 * Parzen estimators of the TPE sampler (after Optuna 3.1's `_ParzenEstimator` and Bergstra et al.
 * 2011): a mixture with one component per observation plus a broad prior component. Over several
 * parameters a component is a product of one kernel per parameter (the multivariate TPE); over
 * one parameter it is the classic univariate estimator. Numerical kernels are Gaussians truncated
 * to the space, with bandwidths from the gaps to neighbouring observations (per parameter, also in
 * a joint estimator by default) or Scott's rule (a joint estimator with `jointBandwidth: 'scott'`,
 * as Optuna 3.1), clipped by the "magic clip"; categorical kernels are smoothed one-hots.
 */
import type { Distribution } from '../distributions.js';
import { Rng } from '../prng.js';
import { logSumExp, normCdf } from '../math.js';

/** Options shared by every estimator of one TPE sampler. */
export interface ParzenOptions {
  priorWeight: number;
  considerMagicClip: boolean;
  considerEndpoints: boolean;
  /** Scale each continuous kernel by its σ when scoring (Optuna 3.1's `truncnorm.logpdf`). */
  bandwidthWeighted: boolean;
  /** A joint (multivariate) estimator: see `jointBandwidth` for its bandwidths. */
  multivariate: boolean;
  /**
   * Bandwidths of a joint estimator: `'neighbours'` gives each observation, in each parameter, the
   * univariate rule's gap to its neighbours (so a joint estimator over one parameter is the
   * univariate one), and with `bandwidthWeighted` weights a component by the geometric mean of its
   * continuous bandwidths; `'scott'` gives every observation σ = 0.2·n^(−1/(d+4)) of each range and
   * with `bandwidthWeighted` weights by their product (both as Optuna 3.1's `multivariate=True`).
   * Ignored when `multivariate` is false.
   */
  jointBandwidth: 'neighbours' | 'scott';
  /**
   * In a joint estimator, multiplies the smoothing of categorical kernels: v = priorWeight ·
   * jointCategoricalSmoothing / (n + 1) instead of Optuna's priorWeight / (n + 1). Ignored when
   * `multivariate` is false. @default 1 (Optuna)
   */
  jointCategoricalSmoothing?: number;
}

interface NumericalDim {
  kind: 'numerical';
  low: number;
  high: number;
  step: number | null;
  mus: number[];
  sigmas: number[];
  /** log of the mass of each component's Gaussian inside [low, high]. */
  logZ: number[];
}

interface CategoricalDim {
  kind: 'categorical';
  /** probs[c][k]: the probability of choice k under component c. */
  logProbs: number[][];
  probs: number[][];
}

type Dim = NumericalDim | CategoricalDim;

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * A Parzen estimator over one or more parameters, in their internal spaces.
 *
 * @param observations - `observations[i][d]`: the internal value of parameter d in observation i.
 * @param obsWeights - One non-negative weight per observation (e.g. {@link defaultWeights}).
 * @param dists - The distribution of each parameter.
 */
export class ParzenEstimator {
  /** Normalised component weights: the observations', then the prior's. */
  readonly weights: number[];
  private readonly logWeights: number[];
  private readonly dims: Dim[];
  /** Coefficient of −log σ in each continuous kernel's score term (1: the textbook density). */
  private readonly logSigmaCoef: number;

  constructor(observations: readonly (readonly number[])[], obsWeights: readonly number[], dists: readonly Distribution[], opts: ParzenOptions) {
    const n = observations.length;
    const w = [...obsWeights, opts.priorWeight];
    const total = w.reduce((a, b) => a + b, 0);
    this.weights = w.map((x) => x / total);
    this.logWeights = this.weights.map((x) => Math.log(x));
    const scott = opts.multivariate && opts.jointBandwidth === 'scott';
    // Scott's rule for a joint estimator with jointBandwidth 'scott': σ = 0.2 · n^(−1/(d+4)) of each range.
    const sigma0 = 0.2 * Math.max(n, 1) ** (-1 / (dists.length + 4));
    this.dims = dists.map((dist, d) => {
      const obs = observations.map((o) => o[d]!);
      if (dist.kind === 'categorical') {
        const smoothing = opts.multivariate ? (opts.jointCategoricalSmoothing ?? 1) : 1;
        return categoricalDim(obs, obsWeights.length, dist.internalHigh + 1, opts.priorWeight * smoothing);
      }
      return numericalDim(obs, dist, opts, scott ? sigma0 : null);
    });
    // Bandwidth weighting multiplies component c by Π_d σ_cd^a over the continuous parameters: a = 1
    // (the product; Optuna 3.1, and the univariate case), or a = 1/(their number) for 'neighbours'
    // joint estimators (the geometric mean: one length scale, however many parameters).
    const nContinuous = this.dims.filter((dim) => dim.kind === 'numerical' && dim.step === null).length;
    const a = !opts.bandwidthWeighted ? 0 : opts.multivariate && !scott ? 1 / Math.max(nContinuous, 1) : 1;
    this.logSigmaCoef = 1 - a;
  }

  /** Draws one point (internal values, on the grid for discrete spaces). */
  sample(rng: Rng): number[] {
    const c = rng.choice(this.weights);
    return this.dims.map((dim) => {
      if (dim.kind === 'categorical') return rng.choice(dim.probs[c]!);
      const mu = dim.mus[c]!;
      const s = dim.sigmas[c]!;
      let x = NaN;
      // Rejection sampling: mu lies inside the support and sigma ≤ range, so acceptance ≥ ~34%.
      for (let tries = 0; tries < 100; tries++) {
        const v = mu + s * rng.normal();
        if (v >= dim.low && v <= dim.high) {
          x = v;
          break;
        }
      }
      if (Number.isNaN(x)) x = rng.uniform(dim.low, dim.high);
      return snap(dim, x);
    });
  }

  /**
   * The score density at x: log Σ_c w_c Π_d k_cd(x_d). Continuous kernels are truncated Gaussian
   * densities; with `bandwidthWeighted` each component is scaled by its bandwidth (Optuna 3.1 leaves
   * out the 1/σ of the normal density: the product Π σ_cd; a 'neighbours' joint estimator uses the
   * geometric mean), which ranks candidates as a mixture with weights ∝ w_c·σ_c would, so isolated
   * observations and the prior count for more than clustered ones. Discrete kernels are the
   * probability mass of the value's bin; categorical ones the kernel's probability.
   */
  logPdf(x: readonly number[]): number {
    const terms = this.logWeights.map((lw, c) => {
      let s = lw;
      this.dims.forEach((dim, d) => {
        const v = x[d]!;
        if (dim.kind === 'categorical') {
          s += dim.logProbs[c]![v]!;
          return;
        }
        const mu = dim.mus[c]!;
        const sigma = dim.sigmas[c]!;
        if (dim.step === null) {
          const z = (v - mu) / sigma;
          s += -0.5 * z * z - LOG_SQRT_2PI - dim.logZ[c]! - this.logSigmaCoef * Math.log(sigma);
        } else {
          const lo = Math.max(dim.low, v - dim.step / 2);
          const hi = Math.min(dim.high, v + dim.step / 2);
          const mass = normCdf((hi - mu) / sigma) - normCdf((lo - mu) / sigma);
          s += Math.log(Math.max(mass, 1e-300)) - dim.logZ[c]!;
        }
      });
      return s;
    });
    return logSumExp(terms);
  }
}

function snap(dim: NumericalDim, x: number): number {
  if (dim.step === null) return x;
  const low = dim.low + dim.step / 2;
  const high = dim.high - dim.step / 2;
  return Math.min(high, Math.max(low, low + Math.round((x - low) / dim.step) * dim.step));
}

function numericalDim(obs: number[], dist: Distribution, opts: ParzenOptions, sigma0: number | null): NumericalDim {
  const step = dist.internalStep;
  // A discrete space's support is widened by half a step on each side.
  const low = step === null ? dist.internalLow : dist.internalLow - step / 2;
  const high = step === null ? dist.internalHigh : dist.internalHigh + step / 2;
  const range = high - low;
  const mus = [...obs, 0.5 * (low + high)];
  const n = obs.length;
  let sigmas: number[];
  if (sigma0 !== null) {
    sigmas = mus.map(() => sigma0 * range);
  } else {
    // The larger gap to the sorted neighbours (prior included; the ends use the bounds, or
    // without consider_endpoints the extreme points use their inner gap).
    const order = mus.map((_, i) => i).sort((a, b) => mus[a]! - mus[b]!);
    const sorted = order.map((i) => mus[i]!);
    const withEnds = [low, ...sorted, high];
    const sortedSigmas = sorted.map((_, i) => Math.max(withEnds[i + 1]! - withEnds[i]!, withEnds[i + 2]! - withEnds[i + 1]!));
    if (!opts.considerEndpoints && sorted.length >= 2) {
      sortedSigmas[0] = withEnds[2]! - withEnds[1]!;
      sortedSigmas[sorted.length - 1] = withEnds[sorted.length]! - withEnds[sorted.length - 1]!;
    }
    sigmas = new Array<number>(mus.length);
    order.forEach((orig, pos) => (sigmas[orig] = sortedSigmas[pos]!));
  }
  const minSigma = opts.considerMagicClip ? range / Math.min(100, 1 + mus.length) : 1e-12;
  sigmas = sigmas.map((s) => Math.min(range, Math.max(minSigma, s)));
  sigmas[n] = range; // the prior: one wide Gaussian over the whole space
  const logZ = mus.map((mu, i) => Math.log(Math.max(normCdf((high - mu) / sigmas[i]!) - normCdf((low - mu) / sigmas[i]!), 1e-300)));
  return { kind: 'numerical', low, high, step, mus, sigmas, logZ };
}

/** Optuna's kernels: (1[k = oᵢ] + v)/(1 + K·v) with v = priorWeight/(n + 1); the prior is uniform. */
function categoricalDim(obs: number[], n: number, nChoices: number, priorWeight: number): CategoricalDim {
  const v = priorWeight / (n + 1);
  const probs = obs.map((o) => Array.from({ length: nChoices }, (_, k) => ((k === o ? 1 : 0) + v) / (1 + nChoices * v)));
  probs.push(new Array<number>(nChoices).fill(1 / nChoices));
  return { kind: 'categorical', probs, logProbs: probs.map((r) => r.map((p) => Math.log(p))) };
}
