/**
 * TPE vs random search on Branin (2-D) and Hartmann-6 (6-D): median regret after N trials over
 * many seeds, with the interquartile range and TPE's paired win rate.
 *
 *   npx tsx packages/tune/bench/tpe-vs-random.ts [--seeds 30] [--trials 100]
 *
 * Prints a Markdown table. `benchmark()` is exported for apps/bench.
 */
import { fileURLToPath } from 'node:url';
import { study, uniform, type Trial } from '../src/index.js';

/** A test function with its box and known global minimum. */
export interface TestFunction {
  name: string;
  dims: Array<[string, number, number]>;
  minimum: number;
  f: (x: number[]) => number;
}

export const branin: TestFunction = {
  name: 'Branin (2-D)',
  dims: [
    ['x1', -5, 10],
    ['x2', 0, 15],
  ],
  minimum: 0.397887357729738,
  f: ([x1, x2]) => {
    const a = 1;
    const b = 5.1 / (4 * Math.PI ** 2);
    const c = 5 / Math.PI;
    const t = 1 / (8 * Math.PI);
    return a * (x2! - b * x1! ** 2 + c * x1! - 6) ** 2 + 10 * (1 - t) * Math.cos(x1!) + 10;
  },
};

const H_A = [
  [10, 3, 17, 3.5, 1.7, 8],
  [0.05, 10, 17, 0.1, 8, 14],
  [3, 3.5, 1.7, 10, 17, 8],
  [17, 8, 0.05, 10, 0.1, 14],
];
const H_P = [
  [1312, 1696, 5569, 124, 8283, 5886],
  [2329, 4135, 8307, 3736, 1004, 9991],
  [2348, 1451, 3522, 2883, 3047, 6650],
  [4047, 8828, 8732, 5743, 1091, 381],
].map((r) => r.map((v) => v * 1e-4));
const H_ALPHA = [1, 1.2, 3, 3.2];

export const hartmann6: TestFunction = {
  name: 'Hartmann-6 (6-D)',
  dims: Array.from({ length: 6 }, (_, i) => [`x${i + 1}`, 0, 1] as [string, number, number]),
  minimum: -3.32236801141551,
  f: (x) => {
    let s = 0;
    for (let i = 0; i < 4; i++) {
      let inner = 0;
      for (let j = 0; j < 6; j++) inner += H_A[i]![j]! * (x[j]! - H_P[i]![j]!) ** 2;
      s += H_ALPHA[i]! * Math.exp(-inner);
    }
    return -s;
  },
};

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

/** Runs both samplers on both functions. */
export async function benchmark(opts: { seeds?: number; trials?: number } = {}): Promise<BenchRow[]> {
  const seeds = opts.seeds ?? 30;
  const trials = opts.trials ?? 100;
  const rows: BenchRow[] = [];
  for (const fn of [branin, hartmann6]) {
    const regrets: Record<'tpe' | 'random', number[]> = { tpe: [], random: [] };
    const times: Record<'tpe' | 'random', number> = { tpe: 0, random: 0 };
    for (const sampler of ['random', 'tpe'] as const) {
      for (let seed = 0; seed < seeds; seed++) {
        const s = study({ sampler, seed: 1000 + seed, onWarning: () => {} });
        const t0 = performance.now();
        await s.optimize((t: Trial) => fn.f(fn.dims.map(([n, lo, hi]) => t.suggest(n, uniform(lo, hi)))), { trials });
        times[sampler] += performance.now() - t0;
        regrets[sampler].push(s.bestValue - fn.minimum);
      }
    }
    for (const sampler of ['random', 'tpe'] as const) {
      const sorted = [...regrets[sampler]].sort((a, b) => a - b);
      rows.push({
        fn: fn.name,
        sampler,
        seeds,
        trials,
        median: quantile(sorted, 0.5),
        q25: quantile(sorted, 0.25),
        q75: quantile(sorted, 0.75),
        winRate: sampler === 'tpe' ? regrets.tpe.filter((r, i) => r < regrets.random[i]!).length / seeds : null,
        msPerStudy: times[sampler] / seeds,
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
  const bad = ['Branin (2-D)', 'Hartmann-6 (6-D)'].filter((fn) => {
    const [r, t] = [rows.find((x) => x.fn === fn && x.sampler === 'random')!, rows.find((x) => x.fn === fn && x.sampler === 'tpe')!];
    return !(t.median < r.median);
  });
  if (bad.length) {
    console.error(`TPE did not beat random on median regret for: ${bad.join(', ')}`);
    process.exitCode = 1;
  }
}
