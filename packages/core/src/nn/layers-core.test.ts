/**
 * Forward of each core layer against an independent plain-JS computation on the float64 reference
 * backend, and its gradients (inputs and weights) by central finite differences.
 *
 * Tolerances:
 * - FWD = 1e-12 absolute for layers whose arithmetic uses only the data (float64 on both sides,
 *   differences are summation order, ~1e-16 × terms);
 * - FWD_CONST = 5e-7 relative for layers with a non-representable scalar constant (ε, SELU α/λ,
 *   GELU's 1/√2, 1/(1−p)): core uploads number operands as float32 scalars (roundoff 6e-8);
 * - GRAD = 1e-6 relative for finite differences: eps 1e-6 in float64 gives truncation ~1e-12 and
 *   cancellation ~1e-10, so 1e-6 leaves margin while a wrong VJP is off by O(1).
 */
import { describe, expect, it } from 'vitest';
import * as o from '../ops';
import { Generator } from '../random';
import type { Tensor } from '../tensor';
import { Activation, Add, BatchNormalization, Concatenate, Dense, Embedding, Flatten, LayerNormalization, layers, Linear, Normalization, Reshape, TorchEmbedding, TorchFlatten } from './index';
import type { Layer } from './layer';
import type { Module, Parameter } from './module';
import { erf, layerGradCheck, maxAbsDiff, maxRelDiff, setValues, vals } from './test-utils';
import * as nn from './torch';

const FWD = 1e-12, FWD_CONST = 5e-7, GRAD = 1e-6;
const rnd = (g: Generator, n: number) => Array.from({ length: n }, () => g.normal());
const t = (g: Generator, shape: number[]) => o.tensor(rnd(g, shape.reduce((a, b) => a * b, 1)), shape);
/** Put gradient-check leaves in place of a module's weights (the layer must be built already). */
const swap = (m: Module, w: Record<string, Tensor>) => Object.assign(m, w as Record<string, Parameter>);

describe('Dense / nn.Linear', () => {
  it('Dense: tanh(x·kernel + bias) on the last axis, rank 2 and 3', () => {
    const g = new Generator(1);
    const d = new Dense(3, { activation: 'tanh' });
    const x = t(g, [2, 4, 5]);
    const y = d(x) as Tensor;
    expect(y.shape).toEqual([2, 4, 3]);
    expect(d.kernel.shape).toEqual([5, 3]); // Keras layout (in, out)
    setValues(d.bias!, [0.1, -0.2, 0.3]);
    const yv = vals(d(x) as Tensor), xv = vals(x), k = vals(d.kernel), b = vals(d.bias!);
    const want: number[] = [];
    for (let r = 0; r < 8; r++) for (let j = 0; j < 3; j++) {
      let s = b[j]!;
      for (let i = 0; i < 5; i++) s += xv[r * 5 + i]! * k[i * 3 + j]!;
      want.push(Math.tanh(s));
    }
    expect(maxAbsDiff(yv, want)).toBeLessThan(FWD);
  });
  it('Dense gradients (x, kernel, bias) by finite differences', () => {
    const d = new Dense(3, { activation: 'sigmoid' });
    d(o.zeros([1, 4]));
    const err = layerGradCheck([{ shape: [3, 4] }, { shape: [4, 3] }, { shape: [3] }], (x, k, b) => swap(d, { kernel: k!, bias: b! })(x) as Tensor);
    expect(err).toBeLessThan(GRAD);
  });
  it('nn.Linear: x·Wᵀ + b with weight (out, in), and its gradients', () => {
    const g = new Generator(2);
    const lin = new Linear(4, 2);
    expect(lin.weight.shape).toEqual([2, 4]); // PyTorch layout (out, in)
    const x = t(g, [3, 4]);
    const yv = vals(lin(x) as Tensor), xv = vals(x), w = vals(lin.weight), b = vals(lin.bias!);
    const want: number[] = [];
    for (let r = 0; r < 3; r++) for (let j = 0; j < 2; j++) {
      let s = b[j]!;
      for (let i = 0; i < 4; i++) s += xv[r * 4 + i]! * w[j * 4 + i]!;
      want.push(s);
    }
    expect(maxAbsDiff(yv, want)).toBeLessThan(FWD);
    const err = layerGradCheck([{ shape: [2, 3, 4] }, { shape: [2, 4] }, { shape: [2] }], (x2, w2, b2) => swap(lin, { weight: w2!, bias: b2! })(x2) as Tensor);
    expect(err).toBeLessThan(GRAD);
  });
});

describe('activations', () => {
  const sig = (v: number) => 1 / (1 + Math.exp(-v));
  const SA = 1.6732632423543772, SS = 1.0507009873554805;
  const cases: [string, (v: number) => number][] = [
    ['linear', (v) => v], ['relu', (v) => Math.max(0, v)], ['sigmoid', sig], ['tanh', Math.tanh],
    ['elu', (v) => (v > 0 ? v : Math.expm1(v))], ['selu', (v) => SS * (v > 0 ? v : SA * Math.expm1(v))],
    ['gelu', (v) => 0.5 * v * (1 + erf(v / Math.SQRT2))], ['softplus', (v) => Math.log1p(Math.exp(v))],
    ['leaky_relu', (v) => (v > 0 ? v : 0.2 * v)], ['swish', (v) => v * sig(v)], ['silu', (v) => v * sig(v)],
  ];
  it.each(cases)('Activation(%s) matches its formula elementwise and passes a gradient check', (name, f) => {
    const g = new Generator(3);
    const x = t(g, [4, 5]);
    const y = new Activation(name as 'relu')(x) as Tensor;
    expect(maxRelDiff(vals(y), vals(x).map(f))).toBeLessThan(FWD_CONST);
    const kinks = ['relu', 'elu', 'selu', 'leaky_relu'].includes(name);
    expect(layerGradCheck([{ shape: [3, 4], fill: kinks ? 'awayFromZero' : 'normal' }], (x2) => new Activation(name as 'relu')(x2) as Tensor)).toBeLessThan(GRAD);
  });
  it('softmax / logSoftmax over the last axis', () => {
    const g = new Generator(4);
    const x = t(g, [3, 5]);
    const xv = vals(x), sm: number[] = [];
    for (let r = 0; r < 3; r++) {
      const row = xv.slice(r * 5, r * 5 + 5), m = Math.max(...row), z = row.reduce((s, v) => s + Math.exp(v - m), 0);
      sm.push(...row.map((v) => Math.exp(v - m) / z));
    }
    expect(maxAbsDiff(vals(new Activation('softmax')(x) as Tensor), sm)).toBeLessThan(FWD);
    expect(maxAbsDiff(vals(new Activation('logSoftmax')(x) as Tensor), sm.map(Math.log))).toBeLessThan(FWD);
    expect(maxAbsDiff(vals(layers.Softmax()(x) as Tensor), sm)).toBeLessThan(FWD);
    expect(layerGradCheck([{ shape: [2, 4] }], (x2) => new Activation('softmax')(x2) as Tensor)).toBeLessThan(GRAD);
    expect(layerGradCheck([{ shape: [2, 4] }], (x2) => new nn.LogSoftmax(1)(x2) as Tensor)).toBeLessThan(GRAD);
  });
  it('Keras LeakyReLU defaults to slope 0.3, nn.LeakyReLU to 0.01', () => {
    const x = o.tensor([-2, 3]);
    expect(vals(layers.LeakyReLU()(x) as Tensor)).toEqual([0.3 * -2, 3]);
    expect(vals(new nn.LeakyReLU()(x) as Tensor)).toEqual([0.01 * -2, 3]);
  });
  it('unknown activation names list the known ones', () => {
    expect(() => new Activation('relux' as 'relu')).toThrow(/Unknown activation "relux"\. Known: linear, relu/);
  });
});

describe('reshaping and merging', () => {
  it('Flatten / nn.Flatten / Reshape keep values in row-major order', () => {
    const g = new Generator(5);
    const x = t(g, [2, 3, 4]);
    const f = new Flatten()(x) as Tensor;
    expect(f.shape).toEqual([2, 12]);
    expect(vals(f)).toEqual(vals(x));
    expect((new TorchFlatten()(x) as Tensor).shape).toEqual([2, 12]);
    expect((new TorchFlatten(0, 1)(x) as Tensor).shape).toEqual([6, 4]);
    const r = new Reshape([4, -1])(x) as Tensor;
    expect(r.shape).toEqual([2, 4, 3]);
    expect(vals(r)).toEqual(vals(x));
    expect(layerGradCheck([{ shape: [2, 3, 2] }], (x2) => new Reshape([6])(x2) as Tensor)).toBeLessThan(GRAD);
    expect(layerGradCheck([{ shape: [2, 3, 2] }], (x2) => new Flatten()(x2) as Tensor)).toBeLessThan(GRAD);
  });
  it('Concatenate (axis −1 and 1) and Add against index arithmetic', () => {
    const g = new Generator(6);
    const a = t(g, [2, 2, 3]), b = t(g, [2, 2, 1]);
    const c = new Concatenate()([a, b]) as Tensor;
    expect(c.shape).toEqual([2, 2, 4]);
    const av = vals(a), bv = vals(b), want: number[] = [];
    for (let r = 0; r < 4; r++) want.push(...av.slice(r * 3, r * 3 + 3), bv[r]!);
    expect(vals(c)).toEqual(want);
    const c1 = new Concatenate({ axis: 1 })([a, a]) as Tensor;
    expect(c1.shape).toEqual([2, 4, 3]);
    expect(vals(c1)).toEqual([...av.slice(0, 6), ...av.slice(0, 6), ...av.slice(6), ...av.slice(6)]);
    const s = new Add()([a, a, a]) as Tensor;
    expect(maxAbsDiff(vals(s), av.map((v) => 3 * v))).toBeLessThan(FWD);
    expect(layerGradCheck([{ shape: [2, 3] }, { shape: [2, 2] }], (x, y) => new Concatenate()([x!, y!]) as Tensor)).toBeLessThan(GRAD);
    expect(layerGradCheck([{ shape: [2, 3] }, { shape: [2, 3] }], (x, y) => new Add()([x!, y!]) as Tensor)).toBeLessThan(GRAD);
  });
});

describe('Embedding', () => {
  it('Keras Embedding and nn.Embedding return table rows; gradients accumulate on repeated ids', () => {
    const e = new Embedding(5, 3);
    const ids = o.tensor(new Int32Array([4, 0, 4, 2]), [2, 2]);
    const y = e(ids) as Tensor;
    expect(y.shape).toEqual([2, 2, 3]);
    const table = vals(e.embeddings);
    expect(vals(y)).toEqual([4, 0, 4, 2].flatMap((i) => table.slice(i * 3, i * 3 + 3)));
    const te = new TorchEmbedding(5, 3);
    expect(vals(te(ids) as Tensor)).toEqual([4, 0, 4, 2].flatMap((i) => vals(te.weight).slice(i * 3, i * 3 + 3)));
    const err = layerGradCheck([{ shape: [5, 3] }, { shape: [6], fill: 'int', high: 5, grad: false }], (w, i) => swap(te, { weight: w! })(i) as Tensor);
    expect(err).toBeLessThan(GRAD);
  });
});

describe('normalization layers', () => {
  const normRows = (xv: number[], n: number, eps: number) => {
    const out: number[] = [];
    for (let r = 0; r < xv.length / n; r++) {
      const row = xv.slice(r * n, r * n + n), m = row.reduce((s, v) => s + v, 0) / n;
      const v = row.reduce((s, q) => s + (q - m) ** 2, 0) / n;
      out.push(...row.map((q) => (q - m) / Math.sqrt(v + eps)));
    }
    return out;
  };
  it('LayerNormalization (ε 1e-3) and nn.LayerNorm (ε 1e-5) over the last axis with γ, β', () => {
    const g = new Generator(7);
    const x = t(g, [3, 4]);
    const ln = new LayerNormalization();
    ln(x);
    setValues(ln.gamma!, [1, 2, 3, 4]);
    setValues(ln.beta!, [0, 1, 0, -1]);
    const want = normRows(vals(x), 4, 1e-3).map((v, i) => v * [1, 2, 3, 4][i % 4]! + [0, 1, 0, -1][i % 4]!);
    expect(maxRelDiff(vals(ln(x) as Tensor), want)).toBeLessThan(FWD_CONST);
    expect(maxRelDiff(vals(new nn.LayerNorm(4)(x) as Tensor), normRows(vals(x), 4, 1e-5))).toBeLessThan(FWD_CONST);
    expect(layerGradCheck([{ shape: [2, 4] }, { shape: [4] }, { shape: [4] }], (x2, ga, be) => swap(ln, { gamma: ga!, beta: be! })(x2) as Tensor)).toBeLessThan(GRAD);
    const tl = new nn.LayerNorm([2, 3]);
    expect(layerGradCheck([{ shape: [2, 2, 3] }, { shape: [2, 3] }, { shape: [2, 3] }], (x2, w, b) => swap(tl, { weight: w!, bias: b! })(x2) as Tensor)).toBeLessThan(GRAD);
  });
  it('LayerNormalization on axis 1 of a rank-3 input', () => {
    const g = new Generator(8);
    const x = t(g, [2, 3, 2]);
    const y = vals(new LayerNormalization({ axis: 1 })(x) as Tensor), xv = vals(x);
    for (let b = 0; b < 2; b++) for (let k = 0; k < 2; k++) {
      const col = [0, 1, 2].map((c) => xv[b * 6 + c * 2 + k]!);
      const want = normRows(col, 3, 1e-3);
      expect(maxRelDiff([0, 1, 2].map((c) => y[b * 6 + c * 2 + k]!), want)).toBeLessThan(FWD_CONST);
    }
  });
  it('BatchNormalization: batch statistics in training (biased variance), moving ones in inference; gradients', () => {
    const g = new Generator(9);
    const x = t(g, [5, 3]);
    const bn = new BatchNormalization();
    const yt = vals(bn(x, { training: true }) as Tensor), xv = vals(x);
    const want: number[] = new Array(15);
    for (let c = 0; c < 3; c++) {
      const col = [0, 1, 2, 3, 4].map((r) => xv[r * 3 + c]!), m = col.reduce((s, v) => s + v, 0) / 5;
      const v = col.reduce((s, q) => s + (q - m) ** 2, 0) / 5;
      col.forEach((q, r) => (want[r * 3 + c] = (q - m) / Math.sqrt(v + 1e-3)));
    }
    expect(maxRelDiff(yt, want)).toBeLessThan(FWD_CONST);
    const mm = vals(bn.movingMean), mv = vals(bn.movingVariance);
    const ye = vals(bn(x) as Tensor); // inference by default (Keras)
    expect(maxRelDiff(ye, xv.map((q, i) => (q - mm[i % 3]!) / Math.sqrt(mv[i % 3]! + 1e-3)))).toBeLessThan(FWD_CONST);
    const run = (training: boolean) => (x2: Tensor, ga: Tensor, be: Tensor) => swap(bn, { gamma: ga, beta: be })(x2, { training }) as Tensor;
    expect(layerGradCheck([{ shape: [4, 3] }, { shape: [3] }, { shape: [3] }], run(true) as (...xs: Tensor[]) => Tensor)).toBeLessThan(GRAD);
    expect(layerGradCheck([{ shape: [4, 3] }, { shape: [3] }, { shape: [3] }], run(false) as (...xs: Tensor[]) => Tensor)).toBeLessThan(GRAD);
    const tb = new nn.BatchNorm2d(2);
    expect(layerGradCheck([{ shape: [2, 2, 2, 2] }, { shape: [2] }, { shape: [2] }], (x2, w, b) => swap(tb, { weight: w!, bias: b! })(x2) as Tensor)).toBeLessThan(GRAD);
  });
  it('Normalization: (x − mean)/√var with given statistics; adapt() in one streaming pass equals two-pass statistics', async () => {
    const norm = new Normalization({ mean: [1, -2], variance: [4, 0.25] });
    expect(vals(norm(o.tensor([[3, -1], [1, -2]])) as Tensor)).toEqual([1, 2, 0, 0]);
    const g = new Generator(10);
    const batches = [t(g, [7, 2]), t(g, [1, 2]), t(g, [12, 2])];
    const all = batches.flatMap(vals);
    const mean = [0, 1].map((c) => all.filter((_, i) => i % 2 === c).reduce((s, v) => s + v, 0) / 20);
    const variance = [0, 1].map((c) => all.filter((_, i) => i % 2 === c).reduce((s, v) => s + (v - mean[c]!) ** 2, 0) / 20);
    const ad = new Normalization();
    async function* stream() { for (const b of batches) yield b; }
    await ad.adapt(stream());
    // Stored as float32 weights: relative 6e-8.
    expect(maxRelDiff(vals(ad.meanW!), mean)).toBeLessThan(1e-7);
    expect(maxRelDiff(vals(ad.varianceW!), variance)).toBeLessThan(1e-7);
    const sync = new Normalization();
    await sync.adapt(batches);
    expect(vals(sync.varianceW!)).toEqual(vals(ad.varianceW!));
    const x = batches[0]!;
    const want = vals(x).map((v, i) => (v - vals(ad.meanW!)[i % 2]!) / Math.sqrt(vals(ad.varianceW!)[i % 2]!));
    expect(maxAbsDiff(vals(ad(x) as Tensor), want)).toBeLessThan(FWD);
    expect(layerGradCheck([{ shape: [3, 2] }], (x2) => ad(x2) as Tensor)).toBeLessThan(GRAD);
  });
});

export type { Layer };
