import type { DataNode } from '../types.js';

/** Groups consecutive elements into arrays of `size`; the last short one is kept unless dropped. */
export function batchNode<T>(src: DataNode<T>, size: number, dropRemainder: boolean): DataNode<T[]> {
  const n = src.length;
  const length =
    n === undefined ? undefined : !Number.isFinite(n) ? n : dropRemainder ? Math.floor(n / size) : Math.ceil(n / size);
  return {
    length,
    async *iterate(ctx) {
      let buf: T[] = [];
      for await (const v of src.iterate(ctx)) {
        buf.push(v);
        if (buf.length === size) {
          yield buf;
          buf = [];
        }
      }
      if (buf.length > 0 && !dropRemainder) yield buf;
    },
  };
}
