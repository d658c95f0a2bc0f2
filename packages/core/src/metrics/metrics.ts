import { ValueError } from '../errors';
import type { Tensor } from '../tensor';
import { AUC } from './classification';
import { F1Score, Precision, Recall } from './confusion';
import * as f from './functions';
import { MeanMetricWrapper, type Metric } from './metric';

/** Keras `BinaryAccuracy`: share of elements where (yPred > threshold) equals yTrue. @default threshold 0.5 */
export class BinaryAccuracy extends MeanMetricWrapper {
  constructor(o: { threshold?: number; name?: string } = {}) {
    super(o.name ?? 'binary_accuracy', f.binaryAccuracy(o.threshold ?? 0.5));
  }
}
/** Keras `CategoricalAccuracy`: argmax(yTrue) == argmax(yPred), one-hot targets. */
export class CategoricalAccuracy extends MeanMetricWrapper {
  constructor(o: { name?: string } = {}) {
    super(o.name ?? 'categorical_accuracy', f.categoricalAccuracy);
  }
}
/** Keras `SparseCategoricalAccuracy`: integer yTrue == argmax(yPred). */
export class SparseCategoricalAccuracy extends MeanMetricWrapper {
  constructor(o: { name?: string } = {}) {
    super(o.name ?? 'sparse_categorical_accuracy', f.sparseCategoricalAccuracy);
  }
}
/** Keras `TopKCategoricalAccuracy` (one-hot targets). @default k 5 */
export class TopKCategoricalAccuracy extends MeanMetricWrapper {
  constructor(o: { k?: number; name?: string } = {}) {
    super(o.name ?? 'top_k_categorical_accuracy', f.topKCategoricalAccuracy(o.k ?? 5));
  }
}
/** Keras `SparseTopKCategoricalAccuracy` (integer targets). @default k 5 */
export class SparseTopKCategoricalAccuracy extends MeanMetricWrapper {
  constructor(o: { k?: number; name?: string } = {}) {
    super(o.name ?? 'sparse_top_k_categorical_accuracy', f.sparseTopKCategoricalAccuracy(o.k ?? 5));
  }
}
/** Keras `MeanSquaredError` metric. */
export class MeanSquaredError extends MeanMetricWrapper {
  constructor(o: { name?: string } = {}) {
    super(o.name ?? 'mean_squared_error', f.meanSquaredError);
  }
}
/** Keras `MeanAbsoluteError` metric. */
export class MeanAbsoluteError extends MeanMetricWrapper {
  constructor(o: { name?: string } = {}) {
    super(o.name ?? 'mean_absolute_error', f.meanAbsoluteError);
  }
}

/** Which accuracy a metric such as {@link MisclassificationError} builds on. */
export type AccuracyKind = 'binary' | 'categorical' | 'sparse';

function accuracyOf(kind: AccuracyKind, name: string, threshold?: number): MeanMetricWrapper {
  if (kind === 'binary') return new BinaryAccuracy({ name, threshold });
  if (kind === 'categorical') return new CategoricalAccuracy({ name });
  if (kind === 'sparse') return new SparseCategoricalAccuracy({ name });
  throw new ValueError(`accuracy kind must be 'binary', 'categorical' or 'sparse', got '${String(kind)}'.`, 'accuracy');
}

/** Misclassification error = 1 − accuracy (the course's "error"), over the chosen accuracy. */
export class MisclassificationError implements Metric {
  readonly name: string;
  private readonly acc: MeanMetricWrapper;
  constructor(o: { kind?: AccuracyKind; threshold?: number; name?: string } = {}) {
    this.name = o.name ?? 'misclassification_error';
    this.acc = accuracyOf(o.kind ?? 'sparse', this.name, o.threshold);
  }
  update(yTrue: Tensor, yPred: Tensor, sampleWeight?: Tensor): void {
    this.acc.update(yTrue, yPred, sampleWeight);
  }
  result(): number {
    return this.acc.count === 0 ? 0 : 1 - this.acc.result();
  }
  reset(): void {
    this.acc.reset();
  }
}

/** What {@link getMetric} may use to pick the right accuracy. */
export interface MetricContext {
  /** The compiled loss' name (any spelling: `'sparse_categorical_crossentropy'`, `'bce'` …). */
  loss?: string;
  /** Shapes of a batch of targets and predictions (Keras 3 decides from these). */
  yTrueShape?: readonly number[];
  yPredShape?: readonly number[];
}

const canon = (s: string) => s.toLowerCase().replace(/[_\-\s]/g, '');

/**
 * Pick the accuracy Keras would for `'accuracy'`: by loss name first (binary cross-entropy →
 * binary, sparse categorical → sparse, categorical → categorical), else by shapes as Keras 3 does
 * (prediction's last axis 1 → binary; targets of lower rank, or last axis 1 against several classes →
 * sparse; otherwise categorical). With nothing to go on: categorical.
 */
export function resolveAccuracyKind(ctx: MetricContext = {}): AccuracyKind {
  const loss = ctx.loss ? canon(ctx.loss) : '';
  if (loss === 'binarycrossentropy' || loss === 'bce' || loss === 'binarycrossentropywithlogits' || loss === 'bcewithlogits') return 'binary';
  if (loss === 'sparsecategoricalcrossentropy' || loss === 'crossentropy' || loss === 'nllloss') return 'sparse';
  if (loss === 'categoricalcrossentropy') return 'categorical';
  const t = ctx.yTrueShape, p = ctx.yPredShape;
  if (t && p) {
    const pl = p[p.length - 1], tl = t[t.length - 1];
    if (pl === 1) return 'binary';
    if (t.length < p.length || (tl === 1 && (pl ?? 0) > 1)) return 'sparse';
  }
  return 'categorical';
}

const BY_NAME: Record<string, (ctx: MetricContext, name: string) => Metric> = {
  binaryaccuracy: () => new BinaryAccuracy(),
  categoricalaccuracy: () => new CategoricalAccuracy(),
  sparsecategoricalaccuracy: () => new SparseCategoricalAccuracy(),
  topkcategoricalaccuracy: () => new TopKCategoricalAccuracy(),
  sparsetopkcategoricalaccuracy: () => new SparseTopKCategoricalAccuracy(),
  precision: () => new Precision(),
  recall: () => new Recall(),
  f1score: () => new F1Score(),
  f1: (_c, n) => new F1Score({ name: n }),
  auc: (_c, n) => new AUC({ name: n }),
  prauc: (_c, n) => new AUC({ curve: 'PR', name: n }),
  meansquarederror: () => new MeanSquaredError(),
  mse: (_c, n) => new MeanSquaredError({ name: n }),
  meanabsoluteerror: () => new MeanAbsoluteError(),
  mae: (_c, n) => new MeanAbsoluteError({ name: n }),
  misclassificationerror: (c, n) => new MisclassificationError({ kind: resolveAccuracyKind(c), name: n }),
  error: (c, n) => new MisclassificationError({ kind: resolveAccuracyKind(c), name: n }),
  accuracy: (c, n) => accuracyOf(resolveAccuracyKind(c), n),
  acc: (c, n) => accuracyOf(resolveAccuracyKind(c), n),
};

/**
 * Resolve `compile({ metrics })` entries: a {@link Metric} passes through; a name makes a fresh
 * metric. `'accuracy'`/`'acc'` become binary, categorical or sparse accuracy as Keras decides
 * (see {@link resolveAccuracyKind}) and keep the name you gave as their log key.
 *
 * @param id - A metric or a name (any case, with or without underscores).
 * @param context - The loss name (a string) or {@link MetricContext}.
 * @example
 * ```ts
 * getMetric('accuracy', 'sparse_categorical_crossentropy'); // SparseCategoricalAccuracy named 'accuracy'
 * ```
 */
export function getMetric(id: string | Metric, context: string | MetricContext = {}): Metric {
  if (typeof id !== 'string') return id;
  const ctx = typeof context === 'string' ? { loss: context } : context;
  const make = BY_NAME[canon(id)];
  if (!make) throw new ValueError(`Unknown metric "${id}".`, 'getMetric', `Known: ${Object.keys(BY_NAME).join(', ')} (any case, with or without underscores).`);
  return make(ctx, id);
}
