/**
 * Batch normalization running statistics follow each framework's own update rule:
 * - Keras BatchNormalization: moving = 0.99·moving + 0.01·batch, biased batch variance, ε 1e-3;
 * - PyTorch BatchNorm1d/2d: running = 0.9·running + 0.1·batch, UNBIASED batch variance, ε 1e-5.
 * Inference uses them. Oracles are plain JS over the same batches.
 *
 * Tolerance 5e-7 relative: core uploads the momentum factors and ε as float32 scalars (unit
 * roundoff 6e-8, a few roundings per update), everything else is float64 on the reference.
 */
import { describe, expect, it } from 'vitest';
import * as o from '../ops';
import { Generator } from '../random';
import type { Tensor } from '../tensor';
import { BatchNorm1d, BatchNorm2d, BatchNormalization } from './index';
import { maxRelDiff, setValues, vals } from './test-utils';

const TOL = 5e-7;
const batches = (seed: number, shapes: number[][]) => {
  const g = new Generator(seed);
  return shapes.map((s) => o.tensor(Array.from({ length: s.reduce((a, b) => a * b, 1) }, () => 2 * g.normal() + 1), s));
};
/** Per-channel mean and biased/unbiased variance; `chan(i)` maps a flat index to its channel. */
function channelStats(v: number[], c: number, chan: (i: number) => number) {
  const sum = new Array(c).fill(0), cnt = new Array(c).fill(0);
  v.forEach((x, i) => { sum[chan(i)] += x; cnt[chan(i)]++; });
  const mean = sum.map((s, k) => s / cnt[k]);
  const ss = new Array(c).fill(0);
  v.forEach((x, i) => (ss[chan(i)] += (x - mean[chan(i)]) ** 2));
  return { mean, biased: ss.map((s, k) => s / cnt[k]), unbiased: ss.map((s, k) => s / (cnt[k] - 1)) };
}

describe('BatchNormalization (Keras): momentum 0.99, biased moving variance', () => {
  it('moving statistics after 3 training batches on NHWC input (axis −1), then inference uses them', () => {
    const bn = new BatchNormalization();
    expect(bn.momentum).toBe(0.99);
    expect(bn.epsilon).toBe(1e-3);
    let mm = [0, 0, 0], mv = [1, 1, 1];
    for (const x of batches(1, [[2, 3, 2, 3], [4, 2, 2, 3], [1, 5, 1, 3]])) {
      bn(x, { training: true });
      const s = channelStats(vals(x), 3, (i) => i % 3);
      mm = mm.map((m, k) => 0.99 * m + 0.01 * s.mean[k]);
      mv = mv.map((m, k) => 0.99 * m + 0.01 * s.biased[k]);
      expect(maxRelDiff(vals(bn.movingMean), mm)).toBeLessThan(TOL);
      expect(maxRelDiff(vals(bn.movingVariance), mv)).toBeLessThan(TOL);
    }
    setValues(bn.gamma!, [1, 2, 0.5]);
    setValues(bn.beta!, [0, -1, 3]);
    const [x] = batches(2, [[2, 2, 2, 3]]);
    const want = vals(x!).map((v, i) => ((v - mm[i % 3]!) / Math.sqrt(mv[i % 3]! + 1e-3)) * [1, 2, 0.5][i % 3]! + [0, -1, 3][i % 3]!);
    expect(maxRelDiff(vals(bn(x!) as Tensor), want)).toBeLessThan(TOL);
    expect(vals(bn.movingMean)).toEqual(vals(bn.movingMean)); // inference leaves them alone
    expect(maxRelDiff(vals(bn.movingMean), mm)).toBeLessThan(TOL);
  });
  it('γ and β are trainable, the moving statistics are non-trainable weights; axis 1 works for NCHW', () => {
    const bn = new BatchNormalization({ axis: 1, momentum: 0.5 });
    const [x] = batches(3, [[3, 2, 2, 2]]);
    bn(x!, { training: true });
    expect(bn.trainableWeights.map((w) => w.name)).toEqual([`${bn.name}/gamma`, `${bn.name}/beta`]);
    expect(bn.nonTrainableWeights.map((w) => w.name)).toEqual([`${bn.name}/moving_mean`, `${bn.name}/moving_variance`]);
    const s = channelStats(vals(x!), 2, (i) => Math.floor(i / 4) % 2);
    expect(maxRelDiff(vals(bn.movingMean), s.mean.map((m) => 0.5 * m))).toBeLessThan(TOL);
    expect(maxRelDiff(vals(bn.movingVariance), s.biased.map((v) => 0.5 + 0.5 * v))).toBeLessThan(TOL);
  });
});

describe('BatchNorm1d / BatchNorm2d (PyTorch): momentum 0.1, unbiased running variance', () => {
  it('running statistics after 3 batches, num_batches_tracked, eval uses them', () => {
    const bn = new BatchNorm1d(4);
    expect([bn.momentum, bn.eps]).toEqual([0.1, 1e-5]);
    let rm = [0, 0, 0, 0], rv = [1, 1, 1, 1];
    for (const x of batches(4, [[5, 4], [3, 4, 2], [8, 4]])) {
      const y = vals(bn(x) as Tensor);
      const l = x.rank === 3 ? x.shape[2]! : 1;
      const s = channelStats(vals(x), 4, (i) => Math.floor(i / l) % 4);
      rm = rm.map((m, k) => 0.9 * m + 0.1 * s.mean[k]);
      rv = rv.map((m, k) => 0.9 * m + 0.1 * s.unbiased[k]);
      // training output normalises with the BIASED batch variance
      const want = vals(x).map((v, i) => (v - s.mean[Math.floor(i / l) % 4]) / Math.sqrt(s.biased[Math.floor(i / l) % 4] + 1e-5));
      expect(maxRelDiff(y, want)).toBeLessThan(TOL);
      expect(maxRelDiff(vals(bn.runningMean!), rm)).toBeLessThan(TOL);
      expect(maxRelDiff(vals(bn.runningVar!), rv)).toBeLessThan(TOL);
    }
    expect(bn.stateDict()['num_batches_tracked']!.item()).toBe(3);
    bn.eval();
    const [x] = batches(5, [[2, 4]]);
    expect(maxRelDiff(vals(bn(x!) as Tensor), vals(x!).map((v, i) => (v - rm[i % 4]!) / Math.sqrt(rv[i % 4]! + 1e-5)))).toBeLessThan(TOL);
    expect(bn.stateDict()['num_batches_tracked']!.item()).toBe(3);
    expect(bn.parameters().length).toBe(2);
    expect(bn.namedBuffers().map(([n]) => n)).toEqual(['running_mean', 'running_var', 'num_batches_tracked']);
  });
  it('the same data gives different running variances in the two doors (n/(n−1) and momentum)', () => {
    const [x] = batches(6, [[4, 2]]);
    const k = new BatchNormalization({ momentum: 0.9 });
    k(x!, { training: true });
    const t = new BatchNorm1d(2);
    t(x!);
    const s = channelStats(vals(x!), 2, (i) => i % 2);
    expect(maxRelDiff(vals(k.movingVariance), s.biased.map((v) => 0.9 + 0.1 * v))).toBeLessThan(TOL);
    expect(maxRelDiff(vals(t.runningVar!), s.unbiased.map((v) => 0.9 + 0.1 * v))).toBeLessThan(TOL);
  });
  it('BatchNorm2d reduces over N, H, W; trackRunningStats: false uses batch statistics in eval too', () => {
    const [x] = batches(7, [[2, 3, 2, 2]]);
    const bn = new BatchNorm2d(3);
    bn(x!);
    const s = channelStats(vals(x!), 3, (i) => Math.floor(i / 4) % 3);
    expect(maxRelDiff(vals(bn.runningMean!), s.mean.map((m) => 0.1 * m))).toBeLessThan(TOL);
    const nt = new BatchNorm2d(3, { trackRunningStats: false }).eval();
    const y = vals(nt(x!) as Tensor);
    expect(maxRelDiff(y, vals(x!).map((v, i) => (v - s.mean[Math.floor(i / 4) % 3]) / Math.sqrt(s.biased[Math.floor(i / 4) % 3] + 1e-5)))).toBeLessThan(TOL);
    expect(nt.namedBuffers()).toEqual([]);
  });
  it('one value per channel in training is an error naming the input shape', () => {
    expect(() => new BatchNorm1d(3)(o.ones([1, 3]))).toThrow(/Expected more than 1 value per channel when training, got input size \[1, 3\]/);
  });
});
