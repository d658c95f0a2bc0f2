import type { DataNode, Reader } from '../types.js';

function offsetReader<T>(src: DataNode<T>, offset: number): (() => Reader<T>) | undefined {
  const open = src.openReader;
  if (!open) return undefined;
  return () => {
    const r = open();
    return { get: (i) => r.get(i + offset), close: () => r.close() };
  };
}

/** The first `n` elements. Stops reading the source after them. */
export function takeNode<T>(src: DataNode<T>, n: number): DataNode<T> {
  return {
    length: src.length === undefined ? undefined : Math.min(n, src.length),
    openReader: offsetReader(src, 0),
    async *iterate(ctx) {
      if (n <= 0) return;
      let i = 0;
      for await (const v of src.iterate(ctx)) {
        yield v;
        if (++i >= n) return;
      }
    },
  };
}

/** All but the first `n` elements. */
export function skipNode<T>(src: DataNode<T>, n: number): DataNode<T> {
  const open = offsetReader(src, n);
  return {
    length: src.length === undefined ? undefined : Math.max(0, src.length - n),
    openReader: open,
    async *iterate(ctx) {
      if (open && src.length !== undefined) {
        // Indexable: jump straight to element n instead of reading and dropping.
        const r = open();
        try {
          for (let i = 0; i < src.length - n; i++) yield await r.get(i);
        } finally {
          await r.close();
        }
        return;
      }
      let i = 0;
      for await (const v of src.iterate(ctx)) if (i++ >= n) yield v;
    },
  };
}
