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
  const mask = bernoulli(x.shape, 1 - rate, { generator });
  return mul(x, mul(mask, 1 / (1 - rate)));
}
