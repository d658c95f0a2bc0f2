import { hash32 } from '../random.js';
import type { DataNode } from '../types.js';

/**
 * The source `count` times (forever when undefined). Each repetition is a new pass, so a shuffle
 * upstream gives a new order each time: repetition r of pass e sees epoch `e * count + r`.
 */
export function repeatNode<T>(src: DataNode<T>, count?: number): DataNode<T> {
  const length =
    src.length === undefined ? undefined : count === undefined ? Infinity : src.length * count;
  return {
    length: src.length === 0 ? 0 : length,
    async *iterate(ctx) {
      for (let r = 0; count === undefined || r < count; r++) {
        const epoch = count === undefined ? hash32(ctx.epoch, r) : ctx.epoch * count + r;
        let any = false;
        for await (const v of src.iterate({ epoch })) {
          any = true;
          yield v;
        }
        if (!any) return; // an empty source repeated forever is still empty
      }
    },
  };
}
