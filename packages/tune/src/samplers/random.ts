/** Random search. */
import type { Distribution } from '../distributions.js';
import { Rng, deriveSeed } from '../prng.js';
import type { Sampler, SamplerContext, SamplerSpec } from './sampler.js';

/** Draws a value uniformly from a distribution's internal space (so log scales are log-uniform). */
export function sampleUniformInternal(dist: Distribution, rng: Rng): number {
  const step = dist.internalStep;
  if (step !== null) {
    const n = Math.round((dist.internalHigh - dist.internalLow) / step) + 1;
    return dist.internalLow + rng.int(n) * step;
  }
  return rng.uniform(dist.internalLow, dist.internalHigh);
}

/**
 * Independent uniform sampling in each parameter's internal space (log10 for log scales, k for
 * β = 1 − 10^k). Each draw is seeded by (seed, trial number, parameter name), so a study is
 * reproducible and parallel workers never share a stream.
 */
export class RandomSampler implements Sampler {
  readonly name = 'random';
  spec(): SamplerSpec {
    return { type: 'random' };
  }
  sample(name: string, dist: Distribution, ctx: SamplerContext): number {
    return sampleUniformInternal(dist, new Rng(deriveSeed(ctx.seed, ctx.trialNumber, name, 'random')));
  }
}

/**
 * Random search.
 *
 * @example
 * ```ts
 * const s = study({ sampler: random(), seed: 1 });
 * ```
 */
export function random(): RandomSampler {
  return new RandomSampler();
}
