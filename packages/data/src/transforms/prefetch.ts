import type { DataNode } from '../types.js';

/**
 * Reads up to `size` elements ahead: `size` pending `next()` calls are kept on the upstream
 * iterator, so it keeps working (I/O, parsing, worker round trips) while the consumer computes.
 * Errors surface at the element where they happened.
 */
export function prefetchNode<T>(src: DataNode<T>, size: number): DataNode<T> {
  return {
    length: src.length,
    openReader: src.openReader,
    async *iterate(ctx) {
      const it = src.iterate(ctx)[Symbol.asyncIterator]();
      const pending: Promise<IteratorResult<T>>[] = [];
      let done = false;
      try {
        for (;;) {
          while (!done && pending.length < size) {
            const p = it.next();
            p.catch(() => undefined); // observed below; avoid unhandled-rejection noise meanwhile
            pending.push(p);
          }
          const head = pending.shift();
          if (!head) return;
          const r = await head;
          if (r.done) {
            done = true;
            return;
          }
          yield r.value;
        }
      } finally {
        if (!done) await it.return?.();
      }
    },
  };
}
