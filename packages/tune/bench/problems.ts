/**
 * Test problems for samplers, each an objective on a {@link Trial} with its search space and known
 * minimum. apps/bench/peers/tpe_optuna.py defines the same problems for Optuna: keep them in step.
 *
 * Regret = the noiseless value of the best trial (best by the value the sampler saw) − the minimum.
 */
import { Rng, categorical, deriveSeed, int, loguniform, study, uniform, type SamplerLike, type Trial } from '../src/index.js';

/** One test problem. */
export interface Problem {
  name: string;
  /** The global minimum of the noiseless objective. */
  minimum: number;
  /** Standard deviation of the Gaussian noise added to what the sampler sees (0: none). */
  noise: number;
  /** Suggests the parameters and returns the noiseless value. */
  clean: (t: Trial) => number;
}

/** Branin on [−5, 10] × [0, 15]; three global minima of 0.397887. */
export function braninValue(x1: number, x2: number): number {
  const b = 5.1 / (4 * Math.PI ** 2);
  const c = 5 / Math.PI;
  const t = 1 / (8 * Math.PI);
  return (x2 - b * x1 ** 2 + c * x1 - 6) ** 2 + 10 * (1 - t) * Math.cos(x1) + 10;
}
export const BRANIN_MIN = 0.397887357729738;

const H6_A = [
  [10, 3, 17, 3.5, 1.7, 8],
  [0.05, 10, 17, 0.1, 8, 14],
  [3, 3.5, 1.7, 10, 17, 8],
  [17, 8, 0.05, 10, 0.1, 14],
];
const H6_P = [
  [1312, 1696, 5569, 124, 8283, 5886],
  [2329, 4135, 8307, 3736, 1004, 9991],
  [2348, 1451, 3522, 2883, 3047, 6650],
  [4047, 8828, 8732, 5743, 1091, 381],
].map((r) => r.map((v) => v * 1e-4));
const H3_A = [
  [3, 10, 30],
  [0.1, 10, 35],
  [3, 10, 30],
  [0.1, 10, 35],
];
const H3_P = [
  [3689, 1170, 2673],
  [4699, 4387, 7470],
  [1091, 8732, 5547],
  [381, 5743, 8828],
].map((r) => r.map((v) => v * 1e-4));
const H_ALPHA = [1, 1.2, 3, 3.2];

function hartmann(x: readonly number[], a: number[][], p: number[][]): number {
  let s = 0;
  for (let i = 0; i < 4; i++) {
    let inner = 0;
    for (let j = 0; j < x.length; j++) inner += a[i]![j]! * (x[j]! - p[i]![j]!) ** 2;
    s += H_ALPHA[i]! * Math.exp(-inner);
  }
  return -s;
}

const unitBox = (t: Trial, n: number): number[] => Array.from({ length: n }, (_, i) => t.suggest(`x${i + 1}`, uniform(0, 1)));

export const branin: Problem = {
  name: 'Branin (2-D)',
  minimum: BRANIN_MIN,
  noise: 0,
  clean: (t) => braninValue(t.suggest('x1', uniform(-5, 10)), t.suggest('x2', uniform(0, 15))),
};

export const hartmann6: Problem = {
  name: 'Hartmann-6 (6-D)',
  minimum: -3.32236801141551,
  noise: 0,
  clean: (t) => hartmann(unitBox(t, 6), H6_A, H6_P),
};

/**
 * A categorical `model` decides which parameters exist: `quad` (one float, minimum 1), `branin`
 * (two floats, Branin shifted and scaled to a minimum of 0), `grid` (an integer and a float,
 * minimum 0.5). Global minimum 0, in the `branin` branch.
 */
export const conditional: Problem = {
  name: 'Conditional (model → 1–2 params)',
  minimum: 0,
  noise: 0,
  clean: (t) => {
    const model = t.suggest('model', categorical(['quad', 'branin', 'grid']));
    if (model === 'quad') return 1 + 0.5 * (t.suggest('quad_x', uniform(-5, 5)) - 2) ** 2;
    if (model === 'branin') return (braninValue(t.suggest('branin_x1', uniform(-5, 10)), t.suggest('branin_x2', uniform(0, 15))) - BRANIN_MIN) / 10;
    return 0.5 + 0.1 * Math.abs(t.suggest('grid_w', int(1, 10)) - 7) + (t.suggest('grid_z', uniform(0, 1)) - 0.5) ** 2;
  },
};

const ACT_OFFSET: Record<string, number> = { relu: 0.3, tanh: 0, sigmoid: 0.6, elu: 0.15 };
const ACT_UNITS: Record<string, number> = { relu: 8, tanh: 20, sigmoid: 14, elu: 26 };

/**
 * An integer (`units` in 1…32), a categorical (`act`, 4 choices) whose best `units` differs, and a
 * float: f = 0.02·(units − u*(act))² + offset(act) + 2·(x − 0.3)². Minimum 0 at (tanh, 20, 0.3).
 */
export const mixed: Problem = {
  name: 'Mixed (int + categorical + float)',
  minimum: 0,
  noise: 0,
  clean: (t) => {
    const units = t.suggest('units', int(1, 32));
    const act = t.suggest('act', categorical(['relu', 'tanh', 'sigmoid', 'elu']));
    const x = t.suggest('x', uniform(0, 1));
    return 0.02 * (units - ACT_UNITS[act]!) ** 2 + ACT_OFFSET[act]! + 2 * (x - 0.3) ** 2;
  },
};

/** Hartmann-3 plus Gaussian noise (σ = 0.1, about 2.6% of its range); regret on the noiseless value. */
export const noisyHartmann3: Problem = {
  name: 'Noisy Hartmann-3 (σ = 0.1)',
  minimum: -3.86278214782076,
  noise: 0.1,
  clean: (t) => hartmann(unitBox(t, 3), H3_A, H3_P),
};

/**
 * A loss over log10(lr) ∈ [−6, 0] and log10(wd) ∈ [−7, −1] (log-uniform parameters): a tilted
 * quadratic bowl at (−3, −4.5) with a divergence cliff above lr = 0.1. Minimum 0.
 */
export const logScale: Problem = {
  name: 'Log-scale (lr, wd)',
  minimum: 0,
  noise: 0,
  clean: (t) => {
    const a = Math.log10(t.suggest('lr', loguniform(1e-6, 1))) + 3;
    const b = Math.log10(t.suggest('wd', loguniform(1e-7, 1e-1))) + 4.5;
    const cliff = a > 2 ? 2 * (a - 2) : 0;
    return 0.25 * a * a + 0.1 * b * b + 0.15 * a * b + cliff;
  },
};

/** Every problem, in report order. */
export const PROBLEMS: Problem[] = [branin, hartmann6, conditional, mixed, noisyHartmann3, logScale];

/**
 * The objective a study optimises for a problem: the noiseless value plus seeded Gaussian noise;
 * the noiseless value is kept in the trial's user attribute `clean`.
 */
export function objectiveOf(p: Problem, seed: number): (t: Trial) => number {
  return (t) => {
    const clean = p.clean(t);
    t.setUserAttr('clean', clean);
    return p.noise === 0 ? clean : clean + p.noise * new Rng(deriveSeed(seed, t.number, 'noise')).normal();
  };
}

/** Regret of one nn study per seed (seeds `seedBase` (1000), 1001, …), in memory, and the mean ms per study. */
export async function nnRegrets(
  p: Problem,
  sampler: SamplerLike,
  opts: { seeds: number; trials: number; seedBase?: number },
): Promise<{ regrets: number[]; msPerStudy: number }> {
  const regrets: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < opts.seeds; i++) {
    const seed = (opts.seedBase ?? 1000) + i;
    const s = study({ sampler, seed, onWarning: () => {} });
    await s.optimize(objectiveOf(p, seed), { trials: opts.trials });
    regrets.push((s.bestTrial.userAttrs.clean as number) - p.minimum);
  }
  return { regrets, msPerStudy: (performance.now() - t0) / opts.seeds };
}
