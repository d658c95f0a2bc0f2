import type { Tensor } from '../tensor';
import { add, div, erf, exp, expm1, greater, mul, sub, tanh, where, square, minimum } from './elementwise';
import { logSumExp, max, sum } from './reduce';
import { normAxis } from './util';

/** x if x > 0 else alpha·x. @default alpha 0.01 (PyTorch; Keras LeakyReLU uses 0.3 — pass it). */
export function leakyRelu(x: Tensor, alpha = 0.01): Tensor {
  return where(greater(x, 0), x, mul(x, alpha));
}

/** x if x > 0 else alpha·(eˣ − 1). @default alpha 1 */
export function elu(x: Tensor, alpha = 1): Tensor {
  // expm1 of min(x, 0) keeps the unused branch finite, so its gradient is never NaN.
  return where(greater(x, 0), x, mul(expm1(minimum(x, 0)), alpha));
}

const SELU_ALPHA = 1.6732632423543772848170429916717;
const SELU_SCALE = 1.0507009873554804934193349852946;
/** Scaled ELU with the self-normalising constants of Klambauer et al. (2017). */
export function selu(x: Tensor): Tensor {
  return mul(elu(x, SELU_ALPHA), SELU_SCALE);
}

/**
 * GELU: x·Φ(x). `approximate: 'tanh'` uses 0.5x(1 + tanh(√(2/π)(x + 0.044715x³))) as in PyTorch.
 * @default approximate 'none'
 */
export function gelu(x: Tensor, approximate: 'none' | 'tanh' = 'none'): Tensor {
  if (approximate === 'tanh') {
    const inner = mul(add(x, mul(mul(square(x), x), 0.044715)), Math.sqrt(2 / Math.PI));
    return mul(mul(x, 0.5), add(tanh(inner), 1));
  }
  return mul(mul(x, 0.5), add(erf(mul(x, Math.SQRT1_2)), 1));
}

/** Softmax along `axis`, computed as exp(x − max) / Σ for stability. @default axis -1 */
export function softmax(x: Tensor, axis = -1): Tensor {
  const ax = normAxis('softmax', axis, x.rank);
  const m = max(x, ax, true).detach();
  const e = exp(sub(x, m));
  return div(e, sum(e, ax, true));
}

/** log(softmax(x)) computed as x − logsumexp(x). @default axis -1 */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  const ax = normAxis('logSoftmax', axis, x.rank);
  return sub(x, logSumExp(x, ax, true));
}
