/**
 * torchvision-style augmentation: hand-computed flip/crop/affine cases, determinism by (seed, epoch,
 * position) with and without worker threads, flip frequency (4 binomial sd), noise moments, errors.
 */
import { describe, expect, it } from 'vitest';
import { applyAugment, Compose, GaussianNoise, RandomAffine, RandomCrop, RandomHorizontalFlip } from './augment.js';
import { DataLoader } from './data-loader.js';
import { Dataset } from './dataset.js';
import { DataConfigError } from './errors.js';
import type { Tensor } from '@nn/core';

const ramp = (n: number) => Float32Array.from({ length: n }, (_, i) => i);
const x = (s: unknown) => Array.from((s as { x: Float32Array }).x);

describe('hand-computed cases', () => {
  it('RandomHorizontalFlip p=1 mirrors each row of each channel; p=0 copies', () => {
    const s = { x: ramp(12), y: 3 }; // 2 channels × 2 rows × 3 columns
    const out = Compose([RandomHorizontalFlip({ p: 1 })], { shape: [2, 2, 3] }).apply(s) as { x: Float32Array; y: number };
    expect(Array.from(out.x)).toEqual([2, 1, 0, 5, 4, 3, 8, 7, 6, 11, 10, 9]);
    expect(out.y).toBe(3);
    expect(Array.from(s.x)).toEqual(Array.from(ramp(12))); // input untouched
    expect(x(Compose([RandomHorizontalFlip({ p: 0 })], { shape: [2, 2, 3] }).apply(s))).toEqual(Array.from(ramp(12)));
  });
  it('RandomCrop with padding: every output is a shifted window of the zero-padded image', () => {
    const aug = Compose([RandomCrop({ size: 3, padding: 1 })], { shape: [1, 3, 3], seed: 2 });
    // padded 5×5 has 9 possible 3×3 windows (top, left ∈ {0, 1, 2}); window (1, 1) is the image.
    const windows = new Map<string, string>();
    for (let top = 0; top < 3; top++) for (let left = 0; left < 3; left++) {
      const w: number[] = [];
      for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) {
        const sr = top + r - 1, sc = left + c - 1;
        w.push(sr >= 0 && sr < 3 && sc >= 0 && sc < 3 ? sr * 3 + sc + 1 : 0);
      }
      windows.set(w.join(), `${top},${left}`);
    }
    const seen = new Set<string>();
    for (let k = 0; k < 200; k++) {
      const got = x(aug.apply({ x: Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]) }, { epoch: 0, position: k })).join();
      expect(windows.has(got), got).toBe(true);
      seen.add(windows.get(got)!);
    }
    expect(seen.size).toBe(9); // all 9 offsets appear in 200 draws (P(miss one) < 9·(8/9)^200 ≈ 5e-10)
  });
  it('RandomAffine: a quarter turn is np.rot90 (counter-clockwise); a whole-pixel shift moves right/down', () => {
    const img = { x: Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8]) };
    expect(x(Compose([RandomAffine({ degrees: [90, 90] })], { shape: [1, 3, 3] }).apply(img))).toEqual([2, 5, 8, 1, 4, 7, 0, 3, 6]);
    // translate [1/3, 0] of width 3 → shift uniform in [−1, 1] px, rounded: each result is one of three.
    const shifts = new Set<string>();
    for (let k = 0; k < 60; k++) shifts.add(x(Compose([RandomAffine({ degrees: 0, translate: [1 / 3, 0], fill: -1 })], { shape: [1, 3, 3], seed: 5 }).apply(img, { epoch: 0, position: k })).join());
    expect([...shifts].sort()).toEqual(['-1,0,1,-1,3,4,-1,6,7', '0,1,2,3,4,5,6,7,8', '1,2,-1,4,5,-1,7,8,-1'].sort());
  });
});

describe('seeding and statistics', () => {
  const aug = Compose([RandomHorizontalFlip(), RandomCrop({ size: 4, padding: 1 }), GaussianNoise({ sigma: 0.1, clip: false })], { shape: [1, 4, 4], seed: 7 });
  it('the same (seed, epoch, position) gives the same sample; another epoch or seed a different one', () => {
    const s = { x: ramp(16) };
    const a = x(aug.apply(s, { epoch: 1, position: 5 }));
    expect(x(aug.apply(s, { epoch: 1, position: 5 }))).toEqual(a);
    expect(x(aug.apply(s, { epoch: 2, position: 5 }))).not.toEqual(a);
    expect(x(Compose(aug.context.transforms, { shape: [1, 4, 4], seed: 8 }).apply(s, { epoch: 1, position: 5 }))).not.toEqual(a);
  });
  it('flip frequency ≈ p over 4000 draws (|count − np| < 4·√(np(1−p)))', () => {
    for (const p of [0.5, 0.2]) {
      const flip = Compose([RandomHorizontalFlip({ p })], { shape: [1, 1, 2], key: null, seed: 3 });
      let n = 0;
      for (let k = 0; k < 4000; k++) n += +((flip.apply(Float32Array.from([0, 1]), { epoch: 0, position: k }) as Float32Array)[0] === 1);
      expect(Math.abs(n - 4000 * p)).toBeLessThan(4 * Math.sqrt(4000 * p * (1 - p)));
    }
  });
  it('GaussianNoise adds N(mean, σ²) (n = 10,000: 4 sd of the mean 0.004, of the std 0.0028) and clips to [0, 1]', () => {
    const v = applyAugment(new Float32Array(10_000).fill(0.5), 0, Compose([GaussianNoise({ mean: 0.01, sigma: 0.1, clip: false })], { shape: [1, 100, 100], key: null }).context, { epoch: 0, position: 0 }) as Float32Array;
    const m = v.reduce((a, b) => a + b, 0) / v.length, sd = Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length);
    expect(Math.abs(m - 0.51)).toBeLessThan(0.004);
    expect(Math.abs(sd - 0.1)).toBeLessThan(0.0029);
    const c = Compose([GaussianNoise({ sigma: 2 })], { shape: [1, 10, 10], key: null }).apply(new Float32Array(100).fill(0.5)) as Float32Array;
    expect(Math.min(...c)).toBe(0);
    expect(Math.max(...c)).toBe(1);
  });
  it('in a DataLoader: the same batches with 0 and 2 worker threads, new draws each epoch', async () => {
    const rows = Array.from({ length: 24 }, (_, i) => ({ x: Float32Array.from({ length: 16 }, (_, j) => i + j / 16), y: i }));
    const collect = async (workers: number) => {
      const loader = new DataLoader(Dataset.fromItems(rows), { batchSize: 8, shuffle: true, seed: 4, numWorkers: workers, ...aug.loaderOptions() });
      const epochs: number[][] = [];
      for (let e = 0; e < 2; e++) {
        const vals: number[] = [];
        for await (const [xb] of loader) vals.push(...(xb as Tensor).dataSync());
        epochs.push(vals);
      }
      return epochs;
    };
    const inThread = await collect(0);
    expect(await collect(2)).toEqual(inThread);
    expect(inThread[0]!.length).toBe(24 * 16);
    expect(inThread[1]).not.toEqual(inThread[0]);
  });
});

describe('errors', () => {
  it('bad options and mismatched samples say what and where', () => {
    expect(() => RandomHorizontalFlip({ p: 2 })).toThrow(DataConfigError);
    expect(() => RandomCrop({ size: 0 })).toThrow(/size/);
    expect(() => RandomAffine({ degrees: 5, scale: [0, 1] })).toThrow(/scale/);
    expect(() => Compose([{ kind: 'blur' } as never], { shape: [1, 2, 2] })).toThrow(/transforms\[0\]/);
    expect(() => Compose([], { shape: [1, 2] as never })).toThrow(/shape/);
    expect(() => Compose([RandomHorizontalFlip()], { shape: [1, 28, 28] }).apply({ x: new Float32Array(10) })).toThrow(/sample\["x"\] has 10 values; shape \[1, 28, 28\] needs 784/);
  });
});
