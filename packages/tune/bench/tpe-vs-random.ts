/**
 * TPE vs random search on the problems of problems.ts: median regret after N trials over many
 * seeds, with the interquartile range and TPE's paired win rate. (apps/bench's `tpe` bench runs the
 * same problems against Optuna 3.1.)
 *
 *   npx tsx packages/tune/bench/tpe-vs-random.ts [--seeds 30] [--trials 100]
 *
 * Prints a Markdown table; exits 1 when TPE's median regret is not below random's on a problem.
 */
import { fileURLToPath } from 'node:url';
import { PROBLEMS, nnRegrets } from './problems.js';

function quantile(sorted: number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** One benchmark row. */
export interface BenchRow {
  fn: string;
  sampler: 'tpe' | 'random';
  seeds: number;
  trials: number;
  median: number;
  q25: number;
  q75: number;
  /** Fraction of seeds where TPE's regret is below random's with the same seed (TPE rows only). */
  winRate: number | null;
  msPerStudy: number;
}

/** Runs both samplers on every problem. */
export async function benchmark(opts: { seeds?: number; trials?: number } = {}): Promise<BenchRow[]> {
  const seeds = opts.seeds ?? 30;
  const trials = opts.trials ?? 100;
  const rows: BenchRow[] = [];
  for (const p of PROBLEMS) {
    const random = await nnRegrets(p, 'random', { seeds, trials });
    const tpe = await nnRegrets(p, 'tpe', { seeds, trials });
    for (const [sampler, r] of [['random', random], ['tpe', tpe]] as const) {
      const sorted = [...r.regrets].sort((a, b) => a - b);
      rows.push({
        fn: p.name, sampler, seeds, trials,
        median: quantile(sorted, 0.5), q25: quantile(sorted, 0.25), q75: quantile(sorted, 0.75),
        winRate: sampler === 'tpe' ? tpe.regrets.filter((x, i) => x < random.regrets[i]!).length / seeds : null,
        msPerStudy: r.msPerStudy,
      });
    }
  }
  return rows;
}

/** Formats rows as a Markdown table. */
export function toMarkdown(rows: BenchRow[]): string {
  const fmt = (x: number): string => (x === 0 ? '0' : Math.abs(x) < 1e-3 ? x.toExponential(2) : x.toPrecision(3));
  const lines = [
    '| function | sampler | seeds | trials | median regret | IQR (q25–q75) | TPE wins (paired) | ms / study |',
    '|---|---|---:|---:|---:|---|---:|---:|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.fn} | ${r.sampler} | ${r.seeds} | ${r.trials} | ${fmt(r.median)} | ${fmt(r.q25)} – ${fmt(r.q75)} | ${r.winRate === null ? '' : `${Math.round(r.winRate * 100)}%`} | ${r.msPerStudy.toFixed(0)} |`,
    );
  }
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const arg = (k: string, d: number): number => {
    const i = process.argv.indexOf(`--${k}`);
    return i > 0 ? Number(process.argv[i + 1]) : d;
  };
  const rows = await benchmark({ seeds: arg('seeds', 30), trials: arg('trials', 100) });
  console.log(toMarkdown(rows));
  const bad = PROBLEMS.map((p) => p.name).filter((fn) => {
    const [r, t] = [rows.find((x) => x.fn === fn && x.sampler === 'random')!, rows.find((x) => x.fn === fn && x.sampler === 'tpe')!];
    return !(t.median < r.median);
  });
  if (bad.length) {
    console.error(`TPE did not beat random on median regret for: ${bad.join(', ')}`);
    process.exitCode = 1;
  }
}
