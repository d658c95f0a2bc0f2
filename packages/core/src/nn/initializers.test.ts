/**
 * Initializers checked statistically on large tensors, and fan computation for dense and conv
 * shapes in both layouts.
 *
 * Tolerance: 4 standard errors (two-sided p ≈ 6e-5 per check for a correct initializer, with a
 * fixed seed so the run is deterministic). The standard error of the mean is s/√n; that of the
 * standard deviation is √((m₄ − s⁴)/n)/(2s), from the sample's own fourth moment, so it holds for
 * uniform and truncated distributions too. Bounds are checked exactly (float32 rounding of the
 * bound allowed: relative 1e-7).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import * as o from '../ops';
import { manualSeed } from '../random';
import type { Tensor } from '../tensor';
import { calculateGain, init } from './init';
import { computeFans, getInitializer, initializers, varianceScaling, type Initializer } from './initializers';
import { Conv2D, Dense, Embedding, Linear, TorchEmbedding } from './index';
import { vals } from './test-utils';
import * as nn from './torch';

/** Truncation at ±2σ keeps this fraction of the standard deviation (Keras's constant). */
const TRUNC = 0.87962566103423978;

function stats(v: ArrayLike<number>) {
  const n = v.length;
  let mean = 0, min = Infinity, max = -Infinity;
  for (let i = 0; i < n; i++) {
    mean += v[i]!;
    min = Math.min(min, v[i]!);
    max = Math.max(max, v[i]!);
  }
  mean /= n;
  let m2 = 0, m4 = 0;
  for (let i = 0; i < n; i++) {
    const d = (v[i]! - mean) ** 2;
    m2 += d;
    m4 += d * d;
  }
  m2 /= n;
  m4 /= n;
  const std = Math.sqrt(m2);
  return { n, mean, std, min, max, seMean: std / Math.sqrt(n), seStd: Math.sqrt((m4 - m2 * m2) / n) / (2 * std) };
}

/** Expect mean and std within 4 standard errors, and optionally |x| ≤ bound. */
function expectDist(v: ArrayLike<number>, want: { mean?: number; std: number; bound?: number }) {
  const s = stats(v);
  expect(Math.abs(s.mean - (want.mean ?? 0))).toBeLessThan(4 * s.seMean);
  expect(Math.abs(s.std - want.std)).toBeLessThan(4 * s.seStd);
  if (want.bound !== undefined) {
    expect(Math.max(Math.abs(s.min - (want.mean ?? 0)), Math.abs(s.max - (want.mean ?? 0)))).toBeLessThanOrEqual(want.bound * (1 + 1e-7));
  }
  return s;
}

const draw = (f: Initializer, shape: number[]) => vals(f(shape));
// A dense kernel (in 300, out 500) and a conv kernel HWIO (3, 3, 40, 60): fanIn 360, fanOut 540.
const DENSE = [300, 500], CONV = [3, 3, 40, 60];

beforeEach(() => manualSeed(123));

describe('computeFans', () => {
  it('dense and conv shapes in the Keras layout (…receptive, in, out) and the PyTorch layout (out, in, …receptive)', () => {
    expect(computeFans([784, 64])).toEqual({ fanIn: 784, fanOut: 64 });
    expect(computeFans([64, 784], 'torch')).toEqual({ fanIn: 784, fanOut: 64 });
    expect(computeFans([3, 3, 16, 32])).toEqual({ fanIn: 144, fanOut: 288 });
    expect(computeFans([32, 16, 3, 3], 'torch')).toEqual({ fanIn: 144, fanOut: 288 });
    expect(computeFans([5, 4, 8])).toEqual({ fanIn: 20, fanOut: 40 }); // Conv1D (k, in, out)
    expect(computeFans([8, 4, 5], 'torch')).toEqual({ fanIn: 20, fanOut: 40 });
    expect(computeFans([7])).toEqual({ fanIn: 7, fanOut: 7 });
    expect(computeFans([])).toEqual({ fanIn: 1, fanOut: 1 });
  });
  it('nn.init.calculateFanInAndFanOut uses the PyTorch layout and rejects 1-D tensors', () => {
    expect(init.calculateFanInAndFanOut(o.zeros([32, 16, 3, 3]))).toEqual([144, 288]);
    expect(() => init.calculateFanInAndFanOut(o.zeros([5]))).toThrow(/fewer than 2 dimensions/);
  });
});

describe('Keras initializers (statistics on ≥ 150,000 values)', () => {
  it('zeros, ones, constant are exact', () => {
    expect(new Set(draw(initializers.zeros(), [10, 10]))).toEqual(new Set([0]));
    expect(new Set(draw(initializers.ones(), [10, 10]))).toEqual(new Set([1]));
    expect(new Set(draw(initializers.constant(0.5), [10, 10]))).toEqual(new Set([0.5]));
  });
  it('randomNormal, randomUniform, truncatedNormal: defaults and explicit parameters', () => {
    expectDist(draw(initializers.randomNormal(), DENSE), { std: 0.05 });
    expectDist(draw(initializers.randomNormal({ mean: 1, stddev: 2 }), DENSE), { mean: 1, std: 2 });
    expectDist(draw(initializers.randomUniform(), DENSE), { std: 0.1 / Math.sqrt(12), bound: 0.05 });
    const u = expectDist(draw(initializers.randomUniform({ minval: 2, maxval: 5 }), DENSE), { mean: 3.5, std: 3 / Math.sqrt(12), bound: 1.5 });
    expect(u.min).toBeGreaterThanOrEqual(2);
    // Keras's stddev is before truncation at 2σ: the sample std is TRUNC·stddev.
    expectDist(draw(initializers.truncatedNormal({ stddev: 0.3 }), DENSE), { std: 0.3 * TRUNC, bound: 0.6 });
  });
  it.each([
    ['glorotUniform', 'uniform', 6 / (300 + 500), 6 / (360 + 540)],
    ['heUniform', 'uniform', 6 / 300, 6 / 360],
    ['lecunUniform', 'uniform', 3 / 300, 3 / 360],
  ] as const)('%s: U(±limit) with limit² = %s (dense), %s (conv)', (name, _, dense, conv) => {
    for (const [shape, l2] of [[DENSE, dense], [CONV, conv]] as const) {
      const limit = Math.sqrt(l2);
      const s = expectDist(draw(initializers[name](), [...shape]), { std: limit / Math.sqrt(3), bound: limit });
      expect(s.max).toBeGreaterThan(0.999 * limit); // it fills the whole range
    }
  });
  it.each([
    ['glorotNormal', 2 / (300 + 500), 2 / (360 + 540)],
    ['heNormal', 2 / 300, 2 / 360],
    ['lecunNormal', 1 / 300, 1 / 360],
  ] as const)('%s: truncated normal whose std is √(%s) (dense), √(%s) (conv)', (name, dense, conv) => {
    for (const [shape, v] of [[DENSE, dense], [CONV, conv]] as const) {
      const sd = Math.sqrt(v);
      expectDist(draw(initializers[name](), [...shape]), { std: sd, bound: (2 * sd) / TRUNC });
    }
  });
  it('varianceScaling: fanOut untruncated normal, fanAvg uniform with scale', () => {
    expectDist(draw(varianceScaling({ scale: 3, mode: 'fanOut', distribution: 'untruncatedNormal' }), CONV), { std: Math.sqrt(3 / 540) });
    const lim = Math.sqrt((3 * 0.5) / 400);
    expectDist(draw(varianceScaling({ scale: 0.5, mode: 'fanAvg', distribution: 'uniform' }), DENSE), { std: lim / Math.sqrt(3), bound: lim });
    expect(() => varianceScaling({ scale: 0 })).toThrow(/scale must be > 0/);
  });
  it('orthogonal: QᵀQ = I (tall), QQᵀ = I (wide), times gain; conv kernels flatten to (rows, out)', () => {
    const gram = (v: number[], r: number, c: number, byCols: boolean) => {
      const n = byCols ? c : r, m = byCols ? r : c, out: number[] = [];
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < m; k++) s += byCols ? v[k * c + i]! * v[k * c + j]! : v[i * c + k]! * v[j * c + k]!;
        out.push(s);
      }
      return out;
    };
    const eye = (n: number, g = 1) => Array.from({ length: n * n }, (_, i) => (i % (n + 1) === 0 ? g * g : 0));
    // Values are stored in float32: each product sum carries ~1e-7 relative error.
    const close = (a: number[], b: number[]) => expect(Math.max(...a.map((x, i) => Math.abs(x - b[i]!)))).toBeLessThan(1e-5);
    close(gram(draw(initializers.orthogonal(), [40, 10]), 40, 10, true), eye(10));
    close(gram(draw(initializers.orthogonal({ gain: 2 }), [10, 40]), 10, 40, false), eye(10, 2));
    close(gram(draw(initializers.orthogonal(), [3, 3, 4, 8]), 36, 8, true), eye(8));
    close(gram(vals(init.orthogonal_(o.zeros([6, 2, 2, 2]))), 6, 8, false), eye(6));
  });
  it('names in camelCase or snake_case, seeds make draws reproducible, unknown names list the known ones', () => {
    const a = vals(getInitializer('glorot_uniform', 'zeros')([4, 4]));
    expect(Math.max(...a.map(Math.abs))).toBeLessThanOrEqual(Math.sqrt(6 / 8));
    expect(vals(initializers.heNormal({ seed: 7 })([5, 5]))).toEqual(vals(initializers.heNormal({ seed: 7 })([5, 5])));
    expect(vals(initializers.heNormal({ seed: 7 })([5, 5]))).not.toEqual(vals(initializers.heNormal({ seed: 8 })([5, 5])));
    expect(() => getInitializer('glorot' as 'zeros', 'zeros')).toThrow(/Unknown initializer "glorot"\. Known: zeros, ones/);
  });
});

describe('nn.init (PyTorch, in place, (out, in, …) layout)', () => {
  const W = () => o.zeros([500, 300]); // Linear(300, 500) weight: fanIn 300, fanOut 500
  const C = () => o.zeros([60, 40, 3, 3]); // Conv2d(40, 60, 3) weight: fanIn 360, fanOut 540
  it('uniform_, normal_, constant_, zeros_, ones_, truncNormal_', () => {
    expectDist(vals(init.uniform_(W(), -1, 3)), { mean: 1, std: 4 / Math.sqrt(12), bound: 2 });
    expectDist(vals(init.normal_(W(), 2, 0.5)), { mean: 2, std: 0.5 });
    expect(new Set(vals(init.constant_(o.zeros([3, 3]), 0.25)))).toEqual(new Set([0.25]));
    expect(new Set(vals(init.zeros_(o.ones([3]))))).toEqual(new Set([0]));
    expect(new Set(vals(init.ones_(o.zeros([3]))))).toEqual(new Set([1]));
    const tn = stats(vals(init.truncNormal_(W(), 0, 1, -1, 1)));
    expect(tn.min).toBeGreaterThanOrEqual(-1);
    expect(tn.max).toBeLessThanOrEqual(1);
  });
  it('xavier_uniform_ / xavier_normal_ with gain, on linear and conv weights', () => {
    const lim = 2 * Math.sqrt(6 / 800);
    expectDist(vals(init.xavier_uniform_(W(), 2)), { std: lim / Math.sqrt(3), bound: lim });
    const limc = Math.sqrt(6 / 900);
    expectDist(vals(init.xavierUniform_(C())), { std: limc / Math.sqrt(3), bound: limc });
    expectDist(vals(init.xavier_normal_(C())), { std: Math.sqrt(2 / 900) });
  });
  it('kaiming_uniform_ / kaiming_normal_ for each mode and nonlinearity', () => {
    const b = Math.sqrt(2) * Math.sqrt(3 / 360);
    expectDist(vals(init.kaiming_uniform_(C(), { nonlinearity: 'relu' })), { std: b / Math.sqrt(3), bound: b });
    expectDist(vals(init.kaiming_normal_(C(), { mode: 'fan_out', nonlinearity: 'relu' })), { std: Math.sqrt(2 / 540) });
    // a = √5 (nn.Linear's default): gain √(2/6) so the bound is 1/√fanIn.
    const b5 = 1 / Math.sqrt(300);
    expectDist(vals(init.kaimingUniform_(W(), { a: Math.sqrt(5) })), { std: b5 / Math.sqrt(3), bound: b5 });
  });
  it('calculateGain follows PyTorch', () => {
    expect(calculateGain('relu')).toBe(Math.SQRT2);
    expect(calculateGain('tanh')).toBeCloseTo(5 / 3, 15);
    expect(calculateGain('leaky_relu')).toBeCloseTo(Math.sqrt(2 / (1 + 0.01 ** 2)), 15);
    expect(calculateGain('leaky_relu', Math.sqrt(5))).toBeCloseTo(Math.sqrt(1 / 3), 15);
    expect(calculateGain('selu')).toBe(0.75);
    for (const n of ['linear', 'conv2d', 'sigmoid'] as const) expect(calculateGain(n)).toBe(1);
  });
});

describe('layer defaults follow their door', () => {
  it('Dense: glorot_uniform kernel, zero bias; nn.Linear: U(±1/√in) weight and bias', () => {
    const d = new Dense(500);
    d(o.zeros([1, 300]));
    const lim = Math.sqrt(6 / 800);
    expectDist(vals(d.kernel), { std: lim / Math.sqrt(3), bound: lim });
    expect(new Set(vals(d.bias!))).toEqual(new Set([0]));
    const lin = new Linear(300, 500);
    const b = 1 / Math.sqrt(300);
    expectDist(vals(lin.weight), { std: b / Math.sqrt(3), bound: b });
    const bias = stats(vals(lin.bias!));
    expect(Math.max(-bias.min, bias.max)).toBeLessThanOrEqual(b);
    expect(bias.std).toBeGreaterThan(0);
  });
  it('Conv2D: glorot_uniform over HWIO fans; nn.Conv2d: bias U(±1/√fanIn)', () => {
    const c = new Conv2D(60, 3);
    c(o.zeros([1, 5, 5, 40]));
    const lim = Math.sqrt(6 / 900);
    expectDist(vals(c.kernel), { std: lim / Math.sqrt(3), bound: lim });
    const tc = new nn.Conv2d(40, 60, 3);
    const b = 1 / Math.sqrt(360);
    expectDist(vals(tc.weight), { std: b / Math.sqrt(3), bound: b });
    expect(Math.max(...vals(tc.bias!).map(Math.abs))).toBeLessThanOrEqual(b);
  });
  it('Embedding: Keras U(±0.05) vs PyTorch N(0, 1)', () => {
    const e = new Embedding(1000, 200);
    e(o.tensor(new Int32Array([0]), [1]));
    expectDist(vals(e.embeddings), { std: 0.1 / Math.sqrt(12), bound: 0.05 });
    expectDist(vals(new TorchEmbedding(1000, 200).weight), { std: 1 });
  });
});

export type { Tensor };
