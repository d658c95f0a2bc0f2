import { describe, expect, it } from 'vitest';
import { type Distribution, categorical, int, loguniform, oneMinusLog, uniform } from '../distributions.js';
import { study } from '../study.js';
import { defaultWeights, tpe } from './tpe.js';
import { random } from './random.js';
import { grid } from './grid.js';

const quiet = { onWarning: () => {} };

describe('random sampler', () => {
  it('is reproducible for a seed and differs across seeds', async () => {
    const run = async (seed: number) => {
      const s = study({ sampler: random(), seed, ...quiet });
      await s.optimize((t) => t.suggest('x', uniform(0, 1)), { trials: 5 });
      return s.trials.map((t) => t.params.x!.value);
    };
    expect(await run(3)).toEqual(await run(3));
    expect(await run(3)).not.toEqual(await run(4));
  });

  it('samples log scales uniformly in the exponent', async () => {
    const s = study({ sampler: 'random', seed: 1, ...quiet });
    await s.optimize((t) => {
      t.suggest('lr', loguniform(1e-5, 10));
      t.suggest('beta', oneMinusLog(-4, -1));
      return 0;
    }, { trials: 400 });
    const ks = s.trials.map((t) => Math.log10(t.params.lr!.value as number));
    const js = s.trials.map((t) => Math.log10(1 - (t.params.beta!.value as number)));
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    // Uniform k on [-5, 1]: mean -2, sd √3 ≈ 1.73, standard error 0.087; 4σ ≈ 0.35.
    expect(Math.abs(mean(ks) + 2)).toBeLessThan(0.35);
    expect(Math.min(...ks)).toBeGreaterThanOrEqual(-5);
    expect(Math.max(...ks)).toBeLessThanOrEqual(1);
    // Uniform k on [-4, -1]: mean -2.5, sd 0.87, standard error 0.043; 4σ ≈ 0.18.
    expect(Math.abs(mean(js) + 2.5)).toBeLessThan(0.18);
  });

  it('covers every value of int and categorical spaces', async () => {
    const s = study({ sampler: 'random', seed: 2, ...quiet });
    await s.optimize((t) => {
      t.suggest('n', int(1, 4));
      t.suggest('c', categorical(['a', 'b', 'c']));
      return 0;
    }, { trials: 60 });
    expect(new Set(s.trials.map((t) => t.params.n!.value))).toEqual(new Set([1, 2, 3, 4]));
    expect(new Set(s.trials.map((t) => t.params.c!.value))).toEqual(new Set(['a', 'b', 'c']));
  });
});

describe('TPE sampler', () => {
  it('follows Optuna default weights (flat under 25, ramp from 1/n above)', () => {
    expect(defaultWeights(3)).toEqual([1, 1, 1]);
    const w = defaultWeights(30);
    expect(w).toHaveLength(30);
    expect(w[0]).toBeCloseTo(1 / 30, 12);
    expect(w[4]).toBeCloseTo(1, 12);
    expect(w.slice(5).every((x) => x === 1)).toBe(true);
  });

  it('rejects bad options', () => {
    expect(() => tpe({ gamma: 1.5 })).toThrow(/gamma.*fraction in \(0, 1\)/);
    expect(() => tpe({ nEiCandidates: 0 })).toThrow(/nEiCandidates/);
  });

  it('is reproducible and beats random search on a shifted quadratic in log space', async () => {
    const f = (lr: number, u: number) => (Math.log10(lr) + 3) ** 2 + (u - 0.7) ** 2;
    const run = async (sampler: 'tpe' | 'random', seed: number) => {
      const s = study({ sampler, seed, ...quiet });
      await s.optimize((t) => f(t.suggest('lr', loguniform(1e-6, 1)), t.suggest('u', uniform(0, 1))), { trials: 60 });
      return s.bestValue;
    };
    expect(await run('tpe', 5)).toBe(await run('tpe', 5));
    const seeds = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    const tp = await Promise.all(seeds.map((s) => run('tpe', s)));
    const rn = await Promise.all(seeds.map((s) => run('random', s)));
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    // TPE should concentrate near the optimum; a bug (e.g. swapped l/g) makes it worse than random.
    expect(median(tp)).toBeLessThan(median(rn));
  });

  it('learns the best category and handles conditional parameters', async () => {
    const s = study({ sampler: tpe({ nStartupTrials: 8 }), seed: 11, ...quiet });
    await s.optimize((t) => {
      const kind = t.suggest('kind', categorical(['a', 'b', 'c']));
      if (kind === 'b') return (t.suggest('width', int(1, 64)) - 40) ** 2 / 100;
      return 10 + t.suggest('other', uniform(0, 1));
    }, { trials: 50 });
    const late = s.trials.slice(25).map((t) => t.params.kind!.value);
    // After the start-up phase most picks should be the clearly better "b" (random would give 1/3).
    expect(late.filter((k) => k === 'b').length / late.length).toBeGreaterThan(0.6);
    expect(s.bestParams.kind).toBe('b');
    expect(s.trials.every((t) => (t.params.kind!.value === 'b') === 'width' in t.params)).toBe(true);
  });
});

describe('TPE on mixed spaces', () => {
  it('only ever suggests values inside each space', async () => {
    const dists: Record<string, Distribution> = {
      u: uniform(-1, 1),
      us: uniform(0, 1, { step: 0.1 }),
      i: int(0, 100, { step: 5 }),
      il: int(1, 1024, { log: true }),
      lr: loguniform(1e-5, 10),
      b: oneMinusLog(-4, -1),
      c: categorical(['a', 'b', 'c', null]),
    };
    const s = study({ sampler: tpe({ nStartupTrials: 5 }), seed: 9, ...quiet });
    await s.optimize((t) => {
      let v = 0;
      for (const [k, d] of Object.entries(dists)) {
        const x = t.suggest(k, d);
        v += typeof x === 'number' ? Math.abs(x - 0.5) : x === 'b' ? 0 : 1;
      }
      return v;
    }, { trials: 40 });
    expect(s.trials.every((t) => t.state === 'complete')).toBe(true);
    for (const t of s.trials) for (const [k, d] of Object.entries(dists)) expect(d.contains(t.params[k]!.value), `${k}=${t.params[k]!.value}`).toBe(true);
  });
});

describe('grid sampler', () => {
  it('gives parallel lanes distinct points', async () => {
    const s = study({ sampler: grid({ a: [1, 2, 3, 4, 5, 6] }), ...quiet });
    await s.optimize(async (t) => {
      await new Promise((r) => setTimeout(r, 5));
      return t.suggest('a', int(1, 6));
    }, { trials: 6, parallel: 3 });
    expect(new Set(s.trials.map((t) => t.params.a!.value)).size).toBe(6);
  });

  it('visits each point once and then stops the study', async () => {
    const s = study({ sampler: grid({ a: [1, 2, 3], b: ['x', 'y'] }), ...quiet });
    await s.optimize((t) => (t.suggest('a', int(1, 3)) as number) + (t.suggest('b', categorical(['x', 'y'])) === 'x' ? 0 : 10), {
      trials: 100,
    });
    expect(s.trials).toHaveLength(6);
    const pts = new Set(s.trials.map((t) => `${t.params.a!.value}${t.params.b!.value}`));
    expect(pts.size).toBe(6);
    expect(s.bestParams).toEqual({ a: 1, b: 'x' });
  });

  it('warns when the grid is large and rejects empty value lists', () => {
    const warnings: string[] = [];
    grid({ a: Array.from({ length: 50 }, (_, i) => i), b: Array.from({ length: 50 }, (_, i) => i) }, { onWarning: (m) => warnings.push(m) });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/2500 points \(a: 50 × b: 50\), more than warnAbove=1000/);
    expect(() => grid({ a: [] })).toThrow(/non-empty array/);
  });

  it('fails a trial that suggests a parameter outside the grid', async () => {
    const s = study({ sampler: grid({ a: [1] }), ...quiet });
    await s.optimize((t) => t.suggest('a', int(1, 3)) + t.suggest('zzz', uniform(0, 1)), { trials: 1 });
    expect(s.trials[0]!.state).toBe('fail');
    expect(s.trials[0]!.error).toMatch(/"zzz" has none/);
  });
});
