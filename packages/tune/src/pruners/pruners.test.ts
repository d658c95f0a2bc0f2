import { describe, expect, it } from 'vitest';
import type { FrozenTrial } from '../types.js';
import { medianPruner } from './median.js';
import { hyperband, successiveHalving } from './successive-halving.js';
import { study } from '../study.js';
import { uniform } from '../distributions.js';
import { TrialPruned } from '../errors.js';

function done(number: number, curve: number[], state: FrozenTrial['state'] = 'complete'): FrozenTrial {
  return {
    id: number + 1,
    number,
    state,
    value: state === 'complete' ? curve[curve.length - 1]! : null,
    params: {},
    intermediate: Object.fromEntries(curve.map((v, i) => [i, v])),
    userAttrs: {},
    fixedParams: {},
    startedAt: 0,
    completedAt: 1,
    error: null,
    worker: null,
  };
}

describe('median pruner', () => {
  const history = [done(0, [5, 4, 3]), done(1, [6, 5, 4]), done(2, [7, 6, 5])];
  const p = medianPruner({ nStartupTrials: 3 });
  it('prunes a trial worse than the median at the same step, keeps a better one', () => {
    expect(p.prune({ trial: { number: 9, intermediate: { 0: 6.5 } }, history, direction: 'minimize' })).toBe(true);
    expect(p.prune({ trial: { number: 9, intermediate: { 0: 5.5 } }, history, direction: 'minimize' })).toBe(false);
    // Uses the trial's best value so far: 4.5 at step 0 beats step 1's median of 5.
    expect(p.prune({ trial: { number: 9, intermediate: { 0: 4.5, 1: 9 } }, history, direction: 'minimize' })).toBe(false);
    expect(p.prune({ trial: { number: 9, intermediate: { 0: 5.5 } }, history, direction: 'maximize' })).toBe(true);
  });
  it('waits for start-up trials and warm-up steps', () => {
    expect(medianPruner({ nStartupTrials: 4 }).prune({ trial: { number: 9, intermediate: { 0: 100 } }, history, direction: 'minimize' })).toBe(false);
    expect(medianPruner({ nStartupTrials: 1, nWarmupSteps: 2 }).prune({ trial: { number: 9, intermediate: { 1: 100 } }, history, direction: 'minimize' })).toBe(false);
    expect(() => medianPruner({ intervalSteps: 0 })).toThrow(/intervalSteps/);
  });
});

describe('successive halving', () => {
  it('promotes only the top 1/η at a rung', () => {
    const p = successiveHalving({ minResource: 1, reductionFactor: 2 });
    const history = [done(0, [9, 1]), done(1, [8, 1]), done(2, [7, 1])];
    // Rung 0 at step 1: competing values 1, 1, 1 and the trial's; top ⌊4/2⌋ = 2.
    expect(p.prune({ trial: { number: 5, intermediate: { 0: 0, 1: 5 } }, history, direction: 'minimize' })).toBe(true);
    expect(p.prune({ trial: { number: 5, intermediate: { 0: 0, 1: 0.5 } }, history, direction: 'minimize' })).toBe(false);
    // Step 0 is before the first rung (minResource·η^0 = 1): never pruned there.
    expect(p.prune({ trial: { number: 5, intermediate: { 0: 100 } }, history, direction: 'minimize' })).toBe(false);
  });
  it('promotes the first trial to reach a rung', () => {
    const p = successiveHalving();
    expect(p.prune({ trial: { number: 0, intermediate: { 0: 1, 1: 1 } }, history: [], direction: 'minimize' })).toBe(false);
  });
});

describe('hyperband', () => {
  it('spreads trials over brackets in proportion to their budgets', () => {
    const p = hyperband({ maxResource: 27, reductionFactor: 3 });
    expect(p.nBrackets).toBe(4);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) counts[p.bracketOf(i)]!++;
    // Budgets ⌈4·3^s/(s+1)⌉ for s = 3..0: 27, 12, 6, 4 of 49 in total. 4000 draws; ±3σ ≈ ±100.
    expect(Math.abs(counts[0]! - (4000 * 27) / 49)).toBeLessThan(100);
    expect(Math.abs(counts[3]! - (4000 * 4) / 49)).toBeLessThan(60);
    expect(() => hyperband({ maxResource: 1 })).toThrow(/maxResource/);
  });
});

describe('pruning inside a study', () => {
  it('marks trials that throw TrialPruned as pruned and saves compute', async () => {
    const s = study({ sampler: 'random', seed: 3, pruner: medianPruner({ nStartupTrials: 3 }), onWarning: () => {} });
    let steps = 0;
    await s.optimize(
      async (t) => {
        const x = t.suggest('x', uniform(0, 1));
        for (let step = 0; step < 10; step++) {
          steps++;
          await t.report(x + 1 / (step + 1), step);
          if (t.shouldPrune()) throw new TrialPruned(t.number, step);
        }
        return x;
      },
      { trials: 30 },
    );
    const pruned = s.trials.filter((t) => t.state === 'pruned');
    expect(pruned.length).toBeGreaterThan(5);
    expect(steps).toBeLessThan(300);
    // Pruned trials keep their intermediate values.
    expect(Object.keys(pruned[0]!.intermediate).length).toBeGreaterThan(0);
    expect(s.bestValue).toBe(Math.min(...s.trials.filter((t) => t.state === 'complete').map((t) => t.value!)));
  });

  it('runs Hyperband inside a study: pruned trials stop at rung steps, the best curve survives', async () => {
    const s = study({ sampler: 'random', seed: 4, pruner: hyperband({ maxResource: 9, reductionFactor: 3 }), onWarning: () => {} });
    await s.optimize(
      async (t) => {
        const x = t.suggest('x', uniform(0, 1));
        let v = 0;
        for (let step = 0; step <= 9; step++) {
          v = x + 1 / (step + 1);
          await t.report(v, step);
          if (t.shouldPrune()) throw new TrialPruned(t.number, step);
        }
        return v;
      },
      { trials: 40 },
    );
    const pruned = s.trials.filter((t) => t.state === 'pruned');
    expect(pruned.length).toBeGreaterThan(5);
    // Rungs are at minResource·η^k = 1, 3, 9: a trial can only be stopped right after one of them.
    for (const t of pruned) expect([1, 3, 9]).toContain(Math.max(...Object.keys(t.intermediate).map(Number)));
    const xs = s.trials.filter((t) => t.state === 'complete').map((t) => t.params.x!.value as number);
    const all = s.trials.map((t) => t.params.x!.value as number);
    // Survivors are better than average (lower x).
    expect(xs.reduce((a, b) => a + b, 0) / xs.length).toBeLessThan(all.reduce((a, b) => a + b, 0) / all.length);
  });
});
