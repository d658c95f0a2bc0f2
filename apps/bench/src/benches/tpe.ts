/**
 * Issues 9 and 19: @nn/tune's TPE against Optuna 3.1's default `TPESampler` (and both random
 * searches) on the same problems with the same budget: median regret after 100 trials over 30
 * seeds, with the interquartile range, in the same run. Problems: packages/tune/bench/problems.ts
 * (Branin, Hartmann-6, a conditional space, int + categorical, noisy Hartmann-3, log-scale);
 * the Optuna side is peers/tpe_optuna.py. Target (#19): nn TPE ÷ Optuna TPE ≤ 1 on each problem.
 * nn's default TPE is multivariate (grouped, neighbour-gap bandwidths); a column also gives nn's
 * `tpe({ multivariate: false })`, the same algorithm as Optuna's default, as a parity check.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PROBLEMS, nnRegrets } from '../../../../packages/tune/bench/problems';
import { Rng, tpe } from '../../../../packages/tune/src/index';
import { PYTHON, peerEnv, runPython } from '../python';
import { fmt, summarize, table } from '../stats';
import type { Bench, BenchOptions, BenchResult, Headline } from '../types';

const PEER = fileURLToPath(new URL('../../peers/tpe_optuna.py', import.meta.url));
/** Problem keys of the Python peer, in PROBLEMS order. */
const KEYS = ['branin', 'hartmann6', 'conditional', 'mixed', 'noisy_hartmann3', 'log_scale'];

interface OptunaOut {
  optuna: string;
  seconds: number;
  regrets: Record<string, { tpe: number[]; random: number[] }>;
}

function optunaAvailable(): { ok: true; version: string } | { ok: false; reason: string } {
  if (!existsSync(PYTHON)) return { ok: false, reason: `${PYTHON} not found` };
  const r = spawnSync(PYTHON, ['-c', 'import optuna; print(optuna.__version__)'], { encoding: 'utf8', env: peerEnv(), timeout: 120_000 });
  if (r.status !== 0) return { ok: false, reason: `${PYTHON} has no optuna (${(r.stderr || '').trim().split('\n').pop()})` };
  return { ok: true, version: r.stdout.trim() };
}

const med = (xs: number[]): number => summarize(xs).median;
const cell = (xs: number[]): string => {
  const s = summarize(xs);
  return `${fmt(s.median)} (${fmt(s.q25)}–${fmt(s.q75)})`;
};

/** Share of (a, b) pairs with a < b (ties count half): P(a random nn study beats a random peer study). */
function superiority(a: number[], b: number[]): number {
  let w = 0;
  for (const x of a) for (const y of b) w += x < y ? 1 : x === y ? 0.5 : 0;
  return w / (a.length * b.length);
}

/** 90% bootstrap interval of median(a) ÷ median(b), resampling each side's seeds (2000 draws, fixed seed). */
function ratioInterval(a: number[], b: number[]): [number, number] {
  const rng = new Rng(19);
  const draw = (xs: number[]): number[] => xs.map(() => xs[rng.int(xs.length)]!);
  const rs = Array.from({ length: 2000 }, () => med(draw(a)) / med(draw(b))).sort((x, y) => x - y);
  return [rs[Math.floor(0.05 * rs.length)]!, rs[Math.floor(0.95 * rs.length)]!];
}

async function run(opts: BenchOptions): Promise<BenchResult> {
  const seeds = opts.quick ? 10 : 30, trials = opts.quick ? 50 : 100;
  const notes: string[] = [];
  const peer = optunaAvailable();
  let optuna: OptunaOut | null = null;
  if (peer.ok) {
    optuna = runPython<OptunaOut>(PEER, [JSON.stringify({ seeds, trials, problems: KEYS, workers: 2 })], 3_600_000);
  } else {
    notes.push(`Optuna peer skipped: ${peer.reason}. Install Debian's python3-optuna.`);
  }
  const t0 = performance.now();
  const nn = [];
  for (const p of PROBLEMS) {
    nn.push({
      p,
      tpe: await nnRegrets(p, 'tpe', { seeds, trials }),
      univariate: await nnRegrets(p, tpe({ multivariate: false }), { seeds, trials }),
      random: await nnRegrets(p, 'random', { seeds, trials }),
    });
  }
  const nnSeconds = (performance.now() - t0) / 1000;

  const headlines: Headline[] = [];
  const rows: (string | number)[][] = [];
  nn.forEach(({ p, tpe, univariate, random }, i) => {
    const o = optuna?.regrets[KEYS[i]!];
    if (o) {
      const ratio = med(tpe.regrets) / med(o.tpe);
      const [lo, hi] = ratioInterval(tpe.regrets, o.tpe);
      headlines.push({
        measure: `${p.name}: median regret after ${trials} trials, ${seeds} seeds (nn TPE ÷ Optuna TPE)`,
        ours: `nn TPE: ${cell(tpe.regrets)}`,
        peer: `Optuna TPE: ${cell(o.tpe)}`,
        ratio,
        spread: `${fmt(lo)}–${fmt(hi)}`,
        target: '≤ 1.0',
        met: ratio <= 1,
      });
    } else {
      const ratio = med(tpe.regrets) / med(random.regrets);
      headlines.push({
        measure: `${p.name}: median regret after ${trials} trials, ${seeds} seeds (nn TPE ÷ nn random; Optuna missing)`,
        ours: `nn TPE: ${cell(tpe.regrets)}`,
        peer: `nn random: ${cell(random.regrets)}`,
        ratio,
        target: '< 1',
        met: ratio < 1,
      });
    }
    rows.push([
      p.name,
      cell(random.regrets),
      o ? cell(o.random) : '—',
      cell(tpe.regrets),
      cell(univariate.regrets),
      o ? cell(o.tpe) : '—',
      o ? `**${fmt(med(tpe.regrets) / med(o.tpe))}**` : '—',
      o ? fmt(med(univariate.regrets) / med(o.tpe)) : '—',
      o ? `${Math.round(100 * superiority(tpe.regrets, o.tpe))}%` : '—',
      fmt(tpe.msPerStudy),
    ]);
  });
  notes.push(
    `Median regret (q25–q75) over seeds 1000…${999 + seeds}, ${trials} trials each; regret = the noiseless value of the best trial − the known minimum. ` +
      'On the noisy problem the best trial is chosen by the noisy value the sampler saw (Gaussian noise, σ = 0.1; nn and Optuna draw different noise streams), and its noiseless value is scored.',
    'Both sides use their defaults: nn `study({ sampler: \'tpe\' })` (multivariate TPE: each group of parameters that appear together modelled jointly, neighbour-gap bandwidths) and Optuna `TPESampler(seed=s)` (independent TPE); both 10 start-up trials, 24 EI candidates, γ = min(⌈0.1·n⌉, 25). ' +
      '"nn TPE (univariate)" is `tpe({ multivariate: false })`, the same algorithm as Optuna\'s default (a parity check: its ratio is luck of the seeds); the random columns check that the problems and budgets match. ' +
      'The ratio\'s spread in the summary is a 90% bootstrap interval (seeds resampled on both sides). "P(nn < Optuna)": the share of (nn seed, Optuna seed) pairs where nn\'s regret is lower.',
    `Wall time: nn ${nnSeconds.toFixed(0)} s (all problems, three samplers, one thread)` +
      (optuna ? `; Optuna ${optuna.optuna} ${optuna.seconds.toFixed(0)} s (2 processes).` : '.'),
  );
  return {
    name: bench.name, title: bench.title, issues: bench.issues, status: 'ok', headlines,
    tables: [table(['problem', 'nn random', 'Optuna random', 'nn TPE', 'nn TPE (univariate)', 'Optuna TPE', 'nn TPE ÷ Optuna TPE', 'univariate ÷ Optuna', 'P(nn < Optuna)', 'nn ms / study'], rows)],
    notes,
  };
}

export const bench: Bench = { name: 'tpe', title: 'Hyperparameter search: nn TPE vs Optuna 3.1 TPE (6 problems)', issues: [9, 19], run };
