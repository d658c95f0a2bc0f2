import { hash32, permutation, Rng } from '../random.js';
import type { DataNode } from '../types.js';

/**
 * Shuffles. Indexable sources get a full permutation each pass (read by index); streams get a
 * tf.data-style buffer of `bufferSize` elements: fill it, then for each new element emit a random
 * buffered one and put the new one in its place; drain at the end. The order of pass `epoch` is a
 * pure function of `(seed, epoch)`.
 */
export function shuffleNode<T>(src: DataNode<T>, seed: number, bufferSize: number): DataNode<T> {
  const open = src.openReader;
  const n = src.length;
  if (open && n !== undefined && Number.isFinite(n)) {
    return {
      length: n,
      async *iterate(ctx) {
        const order = permutation(n, new Rng(hash32(seed, ctx.epoch)));
        const r = open();
        try {
          for (let i = 0; i < n; i++) yield await r.get(order[i]!);
        } finally {
          await r.close();
        }
      },
    };
  }
  return {
    length: n,
    async *iterate(ctx) {
      const rng = new Rng(hash32(seed, ctx.epoch));
      const buf: T[] = [];
      for await (const v of src.iterate(ctx)) {
        if (buf.length < bufferSize) {
          buf.push(v);
          continue;
        }
        const j = rng.int(bufferSize);
        const out = buf[j]!;
        buf[j] = v;
        yield out;
      }
      for (let i = buf.length - 1; i >= 0; i--) {
        const j = rng.int(i + 1);
        yield buf[j]!;
        buf[j] = buf[i]!;
      }
    },
  };
}
