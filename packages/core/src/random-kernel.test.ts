import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { assemble, moduleSource } from '../scripts/build-wasm.mjs';
import { Generator } from './random';
import { bernoulliKernel, useBernoulliKernel } from './random-kernel';

/** Draws of fillBernoulli with the kernel on or off, and the generator's state after. */
function draw(on: boolean, seed: number, n: number, p: number, make: (n: number) => { length: number; [i: number]: number } = (k) => new Float32Array(k), one = 1) {
  useBernoulliKernel(on);
  const g = new Generator(seed), out = make(n);
  g.fillBernoulli(out, p, one);
  return { values: Array.from(out as ArrayLike<number>), state: g.getState(), after: g.nextUint32() };
}

describe('the WebAssembly Bernoulli kernel (random-kernel.wat)', () => {
  afterEach(() => useBernoulliKernel(true));

  it('is the module random-kernel.wat assembles to (run node scripts/build-wasm.mjs after editing the .wat)', async () => {
    const have = readFileSync(join(__dirname, 'random-kernel-wasm.ts'), 'utf8');
    expect(have).toBe(moduleSource(await assemble()));
  });

  it('loads in Node (so the tests below compare two different implementations)', () => {
    expect(bernoulliKernel()).not.toBeNull();
  });

  it('draws what the JavaScript loop draws, bit for bit, and leaves the same state', () => {
    const chunk = (4 * 65536 - 16) / 4;
    // Lengths around the kernel's minimum (64) and its chunk (65,532 values), thresholds on both
    // sides of 2³¹ and near both ends.
    for (const n of [64, 65, 1000, chunk - 1, chunk, chunk + 1, 3 * chunk + 7]) {
      for (const p of [0.2, 0.5, 0.5 + 2 ** -32, 0.8, 1e-9, 1 - 1e-9]) {
        const js = draw(false, 17 + n, n, p), wasm = draw(true, 17 + n, n, p);
        expect(wasm.state, `n = ${n}, p = ${p}`).toEqual(js.state);
        expect(wasm.after).toBe(js.after);
        expect(wasm.values.length).toBe(n);
        // Compare as one string per case: toEqual on 200k-element arrays is slow to report.
        expect(wasm.values.join(''), `n = ${n}, p = ${p}`).toBe(js.values.join(''));
      }
    }
  });

  it('writes `one` for a success, as the JavaScript loop does (float32-rounded), and +0 for a failure', () => {
    for (const one of [1.25, 1 / 0.7, -2, 3e38]) {
      const js = draw(false, 5, 1000, 0.4, undefined, one), wasm = draw(true, 5, 1000, 0.4, undefined, one);
      expect(wasm.values, `one = ${one}`).toEqual(js.values);
      expect(wasm.state).toEqual(js.state);
      expect(new Set(wasm.values)).toEqual(new Set([0, Math.fround(one)]));
      expect(wasm.values.some((v) => Object.is(v, -0))).toBe(false);
    }
    // The successes are those of one = 1.
    const plain = draw(true, 5, 1000, 0.4).values, scaled = draw(true, 5, 1000, 0.4, undefined, 1.25).values;
    expect(scaled.map((v) => v / 1.25)).toEqual(plain);
  });

  it('fills the other array types with the same draws (the JavaScript loop)', () => {
    const want = draw(true, 3, 500, 0.3).values;
    expect(draw(true, 3, 500, 0.3, (k) => new Float64Array(k)).values).toEqual(want);
    expect(draw(true, 3, 500, 0.3, (k) => new Array<number>(k).fill(0)).values).toEqual(want);
  });

  it('P(1) ≈ p within 5 binomial standard deviations on a mask of 200,000 values', () => {
    for (const p of [0.2, 0.5, 0.9]) {
      const v = draw(true, 11, 200_000, p).values;
      const mean = v.reduce((s, x) => s + x, 0) / v.length;
      expect(Math.abs(mean - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / v.length));
      expect(v.every((x) => x === 0 || x === 1)).toBe(true);
    }
  });
});
