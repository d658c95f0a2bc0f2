import { describe, expect, it } from 'vitest';
import { type Distribution, categorical, int, uniform } from '../distributions.js';
import { study } from '../study.js';
import type { FrozenTrial, StoredParam } from '../types.js';
import { ParzenEstimator } from './parzen.js';
import type { SamplerContext } from './sampler.js';
import { defaultWeights, groupDecompose, tpe } from './tpe.js';

const quiet = { onWarning: () => {} };
const OPTS = { priorWeight: 1, considerMagicClip: true, considerEndpoints: false, bandwidthWeighted: true, multivariate: false, jointBandwidth: 'scott' as const };

/** A finished (or running) trial with the given internal values. */
function trial(number: number, value: number | null, params: Record<string, [number, Distribution]>, state: FrozenTrial['state'] = 'complete'): FrozenTrial {
  const p: Record<string, StoredParam> = {};
  for (const [n, [internal, d]] of Object.entries(params)) p[n] = { value: d.toExternal(internal), internal, distribution: d.toJSON() };
  return {
    id: number + 1, number, state, value, params: p, intermediate: {}, userAttrs: {}, fixedParams: {},
    startedAt: 0, completedAt: state === 'running' ? null : 1, error: null, worker: null,
  };
}

const ctxOf = (history: FrozenTrial[], trialNumber: number, seed = 1): SamplerContext => ({
  trialNumber, history, direction: 'minimize', seed, scratch: new Map(),
});

describe('Parzen estimator', () => {
  // Reference values: optuna 3.1.0's _ParzenEstimator(...).log_pdf on the same observations
  // (consider_prior, prior_weight 1, magic clip, no endpoints, default_weights). Tolerance 5e-6:
  // our erfc approximation has a relative error below 1.2e-7, which the difference of two CDFs
  // over an integer's narrow bin amplifies to about 1e-6.
  const x = uniform(0, 1);
  const n = int(1, 10);
  const c = categorical(['a', 'b', 'c']);
  const obs = { x: [0.1, 0.35, 0.4, 0.9, 0.72], n: [3, 7, 7, 1, 10], c: [0, 2, 2, 1, 2] };
  const w = defaultWeights(5);
  const close = (got: number[], want: number[]): void => got.forEach((g, i) => expect(g).toBeCloseTo(want[i]!, 5));

  it('agrees with Optuna 3.1 for one continuous, integer or categorical parameter', () => {
    const one = (vals: number[], d: Distribution, pts: number[]): number[] => {
      const pe = new ParzenEstimator(vals.map((v) => [v]), w, [d], OPTS);
      return pts.map((p) => pe.logPdf([p]));
    };
    close(one(obs.x, x, [0, 0.3, 0.5, 0.95]), [-1.2878511844063438, -0.9684996262652875, -1.0008001612042507, -1.2233715938213836]);
    close(one(obs.n, n, [1, 4, 7, 10]), [-2.327160796785106, -2.3878139746762628, -2.1201848705441, -2.5596819700869653]);
    close(one(obs.c, c, [0, 1, 2]), [-1.349926716949016, -1.349926716949016, -0.7308875085427924]);
  });

  it('agrees with Optuna 3.1 for a joint (multivariate) estimator', () => {
    const pe = new ParzenEstimator(obs.x.map((v, i) => [v, obs.n[i]!, obs.c[i]!]), w, [x, n, c], { ...OPTS, multivariate: true });
    const pts = [[0, 1, 0], [0.3, 4, 1], [0.5, 7, 2], [0.95, 10, 2]];
    close(pts.map((p) => pe.logPdf(p)), [-4.436649723578169, -4.903362107584746, -3.629735697693377, -4.389238891972242]);
  });
});

describe('joint estimator with neighbour bandwidths', () => {
  // Two observations in [0, 1]², weights 1 and 1, prior weight 1: components (0.2, 0.7),
  // (0.6, 0.3) and the prior (0.5, 0.5), each of weight 1/3. Bandwidths by hand (the univariate
  // rule per parameter): x sorted 0.2 | 0.5 (prior) | 0.6 → 0.3 (first: inner gap), 0.1 (last:
  // inner gap) clipped up to 1/min(100, 1 + 3) = 0.25; y sorted 0.3 | 0.5 | 0.7 → 0.2, 0.2 both
  // clipped to 0.25. The prior's bandwidth is the range, 1.
  const u = uniform(0, 1);
  const mus = [[0.2, 0.7], [0.6, 0.3], [0.5, 0.5]];
  const sig = [[0.3, 0.25], [0.25, 0.25], [1, 1]];
  // Truncated normal density on [0, 1], normalised by Simpson's rule (2000 intervals: error ~1e-12),
  // independently of the estimator's erfc.
  const kernel = (x: number, mu: number, s: number): number => {
    const f = (t: number): number => Math.exp(-0.5 * ((t - mu) / s) ** 2);
    const m = 2000;
    let z = f(0) + f(1);
    for (let i = 1; i < m; i++) z += (i % 2 ? 4 : 2) * f(i / m);
    return f(x) / (z / (3 * m));
  };
  /** log Σ_c w_c (σx·σy)^a k_cx k_cy: a = 0 is the density, a = 1/2 the geometric-mean weighting. */
  const byHand = (x: number, y: number, a: number): number =>
    Math.log(mus.reduce((acc, m, c) => acc + (1 / 3) * (sig[c]![0]! * sig[c]![1]!) ** a * kernel(x, m[0]!, sig[c]![0]!) * kernel(y, m[1]!, sig[c]![1]!), 0));
  const pe = (bandwidthWeighted: boolean): ParzenEstimator =>
    new ParzenEstimator(mus.slice(0, 2), [1, 1], [u, u], { ...OPTS, bandwidthWeighted, multivariate: true, jointBandwidth: 'neighbours' });
  const pts = [[0.4, 0.5], [0.05, 0.95], [0.6, 0.3], [0.99, 0.01]];

  it('has the density worked out by hand (and integrates to 1)', () => {
    // Tolerance 1e-6 (absolute, on log densities ~1): the estimator's erfc has relative error < 1.2e-7.
    for (const [x, y] of pts) expect(pe(false).logPdf([x!, y!])).toBeCloseTo(byHand(x!, y!, 0), 6);
    // Midpoint rule on a 200 × 200 grid: error ~ h²·max|f''| / 24 ≈ 1e-4 here; 2e-3 leaves room.
    let mass = 0;
    for (let i = 0; i < 200; i++) for (let j = 0; j < 200; j++) mass += Math.exp(pe(false).logPdf([(i + 0.5) / 200, (j + 0.5) / 200])) / 40000;
    expect(Math.abs(mass - 1)).toBeLessThan(2e-3);
  });

  it('weights each component by the geometric mean of its bandwidths when bandwidth-weighted', () => {
    for (const [x, y] of pts) expect(pe(true).logPdf([x!, y!])).toBeCloseTo(byHand(x!, y!, 0.5), 6);
  });

  it('over one parameter is the univariate estimator', () => {
    const obs = [[0.1], [0.35], [0.4], [0.9], [0.72]];
    const one = new ParzenEstimator(obs, defaultWeights(5), [u], OPTS);
    const joint = new ParzenEstimator(obs, defaultWeights(5), [u], { ...OPTS, multivariate: true, jointBandwidth: 'neighbours' });
    for (const x of [0, 0.3, 0.5, 0.95]) expect(joint.logPdf([x])).toBe(one.logPdf([x]));
  });
});

describe('joint categorical smoothing', () => {
  it('smooths each categorical kernel with v = priorWeight · s / (n + 1)', () => {
    // One observation (0, 1) over two 3-way categoricals, prior weight 1: components of weight 1/2,
    // the prior uniform (1/3 each). s = 10: v = 5, kernel (1 + 5)/(1 + 15) on the observed choice,
    // 5/16 elsewhere; s = 1 (Optuna): v = 1/2, 0.6 and 0.2.
    const c = categorical(['a', 'b', 'c']);
    const pe = (s: number): ParzenEstimator =>
      new ParzenEstimator([[0, 1]], [1], [c, c], { ...OPTS, multivariate: true, jointBandwidth: 'neighbours', jointCategoricalSmoothing: s });
    const want = (own1: number, own2: number): number => Math.log(0.5 * own1 * own2 + 0.5 / 9);
    expect(pe(10).logPdf([0, 1])).toBeCloseTo(want(6 / 16, 6 / 16), 12);
    expect(pe(10).logPdf([2, 2])).toBeCloseTo(want(5 / 16, 5 / 16), 12);
    expect(pe(1).logPdf([0, 1])).toBeCloseTo(want(0.6, 0.6), 12);
    expect(pe(1).logPdf([0, 0])).toBeCloseTo(want(0.6, 0.2), 12);
  });
});

describe('tpe defaults', () => {
  it('are multivariate and grouped with neighbour bandwidths; multivariate: false is Optuna 3.1', () => {
    expect(tpe().options).toMatchObject({ multivariate: true, group: true, jointBandwidth: 'neighbours', bandwidthWeighted: true, jointCategoricalSmoothing: 10 });
    expect(() => tpe({ jointCategoricalSmoothing: 0 })).toThrow(/jointCategoricalSmoothing/);
    expect(tpe({ multivariate: false }).options).toMatchObject({ multivariate: false, group: false, bandwidthWeighted: true });
    expect(tpe({ multivariate: undefined }).options.multivariate).toBe(true);
    expect(() => tpe({ jointBandwidth: 'silverman' as 'scott' })).toThrow(/jointBandwidth/);
  });

  it('are deterministic for a seed on a conditional space (joint groups and independent fallbacks)', async () => {
    const run = async (seed: number): Promise<string> => {
      const s = study({ sampler: tpe(), seed, ...quiet });
      await s.optimize((t) => {
        const branch = t.suggest('branch', categorical(['a', 'b']));
        if (branch === 'a') return (t.suggest('a1', uniform(0, 1)) - 0.3) ** 2 + t.suggest('a2', int(1, 4));
        return 0.5 + (t.suggest('b1', uniform(-1, 1)) - 0.1) ** 2;
      }, { trials: 30 });
      return JSON.stringify(s.trials.map((t) => Object.entries(t.params).map(([n, p]) => [n, p.value])));
    };
    const first = await run(7);
    expect(await run(7)).toBe(first);
    expect(await run(8)).not.toBe(first);
  });
});

describe('multivariate TPE', () => {
  // Good trials lie at (0.2, 0.2) and (0.8, 0.8), bad ones everywhere else on a grid: the good
  // region is two diagonal corners, which independent per-parameter models cannot tell from the
  // off-diagonal corners (0.2, 0.8) and (0.8, 0.2).
  const u = uniform(0, 1);
  const history: FrozenTrial[] = [];
  for (let i = 0; i < 6; i++) {
    const corner = i % 2 === 0 ? 0.2 : 0.8;
    history.push(trial(history.length, 0, { x: [corner + 0.01 * i, u], y: [corner - 0.01 * i, u] }));
  }
  for (let a = 0; a < 7; a++) for (let b = 0; b < 7; b++) history.push(trial(history.length, 1 + a + b, { x: [0.05 + a * 0.15, u], y: [0.05 + b * 0.15, u] }));

  const offDiagonalShare = (sampler: ReturnType<typeof tpe>): number => {
    let off = 0;
    for (let k = 0; k < 200; k++) {
      const ctx = ctxOf(history, history.length + k);
      const [px, py] = [sampler.sample('x', u, ctx), sampler.sample('y', u, ctx)];
      if (Math.abs(px - py) > 0.4) off++;
    }
    return off / 200;
  };

  it('learns that the good points lie on the diagonal; independent TPE does not', () => {
    const joint = offDiagonalShare(tpe());
    const scott = offDiagonalShare(tpe({ jointBandwidth: 'scott' }));
    const indep = offDiagonalShare(tpe({ multivariate: false }));
    expect(scott).toBeLessThan(0.1);
    // Independent: x and y are drawn apart, so about half of the draws near corners are off-diagonal.
    expect(indep).toBeGreaterThan(0.3);
    expect(joint).toBeLessThan(0.1);
  });

  it('draws one joint sample per trial and keeps values inside each space', async () => {
    const s = study({ sampler: tpe({ multivariate: true, nStartupTrials: 5 }), seed: 3, ...quiet });
    await s.optimize((t) => {
      const a = t.suggest('a', uniform(-2, 2));
      const k = t.suggest('k', int(1, 5));
      const m = t.suggest('m', categorical(['p', 'q']));
      expect(t.suggest('a', uniform(-2, 2))).toBe(a);
      return (a - 1) ** 2 + Math.abs(k - 3) + (m === 'q' ? 0 : 1);
    }, { trials: 30 });
    for (const t of s.trials) {
      expect(Math.abs(t.params.a!.value as number)).toBeLessThanOrEqual(2);
      expect(Number.isInteger(t.params.k!.value)).toBe(true);
    }
    expect(s.bestValue).toBeLessThan(0.5);
  });
});

describe('grouped conditional spaces', () => {
  const u = uniform(0, 1);
  const model = categorical(['a', 'b']);
  const history = [
    trial(0, 1, { model: [0, model], a1: [0.1, u], a2: [0.2, u] }),
    trial(1, 2, { model: [1, model], b1: [0.3, u], b2: [0.4, u] }),
    trial(2, 3, { model: [0, model], a1: [0.5, u], a2: [0.6, u] }),
  ];

  it('splits parameters into groups that always appear together', () => {
    const groups = groupDecompose(history).map((g) => [...g.keys()].sort().join(','));
    expect(groups.sort()).toEqual(['a1,a2', 'b1,b2', 'model']);
  });

  it('needs multivariate', () => {
    expect(() => tpe({ multivariate: false, group: true })).toThrow(/group.*multivariate/);
  });

  it('optimises a conditional objective with each branch modelled jointly', async () => {
    const s = study({ sampler: tpe({ multivariate: true, group: true, nStartupTrials: 8 }), seed: 5, ...quiet });
    await s.optimize((t) => {
      if (t.suggest('model', model) === 'a') return 1 + (t.suggest('a1', u) - t.suggest('a2', u)) ** 2;
      return (t.suggest('b1', u) - 0.3) ** 2 + (t.suggest('b2', u) - 0.7) ** 2;
    }, { trials: 40 });
    expect(s.bestParams.model).toBe('b');
    expect(s.bestValue).toBeLessThan(0.02);
    // Trials of branch b model (b1, b2) jointly: the last 10 trials mostly chose b.
    expect(s.trials.slice(-10).filter((t) => t.params.model!.value === 'b').length).toBeGreaterThanOrEqual(7);
  });
});

describe('constant liar', () => {
  const u = uniform(0, 1);
  // 30 finished trials of (x − 0.5)² on a grid, and 6 trials running at the best point 0.5.
  const finished = Array.from({ length: 30 }, (_, i) => trial(i, ((i + 0.5) / 30 - 0.5) ** 2, { x: [(i + 0.5) / 30, u] }));
  const running = Array.from({ length: 6 }, (_, i) => trial(30 + i, null, { x: [0.5, u] }, 'running'));
  const meanDistance = (liar: boolean): number => {
    const s = tpe({ constantLiar: liar });
    let d = 0;
    for (let k = 0; k < 200; k++) d += Math.abs(s.sample('x', u, ctxOf([...finished, ...running], 36 + k)) - 0.5);
    return d / 200;
  };

  it('moves suggestions away from points other workers are evaluating', () => {
    const plain = meanDistance(false);
    const liar = meanDistance(true);
    expect(liar).toBeGreaterThan(1.5 * plain);
  });

  it('leaves parallel lanes of one study working', async () => {
    const s = study({ sampler: tpe({ constantLiar: true, nStartupTrials: 4 }), seed: 2, ...quiet });
    await s.optimize(async (t) => {
      const x = t.suggest('x', u);
      await new Promise((r) => setTimeout(r, 1));
      return (x - 0.3) ** 2;
    }, { trials: 24, parallel: 4 });
    expect(new Set(s.trials.map((t) => t.params.x!.value)).size).toBe(24);
    expect(s.bestValue).toBeLessThan(0.01);
  });
});

describe('tpe spec', () => {
  it('rebuilds the same options in workers (booleans included)', async () => {
    const { samplerFromSpec } = await import('../resolve.js');
    const s = tpe({ multivariate: true, group: true, constantLiar: true, bandwidthWeighted: false, nEiCandidates: 32 });
    const rebuilt = samplerFromSpec(structuredClone(s.spec()));
    expect((rebuilt as ReturnType<typeof tpe>).options).toEqual(s.options);
  });
});
