import { ValueError } from '../errors';

/** Options of {@link ewa} and {@link ExponentiallyWeightedAverage}. */
export interface EwaOptions {
  /**
   * Divide by 1 − βᵗ so that the first values are not pulled towards the zero start (the course's
   * bias correction). @default true
   */
  biasCorrection?: boolean;
}

function checkBeta(beta: number, where: string): void {
  if (!(typeof beta === 'number' && beta >= 0 && beta < 1)) {
    throw new ValueError(`${where}: beta must be in [0, 1), got ${String(beta)}.`, where, 'β = 0.9 averages over about 1/(1 − β) = 10 values.');
  }
}

/**
 * A streaming exponentially weighted average, as the course writes it: v₀ = 0,
 * vₜ = β·vₜ₋₁ + (1 − β)·θₜ, reported as vₜ / (1 − βᵗ) with bias correction (the default) or vₜ
 * without. It averages over roughly the last 1/(1 − β) values. A NaN value makes every later
 * average NaN, as the formula does.
 *
 * @example
 * ```ts
 * const avg = new ExponentiallyWeightedAverage(0.9);
 * avg.update(10); // 10 (uncorrected: 1)
 * avg.update(20); // 15.26… = (0.9·1 + 2) / (1 − 0.81)
 * ```
 */
export class ExponentiallyWeightedAverage {
  /** vₜ before bias correction. */
  private v = 0;
  /** βᵗ, kept as a running product (exactly what 1 − βᵗ needs). */
  private betaT = 1;
  /** Values seen (t). */
  count = 0;
  readonly biasCorrection: boolean;

  /**
   * @param beta - Weight of the past, in [0, 1).
   * @param options - See {@link EwaOptions}.
   */
  constructor(readonly beta: number, options: EwaOptions = {}) {
    checkBeta(beta, 'ExponentiallyWeightedAverage');
    this.biasCorrection = options.biasCorrection ?? true;
  }

  /** Add θₜ and return the new average. */
  update(value: number): number {
    this.v = this.beta * this.v + (1 - this.beta) * value;
    this.betaT *= this.beta;
    this.count++;
    return this.value;
  }

  /** The current average (NaN before the first value). */
  get value(): number {
    if (this.count === 0) return NaN;
    return this.biasCorrection ? this.v / (1 - this.betaT) : this.v;
  }

  /** Forget every value. */
  reset(): void {
    this.v = 0;
    this.betaT = 1;
    this.count = 0;
  }
}

/**
 * The exponentially weighted averages of a series (see {@link ExponentiallyWeightedAverage}):
 * element t is vₜ / (1 − βᵗ) (or vₜ with `biasCorrection: false`).
 *
 * @param values - The series θ₁, θ₂, …
 * @param beta - Weight of the past, in [0, 1).
 * @param options - See {@link EwaOptions}.
 * @example
 * ```ts
 * ewa([10, 20, 30], 0.5); // [10, 16.67, 24.29]
 * ewa([10, 20, 30], 0.5, { biasCorrection: false }); // [5, 12.5, 21.25]
 * ```
 */
export function ewa(values: Iterable<number>, beta: number, options: EwaOptions = {}): number[] {
  checkBeta(beta, 'ewa');
  const avg = new ExponentiallyWeightedAverage(beta, options);
  return Array.from(values, (v) => avg.update(v));
}
