import { ewa } from '@nn/core';
import { biasVariance, type BiasVarianceOptions, type BiasVarianceResult } from './bias-variance.js';
import { InvalidErrorRateError, InvalidOptionError } from './errors.js';
import type { VegaLiteSpec } from './plot.js';
import type { HistoryLike } from './types.js';

/** What the shape of one metric's curves suggests. */
export type CurveKind = 'high bias' | 'high variance' | 'high bias and high variance' | 'ok' | 'too short';

/** Diagnosis of one metric (its training curve and, when present, its `val_` curve). */
export interface MetricDiagnosis {
  metric: string;
  kind: CurveKind;
  /** One or two sentences with the numbers behind {@link MetricDiagnosis.kind}. */
  text: string;
  /** Epoch (from `history.epoch` when given) at which the validation curve was best, if any. */
  bestValEpoch?: number;
}

/** Options for {@link trainingCurves}. */
export interface TrainingCurvesOptions extends BiasVarianceOptions {
  /**
   * Bayes error estimate for error-rate metrics (accuracy-like ones, whose error is `1 − value`,
   * and ones named `error`). The final epoch of each such metric is judged by {@link biasVariance}.
   * @default 0
   */
  bayesError?: number;
  /**
   * Relative gap `(val − train) / |val|` of a loss-like metric above which the gap is called variance.
   * @default 0.2
   */
  relativeGap?: number;
  /**
   * A loss-like training curve that ends above this fraction of its first value has a "high plateau".
   * @default 0.5
   */
  plateauRatio?: number;
  /**
   * Plot width and height of each panel in pixels.
   * @default { width: 280, height: 180 }
   */
  size?: { width: number; height: number };
  /**
   * β of an exponentially weighted average with the course's bias correction (`ewa` from
   * `@nn/core`: vₜ/(1 − βᵗ)) drawn as the line through each curve, the raw values as faint points —
   * for noisy curves. The diagnoses always read the raw values. @default 0 (no smoothing)
   */
  smoothing?: number;
}

/** Result of {@link trainingCurves}. */
export interface TrainingCurves {
  /** Vega-Lite spec: one panel per metric, training and validation curves against epoch. */
  spec: VegaLiteSpec;
  diagnoses: MetricDiagnosis[];
  /** The bias/variance analysis of the last epoch's accuracy-like metric, when there is one. */
  biasVariance?: BiasVarianceResult;
  /** A short summary of all diagnoses. */
  summary: string;
}

const HIGHER_IS_BETTER = /acc|auc|precision|recall|f1|iou|r2|dice/i;

/** True when larger values of this metric are better (accuracy, AUC, precision, ...). */
export function higherIsBetter(metric: string): boolean {
  return HIGHER_IS_BETTER.test(metric);
}

/**
 * How a metric maps to an error rate: `'accuracy'` when `1 − value` is one (accuracy-like),
 * `'error'` when the value is one (names ending in `error`/`err`), null otherwise.
 */
export function rateKind(metric: string, values: number[]): 'accuracy' | 'error' | null {
  if (!values.every((v) => v >= 0 && v <= 1)) return null;
  if (/acc/i.test(metric)) return 'accuracy';
  if (/(^|_)err(or)?(_rate)?$/i.test(metric)) return 'error';
  return null;
}

const fmt = (x: number) => (Math.abs(x) >= 0.01 || x === 0 ? x.toFixed(3) : x.toExponential(2));
/** An error rate as a percentage with at most 2 decimals (0.0053612 → '0.54%'). */
const pct = (x: number) => `${+(x * 100).toFixed(2)}%`;

function diagnoseMetric(
  metric: string, train: number[] | undefined, val: number[] | undefined, epochs: number[], o: Required<Pick<TrainingCurvesOptions, 'bayesError' | 'relativeGap' | 'plateauRatio'>> & BiasVarianceOptions,
): { d: MetricDiagnosis; bv?: BiasVarianceResult } {
  const series = train ?? val ?? [];
  if (series.length < 2) return { d: { metric, kind: 'too short', text: `${metric}: fewer than 2 epochs, no shape to judge.` } };
  const up = higherIsBetter(metric);
  // Work with "badness" (lower is better) throughout; accuracy-like rates become error rates.
  const rate = rateKind(metric, [...(train ?? []), ...(val ?? [])]);
  const bad = (v: number) => (rate === 'accuracy' ? 1 - v : rate === 'error' ? v : up ? -v : v);
  const notes: string[] = [];
  let variance = false;
  let bias = false;
  let bestValEpoch: number | undefined;
  let bv: BiasVarianceResult | undefined;

  if (val && val.length >= 2) {
    const vb = val.map(bad);
    let best = 0;
    for (let i = 1; i < vb.length; i++) if (vb[i]! < vb[best]!) best = i;
    bestValEpoch = epochs[best];
    const last = vb[vb.length - 1]!;
    const rise = last - vb[best]!;
    if (best < vb.length - 1 && rise > 0.05 * Math.max(Math.abs(vb[best]!), 1e-12) && vb.length - 1 - best >= 2) {
      variance = true;
      notes.push(`validation ${metric} was best at epoch ${bestValEpoch} and got worse after (overfitting: early stopping would keep epoch ${bestValEpoch})`);
    }
  }
  if (train && val && train.length >= 2 && val.length >= 2) {
    const t = bad(train[train.length - 1]!);
    const v = bad(val[val.length - 1]!);
    if (rate) {
      bv = biasVariance({ trainError: clamp01(t), valError: clamp01(v), bayesError: o.bayesError }, o);
      if (bv.verdict.includes('variance')) variance = true;
      if (bv.verdict.includes('bias')) bias = true;
      notes.push(`final error: train ${pct(t)}, validation ${pct(v)} (${bv.verdict})`);
    } else {
      const gap = (v - t) / Math.max(Math.abs(v), 1e-12);
      if (gap > o.relativeGap) {
        variance = true;
        notes.push(`validation ${metric} ends ${(gap * 100).toFixed(0)}% worse than training (gap → variance)`);
      }
    }
  }
  if (train && train.length >= 2 && !rate) {
    const first = bad(train[0]!);
    const last = bad(train[train.length - 1]!);
    const k = Math.max(1, Math.floor(train.length / 3));
    const recent = bad(train[train.length - 1 - k]!) - last; // improvement over the last third
    const total = first - last;
    const plateau = total <= 0 || recent <= 0.1 * total;
    // For loss-like metrics (lower is better, starting positive) "high" means not far below the start.
    const high = !up && first > 0 && last > o.plateauRatio * first;
    if (plateau && high) {
      bias = true;
      notes.push(`training ${metric} flattened at ${fmt(train[train.length - 1]!)}, ${((last / first) * 100).toFixed(0)}% of its first value (high plateau → bias)`);
    } else if (!plateau) {
      notes.push(`training ${metric} is still improving: training longer may help`);
    }
  }
  const kind: CurveKind = bias && variance ? 'high bias and high variance' : bias ? 'high bias' : variance ? 'high variance' : 'ok';
  const text = `${metric}: ${kind === 'ok' ? 'no sign of high bias or variance' : kind}` + (notes.length ? ` — ${notes.join('; ')}.` : '.');
  return { d: { metric, kind, text, ...(bestValEpoch !== undefined ? { bestValEpoch } : {}) }, ...(bv ? { bv } : {}) };
}

const clamp01 = (x: number) => Math.min(1, Math.max(0, x));

/**
 * Training and validation curves of every metric in a History against epoch, as a Vega-Lite spec
 * (one panel per metric), with a short diagnosis from each curve's shape: a widening gap between
 * training and validation means variance; a training curve that flattens high means bias.
 *
 * @param history - `fit`'s result, `{ history: { loss: [...], val_loss: [...], ... }, epoch?: [...] }`.
 * @param options - see {@link TrainingCurvesOptions}.
 * @returns the spec (render with {@link savePlot}), diagnoses per metric, and a summary.
 * @example
 * const { spec, summary } = trainingCurves(await model.fit(ds, { epochs: 10, validationData }));
 * console.log(summary);
 * await savePlot(spec, 'curves.svg');
 */
export function trainingCurves(history: HistoryLike, options: TrainingCurvesOptions = {}): TrainingCurves {
  if (!history || typeof history.history !== 'object' || history.history === null) {
    throw new InvalidOptionError('trainingCurves: history', history, 'a History object { history: Record<string, number[]> }');
  }
  const h = history.history;
  const bayesError = options.bayesError ?? 0;
  if (!(bayesError >= 0 && bayesError <= 1)) throw new InvalidErrorRateError('trainingCurves: options.bayesError', bayesError);
  const o = { ...options, bayesError, relativeGap: options.relativeGap ?? 0.2, plateauRatio: options.plateauRatio ?? 0.5 };
  // The learning rate is logged by fit but is a setting, not a metric: no curve diagnosis for it.
  const keys = Object.keys(h).filter((k) => k !== 'lr' && k !== 'val_lr');
  const metrics = [...new Set(keys.map((k) => (k.startsWith('val_') ? k.slice(4) : k)))];
  const length = Math.max(0, ...keys.map((k) => h[k]!.length));
  const epochs = history.epoch && history.epoch.length >= length ? history.epoch : Array.from({ length }, (_, i) => i);
  const smoothing = options.smoothing ?? 0;
  if (!(smoothing >= 0 && smoothing < 1)) throw new InvalidOptionError('trainingCurves: options.smoothing', smoothing, 'a number in [0, 1) (the β of an exponentially weighted average)');
  const rows: { epoch: number; metric: string; split: string; value: number; smoothed?: number }[] = [];
  for (const m of metrics) {
    for (const [split, key] of [['train', m], ['validation', `val_${m}`]] as const) {
      const finite = (h[key] ?? []).map((value, i) => ({ value, i })).filter(({ value }) => Number.isFinite(value));
      const smooth = smoothing > 0 ? ewa(finite.map((f) => f.value), smoothing) : null;
      finite.forEach(({ value, i }, j) => rows.push({ epoch: epochs[i]!, metric: m, split, value, ...(smooth ? { smoothed: smooth[j]! } : {}) }));
    }
  }
  const diagnoses: MetricDiagnosis[] = [];
  let bv: BiasVarianceResult | undefined;
  for (const m of metrics) {
    const r = diagnoseMetric(m, h[m], h[`val_${m}`], epochs, o);
    diagnoses.push(r.d);
    if (r.bv && !bv) bv = r.bv;
  }
  const { width, height } = options.size ?? { width: 280, height: 180 };
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    data: { values: rows },
    facet: { field: 'metric', type: 'nominal', title: null, sort: metrics },
    columns: Math.min(3, Math.max(1, metrics.length)),
    resolve: { scale: { y: 'independent' } },
    spec: smoothing > 0 ? {
      width, height,
      encoding: {
        x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1 } },
        color: { field: 'split', type: 'nominal', title: null, scale: { domain: ['train', 'validation'] } },
      },
      layer: [
        { mark: { type: 'point', opacity: 0.35, size: 12 }, encoding: { y: { field: 'value', type: 'quantitative', title: null, scale: { zero: false } } } },
        { mark: { type: 'line' }, encoding: { y: { field: 'smoothed', type: 'quantitative', title: null } } },
      ],
    } : {
      width, height,
      mark: { type: 'line', point: rows.length <= 200 },
      encoding: {
        x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1 } },
        y: { field: 'value', type: 'quantitative', title: null, scale: { zero: false } },
        color: { field: 'split', type: 'nominal', title: null, scale: { domain: ['train', 'validation'] } },
      },
    },
  } as unknown as VegaLiteSpec;
  const flagged = diagnoses.filter((d) => d.kind !== 'ok' && d.kind !== 'too short');
  const summary = flagged.length ? flagged.map((d) => d.text).join('\n') : `No sign of high bias or variance in ${metrics.join(', ')}.`;
  return { spec, diagnoses, summary, ...(bv ? { biasVariance: bv } : {}) };
}

/** One point of a learning curve. */
export interface LearningCurvePoint {
  /** Number of training examples used. */
  size: number;
  trainError: number;
  valError: number;
}

/** Options for {@link learningCurve}. */
export interface LearningCurveOptions extends BiasVarianceOptions {
  /** Training-set sizes to try, increasing positive integers. */
  sizes: number[];
  /** Trains a fresh model on the first `n` examples and returns its error rates (fractions in [0, 1]). */
  trainAndEvaluate: (n: number) => Promise<{ trainError: number; valError: number }> | { trainError: number; valError: number };
  /**
   * Bayes error estimate (e.g. human-level error).
   * @default 0
   */
  bayesError?: number;
  /** Called after each size with the point, e.g. for progress output. */
  onPoint?: (point: LearningCurvePoint) => void;
}

/** Result of {@link learningCurve}. */
export interface LearningCurve {
  points: LearningCurvePoint[];
  /** The bias/variance analysis at the largest size. */
  biasVariance: BiasVarianceResult;
  /** Whether validation error was still falling noticeably between the last two sizes. */
  stillImproving: boolean;
  /** A short diagnosis from the shape of the curve. */
  diagnosis: string;
  /** Vega-Lite spec: training and validation error against training-set size. */
  spec: VegaLiteSpec;
}

/**
 * A learning curve: trains on growing subsets and plots training and validation error against
 * training-set size. Curves that converge at a high error mean bias (more data will not help);
 * a gap that is still closing means variance (more data will help).
 *
 * @param options - sizes, the training function and thresholds; see {@link LearningCurveOptions}.
 * @returns the points, a diagnosis and a Vega-Lite spec.
 * @throws {@link InvalidOptionError} for bad sizes; {@link InvalidErrorRateError} for an error outside [0, 1].
 * @example
 * const lc = await learningCurve({ sizes: [500, 1000, 2000, 4000], bayesError: 0.01,
 *   trainAndEvaluate: async (n) => trainAndScore(trainSet.take(n)) });
 * console.log(lc.diagnosis);
 */
export async function learningCurve(options: LearningCurveOptions): Promise<LearningCurve> {
  const { sizes, trainAndEvaluate } = options;
  if (!Array.isArray(sizes) || sizes.length < 2 || sizes.some((s, i) => !Number.isInteger(s) || s <= 0 || (i > 0 && s <= sizes[i - 1]!))) {
    throw new InvalidOptionError('learningCurve: sizes', sizes, 'at least two increasing positive integers');
  }
  if (typeof trainAndEvaluate !== 'function') throw new InvalidOptionError('learningCurve: trainAndEvaluate', trainAndEvaluate, 'a function (n) => { trainError, valError }');
  const bayesError = options.bayesError ?? 0;
  const points: LearningCurvePoint[] = [];
  for (const size of sizes) {
    const r = await trainAndEvaluate(size);
    for (const k of ['trainError', 'valError'] as const) {
      const v = r?.[k];
      if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new InvalidErrorRateError(`learningCurve: trainAndEvaluate(${size}).${k}`, v);
    }
    const p = { size, trainError: r.trainError, valError: r.valError };
    points.push(p);
    options.onPoint?.(p);
  }
  const last = points[points.length - 1]!;
  const prev = points[points.length - 2]!;
  const bv = biasVariance({ trainError: last.trainError, valError: last.valError, bayesError }, options);
  // "Still improving": validation error fell by more than 10% of the remaining gap over the last step.
  const fall = prev.valError - last.valError;
  const stillImproving = fall > 0.1 * Math.max(last.valError - last.trainError, 1e-12) && fall > 1e-4;
  let diagnosis: string;
  switch (bv.verdict) {
    case 'high variance':
      diagnosis = `High variance: validation error (${fmt(last.valError)}) stays well above training error (${fmt(last.trainError)}) at ${last.size} examples` +
        (stillImproving ? ' and is still falling with more data: more data should help.' : '; the gap has stopped closing, so regularization is the better lever than more data.');
      break;
    case 'high bias':
      diagnosis = `High bias: training and validation error converge at ${fmt(last.valError)}, well above the Bayes estimate ${fmt(bayesError)}: more data will not help; use a bigger network or train longer.`;
      break;
    case 'high bias and high variance':
      diagnosis = `High bias and high variance: training error ${fmt(last.trainError)} is far above the Bayes estimate and validation error ${fmt(last.valError)} far above training error.` +
        (stillImproving ? ' Validation error is still falling with more data.' : '');
      break;
    case 'neither':
      diagnosis = `Neither: training and validation error meet near the Bayes estimate at ${last.size} examples.`;
      break;
    default:
      diagnosis = `Cannot tell bias: training error is below the Bayes estimate. ${bv.explanation}`;
  }
  const rows = points.flatMap((p) => [
    { size: p.size, split: 'train', error: p.trainError },
    { size: p.size, split: 'validation', error: p.valError },
  ]);
  const layers: unknown[] = [{
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'size', type: 'quantitative', title: 'training-set size' },
      y: { field: 'error', type: 'quantitative', title: 'error' },
      color: { field: 'split', type: 'nominal', title: null, scale: { domain: ['train', 'validation', 'Bayes estimate'] } },
    },
  }];
  if (bayesError > 0) {
    layers.push({ data: { values: [{ error: bayesError, split: 'Bayes estimate' }] }, mark: { type: 'rule', strokeDash: [4, 4] },
      encoding: { y: { field: 'error', type: 'quantitative' }, color: { field: 'split', type: 'nominal' } } });
  }
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Learning curve', width: 360, height: 220, data: { values: rows }, layer: layers,
  } as unknown as VegaLiteSpec;
  return { points, biasVariance: bv, stillImproving, diagnosis, spec };
}

/**
 * Alias of {@link trainingCurves} (the name used in the API sketch): every metric of a History
 * against epoch, with a diagnosis.
 * @example
 * console.log(learningCurves(history).summary);
 */
export const learningCurves = trainingCurves;
