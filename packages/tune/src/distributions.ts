/**
 * Search-space distributions. Each maps between the value the objective sees ("external") and a
 * number in an internal space where sampling happens: log10 of the value for log scales, the
 * exponent k for β = 1 − 10^k, the index for a categorical. Samplers work only in internal space.
 */
import { InvalidDistributionError } from './errors.js';

/** A value a categorical may hold. */
export type CategoricalChoice = string | number | boolean | null;

/** A parameter value as the objective sees it. */
export type ParamValue = CategoricalChoice;

/** The JSON form of a distribution, as stored with each trial. */
export type DistributionJSON =
  | { kind: 'uniform'; low: number; high: number; step: number | null }
  | { kind: 'int'; low: number; high: number; step: number; log: boolean }
  | { kind: 'loguniform'; low: number; high: number }
  | { kind: 'oneMinusLog'; low: number; high: number }
  | { kind: 'categorical'; choices: CategoricalChoice[] };

/** Common interface of every distribution. */
export abstract class Distribution<T extends ParamValue = ParamValue> {
  abstract readonly kind: DistributionJSON['kind'];
  /** Lower bound of the internal (sampling) space. */
  abstract readonly internalLow: number;
  /** Upper bound of the internal (sampling) space. */
  abstract readonly internalHigh: number;
  /** Grid spacing in internal space for discrete numeric spaces; `null` when continuous. */
  abstract readonly internalStep: number | null;
  /** Maps an internal number to the value the objective sees (rounded/clamped to the space). */
  abstract toExternal(x: number): T;
  /** Maps an objective-side value to internal space. */
  abstract toInternal(v: T): number;
  /** Whether `v` belongs to this space. */
  abstract contains(v: ParamValue): boolean;
  /** JSON form (stored with trials; see {@link distributionFromJSON}). */
  abstract toJSON(): DistributionJSON;
  /** Every value of a finite space, or `null` for a continuous one. */
  abstract values(): T[] | null;
  /** Whether two distributions describe the same space. */
  equals(other: Distribution): boolean {
    return JSON.stringify(this.toJSON()) === JSON.stringify(other.toJSON());
  }
  /** A short human description, e.g. `loguniform(1e-5, 10)`. */
  toString(): string {
    const j = this.toJSON() as Record<string, unknown>;
    const { kind, ...rest } = j;
    return `${String(kind)}(${Object.entries(rest)
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(', ')})`;
  }
}

function checkFinite(name: string, low: number, high: number): void {
  if (!Number.isFinite(low) || !Number.isFinite(high)) {
    throw new InvalidDistributionError(name, `low=${low}, high=${high}`, 'finite numbers');
  }
  if (!(low < high)) {
    throw new InvalidDistributionError(name, `low=${low}, high=${high}`, 'low < high (low ≥ high leaves nothing to search)');
  }
}

function checkStep(name: string, low: number, high: number, step: number): void {
  if (!(step > 0) || !Number.isFinite(step)) {
    throw new InvalidDistributionError(name, `step=${step}`, 'a finite step > 0');
  }
  const n = (high - low) / step;
  if (Math.abs(n - Math.round(n)) > 1e-8 * Math.max(1, n)) {
    throw new InvalidDistributionError(
      name,
      `low=${low}, high=${high}, step=${step}`,
      `(high − low) to be a multiple of step; try high=${low + Math.floor(n) * step}`,
    );
  }
}

const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));

/** Uniform float in [low, high], optionally on a grid of `step`. */
export class UniformDistribution extends Distribution<number> {
  readonly kind = 'uniform' as const;
  readonly internalLow: number;
  readonly internalHigh: number;
  readonly internalStep: number | null;
  constructor(
    readonly low: number,
    readonly high: number,
    readonly step: number | null = null,
  ) {
    super();
    checkFinite('uniform', low, high);
    if (step !== null) checkStep('uniform', low, high, step);
    this.internalLow = low;
    this.internalHigh = high;
    this.internalStep = step;
  }
  toExternal(x: number): number {
    if (this.step === null) return clamp(x, this.low, this.high);
    const k = Math.round((x - this.low) / this.step);
    return clamp(this.low + k * this.step, this.low, this.high);
  }
  toInternal(v: number): number {
    return v;
  }
  contains(v: ParamValue): boolean {
    if (typeof v !== 'number' || v < this.low || v > this.high) return false;
    if (this.step === null) return true;
    const k = (v - this.low) / this.step;
    return Math.abs(k - Math.round(k)) < 1e-8;
  }
  values(): number[] | null {
    if (this.step === null) return null;
    const n = Math.round((this.high - this.low) / this.step);
    return Array.from({ length: n + 1 }, (_, i) => this.low + i * this.step!);
  }
  toJSON(): DistributionJSON {
    return { kind: 'uniform', low: this.low, high: this.high, step: this.step };
  }
}

/** Integer in [low, high] on a grid of `step`, or log-uniform over integers. */
export class IntDistribution extends Distribution<number> {
  readonly kind = 'int' as const;
  readonly internalLow: number;
  readonly internalHigh: number;
  readonly internalStep: number | null;
  constructor(
    readonly low: number,
    readonly high: number,
    readonly step = 1,
    readonly log = false,
  ) {
    super();
    if (!Number.isInteger(low) || !Number.isInteger(high)) {
      throw new InvalidDistributionError('int', `low=${low}, high=${high}`, 'integer bounds');
    }
    checkFinite('int', low, high);
    if (!Number.isInteger(step)) throw new InvalidDistributionError('int', `step=${step}`, 'an integer step ≥ 1');
    checkStep('int', low, high, step);
    if (log) {
      if (step !== 1) throw new InvalidDistributionError('int', `step=${step}, log=true`, 'step = 1 on a log scale');
      if (low < 1) throw new InvalidDistributionError('int', `low=${low}, log=true`, 'low ≥ 1 on a log scale');
      // Each integer n owns [n − ½, n + ½] in linear space, so the ends get their fair share.
      this.internalLow = Math.log10(low - 0.5);
      this.internalHigh = Math.log10(high + 0.5);
      this.internalStep = null;
    } else {
      this.internalLow = low;
      this.internalHigh = high;
      this.internalStep = step;
    }
  }
  toExternal(x: number): number {
    if (this.log) return clamp(Math.round(10 ** x), this.low, this.high);
    return clamp(this.low + Math.round((x - this.low) / this.step) * this.step, this.low, this.high);
  }
  toInternal(v: number): number {
    return this.log ? Math.log10(v) : v;
  }
  contains(v: ParamValue): boolean {
    return typeof v === 'number' && Number.isInteger(v) && v >= this.low && v <= this.high && (v - this.low) % this.step === 0;
  }
  values(): number[] {
    const n = Math.round((this.high - this.low) / this.step);
    return Array.from({ length: n + 1 }, (_, i) => this.low + i * this.step);
  }
  toJSON(): DistributionJSON {
    return { kind: 'int', low: this.low, high: this.high, step: this.step, log: this.log };
  }
}

/** α = 10^k with k uniform in [log10(low), log10(high)]. */
export class LogUniformDistribution extends Distribution<number> {
  readonly kind = 'loguniform' as const;
  readonly internalLow: number;
  readonly internalHigh: number;
  readonly internalStep = null;
  constructor(
    readonly low: number,
    readonly high: number,
  ) {
    super();
    if (!(low > 0)) {
      throw new InvalidDistributionError('loguniform', `low=${low}, high=${high}`, '0 < low < high (a log scale needs positive bounds)');
    }
    checkFinite('loguniform', low, high);
    this.internalLow = Math.log10(low);
    this.internalHigh = Math.log10(high);
  }
  toExternal(x: number): number {
    return clamp(10 ** x, this.low, this.high);
  }
  toInternal(v: number): number {
    return Math.log10(v);
  }
  contains(v: ParamValue): boolean {
    return typeof v === 'number' && v >= this.low && v <= this.high;
  }
  values(): null {
    return null;
  }
  toJSON(): DistributionJSON {
    return { kind: 'loguniform', low: this.low, high: this.high };
  }
}

/** β = 1 − 10^k with k uniform in [low, high] (exponents, high ≤ 0): averaging constants. */
export class OneMinusLogDistribution extends Distribution<number> {
  readonly kind = 'oneMinusLog' as const;
  readonly internalLow: number;
  readonly internalHigh: number;
  readonly internalStep = null;
  constructor(
    readonly low: number,
    readonly high: number,
  ) {
    super();
    checkFinite('oneMinusLog', low, high);
    if (high > 0) {
      throw new InvalidDistributionError(
        'oneMinusLog',
        `low=${low}, high=${high}`,
        'exponents with high ≤ 0 (β = 1 − 10^k; e.g. oneMinusLog(-4, -1) gives β ∈ [0.9, 0.9999])',
      );
    }
    this.internalLow = low;
    this.internalHigh = high;
  }
  toExternal(x: number): number {
    return 1 - 10 ** clamp(x, this.low, this.high);
  }
  toInternal(v: number): number {
    return Math.log10(1 - v);
  }
  contains(v: ParamValue): boolean {
    return typeof v === 'number' && v >= 1 - 10 ** this.high - 1e-12 && v <= 1 - 10 ** this.low + 1e-12;
  }
  values(): null {
    return null;
  }
  toJSON(): DistributionJSON {
    return { kind: 'oneMinusLog', low: this.low, high: this.high };
  }
}

/** One of a finite list of choices. */
export class CategoricalDistribution<T extends CategoricalChoice = CategoricalChoice> extends Distribution<T> {
  readonly kind = 'categorical' as const;
  readonly internalLow = 0;
  readonly internalHigh: number;
  readonly internalStep = 1;
  readonly choices: readonly T[];
  constructor(choices: readonly T[]) {
    super();
    if (!Array.isArray(choices) || choices.length === 0) {
      throw new InvalidDistributionError('categorical', `choices=${JSON.stringify(choices)}`, 'a non-empty array of choices');
    }
    for (const c of choices) {
      if (!(c === null || ['string', 'number', 'boolean'].includes(typeof c))) {
        throw new InvalidDistributionError('categorical', `choice ${String(c)} (${typeof c})`, 'string, number, boolean or null choices');
      }
    }
    const seen = new Set(choices.map((c) => JSON.stringify(c)));
    if (seen.size !== choices.length) {
      throw new InvalidDistributionError('categorical', `choices=${JSON.stringify(choices)}`, 'distinct choices');
    }
    this.choices = [...choices];
    this.internalHigh = choices.length - 1;
  }
  toExternal(x: number): T {
    return this.choices[clamp(Math.round(x), 0, this.choices.length - 1)]!;
  }
  toInternal(v: T): number {
    const i = this.choices.findIndex((c) => c === v);
    return i;
  }
  contains(v: ParamValue): boolean {
    return this.choices.some((c) => c === v);
  }
  values(): T[] {
    return [...this.choices];
  }
  toJSON(): DistributionJSON {
    return { kind: 'categorical', choices: [...this.choices] };
  }
}

/**
 * Uniform float in [low, high].
 *
 * @param low - Lower bound (inclusive).
 * @param high - Upper bound (inclusive), > low.
 * @param opts.step - Grid spacing; `(high − low)` must be a multiple. @default null (continuous)
 * @example
 * ```ts
 * const dropout = t.suggest('dropout', uniform(0, 0.5));
 * ```
 */
export function uniform(low: number, high: number, opts: { step?: number | null } = {}): UniformDistribution {
  return new UniformDistribution(low, high, opts.step ?? null);
}

/**
 * Integer in [low, high] (both inclusive) on a grid of `step`, or log-uniform when `log` is set.
 *
 * @param low - Lower bound, an integer.
 * @param high - Upper bound, an integer > low.
 * @param opts.step - Grid spacing; `(high − low)` must be a multiple. @default 1
 * @param opts.log - Sample uniformly in log space (needs low ≥ 1, step 1). @default false
 * @example
 * ```ts
 * const width = t.suggest('width', int(32, 512, { step: 32 }));
 * const batch = t.suggest('batch', int(16, 512, { log: true }));
 * ```
 */
export function int(low: number, high: number, opts: { step?: number; log?: boolean } = {}): IntDistribution {
  return new IntDistribution(low, high, opts.step ?? 1, opts.log ?? false);
}

/**
 * Log-uniform float: α = 10^k with k uniform in [log10(low), log10(high)].
 * `loguniform(1e-5, 10)` is the course's "α = 10^k, k ∈ [−5, 1]".
 *
 * @param low - Lower bound of the value (not the exponent), > 0.
 * @param high - Upper bound of the value, > low.
 * @example
 * ```ts
 * const lr = t.suggest('lr', loguniform(1e-5, 10));
 * ```
 */
export function loguniform(low: number, high: number): LogUniformDistribution {
  return new LogUniformDistribution(low, high);
}

/**
 * β = 1 − 10^k with k uniform in [low, high]: samples averaging constants (momentum, Adam's β)
 * densely near 1. `oneMinusLog(-4, -1)` gives β ∈ [0.9, 0.9999].
 *
 * @param low - Lowest exponent k (β closest to 1).
 * @param high - Highest exponent k, ≤ 0.
 * @example
 * ```ts
 * const beta1 = t.suggest('beta1', oneMinusLog(-4, -1));
 * ```
 */
export function oneMinusLog(low: number, high: number): OneMinusLogDistribution {
  return new OneMinusLogDistribution(low, high);
}

/**
 * One of a non-empty list of distinct choices.
 *
 * @param choices - The choices (strings, numbers, booleans or null).
 * @example
 * ```ts
 * const opt = t.suggest('optimizer', categorical(['adam', 'sgd']));
 * ```
 */
export function categorical<const T extends CategoricalChoice>(choices: readonly T[]): CategoricalDistribution<T> {
  return new CategoricalDistribution(choices);
}

/** Rebuilds a distribution from its JSON form. */
export function distributionFromJSON(j: DistributionJSON): Distribution {
  switch (j.kind) {
    case 'uniform':
      return new UniformDistribution(j.low, j.high, j.step);
    case 'int':
      return new IntDistribution(j.low, j.high, j.step, j.log);
    case 'loguniform':
      return new LogUniformDistribution(j.low, j.high);
    case 'oneMinusLog':
      return new OneMinusLogDistribution(j.low, j.high);
    case 'categorical':
      return new CategoricalDistribution(j.choices);
  }
}
