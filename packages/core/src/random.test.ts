import { describe, expect, it } from 'vitest';
import { bernoulli, dropout, Generator, mul, randn } from './index';

describe('Generator.fillBernoulli (the rule of bernoulli and dropout masks)', () => {
  it('draws exactly one nextUint32 per element and compares it with ⌊p·2³²⌋', () => {
    // Thresholds on both sides of 2³¹ (the loop compares as signed integers), near 0 and 2³², and
    // the clamped ends (0: never, 1: always, each still one draw per element).
    for (const p of [0.7, 0.5, 0.5 - 2 ** -32, 0.5 + 2 ** -32, 0.2, 1e-9, 1 - 1e-9, 0, 1, -0.5, 1.5]) {
      const g1 = new Generator(5), g2 = new Generator(5);
      const thr = p >= 1 ? 2 ** 32 : p <= 0 ? 0 : Math.floor(p * 2 ** 32);
      const want = Array.from({ length: 1000 }, () => (g1.nextUint32() < thr ? 1 : 0));
      const got = new Float32Array(1000);
      g2.fillBernoulli(got, p);
      expect(Array.from(got), `p = ${p}`).toEqual(want);
      expect(g2.getState()).toEqual(g1.getState());
    }
  });

  it('p = 0 and p = 1 are exact; P(1) ≈ p within 5 binomial standard deviations', () => {
    const g = new Generator(9), a = new Float32Array(20_000);
    g.fillBernoulli(a, 1);
    expect(a.every((v) => v === 1)).toBe(true);
    g.fillBernoulli(a, 0);
    expect(a.every((v) => v === 0)).toBe(true);
    for (const p of [0.1, 0.5, 0.8]) {
      g.fillBernoulli(a, p);
      const mean = a.reduce((s, v) => s + v, 0) / a.length;
      expect(Math.abs(mean - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / a.length));
    }
  });

  it('bernoulli() uses it: the same seed gives the same mask as fillBernoulli', () => {
    const m = bernoulli([40, 25], 0.6, { generator: new Generator(3) }).dataSync();
    const want = new Float32Array(1000);
    new Generator(3).fillBernoulli(want, 0.6);
    expect(Array.from(m)).toEqual(Array.from(want));
  });
});

describe('dropout draws its mask already scaled', () => {
  it('gives exactly x · (mask · 1/(1 − rate)), the mask of bernoulli(1 − rate) from the same generator', () => {
    for (const rate of [0.2, 0.3, 0.5]) {
      const x = randn([8, 33], { generator: new Generator(1) });
      const got = dropout(x, rate, true, new Generator(4)).dataSync();
      const mask = bernoulli([8, 33], 1 - rate, { generator: new Generator(4) });
      const want = mul(x, mul(mask, 1 / (1 - rate))).dataSync();
      expect(Array.from(got), `rate ${rate}`).toEqual(Array.from(want));
    }
  });

  it('bernoulli({ value }) is 0 or value with the draws of value 1, and refuses a value that is not finite', () => {
    const a = bernoulli([500], 0.3, { generator: new Generator(2), value: 2.5 }).dataSync();
    const b = bernoulli([500], 0.3, { generator: new Generator(2) }).dataSync();
    expect(Array.from(a)).toEqual(Array.from(b, (v) => v * 2.5));
    expect(() => bernoulli([3], 0.3, { value: Infinity })).toThrow(/value must be a finite number, got Infinity/);
  });
});
