/** The sampler interface shared by random, TPE and grid search. */
import type { Distribution, ParamValue } from '../distributions.js';
import type { Direction, FrozenTrial } from '../types.js';
import type { TpeOptions } from './tpe.js';

/** What a sampler sees when it draws one parameter. */
export interface SamplerContext {
  /** The number of the trial being sampled. */
  readonly trialNumber: number;
  /** Every trial of the study as of the start of this trial (all states). */
  readonly history: readonly FrozenTrial[];
  readonly direction: Direction;
  /** The study's seed (0 when none was given). */
  readonly seed: number;
  /**
   * A map that lives as long as the trial being sampled, where a sampler may keep what it drew for
   * several parameters at once (the multivariate TPE's joint sample). Absent outside a trial.
   */
  readonly scratch?: Map<string, unknown>;
}

/** A serialisable description of a sampler, used to rebuild it inside worker threads/processes. */
export type SamplerSpec =
  | { type: 'random' }
  | { type: 'tpe'; options: Required<TpeOptions> }
  | { type: 'grid'; space: Record<string, ParamValue[]>; options: { shuffle: boolean; warnAbove: number } };

/** Draws parameter values; every draw is a pure function of (seed, trial number, name, history). */
export interface Sampler {
  readonly name: string;
  /** A serialisable spec, for workers. */
  spec(): SamplerSpec;
  /** Called once when a trial starts; may fix parameters for it (grid search). */
  startTrial?(ctx: SamplerContext): Record<string, ParamValue> | undefined;
  /** Returns the internal-space value of parameter `name`. */
  sample(name: string, dist: Distribution, ctx: SamplerContext): number;
  /** Whether nothing is left to try (a finished grid); `optimize` then stops. */
  isExhausted?(history: readonly FrozenTrial[]): boolean;
}
