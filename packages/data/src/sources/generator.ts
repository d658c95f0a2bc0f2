import type { DataNode } from '../types.js';

/** Calls `make()` at the start of each pass; it may return a sync or async iterable. */
export function generatorNode<T>(
  make: (epoch: number) => Iterable<T> | AsyncIterable<T>,
  length?: number,
): DataNode<T> {
  return {
    length,
    async *iterate(ctx) {
      yield* make(ctx.epoch);
    },
  };
}
