/** The pruner interface. */
import type { Direction, FrozenTrial } from '../types.js';

/** What a pruner sees. */
export interface PrunerContext {
  /** The trial asking, with the intermediate values it has reported so far. */
  readonly trial: { readonly number: number; readonly intermediate: Readonly<Record<number, number>> };
  /** Other trials of the study (a recent snapshot; all states). */
  readonly history: readonly FrozenTrial[];
  readonly direction: Direction;
}

/** A serialisable description of a pruner, used to rebuild it inside workers. */
export type PrunerSpec =
  | { type: 'none' }
  | { type: 'median'; options: Record<string, number> }
  | { type: 'successiveHalving'; options: Record<string, number> }
  | { type: 'hyperband'; options: Record<string, number> };

/** Decides whether a trial should stop early, from its intermediate values and other trials'. */
export interface Pruner {
  readonly name: string;
  spec(): PrunerSpec;
  prune(ctx: PrunerContext): boolean;
}

/** The steps a trial has reported, ascending. */
export function reportedSteps(intermediate: Readonly<Record<number, number>>): number[] {
  return Object.keys(intermediate)
    .map(Number)
    .sort((a, b) => a - b);
}

/** Never prunes. */
export class NopPruner implements Pruner {
  readonly name = 'none';
  spec(): PrunerSpec {
    return { type: 'none' };
  }
  prune(): boolean {
    return false;
  }
}
