import type { DataNode, Reader } from '../types.js';

/** Pairs elements of several nodes position by position; stops at the shortest. */
export function zipNode<T extends unknown[]>(nodes: { [K in keyof T]: DataNode<T[K]> }): DataNode<T> {
  const list = nodes as DataNode<unknown>[];
  const lengths = list.map((n) => n.length);
  const length = lengths.some((l) => l === undefined) ? undefined : Math.min(...(lengths as number[]));
  const indexable = length !== undefined && list.every((n) => n.openReader);
  return {
    length,
    openReader: indexable
      ? (): Reader<T> => {
          const rs = list.map((n) => n.openReader!());
          return {
            get: async (i) => (await Promise.all(rs.map((r) => r.get(i)))) as T,
            close: async () => void (await Promise.all(rs.map((r) => r.close()))),
          };
        }
      : undefined,
    async *iterate(ctx) {
      const its = list.map((n) => n.iterate(ctx)[Symbol.asyncIterator]());
      try {
        for (;;) {
          const rs = await Promise.all(its.map((it) => it.next()));
          if (rs.some((r) => r.done)) return;
          yield rs.map((r) => r.value) as T;
        }
      } finally {
        await Promise.all(its.map((it) => it.return?.()));
      }
    },
  };
}
