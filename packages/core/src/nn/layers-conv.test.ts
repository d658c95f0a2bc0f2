/**
 * Conv2D / nn.Conv2d and the pooling layers against naive loops (test-utils), on the float64
 * reference backend, plus finite-difference gradient checks.
 *
 * Tolerances: FWD = 1e-12 absolute (float64 sums of ≤ 54 products of values of order 1);
 * GRAD = 1e-6 relative (central differences with eps 1e-6 in float64, see layers-core.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { resolvePadding } from '../ops';
import * as o from '../ops';
import { Generator } from '../random';
import type { Tensor } from '../tensor';
import { AveragePooling2D, Conv2D, GlobalAveragePooling2D, MaxPooling2D } from './index';
import type { Module, Parameter } from './module';
import { layerGradCheck, maxAbsDiff, naiveConvNHWC, naivePoolNHWC, permute, vals } from './test-utils';
import * as nn from './torch';

const FWD = 1e-12, GRAD = 1e-6;
const t = (g: Generator, shape: number[]) => o.tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => g.normal()), shape);
const swap = (m: Module, w: Record<string, Tensor>) => Object.assign(m, w as Record<string, Parameter>);

describe('Conv2D (Keras: NHWC, HWIO kernel)', () => {
  const cases = [
    { kernel: [2, 3] as [number, number], strides: [1, 2] as [number, number], padding: 'same' as const, dil: [1, 1] as [number, number] },
    { kernel: [3, 3] as [number, number], strides: [2, 2] as [number, number], padding: 'valid' as const, dil: [1, 1] as [number, number] },
    { kernel: [2, 2] as [number, number], strides: [1, 1] as [number, number], padding: 'valid' as const, dil: [2, 2] as [number, number] },
    { kernel: [3, 2] as [number, number], strides: [2, 1] as [number, number], padding: 'same' as const, dil: [1, 1] as [number, number] },
  ];
  it.each(cases)('forward matches a naive loop: %o', (c) => {
    const g = new Generator(11);
    const x = t(g, [2, 6, 7, 2]);
    const conv = new Conv2D(3, c.kernel, { strides: c.strides, padding: c.padding, dilationRate: c.dil, biasInitializer: 'ones' });
    const y = conv(x) as Tensor;
    expect(conv.kernel.shape).toEqual([...c.kernel, 2, 3]);
    const pad = resolvePadding(c.padding, [6, 7], c.kernel, c.strides, c.dil);
    const want = naiveConvNHWC(vals(x), [2, 6, 7, 2], vals(conv.kernel), conv.kernel.shape as number[], c.strides, pad, c.dil);
    expect(y.shape).toEqual(want.shape);
    expect(maxAbsDiff(vals(y), want.values.map((v) => v + 1))).toBeLessThan(FWD);
  });
  it('channelsFirst takes NCHW input with the same HWIO kernel', () => {
    const g = new Generator(12);
    const x = t(g, [1, 2, 5, 4]);
    const conv = new Conv2D(3, 3, { dataFormat: 'channelsFirst', padding: 'same' });
    const y = conv(x) as Tensor;
    expect(y.shape).toEqual([1, 3, 5, 4]);
    const xh = permute(vals(x), [1, 2, 5, 4], [0, 2, 3, 1]);
    const want = naiveConvNHWC(xh.values, xh.shape, vals(conv.kernel), [3, 3, 2, 3], [1, 1], [1, 1, 1, 1]);
    expect(maxAbsDiff(vals(y), permute(want.values, want.shape, [0, 3, 1, 2]).values)).toBeLessThan(FWD);
  });
  it('gradients (x, kernel, bias) by finite differences, strided same padding', () => {
    const conv = new Conv2D(2, 2, { strides: 2, padding: 'same', activation: 'tanh' });
    conv(o.zeros([1, 3, 3, 2]));
    const err = layerGradCheck([{ shape: [1, 3, 3, 2] }, { shape: [2, 2, 2, 2] }, { shape: [2] }], (x, k, b) => swap(conv, { kernel: k!, bias: b! })(x) as Tensor);
    expect(err).toBeLessThan(GRAD);
  });
});

describe('nn.Conv2d (PyTorch: NCHW, OIHW weight)', () => {
  it('forward matches the naive loop after permuting to NHWC/HWIO; gradients by finite differences', () => {
    const g = new Generator(13);
    const x = t(g, [2, 3, 5, 5]);
    const conv = new nn.Conv2d(3, 2, [3, 2], { stride: [2, 1], padding: [1, 0] });
    expect(conv.weight.shape).toEqual([2, 3, 3, 2]);
    const y = conv(x) as Tensor;
    const xh = permute(vals(x), [2, 3, 5, 5], [0, 2, 3, 1]);
    const kh = permute(vals(conv.weight), [2, 3, 3, 2], [2, 3, 1, 0]);
    const want = naiveConvNHWC(xh.values, xh.shape, kh.values, kh.shape, [2, 1], [1, 1, 0, 0]);
    const b = vals(conv.bias!);
    const wantNCHW = permute(want.values.map((v, i) => v + b[i % 2]!), want.shape, [0, 3, 1, 2]);
    expect(y.shape).toEqual(wantNCHW.shape);
    expect(maxAbsDiff(vals(y), wantNCHW.values)).toBeLessThan(FWD);
    const small = new nn.Conv2d(2, 2, 2, { padding: 1 });
    expect(layerGradCheck([{ shape: [1, 2, 3, 2] }, { shape: [2, 2, 2, 2] }, { shape: [2] }], (x2, w, b2) => swap(small, { weight: w!, bias: b2! })(x2) as Tensor)).toBeLessThan(GRAD);
  });
});

describe('pooling', () => {
  it.each([
    ['max', 'valid', [2, 2], [2, 2]], ['max', 'same', [3, 3], [2, 2]], ['avg', 'valid', [2, 3], [1, 2]], ['avg', 'same', [3, 3], [2, 2]],
  ] as const)('%s pooling (Keras, NHWC) %s, pool %o stride %o matches a naive loop', (kind, padding, k, s) => {
    const g = new Generator(14);
    const x = t(g, [2, 5, 6, 2]);
    const Cls = kind === 'max' ? MaxPooling2D : AveragePooling2D;
    const y = new Cls({ poolSize: k, strides: s, padding })(x) as Tensor;
    // Keras 'same' pooling pads the window with cells that are skipped (avg divides by the real count).
    const pad = resolvePadding(padding, [5, 6], [...k], [...s]);
    const want = naivePoolNHWC(vals(x), [2, 5, 6, 2], kind, [...k], [...s], pad);
    expect(y.shape).toEqual(want.shape);
    expect(maxAbsDiff(vals(y), want.values)).toBeLessThan(FWD);
  });
  it('GlobalAveragePooling2D in both data formats', () => {
    const g = new Generator(15);
    const x = t(g, [2, 3, 4, 2]);
    const xv = vals(x);
    const want = [0, 1].flatMap((b) => [0, 1].map((c) => {
      let s = 0;
      for (let i = 0; i < 12; i++) s += xv[b * 24 + i * 2 + c]!;
      return s / 12;
    }));
    expect(maxAbsDiff(vals(new GlobalAveragePooling2D()(x) as Tensor), want)).toBeLessThan(FWD);
    const xc = o.tensor(permute(xv, [2, 3, 4, 2], [0, 3, 1, 2]).values, [2, 2, 3, 4]);
    expect(maxAbsDiff(vals(new GlobalAveragePooling2D({ dataFormat: 'channelsFirst' })(xc) as Tensor), want)).toBeLessThan(FWD);
  });
  it('gradients of every pooling layer by finite differences (distinct values keep max pooling away from ties)', () => {
    const cases: [string, (x: Tensor) => Tensor][] = [
      ['MaxPooling2D', (x) => new MaxPooling2D({ padding: 'same', poolSize: 3, strides: 2 })(x) as Tensor],
      ['AveragePooling2D', (x) => new AveragePooling2D({ padding: 'same', poolSize: 3, strides: 2 })(x) as Tensor],
      ['GlobalAveragePooling2D', (x) => new GlobalAveragePooling2D()(x) as Tensor],
      ['MaxPool2d', (x) => new nn.MaxPool2d(2, { stride: 1, padding: 1 })(x) as Tensor],
      ['AvgPool2d', (x) => new nn.AvgPool2d(2, { stride: 1, padding: 1 })(x) as Tensor],
      ['AdaptiveAvgPool2d', (x) => new nn.AdaptiveAvgPool2d(1)(x) as Tensor],
    ];
    for (const [name, f] of cases) expect(layerGradCheck([{ shape: [1, 3, 4, 2], fill: 'distinct' }], f), name).toBeLessThan(GRAD);
  });
});
