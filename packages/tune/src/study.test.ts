import { describe, expect, it } from 'vitest';
import { categorical, int, loguniform, oneMinusLog, uniform } from './distributions.js';
import { InvalidOptionError, NoCompletedTrialError, ParamConflictError, StorageError } from './errors.js';
import { study } from './study.js';

const quiet = { onWarning: () => {} };

describe('study', () => {
  it('keeps going when an objective throws or returns NaN, recording why', async () => {
    const warnings: string[] = [];
    const s = study({ sampler: 'random', seed: 1, onWarning: (m) => warnings.push(m) });
    await s.optimize((t) => {
      const x = t.suggest('x', uniform(0, 1));
      if (t.number === 1) throw new Error('boom');
      if (t.number === 2) return NaN;
      if (t.number === 3) return 'nope' as unknown as number;
      return x;
    }, { trials: 6 });
    expect(s.trials.map((t) => t.state)).toEqual(['complete', 'fail', 'fail', 'fail', 'complete', 'complete']);
    expect(s.trials[1]!.error).toBe('Error: boom');
    expect(s.trials[2]!.error).toMatch(/objective returned NaN; expected a finite number/);
    expect(s.trials[3]!.error).toMatch(/returned nope/);
    expect(warnings.filter((w) => /failed/.test(w))).toHaveLength(3);
    expect(s.bestTrial.state).toBe('complete');
  });

  it('reports no best trial clearly before any trial completes', async () => {
    const s = study({ name: 'empty', ...quiet });
    expect(() => s.bestTrial).toThrow(NoCompletedTrialError);
    expect(() => s.bestParams).toThrow(/Study "empty" has no completed trial yet/);
  });

  it('rejects bad options and storages with clear errors', async () => {
    expect(() => study({ direction: 'up' as never })).toThrow(/direction.*"minimize" or "maximize"/);
    expect(() => study({ sampler: 'bayes' as never })).toThrow(InvalidOptionError);
    expect(() => study({ pruner: 'hyperband' as never })).toThrow(/hyperband\(\{ maxResource \}\)/);
    const s = study(quiet);
    await expect(s.optimize(() => 0)).rejects.toThrow(/one of trials, timeout or maxTrials/);
    await expect(s.optimize(() => 0, { trials: 1, parallel: 0 })).rejects.toThrow(/parallel/);
    await expect(study({ storage: 'redis://x' }).ready()).rejects.toThrow(/unknown storage kind.*sqlite:path/);
    await expect(study({ storage: 'sqlite:/no/such/dir/x.db' }).ready()).rejects.toThrow(StorageError);
  });

  it('keeps one distribution per name within a trial and returns the same value twice', async () => {
    const s = study(quiet);
    await s.optimize((t) => {
      const a = t.suggest('a', uniform(0, 1));
      expect(t.suggest('a', uniform(0, 1))).toBe(a);
      t.suggest('a', uniform(0, 2));
      return a;
    }, { trials: 1 });
    expect(s.trials[0]!.state).toBe('fail');
    expect(s.trials[0]!.error).toMatch(new ParamConflictError('a', 0, '', '').name);
  });

  it('runs enqueued trials first with their fixed parameters', async () => {
    const s = study({ sampler: 'random', seed: 2, ...quiet });
    await s.enqueueTrial({ lr: 1e-3, act: 'tanh' });
    await s.optimize((t) => {
      const lr = t.suggest('lr', loguniform(1e-5, 10));
      t.suggest('act', categorical(['relu', 'tanh']));
      return lr;
    }, { trials: 3 });
    expect(s.trials[0]!.params.lr!.value).toBe(1e-3);
    expect(s.trials[0]!.params.act!.value).toBe('tanh');
    expect(s.trials).toHaveLength(3);
  });

  it('runs async lanes in parallel and honours maxTrials and timeout', async () => {
    const s = study({ sampler: 'random', ...quiet });
    let running = 0;
    let peak = 0;
    await s.optimize(async (t) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 10));
      running--;
      return t.suggest('x', uniform(0, 1));
    }, { trials: 8, parallel: 3 });
    expect(peak).toBe(3);
    expect(s.trials).toHaveLength(8);
    expect(new Set(s.trials.map((t) => t.number)).size).toBe(8);
    await s.optimize(() => 1, { maxTrials: 10 });
    expect(s.trials).toHaveLength(10);
    const t0 = Date.now();
    await s.optimize(async () => {
      await new Promise((r) => setTimeout(r, 20));
      return 1;
    }, { timeout: 100 });
    // The timeout stops new trials; the one running finishes (≤ 20 ms more, plus scheduling slack).
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(s.trials.length).toBeGreaterThan(10);
  });

  it('maximises when asked', async () => {
    const s = study({ direction: 'maximize', sampler: 'random', seed: 4, ...quiet });
    await s.optimize((t) => t.suggest('x', int(0, 10)), { trials: 30 });
    expect(s.bestValue).toBe(Math.max(...s.trials.map((t) => t.value!)));
  });

  it('writes CSV with one column per parameter and quotes where needed', async () => {
    const s = study({ sampler: 'random', seed: 5, ...quiet });
    await s.optimize((t) => {
      const b = t.suggest('beta1', oneMinusLog(-4, -1));
      if (t.number === 1) throw new Error('bad, "quoted"');
      if (t.number === 2) t.suggest('extra', categorical(['a,b']));
      return b;
    }, { trials: 3 });
    const lines = s.toCsv().trimEnd().split('\n');
    expect(lines[0]).toBe('number,state,value,startedAt,completedAt,durationMs,error,params.beta1,params.extra');
    expect(lines).toHaveLength(4);
    expect(lines[2]).toMatch(/^1,fail,,.*"Error: bad, ""quoted""",0\.9/);
    expect(lines[3]!.endsWith(',"a,b"')).toBe(true);
    expect(s.table()[0]!['params.extra']).toBeUndefined();
  });

  it('emits Vega-Lite specs that compile and render', async () => {
    const s = study({ sampler: 'random', seed: 6, ...quiet });
    await s.optimize(async (t) => {
      const lr = t.suggest('lr', loguniform(1e-4, 1));
      t.suggest('act', categorical(['relu', 'tanh']));
      await t.report(lr * 2, 0);
      return lr;
    }, { trials: 10 });
    const hist = s.plotOptimizationHistory();
    const values = (hist.data as { values: Array<{ series: string; value: number }> }).values;
    const best = values.filter((v) => v.series === 'best value').map((v) => v.value);
    expect(best).toHaveLength(10);
    expect(best.every((v, i) => i === 0 || v <= best[i - 1]!)).toBe(true);
    const slice = s.plotSlice();
    const panels = slice.hconcat as Array<{ encoding: { x: { scale?: { type: string }; type: string } } }>;
    expect(panels).toHaveLength(2);
    expect(panels[0]!.encoding.x.type).toBe('nominal'); // act
    expect(panels[1]!.encoding.x.scale?.type).toBe('log'); // lr
    const vl = await import('vega-lite');
    const vega = await import('vega');
    for (const spec of [hist, slice, s.plotIntermediateValues(), s.plotImportance()]) {
      const compiled = vl.compile(spec as never).spec;
      const svg = await new vega.View(vega.parse(compiled), { renderer: 'none' }).toSVG();
      expect(svg.startsWith('<svg')).toBe(true);
    }
  });
});
