import { ShapeError } from '../errors';
import type { HostBatch } from './metric';

// Per-sample metric values on host arrays (Keras `keras.metrics.*` functions).

function argmaxRow(b: HostBatch, r: number): number {
  let best = 0;
  for (let c = 1; c < b.cols; c++) if (b.data[r * b.cols + c]! > b.data[r * b.cols + best]!) best = c;
  return best;
}

function check(where: string, ok: boolean, t: HostBatch, p: HostBatch, hint: string): void {
  if (!ok) throw new ShapeError(where, hint, [[t.rows, t.cols], [p.rows, p.cols]]);
}

/** Labels of a sparse target: [N] (cols = N when rank 1 is read as one row) or [N, 1]. */
function sparseLabels(where: string, t: HostBatch, p: HostBatch): ArrayLike<number> {
  const n = t.data.length;
  check(where, n === p.rows, t, p, 'sparse labels need one integer label per sample');
  return t.data;
}

/** Keras `binary_accuracy`: mean over the last axis of [(yPred > threshold) == yTrue]. */
export function binaryAccuracy(threshold = 0.5) {
  return (t: HostBatch, p: HostBatch): number[] => {
    check('binaryAccuracy', t.data.length === p.data.length, t, p, 'yTrue and yPred must have the same size');
    const out: number[] = [];
    for (let r = 0; r < p.rows; r++) {
      let s = 0;
      for (let c = 0; c < p.cols; c++) s += +(+(p.data[r * p.cols + c]! > threshold) === +(t.data[r * p.cols + c]! > 0.5));
      out.push(s / p.cols);
    }
    return out;
  };
}

/** Keras `categorical_accuracy`: argmax(yTrue) == argmax(yPred). */
export function categoricalAccuracy(t: HostBatch, p: HostBatch): number[] {
  check('categoricalAccuracy', t.rows === p.rows && t.cols === p.cols, t, p, 'one-hot yTrue must match yPred');
  return Array.from({ length: p.rows }, (_, r) => +(argmaxRow(t, r) === argmaxRow(p, r)));
}

/** Keras `sparse_categorical_accuracy`: yTrue == argmax(yPred). */
export function sparseCategoricalAccuracy(t: HostBatch, p: HostBatch): number[] {
  const y = sparseLabels('sparseCategoricalAccuracy', t, p);
  return Array.from({ length: p.rows }, (_, r) => +(Math.round(y[r]!) === argmaxRow(p, r)));
}

/** True when class `k` is among the top `k` predictions of row r (ties with the k-th count as in). */
function inTopK(p: HostBatch, r: number, cls: number, k: number): boolean {
  const v = p.data[r * p.cols + cls]!;
  let greater = 0;
  for (let c = 0; c < p.cols; c++) if (p.data[r * p.cols + c]! > v) greater++;
  return greater < k;
}

/** Keras `top_k_categorical_accuracy` (one-hot targets). */
export function topKCategoricalAccuracy(k = 5) {
  return (t: HostBatch, p: HostBatch): number[] => {
    check('topKCategoricalAccuracy', t.rows === p.rows && t.cols === p.cols, t, p, 'one-hot yTrue must match yPred');
    return Array.from({ length: p.rows }, (_, r) => +inTopK(p, r, argmaxRow(t, r), k));
  };
}

/** Keras `sparse_top_k_categorical_accuracy` (integer targets). */
export function sparseTopKCategoricalAccuracy(k = 5) {
  return (t: HostBatch, p: HostBatch): number[] => {
    const y = sparseLabels('sparseTopKCategoricalAccuracy', t, p);
    return Array.from({ length: p.rows }, (_, r) => +inTopK(p, r, Math.round(y[r]!), k));
  };
}

/** Per-sample mean over the last axis of f(yTrue − yPred). */
function meanOf(where: string, f: (d: number) => number) {
  return (t: HostBatch, p: HostBatch): number[] => {
    check(where, t.data.length === p.data.length, t, p, 'yTrue and yPred must have the same size');
    return Array.from({ length: p.rows }, (_, r) => {
      let s = 0;
      for (let c = 0; c < p.cols; c++) s += f(t.data[r * p.cols + c]! - p.data[r * p.cols + c]!);
      return s / p.cols;
    });
  };
}

/** Keras `mean_squared_error` metric values. */
export const meanSquaredError = meanOf('meanSquaredError', (d) => d * d);
/** Keras `mean_absolute_error` metric values. */
export const meanAbsoluteError = meanOf('meanAbsoluteError', Math.abs);
