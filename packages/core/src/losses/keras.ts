import { ShapeError, ValueError } from '../errors';
import { abs, add, cast, clip, div, exp, log, log1p, mean, mul, neg, oneHot, relu, sub, sum, square, squeeze, logSoftmax } from '../ops';
import type { Tensor } from '../tensor';
import { huberElementwise } from './pytorch';
import { sameShape } from './reduction';

/**
 * Keras' fuzz factor `keras.config.epsilon()`: probabilities are clipped to [ε, 1 − ε] before the log.
 */
export const EPSILON = 1e-7;

// Keras-door losses take (yTrue, yPred) — the reverse of PyTorch's (input, target) — and return one
// loss per sample (the mean over the last axis), like `keras.losses.mean_squared_error`. The Loss
// objects in ./keras-classes.ts weight and reduce these.

/** Per-sample mean squared error: mean((yTrue − yPred)², axis −1). */
export function meanSquaredError(yTrue: Tensor, yPred: Tensor): Tensor {
  sameShape('meanSquaredError', yTrue, yPred, ['yTrue', 'yPred']);
  return mean(square(sub(yPred, cast(yTrue, 'float32'))), -1);
}

/** Per-sample mean absolute error: mean(|yTrue − yPred|, axis −1). */
export function meanAbsoluteError(yTrue: Tensor, yPred: Tensor): Tensor {
  sameShape('meanAbsoluteError', yTrue, yPred, ['yTrue', 'yPred']);
  return mean(abs(sub(yPred, cast(yTrue, 'float32'))), -1);
}

/** Per-sample Huber loss (Keras `huber`): mean over the last axis. @default delta 1 */
export function huber(yTrue: Tensor, yPred: Tensor, delta = 1): Tensor {
  if (!(delta > 0)) throw new ValueError(`huber: delta must be > 0, got ${delta}.`, 'huber');
  sameShape('huber', yTrue, yPred, ['yTrue', 'yPred']);
  return mean(huberElementwise(sub(yPred, cast(yTrue, 'float32')), delta), -1);
}

/** Options of the Keras cross-entropies. */
export interface KerasCrossentropyOptions {
  /** yPred holds logits (unnormalised) instead of probabilities. @default false */
  fromLogits?: boolean;
  /** Binary: y ← y(1 − s) + s/2. Categorical: y ← y(1 − s) + s/C. @default 0 */
  labelSmoothing?: number;
}

function smoothing(o: KerasCrossentropyOptions, where: string): number {
  const s = o.labelSmoothing ?? 0;
  if (!(s >= 0 && s <= 1)) throw new ValueError(`${where}: labelSmoothing must be in [0, 1], got ${s}.`, where);
  return s;
}

/**
 * Per-sample binary cross-entropy (Keras `binary_crossentropy`), mean over the last axis.
 * Probabilities are clipped to [1e-7, 1 − 1e-7]; with `fromLogits` the stable form
 * max(x, 0) − x·y + log(1 + e^−|x|) is used (as Keras' TensorFlow and torch backends do).
 */
export function binaryCrossentropy(yTrue: Tensor, yPred: Tensor, o: KerasCrossentropyOptions = {}): Tensor {
  sameShape('binaryCrossentropy', yTrue, yPred, ['yTrue', 'yPred']);
  const s = smoothing(o, 'binaryCrossentropy');
  let y = cast(yTrue, 'float32');
  if (s > 0) y = add(mul(y, 1 - s), 0.5 * s);
  let l: Tensor;
  if (o.fromLogits) l = add(sub(relu(yPred), mul(yPred, y)), log1p(exp(neg(abs(yPred)))));
  else {
    const p = clip(yPred, EPSILON, 1 - EPSILON);
    l = neg(add(mul(y, log(p)), mul(sub(1, y), log(sub(1, p)))));
  }
  return mean(l, -1);
}

/**
 * Per-sample categorical cross-entropy (Keras `categorical_crossentropy`) with one-hot (or soft)
 * `yTrue`. Probabilities are first renormalised to sum to 1 over the last axis, then clipped to
 * [1e-7, 1 − 1e-7], as Keras does; logits go through a stable log-softmax.
 */
export function categoricalCrossentropy(yTrue: Tensor, yPred: Tensor, o: KerasCrossentropyOptions = {}): Tensor {
  sameShape('categoricalCrossentropy', yTrue, yPred, ['yTrue', 'yPred']);
  const s = smoothing(o, 'categoricalCrossentropy');
  const C = yPred.shape[yPred.rank - 1]!;
  let y = cast(yTrue, 'float32');
  if (s > 0) y = add(mul(y, 1 - s), s / C);
  return neg(sum(mul(y, logProbs(yPred, o.fromLogits ?? false)), -1));
}

function logProbs(yPred: Tensor, fromLogits: boolean): Tensor {
  if (fromLogits) return logSoftmax(yPred, -1);
  const p = div(yPred, sum(yPred, -1, true));
  return log(clip(p, EPSILON, 1 - EPSILON));
}

/**
 * Per-sample sparse categorical cross-entropy (Keras `sparse_categorical_crossentropy`): integer
 * labels `yTrue` of shape [N] (or [N, 1]) against probabilities or logits [N, C].
 */
export function sparseCategoricalCrossentropy(yTrue: Tensor, yPred: Tensor, o: { fromLogits?: boolean } = {}): Tensor {
  let t = yTrue;
  if (t.rank === yPred.rank && t.shape[t.rank - 1] === 1) t = squeeze(t, -1);
  if (t.rank !== yPred.rank - 1 || t.shape.some((d, i) => d !== yPred.shape[i])) {
    throw new ShapeError('sparseCategoricalCrossentropy', 'labels must have the predictions\' shape without the class axis', [yTrue.shape, yPred.shape], 'Use integer labels of shape [batch] (or categoricalCrossentropy for one-hot labels).');
  }
  const C = yPred.shape[yPred.rank - 1]!;
  const oh = oneHot(cast(t, 'int32'), C);
  return neg(sum(mul(oh, logProbs(yPred, o.fromLogits ?? false)), -1));
}

