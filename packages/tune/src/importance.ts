/**
 * Hyperparameter importance, as Optuna's evaluators: fANOVA (the default; a random forest's
 * main-effect variance per parameter, see fanova.ts) or PED-ANOVA (Watanabe et al. 2023: how far the
 * distribution of a parameter's values in the best trials is from their distribution over all
 * trials or the whole space, by the Pearson divergence of two Parzen estimators).
 */
import { type Distribution, type DistributionJSON, distributionFromJSON, int } from './distributions.js';
import { InvalidOptionError, TuneError } from './errors.js';
import { fanova } from './fanova.js';
import { ParzenEstimator } from './samplers/parzen.js';
import type { Direction, FrozenTrial } from './types.js';

/** Options of {@link Study.importance}. */
export interface ImportanceOptions {
  /**
   * `'fanova'`: the share of the objective's variance each parameter explains on its own, from a
   * random forest fitted to the trials (robust to where the sampler went: an irrelevant parameter
   * scores near 0 even under TPE). `'ped-anova'`: how concentrated each parameter is in the best
   * trials (fast; no model, but it reflects the sampler's choices as well as the objective).
   * @default 'fanova'
   */
  evaluator?: 'fanova' | 'ped-anova';
  /** Parameters to rate. @default every parameter that all complete trials share (single-valued ones left out) */
  params?: string[];
  /** fANOVA: trees in the forest. @default 64 */
  nTrees?: number;
  /** fANOVA: seed of the forest's bootstrap samples. @default 0 */
  seed?: number;
  /** PED-ANOVA: fraction of complete trials that count as the best ones (at least 2 trials). @default 0.1 */
  baselineQuantile?: number;
  /**
   * PED-ANOVA: 
   * Compare the best trials with all complete trials (`true`: what mattered in this search) or
   * with the uniform distribution over each space (`false`: what matters over the whole space).
   * @default true
   */
  evaluateOnLocal?: boolean;
}

/** Not enough complete trials to rate parameters. */
export class NotEnoughTrialsError extends TuneError {
  override name = 'NotEnoughTrialsError';
  constructor(
    readonly studyName: string,
    readonly completed: number,
  ) {
    super(`Study "${studyName}": importance needs at least 2 complete trials with the rated parameters, got ${completed}; run more trials.`);
  }
}

/** Grid points per numerical parameter (Optuna's PED-ANOVA uses 50). */
const N_STEPS = 50;
const PARZEN = { priorWeight: 1, considerMagicClip: true, considerEndpoints: false, bandwidthWeighted: true, multivariate: false, jointBandwidth: 'neighbours' as const };

/**
 * Rates each parameter (fANOVA or PED-ANOVA); the importances sum to 1, sorted from the most to
 * the least important.
 *
 * @param trials - The study's trials (only complete ones are used).
 * @param direction - The study's direction.
 * @param studyName - For error messages.
 * @param options - See {@link ImportanceOptions}.
 */
export function parameterImportance(
  trials: readonly FrozenTrial[],
  direction: Direction,
  studyName: string,
  options: ImportanceOptions = {},
): Record<string, number> {
  const q = options.baselineQuantile ?? 0.1;
  if (!(q > 0 && q <= 1)) throw new InvalidOptionError('importance()', 'baselineQuantile', q, 'a fraction in (0, 1]');
  const local = options.evaluateOnLocal ?? true;
  const done = trials.filter((t) => t.state === 'complete' && t.value !== null && Number.isFinite(t.value));
  const space = sharedSpace(done);
  const names = options.params ?? [...space.keys()];
  for (const n of names) {
    if (!space.has(n)) {
      throw new InvalidOptionError('importance()', 'params', n, `a parameter with one distribution in every complete trial (${[...space.keys()].join(', ') || 'none'})`);
    }
  }
  if (done.length < 2) throw new NotEnoughTrialsError(studyName, done.length);
  const evaluator = options.evaluator ?? 'fanova';
  if (evaluator !== 'fanova' && evaluator !== 'ped-anova') throw new InvalidOptionError('importance()', 'evaluator', evaluator, '"fanova" or "ped-anova"');
  if (evaluator === 'fanova') {
    const dists = names.map((n) => space.get(n)!);
    const xs = done.map((t) =>
      names.map((n, i) => {
        const d = dists[i]!;
        const v = t.params[n]!.internal;
        return d.kind === 'categorical' ? v : (v - d.internalLow) / (d.internalHigh - d.internalLow);
      }),
    );
    const cols = dists.map((d) => ({ categorical: d.kind === 'categorical', choices: d.internalHigh + 1 }));
    const raw = fanova(xs, done.map((t) => t.value!), cols, { nTrees: options.nTrees ?? 64, seed: options.seed ?? 0 });
    return normalise(names.map((n, i) => [n, raw[i]!] as const));
  }
  const sign = direction === 'minimize' ? 1 : -1;
  const ranked = [...done].sort((a, b) => sign * (a.value! - b.value!));
  const top = ranked.slice(0, Math.max(2, Math.ceil(q * done.length)));
  return normalise(names.map((n) => [n, pearsonDivergence(n, space.get(n)!, top, done, local)] as const));
}

/** Scores → shares summing to 1 (equal shares when every score is 0), most important first. */
function normalise(raw: ReadonlyArray<readonly [string, number]>): Record<string, number> {
  const total = raw.reduce((s, [, v]) => s + v, 0);
  return Object.fromEntries(raw.map(([n, v]) => [n, total > 0 ? v / total : 1 / raw.length] as const).sort((a, b) => b[1] - a[1]));
}

/** Parameters present in every trial with one distribution, leaving out single-valued ones. */
function sharedSpace(done: readonly FrozenTrial[]): Map<string, Distribution> {
  let keys: Map<string, string> | null = null;
  for (const t of done) {
    const mine = new Map(Object.entries(t.params).map(([n, p]) => [n, JSON.stringify(p.distribution)]));
    if (keys === null) keys = mine;
    else for (const [n, k] of keys) if (mine.get(n) !== k) keys.delete(n);
  }
  const out = new Map<string, Distribution>();
  for (const [n, k] of keys ?? []) {
    const d = distributionFromJSON(JSON.parse(k) as DistributionJSON);
    if (d.internalLow !== d.internalHigh) out.set(n, d);
  }
  return out;
}

/**
 * Σ_b p_region(b)·(p_top(b)/p_region(b) − 1)² over a grid: each categorical choice, each integer
 * of a small integer space, else 50 equal bins of the internal (log for log scales) range.
 */
function pearsonDivergence(name: string, dist: Distribution, top: readonly FrozenTrial[], all: readonly FrozenTrial[], local: boolean): number {
  const nSteps = dist.kind === 'categorical' || (dist.internalStep !== null && (dist.internalHigh - dist.internalLow) / dist.internalStep + 1 <= N_STEPS)
    ? Math.round((dist.internalHigh - dist.internalLow) / dist.internalStep!) + 1
    : N_STEPS;
  const bin = (x: number): number => Math.min(nSteps - 1, Math.max(0, Math.round(((x - dist.internalLow) / (dist.internalHigh - dist.internalLow)) * (nSteps - 1))));
  const gridDist = dist.kind === 'categorical' ? dist : int(0, nSteps - 1);
  const pdf = (ts: readonly FrozenTrial[]): number[] => {
    const obs = ts.map((t) => [bin(t.params[name]!.internal)]);
    const pe = new ParzenEstimator(obs, obs.map(() => 1), [gridDist], PARZEN);
    return Array.from({ length: nSteps }, (_, b) => Math.exp(pe.logPdf([b])) + 1e-12);
  };
  const pTop = pdf(top);
  const pRegion = local ? pdf(all) : new Array<number>(nSteps).fill(1 / nSteps);
  return pRegion.reduce((s, pr, b) => s + pr * (pTop[b]! / pr - 1) ** 2, 0);
}
