import type { DataNode, Reader } from '../types.js';

/** A map function: sync or async, given the element and its position in the pass. */
export type MapFn<T, U> = (value: T, index: number) => U | Promise<U>;

/** Applies `fn` to each element; keeps length and random access. */
export function mapNode<T, U>(src: DataNode<T>, fn: MapFn<T, U>): DataNode<U> {
  const openReader = src.openReader;
  return {
    length: src.length,
    openReader: openReader
      ? (): Reader<U> => {
          const r = openReader();
          return { get: async (i) => fn(await r.get(i), i), close: () => r.close() };
        }
      : undefined,
    async *iterate(ctx) {
      let i = 0;
      for await (const v of src.iterate(ctx)) yield await fn(v, i++);
    },
  };
}

/** Keeps the elements for which `pred` is true; the length becomes unknown. */
export function filterNode<T>(
  src: DataNode<T>,
  pred: (value: T, index: number) => boolean | Promise<boolean>,
): DataNode<T> {
  return {
    length: undefined,
    async *iterate(ctx) {
      let i = 0;
      for await (const v of src.iterate(ctx)) if (await pred(v, i++)) yield v;
    },
  };
}
