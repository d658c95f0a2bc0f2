import { ShapeError, ValueError } from '../errors';
import type { Tensor } from '../tensor';
import { hostTensor } from '../optim/host';

/**
 * Turn Keras `classWeight` (`{0: 1, 1: 5}` or `[1, 5]`) into per-sample weights for a batch of labels,
 * as `fit` does: integer labels `[N]`/`[N, 1]` are looked up directly, one-hot `[N, C]` by argmax,
 * single probabilities `[N, 1]` of binary tasks by rounding. Classes not listed weigh 1.
 * Runs on the host (labels are read back).
 *
 * @returns float32 weights of shape [N].
 * @example
 * ```ts
 * const sw = classWeightToSampleWeight(yBatch, { 0: 1, 1: 10 });
 * const loss = lossFn(yBatch, yPred, sw);
 * ```
 */
export function classWeightToSampleWeight(yTrue: Tensor, classWeight: Readonly<Record<number, number>> | readonly number[]): Tensor {
  const cw = (k: number) => {
    const v = (classWeight as Record<number, number>)[k];
    return v === undefined ? 1 : v;
  };
  for (const v of Object.values(classWeight)) {
    if (!(typeof v === 'number' && Number.isFinite(v) && v >= 0)) throw new ValueError(`classWeight: weights must be finite numbers ≥ 0, got ${String(v)}.`, 'classWeight');
  }
  const data = yTrue.dataSync();
  const n = yTrue.shape[0] ?? 1;
  const last = yTrue.rank >= 2 ? yTrue.shape[yTrue.rank - 1]! : 1;
  if (yTrue.rank > 2) throw new ShapeError('classWeight', 'labels must be [N], [N, 1] or one-hot [N, C]', [yTrue.shape], 'Keras class weights apply to 1-D or one-hot targets only.');
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let cls: number;
    if (last > 1) {
      cls = 0;
      for (let c = 1; c < last; c++) if (data[i * last + c]! > data[i * last + cls]!) cls = c;
    } else cls = Math.round(data[i]!);
    out[i] = cw(cls);
  }
  return hostTensor(out, [n]);
}
