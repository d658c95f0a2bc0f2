import { ShapeError } from '../errors';
import type { TypedArray } from '../dtype';
import type { Tensor } from '../tensor';

/**
 * A stateful metric (Keras `keras.metrics.Metric`): `update()` per batch, `result()` for the value
 * so far, `reset()` between epochs. Computed on the host from `dataSync()` (cheap next to a step).
 *
 * @example
 * ```ts
 * const acc = new SparseCategoricalAccuracy();
 * acc.update(labels, probs); acc.result(); acc.reset();
 * ```
 */
export interface Metric {
  /** Log key, e.g. `'accuracy'`. */
  readonly name: string;
  /** Accumulate a batch. `sampleWeight` has one weight per sample. */
  update(yTrue: Tensor, yPred: Tensor, sampleWeight?: Tensor): void;
  /** Value over everything seen since the last reset (0 before any update). */
  result(): number;
  /** Forget everything. */
  reset(): void;
}

/** Host view of a batch: values plus rows (samples) and columns (last axis). */
export interface HostBatch {
  data: TypedArray;
  rows: number;
  cols: number;
}

/** @internal Read a tensor as rows × last-axis columns. */
export function host(t: Tensor): HostBatch {
  const cols = t.rank === 0 ? 1 : t.shape[t.rank - 1]!;
  return { data: t.dataSync(), rows: cols === 0 ? 0 : t.size / cols, cols };
}

/** @internal Per-sample weights, or undefined; checks the length. */
export function weights(where: string, sw: Tensor | undefined, rows: number): TypedArray | undefined {
  if (!sw) return undefined;
  if (sw.size !== rows) throw new ShapeError(where, `sampleWeight needs one weight per sample (${rows})`, [sw.shape], 'Pass weights of shape [batch].');
  return sw.dataSync();
}

/**
 * Weighted mean of values (Keras `Mean`): `update(values, sampleWeight?)` adds Σw·v and Σw.
 *
 * @example
 * ```ts
 * const m = new Mean('loss'); m.update(0.5); m.update(tensor([1, 2])); m.result(); // (0.5 + 1 + 2) / 3
 * ```
 */
export class Mean {
  total = 0;
  count = 0;
  constructor(readonly name = 'mean') {}
  /** Add a number or every element of a tensor (optionally weighted elementwise). */
  update(values: number | Tensor, sampleWeight?: number | Tensor): void {
    const v = typeof values === 'number' ? [values] : values.dataSync();
    const w = sampleWeight === undefined ? undefined : typeof sampleWeight === 'number' ? new Array<number>(v.length).fill(sampleWeight) : sampleWeight.dataSync();
    if (w && w.length !== v.length) throw new ShapeError(`Mean "${this.name}"`, `sampleWeight has ${w.length} values for ${v.length} values`, []);
    for (let i = 0; i < v.length; i++) {
      const wi = w ? w[i]! : 1;
      this.total += wi * v[i]!;
      this.count += wi;
    }
  }
  result(): number {
    return this.count === 0 ? 0 : this.total / this.count;
  }
  reset(): void {
    this.total = 0;
    this.count = 0;
  }
}

/**
 * A metric that is the weighted mean of a per-sample value (Keras `MeanMetricWrapper`).
 * `fn(yTrue, yPred)` returns one value per sample.
 */
export class MeanMetricWrapper extends Mean implements Metric {
  constructor(
    name: string,
    readonly fn: (yTrue: HostBatch, yPred: HostBatch) => number[],
  ) {
    super(name);
  }
  override update(yTrue: Tensor, yPred: Tensor, sampleWeight?: Tensor): void {
    const t = host(yTrue), p = host(yPred);
    const v = this.fn(t, p);
    const w = weights(`metric "${this.name}"`, sampleWeight, v.length);
    for (let i = 0; i < v.length; i++) {
      const wi = w ? w[i]! : 1;
      this.total += wi * v[i]!;
      this.count += wi;
    }
  }
}
