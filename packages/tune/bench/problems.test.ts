import { describe, expect, it } from 'vitest';
import type { ParamValue } from '../src/index.js';
import { study } from '../src/index.js';
import { PROBLEMS, objectiveOf } from './problems.js';

/** The noiseless value of a problem at fixed parameters (one enqueued trial). */
async function valueAt(name: string, params: Record<string, ParamValue>): Promise<number> {
  const p = PROBLEMS.find((x) => x.name.startsWith(name))!;
  const s = study({ sampler: 'random', seed: 1, onWarning: () => {} });
  await s.enqueueTrial(params);
  await s.optimize(objectiveOf(p, 1), { trials: 1 });
  return (s.trials[0]!.userAttrs.clean as number) - p.minimum;
}

describe('bench problems', () => {
  // Regret is measured against these minima: each known minimiser must give regret ≈ 0 (the
  // published minimisers have 6 significant digits, hence the 1e-5 tolerance).
  it('reach their stated minimum at the known minimisers', async () => {
    expect(await valueAt('Branin', { x1: Math.PI, x2: 2.275 })).toBeCloseTo(0, 5);
    expect(await valueAt('Hartmann-6', { x1: 0.20169, x2: 0.150011, x3: 0.476874, x4: 0.275332, x5: 0.311652, x6: 0.6573 })).toBeCloseTo(0, 5);
    expect(await valueAt('Conditional', { model: 'branin', branin_x1: Math.PI, branin_x2: 2.275 })).toBeCloseTo(0, 5);
    expect(await valueAt('Mixed', { units: 20, act: 'tanh', x: 0.3 })).toBeCloseTo(0, 12);
    expect(await valueAt('Noisy Hartmann-3', { x1: 0.114614, x2: 0.555649, x3: 0.852547 })).toBeCloseTo(0, 5);
    expect(await valueAt('Log-scale', { lr: 1e-3, wd: 10 ** -4.5 })).toBeCloseTo(0, 12);
  });

  it('never go below their minimum on the other branches and corners', async () => {
    expect(await valueAt('Conditional', { model: 'quad', quad_x: 2 })).toBeCloseTo(1, 12);
    expect(await valueAt('Conditional', { model: 'grid', grid_w: 7, grid_z: 0.5 })).toBeCloseTo(0.5, 12);
    expect(await valueAt('Mixed', { units: 8, act: 'relu', x: 0.3 })).toBeCloseTo(0.3, 12);
    expect(await valueAt('Log-scale', { lr: 1, wd: 1e-7 })).toBeGreaterThan(0);
  });
});
