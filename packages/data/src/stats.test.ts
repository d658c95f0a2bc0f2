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
