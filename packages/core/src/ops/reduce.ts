import type { ReduceOp } from '../backend/backend';
import { record } from '../autograd';
import { sizeOf } from '../dtype';
import type { Tensor } from '../tensor';
import { abs, add, cast, div, equal, exp, less, log, logicalAnd, mul, sqrt, sub, where } from './elementwise';
import { broadcastTo, reshape } from './shape';
import { engine, normAxes, normAxis, out } from './util';

function reducedShape(shape: readonly number[], axes: readonly number[], keepDims: boolean): number[] {
  return keepDims ? shape.map((s, i) => (axes.includes(i) ? 1 : s)) : shape.filter((_, i) => !axes.includes(i));
}

function reduceOp(op: ReduceOp, x: Tensor, axis: number | readonly number[] | undefined, keepDims: boolean): [Tensor, number[]] {
  const axes = normAxes(op, axis, x.rank);
  const outShape = reducedShape(x.shape, axes, keepDims);
  const dtype = x.dtype === 'bool' ? 'int32' : x.dtype;
  const h = engine.backend.reduce(op, x.ref(op), axes, keepDims);
  const keptShape = reducedShape(x.shape, axes, true);
  // Backends may return the keepDims shape; normalise by reshaping the handle when needed.
  const y = out(h, outShape, dtype);
  return [y, keptShape];
}

/** Sum over `axis` (all axes when omitted). */
export function sum(x: Tensor, axis?: number | readonly number[], keepDims = false): Tensor {
  const [y, kept] = reduceOp('sum', x, axis, keepDims);
  return record(y, 'sum', [x], (g) => [broadcastTo(reshape(g, kept), x.shape)]);
}

/** Mean over `axis` (all axes when omitted). */
export function mean(x: Tensor, axis?: number | readonly number[], keepDims = false): Tensor {
  const [y, kept] = reduceOp('mean', x, axis, keepDims);
  const n = sizeOf(x.shape) / sizeOf(kept);
  return record(y, 'mean', [x], (g) => [broadcastTo(div(reshape(g, kept), n), x.shape)]);
}

function extreme(op: 'max' | 'min', x: Tensor, axis: number | readonly number[] | undefined, keepDims: boolean): Tensor {
  const [y, kept] = reduceOp(op, x, axis, keepDims);
  // The gradient is shared equally among tied extremes (as TensorFlow does).
  return record(
    y,
    op,
    [x],
    (g) => {
      const yk = reshape(y, kept);
      const mask = cast(equal(x, yk), 'float32');
      const count = sum(mask, normAxes(op, axis, x.rank), true);
      return [mul(div(mask, count), reshape(g, kept))];
    },
    [y],
  );
}

/** Maximum over `axis` (all axes when omitted). */
export const max = (x: Tensor, axis?: number | readonly number[], keepDims = false): Tensor => extreme('max', x, axis, keepDims);
/** Minimum over `axis` (all axes when omitted). */
export const min = (x: Tensor, axis?: number | readonly number[], keepDims = false): Tensor => extreme('min', x, axis, keepDims);

/**
 * Product over `axis` (all axes when omitted). The gradient is the product of the other elements,
 * exact with zeros too: with one zero in a slice only that element gets a gradient (the product of
 * the non-zero ones), with two or more none does.
 */
export function prod(x: Tensor, axis?: number | readonly number[], keepDims = false): Tensor {
  const [y, kept] = reduceOp('prod', x, axis, keepDims);
  const axes = normAxes('prod', axis, x.rank);
  return record(
    y,
    'prod',
    [x],
    (g) => {
      const isZero = equal(x, 0);
      const nonZero = where(isZero, 1, x);
      const pnz = reduceOp('prod', nonZero, axes, true)[0];
      const zeros = sum(cast(isZero, 'float32'), axes, true);
      const others = where(equal(zeros, 0), div(pnz, nonZero), where(logicalAnd(equal(zeros, 1), isZero), pnz, 0));
      return [mul(others, reshape(g, kept))];
    },
    [y],
  );
}

/**
 * Variance over `axis`. `correction` 0 is the biased (population) variance, 1 the unbiased (Bessel).
 * @default correction 0
 */
export function variance(x: Tensor, axis?: number | readonly number[], keepDims = false, correction = 0): Tensor {
  const axes = normAxes('variance', axis, x.rank);
  const n = axes.reduce((p, a) => p * x.shape[a]!, 1);
  const mu = mean(x, axes, true);
  const d = sub(x, mu);
  const s = sum(mul(d, d), axes, keepDims);
  return div(s, Math.max(n - correction, 0));
}

/** Standard deviation: sqrt of {@link variance}. */
export function std(x: Tensor, axis?: number | readonly number[], keepDims = false, correction = 0): Tensor {
  return sqrt(variance(x, axis, keepDims, correction));
}

/** log Σ exp(x) over `axis`, stable (subtracts the max first). */
export function logSumExp(x: Tensor, axis?: number | readonly number[], keepDims = false): Tensor {
  const axes = normAxes('logSumExp', axis, x.rank);
  const m = max(x, axes, true).detach();
  // Shift by the max only where it is finite: a row of −∞ gives −∞ and a row holding +∞ gives +∞
  // (PyTorch), instead of the NaN of ∞ − ∞.
  const finiteM = where(less(abs(m), Infinity), m, 0);
  const s = log(sum(exp(sub(x, finiteM)), axes, true));
  const r = add(s, finiteM);
  return keepDims ? r : reshape(r, reducedShape(x.shape, axes, false));
}

/** Index of the maximum along `axis` (int32). */
export function argmax(x: Tensor, axis = -1): Tensor {
  const ax = normAxis('argmax', axis, x.rank);
  return out(engine.backend.argReduce('argmax', x.ref('argmax'), ax), x.shape.filter((_, i) => i !== ax), 'int32');
}

/** Index of the minimum along `axis` (int32). */
export function argmin(x: Tensor, axis = -1): Tensor {
  const ax = normAxis('argmin', axis, x.rank);
  return out(engine.backend.argReduce('argmin', x.ref('argmin'), ax), x.shape.filter((_, i) => i !== ax), 'int32');
}
