/** Turns names and serialisable specs into samplers and pruners. */
import { InvalidOptionError } from './errors.js';
import { HyperbandPruner, SuccessiveHalvingPruner } from './pruners/successive-halving.js';
import { MedianPruner } from './pruners/median.js';
import { NopPruner, type Pruner, type PrunerSpec } from './pruners/pruner.js';
import { GridSampler } from './samplers/grid.js';
import { RandomSampler } from './samplers/random.js';
import type { Sampler, SamplerSpec } from './samplers/sampler.js';
import { TpeSampler } from './samplers/tpe.js';

/** A sampler, or the name of one with default options. */
export type SamplerLike = Sampler | 'tpe' | 'random';
/** A pruner, or the name of one with default options (`hyperband` needs options, so no name). */
export type PrunerLike = Pruner | 'median' | 'successiveHalving' | 'none';

export function resolveSampler(s: SamplerLike | undefined): Sampler {
  if (s === undefined || s === 'tpe') return new TpeSampler();
  if (s === 'random') return new RandomSampler();
  if (typeof s === 'object' && s !== null && typeof s.sample === 'function') return s;
  throw new InvalidOptionError('study()', 'sampler', s, '"tpe", "random", or a sampler object such as tpe({...}), random(), grid({...})');
}

export function resolvePruner(p: PrunerLike | undefined): Pruner {
  if (p === undefined || p === 'none') return new NopPruner();
  if (p === 'median') return new MedianPruner();
  if (p === 'successiveHalving') return new SuccessiveHalvingPruner();
  if (typeof p === 'object' && p !== null && typeof p.prune === 'function') return p;
  throw new InvalidOptionError('study()', 'pruner', p, '"median", "successiveHalving", "none", or a pruner object such as hyperband({ maxResource })');
}

export function samplerFromSpec(spec: SamplerSpec): Sampler {
  switch (spec.type) {
    case 'random':
      return new RandomSampler();
    case 'tpe':
      return new TpeSampler(spec.options);
    case 'grid':
      return new GridSampler(spec.space, { ...spec.options, onWarning: () => {} });
  }
}

export function prunerFromSpec(spec: PrunerSpec): Pruner {
  switch (spec.type) {
    case 'none':
      return new NopPruner();
    case 'median':
      return new MedianPruner(spec.options);
    case 'successiveHalving':
      return new SuccessiveHalvingPruner(spec.options);
    case 'hyperband':
      return new HyperbandPruner(spec.options as unknown as ConstructorParameters<typeof HyperbandPruner>[0]);
  }
}
