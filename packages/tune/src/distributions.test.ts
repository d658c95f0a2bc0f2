import { describe, expect, it } from 'vitest';
import { categorical, distributionFromJSON, int, loguniform, oneMinusLog, uniform } from './distributions.js';
import { InvalidDistributionError } from './errors.js';

describe('distributions', () => {
  it('rejects low ≥ high with a message naming both bounds', () => {
    expect(() => uniform(1, 1)).toThrow(InvalidDistributionError);
    expect(() => uniform(2, 1)).toThrow(/uniform\(\): invalid search space low=2, high=1; expected low < high/);
    expect(() => int(5, 3)).toThrow(/int\(\).*low=5, high=3/);
    expect(() => oneMinusLog(-1, -4)).toThrow(/low < high/);
  });

  it('rejects a log scale with low ≤ 0', () => {
    expect(() => loguniform(0, 1)).toThrow(/loguniform\(\).*low=0.*0 < low < high/);
    expect(() => loguniform(-1, 1)).toThrow(InvalidDistributionError);
    expect(() => int(0, 10, { log: true })).toThrow(/low ≥ 1 on a log scale/);
  });

  it('rejects an empty or duplicated categorical and non-integer int bounds or steps', () => {
    expect(() => categorical([])).toThrow(/categorical\(\).*choices=\[\].*non-empty/);
    expect(() => categorical(['a', 'a'])).toThrow(/distinct/);
    expect(() => int(0.5, 3)).toThrow(/integer bounds/);
    expect(() => int(0, 10, { step: 3 })).toThrow(/multiple of step; try high=9/);
    expect(() => uniform(0, 1, { step: 0 })).toThrow(/step > 0/);
    expect(() => oneMinusLog(-4, 1)).toThrow(/high ≤ 0/);
  });

  it('maps loguniform(1e-5, 10) to k ∈ [-5, 1] and back', () => {
    const d = loguniform(1e-5, 10);
    expect(d.internalLow).toBeCloseTo(-5, 12);
    expect(d.internalHigh).toBeCloseTo(1, 12);
    expect(d.toExternal(-2)).toBeCloseTo(1e-2, 14);
    expect(d.toInternal(1e-3)).toBeCloseTo(-3, 12);
  });

  it('maps oneMinusLog(-4, -1) to β = 1 − 10^k ∈ [0.9, 0.9999]', () => {
    const d = oneMinusLog(-4, -1);
    expect(d.toExternal(-1)).toBeCloseTo(0.9, 14);
    expect(d.toExternal(-4)).toBeCloseTo(0.9999, 14);
    expect(d.toExternal(-3)).toBeCloseTo(0.999, 14);
    expect(d.toInternal(0.99)).toBeCloseTo(-2, 10);
    expect(d.contains(0.95)).toBe(true);
    expect(d.contains(0.5)).toBe(false);
  });

  it('rounds int and stepped uniform values onto their grids and clamps', () => {
    const d = int(0, 100, { step: 10 });
    expect(d.toExternal(44)).toBe(40);
    expect(d.toExternal(46)).toBe(50);
    expect(d.toExternal(200)).toBe(100);
    expect(d.values()).toHaveLength(11);
    expect(int(1, 1000, { log: true }).toExternal(Math.log10(31.6))).toBe(32);
    expect(uniform(0, 1, { step: 0.25 }).toExternal(0.6)).toBe(0.5);
    expect(categorical(['a', 'b', 'c']).toExternal(1.2)).toBe('b');
  });

  it('round-trips through JSON and compares by value', () => {
    for (const d of [uniform(0, 1), int(1, 64, { log: true }), loguniform(1e-5, 10), oneMinusLog(-4, -1), categorical(['relu', 'tanh', null])]) {
      const back = distributionFromJSON(JSON.parse(JSON.stringify(d.toJSON())));
      expect(back.equals(d)).toBe(true);
    }
    expect(uniform(0, 1).equals(uniform(0, 2))).toBe(false);
  });
});
