import { join } from 'node:path';
import { metrics, scope, tensor } from '@nn/core';
import { writeFileAtomic } from './atomic-write.js';
import { mostConfidentErrors, type Misclassified } from './error-analysis.js';
import { InvalidOptionError } from './errors.js';

// The error analysis of one run as a file in its run folder (`<runDir>/error-analysis.json`), for
// the `nn-monitor` dashboard: the numbers come from @nn/core's metrics (classificationReport,
// rocAucScore, SparseTopKCategoricalAccuracy) and mostConfidentErrors, computed once when the run
// is evaluated, so the dashboard only renders them.

/** File name of a run's error analysis inside its run folder. */
export const ERROR_ANALYSIS_FILE = 'error-analysis.json';

/** Input of {@link writeErrorAnalysis} and {@link JsonlLogger.logErrorAnalysis}. */
export interface ErrorAnalysisInput {
  /** True class indices `[n]`, integers in `[0, numClasses)`. */
  labels: ArrayLike<number>;
  /**
   * Scores of every class for every sample: rows `[n][k]`, or flat `[n·k]` row-major with
   * {@link numClasses}. Logits or probabilities (see {@link scoreKind}).
   */
  scores: ArrayLike<ArrayLike<number>> | ArrayLike<number>;
  /** Number of classes k. Required with flat `scores`; checked against the row length otherwise. */
  numClasses?: number;
  /** Whether `scores` are logits (a softmax gives the confidence of a mistake) or probabilities. @default 'logits' */
  scoreKind?: 'logits' | 'probabilities';
  /** Class names, one per class. @default the indices */
  classNames?: readonly string[];
  /**
   * The samples' grayscale pixels, flat `[n·h·w]` row-major in the order of `labels`. Only the
   * pixels of the {@link count} most confident mistakes are written.
   */
  images?: ArrayLike<number>;
  /** `[h, w]` of one image. @default square images: `√(images.length / n)` a side */
  imageShape?: readonly [number, number];
  /** How many of the most confident mistakes to keep. @default 24 */
  count?: number;
}

/** One of the most confident mistakes, as stored in error-analysis.json. */
export interface ErrorAnalysisMistake extends Misclassified {
  /** The sample's pixels `[h·w]` (4 decimals), when images were given. */
  pixels?: number[];
}

/** Contents of `error-analysis.json` (as written by {@link writeErrorAnalysis}). */
export interface ErrorAnalysisData {
  /** Format version. */
  version: 1;
  /** ISO time it was written. */
  createdAt: string;
  numSamples: number;
  numClasses: number;
  classNames: string[];
  /** Top-1 accuracy (share of samples whose highest score is the true class). */
  accuracy: number;
  /** Top-2 accuracy (the true class is among the 2 highest scores, as Keras' `SparseTopKCategoricalAccuracy({ k: 2 })` counts it). */
  top2Accuracy: number;
  /** One-vs-rest ROC-AUC, macro average (`metrics.rocAucScore`); null when it is undefined (a class has no sample). */
  rocAuc: number | null;
  /** Why {@link rocAuc} is null. */
  rocAucError?: string;
  /** Confusion-matrix counts, rows = true class, columns = predicted class. */
  confusionMatrix: number[][];
  /** Per-class precision/recall/F1/support and the averages (`metrics.classificationReport`, without its matrix). */
  report: Omit<metrics.ClassificationReport, 'matrix'>;
  /** `[h, w]` of the mistakes' pixels, when images were given. */
  imageShape?: [number, number];
  /** The most confident mistakes, surest first. */
  mistakes: ErrorAnalysisMistake[];
}

const isRows = (s: ErrorAnalysisInput['scores']): s is ArrayLike<ArrayLike<number>> => s.length > 0 && typeof s[0] === 'object' && s[0] !== null;

/**
 * Computes a run's error analysis — confusion matrix, classification report, one-vs-rest macro
 * ROC-AUC, top-1/top-2 accuracy and the `count` most confident mistakes (with only those images'
 * pixels) — and writes it to `<runDir>/error-analysis.json` atomically, where the `nn-monitor`
 * dashboard shows it in the run's card.
 *
 * @param runDir - the run's folder (`JsonlLogger.runDir`); created when missing.
 * @param input - see {@link ErrorAnalysisInput}.
 * @returns what was written.
 * @throws {@link InvalidOptionError} naming the argument, for scores of the wrong length or row size,
 *   labels outside `[0, numClasses)`, a class-name count other than `numClasses`, or images whose size
 *   does not match `n × h × w`.
 * @example
 * ```ts
 * await writeErrorAnalysis(logger.runDir, { labels: yTest, scores: logits, numClasses: 10, classNames, images: xTest, imageShape: [28, 28] });
 * // npx nn-monitor logs
 * ```
 */
export async function writeErrorAnalysis(runDir: string, input: ErrorAnalysisInput): Promise<ErrorAnalysisData> {
  if (typeof runDir !== 'string' || !runDir) throw new InvalidOptionError('writeErrorAnalysis: runDir', runDir, 'a folder path');
  const data = computeErrorAnalysis(input);
  await writeFileAtomic(join(runDir, ERROR_ANALYSIS_FILE), `${JSON.stringify(data)}\n`);
  return data;
}

/** The computation of {@link writeErrorAnalysis}, without the file. */
function computeErrorAnalysis(input: ErrorAnalysisInput): ErrorAnalysisData {
  const w = 'writeErrorAnalysis';
  if (typeof input !== 'object' || input === null) throw new InvalidOptionError(`${w}: input`, input, 'an object { labels, scores, ... }');
  const { labels, scores } = input;
  if (!labels || typeof labels.length !== 'number' || labels.length === 0) throw new InvalidOptionError(`${w}: labels`, labels, 'a non-empty array of class indices');
  const n = labels.length;
  if (!scores || typeof scores.length !== 'number') throw new InvalidOptionError(`${w}: scores`, scores, 'an array of score rows [n][k], or a flat [n·k] array with numClasses');

  // Scores as one flat row-major Float64Array.
  let k: number;
  let flat: Float64Array;
  if (isRows(scores)) {
    if (scores.length !== n) throw new InvalidOptionError(`${w}: scores`, `${scores.length} rows`, `one row per label (${n} rows)`);
    k = scores[0]!.length;
    if (input.numClasses !== undefined && input.numClasses !== k) throw new InvalidOptionError(`${w}: numClasses`, input.numClasses, `the length of the score rows (${k})`);
    flat = new Float64Array(n * k);
    for (let i = 0; i < n; i++) {
      const row = scores[i]!;
      if (!row || row.length !== k) throw new InvalidOptionError(`${w}: scores[${i}]`, `${row?.length} values`, `${k} values, as row 0 has`);
      for (let c = 0; c < k; c++) flat[i * k + c] = row[c]!;
    }
  } else {
    if (input.numClasses === undefined) throw new InvalidOptionError(`${w}: numClasses`, undefined, 'the number of classes when scores is a flat [n·k] array');
    k = input.numClasses;
    if (Number.isInteger(k) && k >= 2 && scores.length !== n * k) throw new InvalidOptionError(`${w}: scores`, `${scores.length} values`, `${n} labels × ${k} classes = ${n * k} values`);
    flat = Float64Array.from(scores as ArrayLike<number>);
  }
  if (!(Number.isInteger(k) && k >= 2)) throw new InvalidOptionError(`${w}: numClasses`, k, 'an integer ≥ 2 (the number of classes)');
  for (let i = 0; i < flat.length; i++) if (!Number.isFinite(flat[i])) throw new InvalidOptionError(`${w}: scores`, `${flat[i]} at row ${Math.floor(i / k)}, class ${i % k}`, 'finite numbers');
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = labels[i]!;
    if (!(Number.isInteger(v) && v >= 0 && v < k)) throw new InvalidOptionError(`${w}: labels[${i}]`, v, `a class index in [0, ${k}) (${k} classes in scores)`);
    y[i] = v;
  }
  const names = input.classNames ? [...input.classNames] : Array.from({ length: k }, (_, c) => String(c));
  if (names.length !== k || names.some((s) => typeof s !== 'string')) throw new InvalidOptionError(`${w}: classNames`, input.classNames, `${k} strings, one per class`);
  const scoreKind = input.scoreKind ?? 'logits';
  if (scoreKind !== 'logits' && scoreKind !== 'probabilities') throw new InvalidOptionError(`${w}: scoreKind`, scoreKind, "'logits' or 'probabilities'");
  const count = input.count ?? 24;
  if (!(Number.isInteger(count) && count >= 0)) throw new InvalidOptionError(`${w}: count`, count, 'an integer ≥ 0');

  let shape: [number, number] | undefined;
  if (input.images !== undefined) {
    const len = input.images?.length;
    if (typeof len !== 'number') throw new InvalidOptionError(`${w}: images`, input.images, 'a flat array of pixels [n·h·w]');
    if (input.imageShape !== undefined) {
      const s = input.imageShape;
      if (!(Array.isArray(s) && s.length === 2 && s.every((d) => Number.isInteger(d) && d >= 1))) throw new InvalidOptionError(`${w}: imageShape`, s, '[h, w], two integers ≥ 1');
      shape = [s[0]!, s[1]!];
    } else {
      const side = Math.round(Math.sqrt(len / n));
      if (side < 1 || side * side * n !== len) throw new InvalidOptionError(`${w}: images`, `${len} values`, `${n} square images (n·s·s values), or pass imageShape`);
      shape = [side, side];
    }
    if (len !== n * shape[0] * shape[1]) throw new InvalidOptionError(`${w}: images`, `${len} values`, `${n} images of ${shape[0]}×${shape[1]} (imageShape) = ${n * shape[0] * shape[1]} values`);
  } else if (input.imageShape !== undefined) {
    throw new InvalidOptionError(`${w}: imageShape`, input.imageShape, 'given only with images');
  }

  const rows = Array.from({ length: n }, (_, i) => flat.subarray(i * k, (i + 1) * k));
  const { matrix, ...report } = metrics.classificationReport(y, rows, { numClasses: k, classNames: names });
  let rocAuc: number | null = null;
  let rocAucError: string | undefined;
  try {
    rocAuc = metrics.rocAucScore(y, rows) as number;
  } catch (e) {
    rocAucError = (e as Error).message;
  }
  const top2Accuracy = scope(() => {
    const m = new metrics.SparseTopKCategoricalAccuracy({ k: 2 });
    m.update(tensor(y, [n], { dtype: 'int32' }), tensor(Float32Array.from(flat), [n, k]));
    return m.result();
  });
  const picks = mostConfidentErrors(y, flat, k, { count, probabilities: scoreKind === 'probabilities' });
  const hw = shape ? shape[0] * shape[1] : 0;
  const images = input.images;
  const mistakes: ErrorAnalysisMistake[] = picks.map((p) => {
    if (!images) return { ...p };
    const pixels = new Array<number>(hw);
    for (let j = 0; j < hw; j++) pixels[j] = Math.round(Number(images[p.index * hw + j]) * 1e4) / 1e4;
    return { ...p, pixels };
  });
  return {
    version: 1,
    createdAt: new Date().toISOString(),
    numSamples: n,
    numClasses: k,
    classNames: names,
    accuracy: report.accuracy,
    top2Accuracy,
    rocAuc,
    ...(rocAucError !== undefined ? { rocAucError } : {}),
    confusionMatrix: matrix,
    report,
    ...(shape ? { imageShape: shape } : {}),
    mistakes,
  };
}

/**
 * Parses and checks the text of an error-analysis.json: the object, or an Error saying which field
 * is wrong (the dashboard shows the message in the run's card).
 *
 * @param text - the file's contents.
 * @param file - its path, for the message.
 * @throws Error naming the file and the field.
 */
export function parseErrorAnalysis(text: string, file: string): ErrorAnalysisData {
  let v: unknown;
  try { v = JSON.parse(text); } catch (e) { throw new Error(`${file}: not JSON (${(e as Error).message})`); }
  const bad = (field: string, expected: string): never => { throw new Error(`${file}: "${field}" must be ${expected}`); };
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`${file}: expected a JSON object, got ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v}`);
  const d = v as Partial<ErrorAnalysisData>;
  const num = (x: unknown) => typeof x === 'number' && Number.isFinite(x);
  const k = d.numClasses;
  if (!(Number.isInteger(k) && k! >= 2)) bad('numClasses', 'an integer ≥ 2');
  const C = k!;
  if (!Array.isArray(d.classNames) || d.classNames.length !== C || !d.classNames.every((s) => typeof s === 'string')) bad('classNames', `${C} strings`);
  for (const f of ['accuracy', 'top2Accuracy'] as const) if (!num(d[f])) bad(f, 'a number');
  if (d.rocAuc !== null && !num(d.rocAuc)) bad('rocAuc', 'a number or null');
  if (!num(d.numSamples)) bad('numSamples', 'a number');
  const m = d.confusionMatrix;
  if (!Array.isArray(m) || m.length !== C || !m.every((r) => Array.isArray(r) && r.length === C && r.every(num))) bad('confusionMatrix', `a ${C}×${C} array of counts`);
  const r = d.report;
  const scores = (s: unknown) => typeof s === 'object' && s !== null && ['precision', 'recall', 'f1', 'support'].every((f) => num((s as Record<string, unknown>)[f]));
  if (typeof r !== 'object' || r === null || !Array.isArray(r.perClass) || r.perClass.length !== C || !r.perClass.every(scores) || !scores(r.macro) || !scores(r.weighted)) bad('report', `per-class scores of ${C} classes with macro and weighted averages`);
  const shape = d.imageShape;
  if (shape !== undefined && !(Array.isArray(shape) && shape.length === 2 && shape.every((x) => Number.isInteger(x) && x >= 1))) bad('imageShape', '[h, w]');
  if (!Array.isArray(d.mistakes)) bad('mistakes', 'an array');
  d.mistakes!.forEach((p, i) => {
    if (typeof p !== 'object' || p === null || !Number.isInteger(p.index) || !Number.isInteger(p.trueLabel) || !Number.isInteger(p.predLabel) || !num(p.confidence)
      || p.trueLabel < 0 || p.trueLabel >= C || p.predLabel < 0 || p.predLabel >= C) bad(`mistakes[${i}]`, `{ index, trueLabel, predLabel, confidence } with labels in [0, ${C})`);
    if (p.pixels !== undefined && !(shape && Array.isArray(p.pixels) && p.pixels.length === shape[0] * shape[1] && p.pixels.every(num))) bad(`mistakes[${i}].pixels`, shape ? `${shape[0] * shape[1]} numbers (imageShape ${shape[0]}×${shape[1]})` : 'absent without imageShape');
  });
  return d as ErrorAnalysisData;
}
