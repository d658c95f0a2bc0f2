// Smoke test of the fmnist-tune experiment's pieces on a tiny budget (not a timed or accuracy test):
//   npx vitest run apps/bench/src/benches/fmnist-tune.test.ts
import { describe, expect, it } from 'vitest';
import { DEFAULT_PARAMS, buildMlp, fmnistTune, importanceTable, summaryTable, trialsTable } from './fmnist-tune';

describe('fmnist-tune (tiny budget)', () => {
  it('builds FMNIST-MLP with the tuned width', () => {
    const m = buildMlp({ lr: 1e-3, width: 96 }, 1);
    const shapes = [...m.parameters()].map((p) => p.shape.join('x'));
    expect(shapes).toContain('784x96');
    expect(shapes).toContain('96x48');
    expect(shapes).toContain('48x10');
  });

  it('runs the default, the study with the default as trial 0, and retrains the winner reproducibly', async () => {
    const r = await fmnistTune({ trainRows: 256, valRows: 128, testRows: 128, epochs: 1, trials: 3, startupTrials: 2 });
    expect(r.trials).toHaveLength(3);
    expect(r.trials[0]!.params).toEqual(DEFAULT_PARAMS);
    // Same seed, same data: the stand-alone default and trial 0 are the same run; so are the best
    // trial and its retraining.
    expect(r.trial0Value).toBe(r.default.valAccuracy);
    expect(r.best.valAccuracy).toBe(r.bestTrial.value);
    for (const t of r.trials) {
      expect(t.state).toBe('complete');
      expect(t.params.lr).toBeGreaterThanOrEqual(1e-4);
      expect(t.params.lr).toBeLessThanOrEqual(1e-2);
      expect([16, 32, 64, 128, 256]).toContain(t.params.batchSize);
      expect(t.params.width).toBeGreaterThanOrEqual(64);
      expect(t.params.width).toBeLessThanOrEqual(512);
    }
    expect(r.best.testAccuracy).toBeGreaterThan(0);
    expect(summaryTable(r).split('\n')).toHaveLength(4);
    expect(trialsTable(r)).toContain('| 0 (default) |');
    expect(Object.keys(r.importance).sort()).toEqual(['batchSize', 'lr', 'width']);
    expect(Object.values(r.importance).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    expect(importanceTable(r).split('\n')).toHaveLength(5);
  });
});
