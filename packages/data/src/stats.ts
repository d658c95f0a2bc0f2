import { DataConfigError } from './errors.js';
import type { Dataset } from './dataset.js';
import type { Sample } from './types.js';

/** Per-feature statistics from {@link computeStats}. */
export interface FeatureStats {
  /** Examples seen. */
  count: number;
  mean: Float64Array;
  /**
   * Variance divided by `count − ddof`: the population variance by default (divided by `count`, as
   * Keras' Normalization and scikit-learn), the sample variance with `ddof: 1` (the course's n − 1).
   */
  variance: Float64Array;
  /** √variance. */
  std: Float64Array;
  /** The `ddof` the variance was computed with. */
  ddof: number;
}

/** Options of {@link computeStats}. */
export interface ComputeStatsOptions<T> {
  /** Picks the features of an element. @default `el.x`, or the element */
  select?: FeatureSelector<T>;
  /**
   * Delta degrees of freedom: the variance divides by n − ddof. 0 is Keras's and scikit-learn's
   * (population), 1 the course's slide, NumPy `ddof=1` and `torch.var`'s default (sample). @default 0
   */
  ddof?: number;
}

/** What {@link computeStats} reads from each element. @default `el.x` when present, else the element */
export type FeatureSelector<T> = (element: T) => ArrayLike<number> | number;

function defaultSelect(el: unknown): ArrayLike<number> | number {
  if (el !== null && typeof el === 'object' && 'x' in el) return (el as Sample<ArrayLike<number>>).x;
  return el as ArrayLike<number> | number;
}

/**
 * Mean and standard deviation of every feature in one streaming pass (Welford's algorithm:
 * numerically stable, O(features) memory, data never held).
 * @param ds a dataset of `{x}` samples, typed arrays or numbers.
 * @param options `select` (which features) and `ddof` (0: divide the variance by n, 1: by n − 1); see {@link ComputeStatsOptions}.
 * @example
 * ```ts
 * const stats = await computeStats(Dataset.fromCsv('big.csv', { label: 'y' }));
 * const normalized = ds.map(zscore(stats));
 * const course = await computeStats(ds, { ddof: 1 });   // σ² = Σ(x − μ)² / (n − 1)
 * ```
 */
export async function computeStats<T>(ds: Dataset<T> | AsyncIterable<T>, options: ComputeStatsOptions<T> = {}): Promise<FeatureStats> {
  const select = options.select ?? (defaultSelect as FeatureSelector<T>);
  const ddof = options.ddof ?? 0;
  if (!(Number.isInteger(ddof) && ddof >= 0)) throw new DataConfigError('computeStats', 'options.ddof', 'an integer ≥ 0 (0: divide by n, 1: by n − 1)', options.ddof);
  let mean: Float64Array | undefined;
  let m2: Float64Array | undefined;
  let n = 0;
  const iter = 'iterate' in ds && typeof ds.iterate === 'function' ? ds.iterate({ epoch: 0 }) : ds;
  for await (const el of iter) {
    const raw = select(el);
    const v: ArrayLike<number> = typeof raw === 'number' ? [raw] : raw;
    if (!mean || !m2) {
      mean = new Float64Array(v.length);
      m2 = new Float64Array(v.length);
    } else if (v.length !== mean.length) {
      throw new DataConfigError('computeStats', `element ${n}`, `${mean.length} features (as element 0)`, `${v.length} features`);
    }
    n++;
    for (let j = 0; j < v.length; j++) {
      const d = v[j]! - mean[j]!;
      mean[j]! += d / n;
      m2[j]! += d * (v[j]! - mean[j]!);
    }
  }
  if (!mean || !m2 || n === 0) throw new DataConfigError('computeStats', 'dataset', 'at least one element', 'an empty dataset');
  if (n <= ddof) throw new DataConfigError('computeStats', 'dataset', `more than ddof = ${ddof} elements (the variance divides by n − ddof)`, `${n} element(s)`);
  const variance = m2.map((s) => s / (n - ddof));
  return { count: n, mean, variance, std: variance.map(Math.sqrt), ddof };
}

/**
 * A map function `(sample) => sample` giving `x' = (x - mean) / std` per feature (Float32Array);
 * features with std ≤ `epsilon` are only centred (as scikit-learn's StandardScaler).
 * Elements may be `{x, …}` samples (other fields kept) or arrays of features.
 * @param stats from {@link computeStats}.
 * @param options.epsilon @default 1e-12
 * @example `ds.map(zscore(await computeStats(ds)))`
 */
export function zscore(stats: Pick<FeatureStats, 'mean' | 'std'>, options: { epsilon?: number } = {}) {
  const eps = options.epsilon ?? 1e-12;
  const mean = Float64Array.from(stats.mean);
  const inv = Float64Array.from(stats.std, (s) => (s > eps ? 1 / s : 1));
  const apply = (v: ArrayLike<number>): Float32Array => {
    if (v.length !== mean.length)
      throw new DataConfigError('zscore', 'features', `${mean.length} values (as the statistics)`, `${v.length} values`);
    const out = new Float32Array(v.length);
    for (let j = 0; j < v.length; j++) out[j] = (v[j]! - mean[j]!) * inv[j]!;
    return out;
  };
  return <T extends ArrayLike<number> | { x: ArrayLike<number> }>(el: T): T extends { x: ArrayLike<number> } ? Omit<T, 'x'> & { x: Float32Array } : Float32Array => {
    if (el !== null && typeof el === 'object' && 'x' in el) return { ...el, x: apply(el.x) } as never;
    return apply(el as ArrayLike<number>) as never;
  };
}
