import { shapesEqual } from '../dtype';
import { ShapeError, ValueError } from '../errors';
import { div, mean, mul, reshape, squeeze, sum } from '../ops';
import type { Tensor } from '../tensor';

/** PyTorch reductions: average over elements, total, or per-element losses. */
export type Reduction = 'mean' | 'sum' | 'none';

/**
 * Keras reductions. `'sum_over_batch_size'` (Keras' default; also spelled `'sumOverBatchSize'`)
 * is Σ(loss·weight) / number of loss values — weights do not change the divisor.
 * `'mean_with_sample_weight'` divides by Σweight instead.
 */
export type KerasReduction = 'sum_over_batch_size' | 'sumOverBatchSize' | 'sum' | 'none' | 'mean' | 'mean_with_sample_weight';

const PT: readonly Reduction[] = ['mean', 'sum', 'none'];
const KR: readonly KerasReduction[] = ['sum_over_batch_size', 'sumOverBatchSize', 'sum', 'none', 'mean', 'mean_with_sample_weight'];

/** Apply a PyTorch reduction. */
export function reduce(x: Tensor, reduction: Reduction, where: string): Tensor {
  if (!PT.includes(reduction)) throw new ValueError(`${where}: reduction must be one of 'mean', 'sum', 'none'; got '${String(reduction)}'.`, where);
  return reduction === 'mean' ? mean(x) : reduction === 'sum' ? sum(x) : x;
}

/** Bring sample weights to the loss' rank (Keras `squeeze_or_expand_to_same_rank`). */
export function alignWeights(w: Tensor, loss: Tensor, where: string): Tensor {
  let v = w;
  while (v.rank > loss.rank && v.shape[v.rank - 1] === 1) v = squeeze(v, -1);
  if (v.rank < loss.rank) v = reshape(v, [...v.shape, ...new Array<number>(loss.rank - v.rank).fill(1)]);
  const ok = v.rank === loss.rank && v.shape.every((d, i) => d === 1 || d === loss.shape[i]);
  if (!ok) throw new ShapeError(where, 'sample weights do not broadcast to the per-sample losses', [w.shape, loss.shape], 'Pass one weight per sample (shape [batch]).');
  return v;
}

/** Weight per-sample losses and apply a Keras reduction. */
export function kerasReduce(loss: Tensor, sampleWeight: Tensor | undefined, reduction: KerasReduction, where: string): Tensor {
  if (!KR.includes(reduction)) throw new ValueError(`${where}: reduction must be one of ${KR.map((r) => `'${r}'`).join(', ')}; got '${String(reduction)}'.`, where);
  const w = sampleWeight ? alignWeights(sampleWeight, loss, where) : undefined;
  const weighted = w ? mul(loss, w) : loss;
  if (reduction === 'none') return weighted;
  const total = sum(weighted);
  if (reduction === 'sum') return total;
  if (reduction === 'mean_with_sample_weight' && w) {
    const ws = sum(mul(w, mul(loss, 0).add(1)));
    return div(total, ws);
  }
  return div(total, Math.max(loss.size, 1));
}

/** Throw unless two tensors have the same shape. */
export function sameShape(where: string, a: Tensor, b: Tensor, names: [string, string]): void {
  if (!shapesEqual(a.shape, b.shape)) {
    throw new ShapeError(where, `${names[0]} and ${names[1]} must have the same shape`, [a.shape, b.shape], 'Reshape the targets to the predictions\' shape.');
  }
}
