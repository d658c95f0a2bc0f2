import { describe, expect, it } from 'vitest';
import { ExponentiallyWeightedAverage, ProgressReporter, ValueError, ewa } from '../index';

// Hand-computed: v₀ = 0, vₜ = βvₜ₋₁ + (1 − β)θₜ, corrected vₜ/(1 − βᵗ). Exact decimals up to float64
// rounding: 1e-14 relative.
const near = (got: number[], want: number[]) => got.forEach((g, i) => expect(Math.abs(g - want[i]!)).toBeLessThanOrEqual(1e-14 * Math.abs(want[i]!)));

describe('exponentially weighted averages (the course)', () => {
  it('β = 0.5 on 10, 20, 30: v = 5, 12.5, 21.25; corrected 10, 16.67, 24.29', () => {
    near(ewa([10, 20, 30], 0.5, { biasCorrection: false }), [5, 12.5, 21.25]);
    near(ewa([10, 20, 30], 0.5), [10, 12.5 / 0.75, 21.25 / 0.875]);
  });
  it("the course's temperatures: β = 0.98 starts at 0.8 without correction, at θ₁ = 40 with it", () => {
    near(ewa([40], 0.98, { biasCorrection: false }), [0.8]);
    near(ewa([40, 49], 0.98), [40, (0.98 * 0.8 + 0.02 * 49) / (1 - 0.98 ** 2)]);
    // The correction fades: after 500 values of a constant, both agree to 4e-5 (β^500 = 4.1e-5).
    const c = ewa(new Array(500).fill(3), 0.98), u = ewa(new Array(500).fill(3), 0.98, { biasCorrection: false });
    near([c.at(-1)!], [3]);
    expect(Math.abs(u.at(-1)! - 3) / 3).toBeCloseTo(0.98 ** 500, 15);
  });
  it('β = 0 is the value itself; the streaming class matches ewa and resets', () => {
    expect(ewa([1, 5, 2], 0)).toEqual([1, 5, 2]);
    const a = new ExponentiallyWeightedAverage(0.9);
    expect(Number.isNaN(a.value)).toBe(true);
    expect([a.update(10), a.update(20)]).toEqual(ewa([10, 20], 0.9));
    near([a.value], [2.9 / 0.19]);
    expect(a.count).toBe(2);
    a.reset();
    expect(a.update(7)).toBeCloseTo(7, 14);
  });
  it('β outside [0, 1) is a ValueError saying what is expected', () => {
    expect(() => ewa([1], 1)).toThrow(ValueError);
    expect(() => new ExponentiallyWeightedAverage(-0.1)).toThrow(/beta must be in \[0, 1\), got -0.1/);
  });
});

describe('ProgressReporter smoothing', () => {
  const fake = () => {
    const chunks: string[] = [];
    return { chunks, stream: { isTTY: false, write: (s: string) => (chunks.push(s), true) } as unknown as NodeJS.WriteStream };
  };
  it('shows loss_ewa, the bias-corrected average of the per-batch losses, across epochs', () => {
    const f = fake();
    const p = new ProgressReporter(2, 2, f.stream, { smoothing: 0.5 });
    p.epochBegin(0, 2);
    p.batchEnd(0, { loss: 10 }, { loss: 10 });
    p.batchEnd(1, { loss: 15 }, { loss: 20 });
    p.epochEnd(0, { loss: 15 });
    p.epochBegin(1, 1);
    p.batchEnd(0, { loss: 30 }, { loss: 30 });
    near([p.smoothedLogs().loss_ewa!], [21.25 / 0.875]);
    p.epochEnd(1, { loss: 30 });
    const lines = f.chunks.join('').split('\n').filter(Boolean);
    expect(lines[0]).toMatch(/loss: 15\.0000 - loss_ewa: 16\.6667$/);
    expect(lines[1]).toMatch(/loss: 30\.0000 - loss_ewa: 24\.2857$/);
  });
  it('without smoothing nothing is added; a bad β is refused up front', () => {
    const f = fake();
    const p = new ProgressReporter(2, 1, f.stream);
    p.epochBegin(0, 1);
    p.batchEnd(0, { loss: 1 }, { loss: 1 });
    p.epochEnd(0, { loss: 1 });
    expect(f.chunks.join('')).not.toMatch(/ewa/);
    expect(() => new ProgressReporter(1, 1, f.stream, { smoothing: 1 })).toThrow(ValueError);
  });
});
