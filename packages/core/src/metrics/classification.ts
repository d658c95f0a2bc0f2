import { ShapeError, ValueError } from '../errors';
import { Tensor } from '../tensor';
import type { Metric } from './metric';

// Error analysis on the host, computed as scikit-learn 1.2 computes it (`sklearn.metrics`):
// confusion matrix, per-class precision/recall/F1, ROC-AUC (exact trapezoid over every distinct
// threshold) and average precision (step-wise PR area). Inputs are small (an evaluation set), so
// everything is plain float64 loops over `dataSync()`.

/** Class labels: a tensor or array of integers, `[N]` / `[N, 1]`, or one-hot / scores `[N, C]` (argmax is taken). */
export type LabelsLike = Tensor | ArrayLike<number> | ArrayLike<ArrayLike<number>>;
/** Scores: `[N]` for binary (score of the positive class), or `[N, C]` (probabilities or logits) for C classes. */
export type ScoresLike = Tensor | ArrayLike<number> | ArrayLike<ArrayLike<number>>;

interface Rows {
  data: Float64Array;
  rows: number;
  cols: number;
}

function rowsOf(where: string, x: LabelsLike | ScoresLike): Rows {
  if (x instanceof Tensor) {
    const cols = x.rank <= 1 ? 1 : x.shape[x.rank - 1]!;
    return { data: Float64Array.from(x.dataSync() as ArrayLike<number>), rows: cols === 0 ? 0 : x.size / cols, cols };
  }
  const n = x.length;
  if (n > 0 && typeof x[0] === 'object') {
    const a = x as ArrayLike<ArrayLike<number>>;
    const cols = a[0]!.length;
    const data = new Float64Array(n * cols);
    for (let r = 0; r < n; r++) {
      if (a[r]!.length !== cols) throw new ShapeError(where, `row ${r} has ${a[r]!.length} values, row 0 has ${cols}`, [[n, cols]]);
      for (let c = 0; c < cols; c++) data[r * cols + c] = a[r]![c]!;
    }
    return { data, rows: n, cols };
  }
  return { data: Float64Array.from(x as ArrayLike<number>), rows: n, cols: 1 };
}

/** Integer labels from sparse labels or argmax of one-hot/scores rows. */
function labelsOf(where: string, x: LabelsLike): Int32Array {
  const b = rowsOf(where, x);
  const out = new Int32Array(b.rows);
  for (let r = 0; r < b.rows; r++) {
    if (b.cols === 1) {
      const v = b.data[r]!;
      if (!Number.isInteger(v) || v < 0) throw new ValueError(`${where}: labels must be integers ≥ 0, got ${v} at index ${r}.`, where, 'Pass class indices, or one-hot/score rows of shape [N, C].');
      out[r] = v;
    } else {
      let best = 0;
      for (let c = 1; c < b.cols; c++) if (b.data[r * b.cols + c]! > b.data[r * b.cols + best]!) best = c;
      out[r] = best;
    }
  }
  return out;
}

function weightsOf(where: string, sw: ArrayLike<number> | Tensor | undefined, n: number): Float64Array {
  if (sw === undefined) return new Float64Array(n).fill(1);
  const w = Float64Array.from(sw instanceof Tensor ? (sw.dataSync() as ArrayLike<number>) : sw);
  if (w.length !== n) throw new ShapeError(where, `sampleWeight needs one weight per sample (${n})`, [[w.length]]);
  return w;
}

/** Options of {@link confusionMatrix}. */
export interface ConfusionMatrixOptions {
  /** Number of classes C (the matrix is C×C). @default 1 + the largest label seen */
  numClasses?: number;
  /**
   * scikit-learn's `normalize`: `'true'` divides each row by its count (row = recall per class),
   * `'pred'` each column (column = precision per class), `'all'` by the total; an empty row or
   * column gives 0s. `null`: raw counts. @default null
   */
  normalize?: 'true' | 'pred' | 'all' | null;
  /** One weight per sample. @default all 1 */
  sampleWeight?: ArrayLike<number> | Tensor;
}

/**
 * Multi-class confusion matrix as scikit-learn's `confusion_matrix`: `m[i][j]` counts samples of
 * true class i predicted as class j (rows: truth, columns: prediction).
 *
 * @param yTrue - true labels `[N]`, or one-hot rows `[N, C]`.
 * @param yPred - predicted labels `[N]`, or scores/probabilities/logits `[N, C]` (argmax is taken).
 * @param options - see {@link ConfusionMatrixOptions}.
 * @returns a C×C array of counts (or fractions when normalised).
 * @throws {@link ShapeError} when yTrue and yPred have different lengths; {@link ValueError} for a label ≥ numClasses.
 * @example
 * ```ts
 * confusionMatrix([0, 1, 2, 2], [0, 2, 2, 1]); // [[1,0,0],[0,0,1],[0,1,1]]
 * confusionMatrix([0, 1, 2, 2], [0, 2, 2, 1], { normalize: 'true' }); // rows sum to 1
 * ```
 */
export function confusionMatrix(yTrue: LabelsLike, yPred: LabelsLike, options: ConfusionMatrixOptions = {}): number[][] {
  const where = 'confusionMatrix';
  const t = labelsOf(where, yTrue), p = labelsOf(where, yPred);
  if (t.length !== p.length) throw new ShapeError(where, 'yTrue and yPred need one label per sample', [[t.length], [p.length]]);
  const w = weightsOf(where, options.sampleWeight, t.length);
  let C = options.numClasses ?? 0;
  if (options.numClasses === undefined) for (let i = 0; i < t.length; i++) C = Math.max(C, t[i]! + 1, p[i]! + 1);
  if (!(Number.isInteger(C) && C >= 1)) throw new ValueError(`${where}: numClasses must be an integer ≥ 1, got ${C}.`, where);
  const m = Array.from({ length: C }, () => new Array<number>(C).fill(0));
  for (let i = 0; i < t.length; i++) {
    if (t[i]! >= C || p[i]! >= C) throw new ValueError(`${where}: label ${Math.max(t[i]!, p[i]!)} at index ${i} is ≥ numClasses ${C}.`, where);
    m[t[i]!]![p[i]!]! += w[i]!;
  }
  const norm = options.normalize ?? null;
  if (norm === null) return m;
  if (norm === 'true') return m.map((row) => {
    const s = row.reduce((a, b) => a + b, 0);
    return row.map((v) => (s === 0 ? 0 : v / s));
  });
  if (norm === 'pred') {
    const s = m[0]!.map((_, j) => m.reduce((a, row) => a + row[j]!, 0));
    return m.map((row) => row.map((v, j) => (s[j] === 0 ? 0 : v / s[j]!)));
  }
  if (norm === 'all') {
    const s = m.reduce((a, row) => a + row.reduce((x, y) => x + y, 0), 0);
    return m.map((row) => row.map((v) => (s === 0 ? 0 : v / s)));
  }
  throw new ValueError(`${where}: normalize must be 'true', 'pred', 'all' or null, got '${String(norm)}'.`, where);
}

/** Precision, recall, F1 and support of one class (or an average). */
export interface ClassScores {
  precision: number;
  recall: number;
  f1: number;
  /** Number (or total weight) of samples whose true class this is. */
  support: number;
}

/** Result of {@link classificationReport}: scikit-learn's `classification_report(output_dict=True)`. */
export interface ClassificationReport {
  /** One entry per class, in class order; `name` from `classNames` or the index. */
  perClass: (ClassScores & { label: number; name: string })[];
  /** Unweighted mean over classes. */
  macro: ClassScores;
  /** Mean over classes weighted by support. */
  weighted: ClassScores;
  /** Share of samples predicted right. */
  accuracy: number;
  /** The raw confusion matrix the scores come from. */
  matrix: number[][];
}

/** Options of {@link classificationReport}. */
export interface ClassificationReportOptions {
  /** @default 1 + the largest label seen, or `classNames.length` */
  numClasses?: number;
  /** Names for the classes, e.g. Fashion-MNIST's `'T-shirt/top'`. @default the indices */
  classNames?: readonly string[];
  /** One weight per sample. @default all 1 */
  sampleWeight?: ArrayLike<number> | Tensor;
}

/**
 * Per-class precision, recall, F1 and support, with macro and weighted averages and accuracy —
 * scikit-learn's `classification_report` / `precision_recall_fscore_support` with
 * `zero_division=0` (a class never predicted has precision 0; one never present has recall 0).
 *
 * @param yTrue - true labels `[N]`, or one-hot rows `[N, C]`.
 * @param yPred - predicted labels `[N]`, or scores `[N, C]` (argmax is taken).
 * @param options - see {@link ClassificationReportOptions}.
 * @example
 * ```ts
 * const r = classificationReport(yTest, logits, { classNames: ['cat', 'dog'] });
 * r.perClass[1].recall; r.macro.f1;
 * console.log(formatClassificationReport(r));
 * ```
 */
export function classificationReport(yTrue: LabelsLike, yPred: LabelsLike, options: ClassificationReportOptions = {}): ClassificationReport {
  const numClasses = options.numClasses ?? options.classNames?.length;
  const m = confusionMatrix(yTrue, yPred, { numClasses, sampleWeight: options.sampleWeight });
  const C = m.length;
  if (options.classNames && options.classNames.length !== C) throw new ValueError(`classificationReport: ${options.classNames.length} class names for ${C} classes.`, 'classificationReport');
  const perClass = m.map((row, c) => {
    const tp = row[c]!;
    const support = row.reduce((a, b) => a + b, 0);
    const predicted = m.reduce((a, r) => a + r[c]!, 0);
    const precision = predicted === 0 ? 0 : tp / predicted;
    const recall = support === 0 ? 0 : tp / support;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    return { label: c, name: options.classNames?.[c] ?? String(c), precision, recall, f1, support };
  });
  const total = perClass.reduce((a, s) => a + s.support, 0);
  const avg = (weighted: boolean): ClassScores => {
    const wt = (s: ClassScores) => (weighted ? (total === 0 ? 0 : s.support / total) : 1 / C);
    const f = (k: 'precision' | 'recall' | 'f1') => perClass.reduce((a, s) => a + wt(s) * s[k], 0);
    return { precision: f('precision'), recall: f('recall'), f1: f('f1'), support: total };
  };
  const correct = m.reduce((a, row, c) => a + row[c]!, 0);
  return { perClass, macro: avg(false), weighted: avg(true), accuracy: total === 0 ? 0 : correct / total, matrix: m };
}

/**
 * The report as a fixed-width text table (scikit-learn's layout, 4 decimals).
 *
 * @param report - from {@link classificationReport}.
 * @example
 * ```ts
 * console.log(formatClassificationReport(classificationReport(y, logits)));
 * ```
 */
export function formatClassificationReport(report: ClassificationReport): string {
  const w = Math.max(12, ...report.perClass.map((s) => s.name.length));
  const f = (v: number) => v.toFixed(4).padStart(10);
  const n = (v: number) => String(Math.round(v * 1e6) / 1e6).padStart(10);
  const line = (name: string, s: ClassScores) => `${name.padStart(w)}${f(s.precision)}${f(s.recall)}${f(s.f1)}${n(s.support)}`;
  return [
    `${''.padStart(w)}${'precision'.padStart(10)}${'recall'.padStart(10)}${'f1-score'.padStart(10)}${'support'.padStart(10)}`,
    ...report.perClass.map((s) => line(s.name, s)),
    '',
    `${'accuracy'.padStart(w)}${''.padStart(20)}${f(report.accuracy)}${n(report.macro.support)}`,
    line('macro avg', report.macro),
    line('weighted avg', report.weighted),
  ].join('\n');
}

/** A curve from {@link rocCurve} or {@link precisionRecallCurve}, thresholds descending. */
export interface Curve {
  x: number[];
  y: number[];
  thresholds: number[];
}

/**
 * Cumulative weighted true and false positives at each distinct score, scores descending
 * (scikit-learn's `_binary_clf_curve`).
 */
function binaryCounts(truth: ArrayLike<number>, score: ArrayLike<number>, w: ArrayLike<number>) {
  const idx = Array.from({ length: score.length }, (_, i) => i).sort((a, b) => score[b]! - score[a]!);
  const tps: number[] = [], fps: number[] = [], thr: number[] = [];
  let tp = 0, fp = 0;
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k]!;
    if (truth[i]) tp += w[i]!;
    else fp += w[i]!;
    if (k === idx.length - 1 || score[idx[k + 1]!]! !== score[i]!) (tps.push(tp), fps.push(fp), thr.push(score[i]!));
  }
  return { tps, fps, thr };
}

function binaryInputs(where: string, yTrue: LabelsLike, yScore: ScoresLike, sampleWeight?: ArrayLike<number> | Tensor) {
  const t = rowsOf(where, yTrue), s = rowsOf(where, yScore);
  if (t.cols !== 1 || s.cols !== 1) throw new ShapeError(where, 'a binary curve needs yTrue [N] (0/1) and yScore [N]', [[t.rows, t.cols], [s.rows, s.cols]], 'For C classes use rocAucScore/averagePrecisionScore, which take scores [N, C].');
  if (t.rows !== s.rows) throw new ShapeError(where, 'yTrue and yScore need one value per sample', [[t.rows], [s.rows]]);
  for (let i = 0; i < t.rows; i++) if (t.data[i] !== 0 && t.data[i] !== 1) throw new ValueError(`${where}: binary yTrue must be 0 or 1, got ${t.data[i]} at index ${i}.`, where);
  return { truth: t.data, score: s.data, w: weightsOf(where, sampleWeight, t.rows) };
}

/**
 * ROC curve (false-positive rate x, true-positive rate y) at every distinct score, as scikit-learn's
 * `roc_curve(drop_intermediate=False)`; starts at (0, 0) with threshold +Infinity.
 *
 * @param yTrue - 0/1 labels `[N]`.
 * @param yScore - scores `[N]`, higher meaning "more positive".
 * @param sampleWeight - one weight per sample. @default all 1
 * @throws {@link ValueError} when yTrue has only one class (the rates are undefined).
 * @example
 * ```ts
 * rocCurve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]); // x [0,0,0.5,0.5,1], y [0,0.5,0.5,1,1]
 * ```
 */
export function rocCurve(yTrue: LabelsLike, yScore: ScoresLike, sampleWeight?: ArrayLike<number> | Tensor): Curve {
  const where = 'rocCurve';
  const { truth, score, w } = binaryInputs(where, yTrue, yScore, sampleWeight);
  const { tps, fps, thr } = binaryCounts(truth, score, w);
  const P = tps[tps.length - 1] ?? 0, N = fps[fps.length - 1] ?? 0;
  if (P === 0 || N === 0) throw new ValueError(`${where}: only one class present in yTrue; ROC is not defined.`, where);
  return { x: [0, ...fps.map((v) => v / N)], y: [0, ...tps.map((v) => v / P)], thresholds: [Infinity, ...thr] };
}

/**
 * Precision (y) against recall (x) at every distinct score, as scikit-learn's
 * `precision_recall_curve` but ordered by threshold descending (recall rising), starting at
 * (recall 0, precision 1).
 *
 * @param yTrue - 0/1 labels `[N]`.
 * @param yScore - scores `[N]`.
 * @param sampleWeight - one weight per sample. @default all 1
 * @throws {@link ValueError} when yTrue has no positive.
 * @example
 * ```ts
 * precisionRecallCurve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]);
 * ```
 */
export function precisionRecallCurve(yTrue: LabelsLike, yScore: ScoresLike, sampleWeight?: ArrayLike<number> | Tensor): Curve {
  const where = 'precisionRecallCurve';
  const { truth, score, w } = binaryInputs(where, yTrue, yScore, sampleWeight);
  const { tps, fps, thr } = binaryCounts(truth, score, w);
  const P = tps[tps.length - 1] ?? 0;
  if (P === 0) throw new ValueError(`${where}: no positive sample in yTrue; recall is not defined.`, where);
  return { x: [0, ...tps.map((v) => v / P)], y: [1, ...tps.map((v, i) => (v + fps[i]! === 0 ? 1 : v / (v + fps[i]!)))], thresholds: [Infinity, ...thr] };
}

/** Options of {@link rocAucScore} and {@link averagePrecisionScore}. */
export interface AucOptions {
  /**
   * For scores `[N, C]`, C > 1: how the one-vs-rest per-class areas are combined — `'macro'`
   * (mean), `'weighted'` (by class prevalence), or `null` (the per-class array). @default 'macro'
   */
  average?: 'macro' | 'weighted' | null;
  /** One weight per sample. @default all 1 */
  sampleWeight?: ArrayLike<number> | Tensor;
}

/** Area under a curve by the trapezoid rule (scikit-learn's `auc`). */
function trapezoid(c: Curve): number {
  let a = 0;
  for (let i = 1; i < c.x.length; i++) a += ((c.x[i]! - c.x[i - 1]!) * (c.y[i]! + c.y[i - 1]!)) / 2;
  return a;
}

/** Step-wise PR area Σ (Rₙ − Rₙ₋₁)·Pₙ (scikit-learn's `average_precision_score`, no interpolation). */
function stepArea(c: Curve): number {
  let a = 0;
  for (let i = 1; i < c.x.length; i++) a += (c.x[i]! - c.x[i - 1]!) * c.y[i]!;
  return a;
}

function overClasses(where: string, area: (t: LabelsLike, s: ScoresLike, w?: ArrayLike<number> | Tensor) => number, yTrue: LabelsLike, yScore: ScoresLike, o: AucOptions): number | number[] {
  const s = rowsOf(where, yScore);
  if (s.cols === 1) return area(yTrue, s.data, o.sampleWeight);
  const t = labelsOf(where, yTrue);
  if (t.length !== s.rows) throw new ShapeError(where, 'yTrue and yScore need one row per sample', [[t.length], [s.rows, s.cols]]);
  const w = weightsOf(where, o.sampleWeight, t.length);
  const per: number[] = [], prevalence: number[] = [];
  for (let c = 0; c < s.cols; c++) {
    const truth = Array.from(t, (v) => +(v === c));
    const col = Array.from({ length: s.rows }, (_, r) => s.data[r * s.cols + c]!);
    per.push(area(truth, col, w));
    prevalence.push(truth.reduce((a, v, i) => a + v * w[i]!, 0));
  }
  const avg = o.average === undefined ? 'macro' : o.average;
  if (avg === null) return per;
  if (avg === 'macro') return per.reduce((a, b) => a + b, 0) / per.length;
  if (avg === 'weighted') {
    const tot = prevalence.reduce((a, b) => a + b, 0);
    return per.reduce((a, v, c) => a + (v * prevalence[c]!) / tot, 0);
  }
  throw new ValueError(`${where}: average must be 'macro', 'weighted' or null, got '${String(avg)}'.`, where);
}

/**
 * Area under the ROC curve, computed as scikit-learn's `roc_auc_score`: the exact trapezoid area
 * over every distinct score (equal to the probability that a random positive scores above a random
 * negative, ties counting ½). With scores `[N, C]` and integer (or one-hot) labels: one-vs-rest
 * (`multi_class='ovr'`), averaged as `options.average` says.
 *
 * Keras' `AUC` differs: it buckets scores into `num_thresholds=200` evenly spaced thresholds in
 * [0, 1] and sums trapezoids over those (`summation_method='interpolation'`), so it is an
 * approximation that depends on the score scale (it needs probabilities, not logits) and on
 * ties inside a bucket. This function (and the {@link AUC} metric) is the exact scikit-learn value.
 *
 * @param yTrue - 0/1 labels `[N]` with binary scores; class labels `[N]` or one-hot `[N, C]` with scores `[N, C]`.
 * @param yScore - `[N]` (binary) or `[N, C]` (probabilities or logits: only the order matters).
 * @param options - see {@link AucOptions}.
 * @returns the area, or per-class areas with `average: null`.
 * @throws {@link ValueError} when a class is absent from yTrue (ROC undefined for it).
 * @example
 * ```ts
 * rocAucScore([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]); // 0.75
 * rocAucScore(labels, probs); // one-vs-rest macro over C classes
 * ```
 */
export function rocAucScore(yTrue: LabelsLike, yScore: ScoresLike, options: AucOptions = {}): number | number[] {
  return overClasses('rocAucScore', (t, s, w) => trapezoid(rocCurve(t, s, w)), yTrue, yScore, options);
}

/**
 * Area under the precision–recall curve as scikit-learn's `average_precision_score`: the step-wise
 * sum Σₙ (Rₙ − Rₙ₋₁)·Pₙ over distinct thresholds, with no interpolation (neither the trapezoid,
 * which is optimistic on PR curves, nor Keras' `AUC(curve='PR')`, which interpolates over 200
 * thresholds as Davis & Goadrich describe). Multi-class scores `[N, C]`: one-vs-rest, averaged.
 *
 * @param yTrue - 0/1 labels `[N]` with binary scores; class labels `[N]` or one-hot `[N, C]` with scores `[N, C]`.
 * @param yScore - `[N]` or `[N, C]`.
 * @param options - see {@link AucOptions}.
 * @throws {@link ValueError} when a class has no positive sample.
 * @example
 * ```ts
 * averagePrecisionScore([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]); // 0.8333…
 * ```
 */
export function averagePrecisionScore(yTrue: LabelsLike, yScore: ScoresLike, options: AucOptions = {}): number | number[] {
  return overClasses('averagePrecisionScore', (t, s, w) => stepArea(precisionRecallCurve(t, s, w)), yTrue, yScore, options);
}

/** Options of {@link AUC}. */
export interface AUCOptions {
  /** `'ROC'` ({@link rocAucScore}) or `'PR'` ({@link averagePrecisionScore}). @default 'ROC' */
  curve?: 'ROC' | 'PR';
  /** @default 'auc' */
  name?: string;
}

/**
 * Area under the ROC or PR curve as a compile metric (`metrics: [new AUC()]` or `'auc'`), exact
 * as scikit-learn computes it: it keeps every score of the epoch and calls {@link rocAucScore}
 * or {@link averagePrecisionScore} in `result()`. Binary `[N, 1]` predictions are one curve;
 * `[N, C]` predictions with integer or one-hot targets are one-vs-rest, macro-averaged.
 *
 * Unlike Keras' `AUC` (200 fixed thresholds, interpolated; multi-class rows flattened into one
 * binary problem), this is exact and per class; it returns 0 until both classes have been seen.
 *
 * @example
 * ```ts
 * model.compile({ optimizer: 'adam', loss: 'binary_crossentropy', metrics: [new AUC()] });
 * ```
 */
export class AUC implements Metric {
  readonly name: string;
  readonly curve: 'ROC' | 'PR';
  private truth: number[] = [];
  private scores: number[] = [];
  private cols = 0;
  constructor(o: AUCOptions = {}) {
    this.curve = o.curve ?? 'ROC';
    this.name = o.name ?? (this.curve === 'PR' ? 'pr_auc' : 'auc');
    if (this.curve !== 'ROC' && this.curve !== 'PR') throw new ValueError(`AUC: curve must be 'ROC' or 'PR', got '${String(this.curve)}'.`, 'AUC');
  }
  update(yTrue: Tensor, yPred: Tensor, sampleWeight?: Tensor): void {
    if (sampleWeight) throw new ValueError('AUC: sampleWeight is not supported by the compile metric.', 'AUC', 'Call rocAucScore(yTrue, yScore, { sampleWeight }) on the whole set instead.');
    const s = rowsOf(this.name, yPred);
    if (this.cols && s.cols !== this.cols) throw new ShapeError(this.name, `predictions changed from ${this.cols} to ${s.cols} columns`, [yPred.shape]);
    this.cols = s.cols;
    const t = s.cols === 1 ? rowsOf(this.name, yTrue).data : labelsOf(this.name, yTrue);
    if (t.length !== s.rows) throw new ShapeError(this.name, 'one target per prediction row', [yTrue.shape, yPred.shape]);
    for (let i = 0; i < t.length; i++) this.truth.push(s.cols === 1 ? +(t[i]! > 0.5) : t[i]!);
    for (let i = 0; i < s.data.length; i++) this.scores.push(s.data[i]!);
  }
  result(): number {
    if (this.truth.length === 0) return 0;
    const C = this.cols;
    // Every class must be present (and for binary ROC, both 0 and 1); until then the area is undefined.
    const present = new Set(this.truth);
    const needed = C === 1 ? (this.curve === 'ROC' ? [0, 1] : [1]) : Array.from({ length: C }, (_, c) => c);
    if (!needed.every((c) => present.has(c))) return 0;
    const scores = C === 1 ? this.scores : Array.from({ length: this.truth.length }, (_, r) => this.scores.slice(r * C, r * C + C));
    const v = this.curve === 'ROC' ? rocAucScore(this.truth, scores) : averagePrecisionScore(this.truth, scores);
    return v as number;
  }
  reset(): void {
    this.truth = [];
    this.scores = [];
    this.cols = 0;
  }
}
