/**
 * Issue 9: TPE vs random search on Branin (2-D) and Hartmann-6 (6-D): median regret after 100
 * trials over 30 seeds, with the interquartile range (packages/tune/bench/tpe-vs-random.ts's
 * `benchmark()`). Target: TPE's median regret below random's on both.
 */
import { benchmark, toMarkdown } from '../../../../packages/tune/bench/tpe-vs-random';
import { fmt } from '../stats';
import type { Bench, BenchOptions, BenchResult, Headline } from '../types';

async function run(opts: BenchOptions): Promise<BenchResult> {
  const seeds = opts.quick ? 10 : 30, trials = opts.quick ? 50 : 100;
  const rows = await benchmark({ seeds, trials });
  const headlines: Headline[] = [];
  for (const fn of [...new Set(rows.map((r) => r.fn))]) {
    const t = rows.find((r) => r.fn === fn && r.sampler === 'tpe')!;
    const r = rows.find((x) => x.fn === fn && x.sampler === 'random')!;
    headlines.push({
      measure: `${fn}: median regret after ${trials} trials, ${seeds} seeds (TPE ÷ random)`,
      ours: `TPE: ${fmt(t.median)} (IQR ${fmt(t.q25)}–${fmt(t.q75)})`,
      peer: `random: ${fmt(r.median)} (IQR ${fmt(r.q25)}–${fmt(r.q75)})`,
      ratio: t.median / r.median,
      target: '< 1',
      met: t.median < r.median,
    });
  }
  return {
    name: bench.name, title: bench.title, issues: bench.issues, status: 'ok', headlines,
    tables: [toMarkdown(rows)],
    notes: [`@nn/tune studies, in memory, seeds 1000…${999 + seeds}; "TPE wins (paired)": the share of seeds where TPE's regret is below random's with the same seed. The peer is random search (the issue's baseline), not Optuna.`],
  };
}

export const bench: Bench = { name: 'tpe', title: 'Hyperparameter search: TPE vs random (Branin, Hartmann-6)', issues: [9], run };
