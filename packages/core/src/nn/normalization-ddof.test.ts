import { describe, expect, it } from 'vitest';
import { Normalization, RunningStats, ValueError, layers, tensor } from '../index';

// Hand-computed on x = 1, 2, 3, 4 (one feature): mean 2.5, Σ(x − μ)² = 5, so the variance is
// 5/4 = 1.25 with ddof 0 (Keras, divide by n) and 5/3 with ddof 1 (the course's slide, n − 1).
// Float64 statistics stored in a float32 weight: 1e-7 relative covers the float32 rounding.
const close = (a: number, b: number) => expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-7 * Math.abs(b));

describe('Normalization ddof (the course divides by n − 1; Keras by n)', () => {
  it('ddof 0 (default) adapts the population variance, ddof 1 the sample variance', async () => {
    const keras = layers.Normalization();
    await keras.adapt(tensor([[1], [2], [3], [4]]));
    close(keras.varianceW!.dataSync()[0]!, 1.25);
    const course = layers.Normalization({ ddof: 1 });
    await course.adapt(tensor([[1], [2], [3], [4]]));
    close(course.meanW!.dataSync()[0]!, 2.5);
    close(course.varianceW!.dataSync()[0]!, 5 / 3);
    close((course(tensor([[4]])) as ReturnType<typeof tensor>).dataSync()[0]!, 1.5 / Math.sqrt(5 / 3));
  });
  it('streamed in batches gives the same n − 1 variance; ddof is kept in the config', async () => {
    const n = new Normalization({ ddof: 1 });
    await n.adapt([tensor([[1, 10], [2, 20]]), tensor([[3, 30], [4, 40]])]);
    const v = n.varianceW!.dataSync();
    close(v[0]!, 5 / 3);
    close(v[1]!, 500 / 3);
    expect(n.getConfig()).toMatchObject({ ddof: 1 });
    expect(new Normalization().getConfig()).not.toHaveProperty('ddof');
  });
  it('RunningStats.variance(ddof)', () => {
    const s = new RunningStats(1);
    s.update([1, 2, 3, 4], 4);
    expect(s.variance()[0]).toBe(1.25);
    expect(s.variance(1)[0]).toBeCloseTo(5 / 3, 15);
  });
  it('bad ddof and too few rows are ValueErrors saying why', async () => {
    expect(() => layers.Normalization({ ddof: -1 })).toThrow(/ddof must be an integer ≥ 0/);
    expect(() => layers.Normalization({ ddof: 0.5 })).toThrow(ValueError);
    await expect(layers.Normalization({ ddof: 1 }).adapt(tensor([[1, 2]]))).rejects.toThrow(/1 row\(s\) with ddof 1/);
  });
});
