// The fair method's pure logic (no processes, no timing): npx vitest run src/fair.test.ts
import { describe, expect, it } from 'vitest';
import { fmtSpread, loadWarning, mlpTrainFlopsPerSample, rate, ratesOf, ratioOf, roundOrder, sgemmCheck, spreadOf, stepsFor, type Sample } from './fair';

const s = (steps: number, batch: number, wall: number, cpu: number): Sample => ({ steps, batch, wall, cpu });

describe('roundOrder', () => {
  it('alternates: the given order, then reversed, round after round', () => {
    expect(roundOrder(2, 5)).toEqual([[0, 1], [1, 0], [0, 1], [1, 0], [0, 1]]);
    expect(roundOrder(3, 2)).toEqual([[0, 1, 2], [2, 1, 0]]);
  });

  it('puts every cell first as often as last over an even number of rounds', () => {
    const order = roundOrder(4, 6);
    for (let c = 0; c < 4; c++) {
      const first = order.filter((r) => r[0] === c).length, last = order.filter((r) => r.at(-1) === c).length;
      expect(first).toBe(last);
    }
    // Each round runs every cell exactly once.
    for (const r of order) expect([...r].sort()).toEqual([0, 1, 2, 3]);
  });

  it('rejects a non-positive count', () => {
    expect(() => roundOrder(0, 3)).toThrow(/cells must be a positive integer, got 0/);
    expect(() => roundOrder(2, 1.5)).toThrow(/rounds must be a positive integer, got 1.5/);
  });
});

describe('rates and ratios', () => {
  it('counts samples per wall-second and per CPU-second', () => {
    // 10 steps of 64 in 0.5 s wall using 0.8 CPU-s (1.6 cores).
    expect(rate(s(10, 64, 0.5, 0.8))).toEqual({ wall: 1280, cpu: 800 });
    expect(() => rate(s(10, 64, 0, 1))).toThrow(/wall and cpu seconds must be > 0/);
  });

  it('pairs rounds and takes the median and extremes of the per-round ratios', () => {
    // ours: 1000, 1000, 1000 samples/s wall; peer: 500, 1000, 2000 → ratios 2, 1, 0.5.
    const ours = [s(10, 100, 1, 1), s(10, 100, 1, 2), s(10, 100, 1, 1)];
    const peer = [s(10, 100, 2, 1), s(10, 100, 1, 1), s(10, 100, 0.5, 0.5)];
    const r = ratioOf(ours, peer);
    expect(r.wall).toEqual({ median: 1, min: 0.5, max: 2, n: 3 });
    // Per CPU-s: ours 1000, 500, 1000; peer 1000, 1000, 2000 → 1, 0.5, 0.5.
    expect(r.cpu).toEqual({ median: 0.5, min: 0.5, max: 1, n: 3 });
    // The ratio of medians would say 1000/1000 = 1 per CPU-s: the per-round pairing is what is reported.
    expect(() => ratioOf(ours, peer.slice(1))).toThrow(/same non-zero number of rounds/);
  });

  it('reports a cell\'s cores used (CPU-s over wall-s)', () => {
    const r = ratesOf([s(1, 10, 1, 1.2), s(1, 10, 1, 1.0), s(1, 10, 2, 2.2)]);
    expect(r.cores.median).toBeCloseTo(1.1, 12);
    expect(r.wall).toEqual({ median: 10, min: 5, max: 10, n: 3 });
  });

  it('takes the median of an even count as the mean of the middle two', () => {
    expect(spreadOf([4, 1, 3, 2])).toEqual({ median: 2.5, min: 1, max: 4, n: 4 });
    expect(fmtSpread(spreadOf([1.2, 1.1, 1.31]))).toBe('1.20 (1.10–1.31)');
    expect(fmtSpread(spreadOf([1.2]))).toBe('1.20');
  });
});

describe('sgemmCheck (the peer sanity check)', () => {
  it('marks a peer below 50 GFLOP per CPU-second INVALID (the reference BLAS) and shows the rate', () => {
    expect(sgemmCheck(97)).toEqual({ ok: true, text: '97.0 GFLOP/s' });
    expect(sgemmCheck(50).ok).toBe(true);
    expect(sgemmCheck(7.7)).toEqual({ ok: false, text: 'INVALID: sgemm 7.70 GFLOP/s < 50' });
    expect(sgemmCheck(49.9, 50, 41).text).toBe('INVALID: sgemm 49.9 GFLOP/s (41.0 per wall-s) < 50');
    expect(sgemmCheck(99.9, 100).ok).toBe(false);
    expect(sgemmCheck(undefined)).toEqual({ ok: false, text: 'INVALID: peer sgemm not measured' });
    expect(sgemmCheck(Number.NaN).ok).toBe(false);
  });
});

describe('stepsFor and FLOP counts', () => {
  it('fixes the steps per round from the probe, at least the minimum', () => {
    expect(stepsFor(0.01, 1.5)).toBe(150);
    expect(stepsFor(2, 1.5)).toBe(2);
    expect(stepsFor(0, 1.5)).toBe(2);
  });

  it('counts MLP training matmul FLOPs as 3× forward less the first layer\'s input gradient', () => {
    // 784-256-128-10: forward 2·(784·256 + 256·128 + 128·10) = 469,504; training 4·784·256 + 6·(256·128 + 128·10).
    expect(mlpTrainFlopsPerSample([784, 256, 128, 10])).toBe(4 * 784 * 256 + 6 * (256 * 128 + 128 * 10));
    expect(mlpTrainFlopsPerSample([784, 256, 128, 10])).toBe(3 * 469_504 - 2 * 784 * 256);
  });
});

describe('loadWarning', () => {
  it('warns only when the load went above the core count', () => {
    expect(loadWarning([1.2, 1.9, 2], 2)).toBeUndefined();
    expect(loadWarning([1.2, 7.46, 3], 2)).toMatch(/reached 7.5 on 2 cores/);
    expect(loadWarning([], 2)).toBeUndefined();
  });
});
