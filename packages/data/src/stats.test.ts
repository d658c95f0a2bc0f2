import { describe, expect, it } from 'vitest';
import { Dataset } from './dataset.js';
import { DataConfigError } from './errors.js';
import { computeStats, zscore } from './stats.js';

describe('computeStats (Welford) and zscore', () => {
  it('matches the two-pass mean and population std', async () => {
    const xs = Array.from({ length: 500 }, (_, i) => Float32Array.from([i, 1e6 + (i % 7), 3]));
    const s = await computeStats(Dataset.fromArrays(xs, xs.map(() => 0)));
    const col = (j: number) => xs.map((x) => x[j]!);
    const mean = (a: number[]) => a.reduce((p, v) => p + v, 0) / a.length;
    const std = (a: number[]) => Math.sqrt(mean(a.map((v) => (v - mean(a)) ** 2)));
    expect(s.count).toBe(500);
    for (let j = 0; j < 3; j++) {
      // Float64 accumulation over 500 values: agreement to 1e-9 relative is expected.
      expect(s.mean[j]).toBeCloseTo(mean(col(j)), 6);
      expect(s.std[j]).toBeCloseTo(std(col(j)), 6);
    }
    expect(s.std[2]).toBe(0);
  });

  it('zscore gives mean 0, std 1 (constant features centred only) and keeps other fields', async () => {
    const ds = Dataset.fromArrays(Array.from({ length: 100 }, (_, i) => [i, 5]), Array.from({ length: 100 }, (_, i) => i % 2));
    const s = await computeStats(ds);
    const z = ds.map(zscore(s));
    const after = await computeStats(z);
    // float32 outputs: 1e-5 absolute is well within float32 rounding of values of order 1.
    expect(Math.abs(after.mean[0]!)).toBeLessThan(1e-5);
    expect(Math.abs(after.std[0]! - 1)).toBeLessThan(1e-5);
    expect(after.mean[1]).toBe(0);
    expect((await z.get(3)).y).toBe(1);
  });

  it('errors on empty data and on ragged features', async () => {
    await expect(computeStats(Dataset.fromItems<number[]>([]))).rejects.toThrow(DataConfigError);
    await expect(computeStats(Dataset.fromItems([[1, 2], [3]]))).rejects.toThrow(/element 1" must be 2 features \(as element 0\), got "1 features"/);
    expect(() => zscore({ mean: new Float64Array(2), std: new Float64Array(2) })([1, 2, 3])).toThrow(/2 values/);
  });
});

describe('computeStats ddof (the course divides by n − 1; Keras and scikit-learn by n)', () => {
  // Hand-computed on 1, 2, 3, 4: mean 2.5, Σ(x − μ)² = 5 → 5/4 (ddof 0) or 5/3 (ddof 1).
  const ds = () => Dataset.fromArrays([[1, 10], [2, 20], [3, 30], [4, 40]], [0, 0, 0, 0]);
  it('ddof 0 by default, 1 on request; zscore uses whichever std it is given', async () => {
    const pop = await computeStats(ds());
    expect(pop.ddof).toBe(0);
    expect(pop.variance[0]).toBe(1.25);
    const sample = await computeStats(ds(), { ddof: 1 });
    expect(sample.ddof).toBe(1);
    expect(sample.mean[0]).toBe(2.5);
    // Welford in float64 on small integers: exact up to one rounding, 1e-15 relative.
    expect(Math.abs(sample.variance[0]! - 5 / 3)).toBeLessThan(1e-15 * (5 / 3));
    expect(Math.abs(sample.variance[1]! - 500 / 3)).toBeLessThan(1e-15 * (500 / 3));
    expect(Math.abs(sample.std[0]! - Math.sqrt(5 / 3))).toBeLessThan(1e-15);
    const z = zscore(sample)({ x: Float32Array.from([4, 40]) }).x;
    expect(Math.abs(z[0]! - 1.5 / Math.sqrt(5 / 3))).toBeLessThan(1e-6); // float32 output
  });
  it('a bad ddof, or no more elements than ddof, is a DataConfigError', async () => {
    await expect(computeStats(ds(), { ddof: -1 })).rejects.toThrow(DataConfigError);
    await expect(computeStats(ds(), { ddof: 0.5 })).rejects.toThrow(/ddof" must be an integer ≥ 0/);
    await expect(computeStats(Dataset.fromArrays([[1]], [0]), { ddof: 1 })).rejects.toThrow(/more than ddof = 1 elements/);
  });
});
