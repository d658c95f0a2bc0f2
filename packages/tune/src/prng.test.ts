import { describe, expect, it } from 'vitest';
import { Rng, deriveSeed } from './prng.js';

describe('Rng', () => {
  it('is reproducible from its seed and differs between seeds', () => {
    const a = Array.from({ length: 5 }, ((r) => () => r.nextUint32())(new Rng(42)));
    const b = Array.from({ length: 5 }, ((r) => () => r.nextUint32())(new Rng(42)));
    const c = Array.from({ length: 5 }, ((r) => () => r.nextUint32())(new Rng(43)));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('draws uniforms and normals with the right moments', () => {
    const r = new Rng(1);
    const n = 20000;
    let su = 0;
    let sn = 0;
    let sn2 = 0;
    for (let i = 0; i < n; i++) {
      const u = r.random();
      expect(u >= 0 && u < 1).toBe(true);
      su += u;
      const z = r.normal();
      sn += z;
      sn2 += z * z;
    }
    // Standard errors: uniform mean 0.29/√n ≈ 0.002, normal mean 1/√n ≈ 0.007, variance ≈ 0.01; 5σ bounds.
    expect(Math.abs(su / n - 0.5)).toBeLessThan(0.011);
    expect(Math.abs(sn / n)).toBeLessThan(0.036);
    expect(Math.abs(sn2 / n - 1)).toBeLessThan(0.05);
  });

  it('derives different seeds for different parts', () => {
    expect(deriveSeed(1, 0, 'x')).not.toBe(deriveSeed(1, 0, 'y'));
    expect(deriveSeed(1, 0, 'x')).not.toBe(deriveSeed(1, 1, 'x'));
    expect(deriveSeed(1, 0, 'x')).toBe(deriveSeed(1, 0, 'x'));
  });
});
