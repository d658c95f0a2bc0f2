import { ValueError } from '../errors';
import { defaultGenerator, type Generator } from '../random';
import type { Tensor } from '../tensor';
import { bernoulli } from './creation';
import { mul } from './elementwise';

/**
 * Inverted dropout: zero each element with probability `rate` and scale the kept ones by
 * 1/(1 − rate), so that eval needs no rescaling. Identity when `training` is false or rate is 0.
 */
export function dropout(x: Tensor, rate: number, training = true, generator: Generator = defaultGenerator): Tensor {
  if (!(rate >= 0 && rate < 1)) throw new ValueError(`dropout: rate must be in [0, 1), got ${rate}.`, 'dropout');
  if (!training || rate === 0) return x;
  const scale = 1 / (1 - rate);
  // A scale float32 holds exactly (rate 0.2 → 1.25, 0.5 → 2 …) is drawn into the mask: the same values
  // as mask · scale on every backend (float32 or float64), one pass (an op, a graph node per step)
  // fewer. Any other stays a product, which a float64 backend computes in float64.
  if (Math.fround(scale) === scale) return mul(x, bernoulli(x.shape, 1 - rate, { generator, value: scale }));
  return mul(x, mul(bernoulli(x.shape, 1 - rate, { generator }), scale));
}
