/**
 * Parzen estimators of the TPE sampler (after Optuna's univariate `_ParzenEstimator` and Bergstra
 * et al. 2011): a mixture of truncated Gaussians, one per observation plus a broad prior, with
 * bandwidths from the distance to neighbouring observations, clipped by the "magic clip".
 */
import { Rng } from '../prng.js';
import { logSumExp, normCdf, normLogPdf } from '../math.js';

/** A truncated-Gaussian mixture over [low, high] (internal space); discrete when `step` is set. */
export class NumericalParzen {
  readonly mus: number[];
  readonly sigmas: number[];
  readonly logWeights: number[];
  private readonly weights: number[];
  private readonly logZ: number[];
  /** Added to each continuous component's log density: log σᵢ when bandwidth-weighted, else 0. */
  private readonly logScoreBoost: number[];
  /** Support bounds; for a discrete space these are widened by half a step on each side. */
  readonly low: number;
  readonly high: number;

  constructor(
    observations: readonly number[],
    obsWeights: readonly number[],
    low: number,
    high: number,
    readonly step: number | null,
    opts: { priorWeight: number; considerMagicClip: boolean; considerEndpoints: boolean; bandwidthWeighted?: boolean },
  ) {
    this.low = step === null ? low : low - step / 2;
    this.high = step === null ? high : high + step / 2;
    const range = this.high - this.low;
    const priorMu = 0.5 * (this.low + this.high);
    const mus = [...observations, priorMu];
    const n = observations.length;
    // Bandwidth of each observation: the larger gap to its sorted neighbours (the ends use the
    // bounds as neighbours; without consider_endpoints the extreme points use their inner gap).
    const order = mus.map((_, i) => i).sort((a, b) => mus[a]! - mus[b]!);
    const sorted = order.map((i) => mus[i]!);
    const withEnds = [this.low, ...sorted, this.high];
    const sortedSigmas = sorted.map((_, i) => Math.max(withEnds[i + 1]! - withEnds[i]!, withEnds[i + 2]! - withEnds[i + 1]!));
    if (!opts.considerEndpoints && sorted.length >= 2) {
      sortedSigmas[0] = withEnds[2]! - withEnds[1]!;
      sortedSigmas[sorted.length - 1] = withEnds[sorted.length]! - withEnds[sorted.length - 1]!;
    }
    const sigmas = new Array<number>(mus.length);
    order.forEach((orig, pos) => (sigmas[orig] = sortedSigmas[pos]!));
    const maxSigma = range;
    const minSigma = opts.considerMagicClip ? range / Math.min(100, 1 + mus.length) : 1e-12 * range;
    for (let i = 0; i < n; i++) sigmas[i] = Math.min(maxSigma, Math.max(minSigma, sigmas[i]!));
    sigmas[n] = range; // the prior: one wide Gaussian over the whole space
    const w = [...obsWeights, opts.priorWeight];
    const total = w.reduce((a, b) => a + b, 0);
    this.weights = w.map((x) => x / total);
    this.logWeights = this.weights.map((x) => Math.log(x));
    this.mus = mus;
    this.sigmas = sigmas;
    this.logScoreBoost = sigmas.map((s) => (opts.bandwidthWeighted && step === null ? Math.log(s) : 0));
    this.logZ = mus.map((mu, i) => {
      const s = sigmas[i]!;
      return Math.log(Math.max(normCdf((this.high - mu) / s) - normCdf((this.low - mu) / s), 1e-300));
    });
  }

  /** Draws one value (on the grid for a discrete space). */
  sample(rng: Rng): number {
    const k = rng.choice(this.weights);
    const mu = this.mus[k]!;
    const s = this.sigmas[k]!;
    let x = NaN;
    // Rejection sampling: mu lies inside the support and sigma ≤ range, so acceptance ≥ ~34%.
    for (let tries = 0; tries < 100; tries++) {
      const c = mu + s * rng.normal();
      if (c >= this.low && c <= this.high) {
        x = c;
        break;
      }
    }
    if (Number.isNaN(x)) x = rng.uniform(this.low, this.high);
    return this.snap(x);
  }

  private snap(x: number): number {
    if (this.step === null) return x;
    const low = this.low + this.step / 2;
    const high = this.high - this.step / 2;
    return Math.min(high, Math.max(low, low + Math.round((x - low) / this.step) * this.step));
  }

  /**
   * Log density (continuous) or log probability mass of the bin (discrete) at x. With
   * `bandwidthWeighted`, each continuous component is scaled by its σ (as Optuna 3.1's
   * `truncnorm.logpdf`, which leaves out the 1/σ factor): the score of a mixture whose weights are
   * ∝ wᵢσᵢ, up to a constant, so isolated observations and the prior count for more than
   * clustered ones. Samples are still drawn with the plain weights wᵢ.
   */
  logPdf(x: number): number {
    const terms = this.mus.map((mu, i) => {
      const s = this.sigmas[i]!;
      if (this.step === null) return this.logWeights[i]! + normLogPdf(x, mu, s) - this.logZ[i]! + this.logScoreBoost[i]!;
      const mass = normCdf((x + this.step / 2 - mu) / s) - normCdf((x - this.step / 2 - mu) / s);
      return this.logWeights[i]! + Math.log(Math.max(mass, 1e-300)) - this.logZ[i]!;
    });
    return logSumExp(terms);
  }
}

/**
 * A categorical Parzen estimator, as Optuna's: a mixture (weights wᵢ and the prior weight) of one
 * smoothed one-hot kernel per observation, (1[c = oᵢ] + v)/(1 + K·v) with v = priorWeight/(n + 1),
 * and a uniform prior kernel.
 */
export class CategoricalParzen {
  readonly probs: number[];
  constructor(observations: readonly number[], obsWeights: readonly number[], nChoices: number, priorWeight: number) {
    const n = observations.length;
    const v = priorWeight / (n + 1);
    const total = obsWeights.reduce((a, b) => a + b, 0) + priorWeight;
    const p = new Array<number>(nChoices).fill(priorWeight / total / nChoices);
    observations.forEach((o, i) => {
      const w = obsWeights[i]! / total / (1 + nChoices * v);
      for (let c = 0; c < nChoices; c++) p[c] = p[c]! + w * ((c === o ? 1 : 0) + v);
    });
    this.probs = p;
  }
  sample(rng: Rng): number {
    return rng.choice(this.probs);
  }
  logPdf(x: number): number {
    return Math.log(this.probs[x]!);
  }
}
