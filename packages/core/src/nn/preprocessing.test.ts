/**
 * Keras image-augmentation layers: hand-computed flip/translate/rotate/zoom cases, identity in
 * inference, determinism by seed, statistics over many draws (tolerances: 4 binomial or normal
 * standard errors, stated per test), config round trips, and a model that trains with them.
 */
import { describe, expect, it } from 'vitest';
import * as o from '../ops';
import type { Tensor } from '../tensor';
import { ShapeError, ValueError } from '../errors';
import { GaussianNoise, RandomContrast, RandomFlip, RandomRotation, RandomTranslation, RandomZoom, layers } from './index';
import { deserializeLayer, serializeLayer } from './registry';
import { Sequential, losses, optimizers } from '../index';

const img = (H: number, W: number, B = 1) => o.tensor(Array.from({ length: B * H * W }, (_, i) => i % (H * W)), [B, H, W, 1]);
const grid = (t: Tensor) => {
  const [, H, W] = t.shape as number[];
  const v = Array.from(t.dataSync());
  return Array.from({ length: H! }, (_, r) => v.slice(r * W!, r * W! + W!));
};

describe('hand-computed cases', () => {
  it('RandomTranslation by exactly one row down: constant fill zeroes the top, reflect repeats it', () => {
    const x = img(4, 4); // rows [0..3], [4..7], [8..11], [12..15]
    const c = new RandomTranslation([0.25, 0.25], 0, { fillMode: 'constant', seed: 1 })(x, { training: true }) as Tensor;
    expect(grid(c)).toEqual([[0, 0, 0, 0], [0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]);
    const r = new RandomTranslation([0.25, 0.25], [-0.25, -0.25], { seed: 1 })(x, { training: true }) as Tensor;
    // one down and one left; reflect: row −1 → row 0, column 4 → column 3
    expect(grid(r)).toEqual([[1, 2, 3, 3], [1, 2, 3, 3], [5, 6, 7, 7], [9, 10, 11, 11]]);
    const f = new RandomTranslation([0.25, 0.25], 0, { fillMode: 'constant', fillValue: -1, seed: 1 })(x, { training: true }) as Tensor;
    expect(grid(f)[0]).toEqual([-1, -1, -1, -1]);
  });
  it('RandomTranslation by half a pixel is bilinear: the mean of neighbouring rows', () => {
    const y = new RandomTranslation([0.125, 0.125], 0, { fillMode: 'nearest' })(img(4, 4), { training: true }) as Tensor;
    expect(grid(y)[2]).toEqual([6, 7, 8, 9]); // (row1 + row2)/2 = ([4..7] + [8..11])/2
  });
  it('RandomRotation by a quarter turn is np.rot90 (counter-clockwise)', () => {
    const y = new RandomRotation([0.25, 0.25])(img(3, 3), { training: true }) as Tensor;
    grid(y).flat().forEach((v, i) => expect(v).toBeCloseTo([2, 5, 8, 1, 4, 7, 0, 3, 6][i]!, 5)); // cos(π/2) ≈ 6e-17
  });
  it('RandomZoom −0.5 (zoom in ×2) reads the centre at half steps', () => {
    const x = img(5, 5); // value = 5·row + col
    const y = grid(new RandomZoom([-0.5, -0.5])(x, { training: true }) as Tensor);
    // output (r, c) reads input (2 + (r − 2)/2, 2 + (c − 2)/2): value 5·(1 + r/2) + 1 + c/2
    y.forEach((row, r) => row.forEach((v, c) => expect(v).toBeCloseTo(5 * (1 + r / 2) + 1 + c / 2, 5)));
  });
  it('RandomFlip flips whole images, left–right or unchanged', () => {
    const x = img(2, 3, 64);
    const y = new RandomFlip({ mode: 'horizontal', seed: 4 })(x, { training: true }) as Tensor;
    const v = y.dataSync();
    let flipped = 0;
    for (let b = 0; b < 64; b++) {
      const got = Array.from(v.slice(b * 6, b * 6 + 6));
      if (got.join() === '2,1,0,5,4,3') flipped++;
      else expect(got).toEqual([0, 1, 2, 3, 4, 5]);
    }
    expect(flipped).toBeGreaterThan(0);
    expect(flipped).toBeLessThan(64);
  });
});

describe('statistics over many draws', () => {
  it('RandomFlip: each axis flipped with probability ½ (4000 images; 4 binomial sd = 126)', () => {
    const n = 4000, x = o.tensor(Array.from({ length: n * 4 }, (_, i) => i % 4), [n, 2, 2, 1]);
    const v = (new RandomFlip({ seed: 11 })(x, { training: true }) as Tensor).dataSync();
    let h = 0, vv = 0;
    for (let b = 0; b < n; b++) {
      // [0,1,2,3]: horizontal flip → [1,0,3,2], vertical → [2,3,0,1]
      if (v[b * 4]! % 2 === 1) h++;
      if (v[b * 4]! >= 2) vv++;
    }
    expect(Math.abs(h - n / 2)).toBeLessThan(4 * Math.sqrt(n / 4));
    expect(Math.abs(vv - n / 2)).toBeLessThan(4 * Math.sqrt(n / 4));
  });
  it('GaussianNoise: mean 0 and std σ (n = 20,000: 4 sd of the mean is 0.028σ, of the std 0.02σ)', () => {
    const x = o.zeros([20, 1000]);
    const v = Array.from((new GaussianNoise(0.5, { seed: 2 })(x, { training: true }) as Tensor).dataSync());
    const m = v.reduce((a, b) => a + b, 0) / v.length;
    const sd = Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length);
    expect(Math.abs(m)).toBeLessThan(4 * 0.5 / Math.sqrt(v.length));
    expect(Math.abs(sd - 0.5)).toBeLessThan(4 * 0.5 / Math.sqrt(2 * v.length));
  });
  it('RandomContrast keeps each image mean and scales deviations by c in [1 − f, 1 + f]', () => {
    const x = o.add(img(4, 4, 50), 100);
    const y = new RandomContrast(0.3, { seed: 5, valueRange: null })(x, { training: true }) as Tensor;
    const xv = x.dataSync(), yv = y.dataSync();
    const cs: number[] = [];
    for (let b = 0; b < 50; b++) {
      let mx = 0, my = 0;
      for (let i = 0; i < 16; i++) (mx += xv[b * 16 + i]! / 16, my += yv[b * 16 + i]! / 16);
      expect(my).toBeCloseTo(mx, 3);
      cs.push((yv[b * 16 + 15]! - my) / (xv[b * 16 + 15]! - mx));
    }
    expect(Math.min(...cs)).toBeGreaterThanOrEqual(0.7 - 1e-4);
    expect(Math.max(...cs)).toBeLessThanOrEqual(1.3 + 1e-4);
    expect(new Set(cs.map((c) => c.toFixed(3))).size).toBeGreaterThan(40);
    const clipped = (new RandomContrast(0.9, { seed: 5 })(o.mul(img(4, 4, 8), 17), { training: true }) as Tensor).dataSync();
    expect(Math.min(...clipped)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...clipped)).toBeLessThanOrEqual(255);
  });
});

describe('modes, seeds, configs, errors', () => {
  const all = () => [
    new RandomFlip({ seed: 1 }), new RandomTranslation(0.2, [0, 0.3], { seed: 2, fillMode: 'wrap' }), new RandomRotation(0.1, { seed: 3, interpolation: 'nearest' }),
    new RandomZoom([-0.2, 0.2], 0.1, { seed: 4, fillMode: 'constant', fillValue: 0.5 }), new RandomContrast([0.1, 0.4], { seed: 5, valueRange: [0, 1] }), new GaussianNoise(0.1, { seed: 6 }),
  ];
  it('identity in inference (the same tensor), random in training', () => {
    const x = o.rand([2, 6, 6, 1]);
    for (const l of all()) {
      expect(l(x)).toBe(x);
      expect(l(x, { training: false })).toBe(x);
      expect(Array.from((l(x, { training: true }) as Tensor).dataSync())).not.toEqual(Array.from(x.dataSync()));
    }
  });
  it('the same seed gives the same augmentation; a config round trip keeps every option', () => {
    const x = o.rand([3, 5, 7, 2]);
    const a = all(), b = all();
    for (let i = 0; i < a.length; i++) {
      expect(Array.from((a[i]!(x, { training: true }) as Tensor).dataSync())).toEqual(Array.from((b[i]!(x, { training: true }) as Tensor).dataSync()));
      const copy = deserializeLayer(JSON.parse(JSON.stringify(serializeLayer(a[i]!))));
      expect(copy.constructor).toBe(a[i]!.constructor);
      const { name: _n, ...cfg } = a[i]!.getConfig();
      const { name: _m, ...cfg2 } = copy.getConfig();
      expect(cfg2).toEqual(cfg);
      // a fresh copy and a fresh original draw the same numbers
      const fresh = all()[i]!;
      expect(Array.from((copy(x, { training: true }) as Tensor).dataSync())).toEqual(Array.from((fresh(x, { training: true }) as Tensor).dataSync()));
    }
  });
  it('an unbatched image [H, W, C] works; flat input is a ShapeError with a hint; bad options are ValueErrors', () => {
    expect((new RandomFlip({ seed: 1 })(o.rand([4, 4, 1]), { training: true }) as Tensor).shape).toEqual([4, 4, 1]);
    expect(() => layers.RandomFlip({ name: 'flip' })(o.rand([2, 784]), { training: true })).toThrow(ShapeError);
    expect(() => layers.RandomFlip()(o.rand([2, 784]), { training: true })).toThrow(/Reshape flat pixels first/);
    expect(() => layers.RandomZoom([-1, 0])).toThrow(ValueError);
    expect(() => layers.RandomTranslation(0.1, 0.1, { fillMode: 'mirror' as never })).toThrow(/fillMode must be/);
    expect(() => layers.GaussianNoise(-1)).toThrow(/stddev must be a finite number ≥ 0, got -1/);
  });
  it('a Sequential with augmentation trains with fit (training on) and predicts deterministically', async () => {
    const x = o.rand([32, 6, 6, 1]), y = o.tensor(Array.from({ length: 32 }, (_, i) => i % 2), [32], { dtype: 'int32' });
    const m = new Sequential([layers.RandomFlip({ seed: 1, inputShape: [6, 6, 1] }), layers.RandomTranslation(0.1, 0.1, { seed: 2 }), layers.GaussianNoise(0.05, { seed: 3 }), layers.Flatten(), layers.Dense(2)]);
    m.compile({ optimizer: optimizers.Adam(), loss: losses.SparseCategoricalCrossentropy({ fromLogits: true }) });
    const h = await m.fit(x, y, { epochs: 2, batchSize: 16, verbose: 0 });
    expect(h.history.loss).toHaveLength(2);
    const p1 = ((await m.predict(x)) as Tensor).dataSync(), p2 = ((await m.predict(x)) as Tensor).dataSync();
    expect(Array.from(p1)).toEqual(Array.from(p2));
  });
});
