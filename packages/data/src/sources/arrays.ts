import { DataConfigError } from '../errors.js';
import type { DataNode, HostTensor, Reader, Sample, TypedArray } from '../types.js';

/** Anything with a shape and synchronous host values: a core `Tensor`, or a {@link HostTensor}. */
export interface TensorLike {
  readonly shape: readonly number[];
  dataSync?(): ArrayLike<number> & { subarray?(b: number, e: number): unknown };
  readonly data?: unknown;
}

/** An indexable node over an in-memory array. */
export function itemsNode<T>(items: readonly T[]): DataNode<T> {
  return fromGetter(items.length, (i) => items[i]!);
}

/** An indexable node built from a length and a synchronous getter. */
export function fromGetter<T>(length: number, get: (i: number) => T): DataNode<T> {
  const reader: Reader<T> = { get: async (i) => get(i), close: async () => undefined };
  return {
    length,
    openReader: () => reader,
    async *iterate() {
      for (let i = 0; i < length; i++) yield get(i);
    },
  };
}

/** Zips parallel features and labels into `{x, y}` samples (or `{x}` without labels). */
export function arraysNode<X, Y>(xs: readonly X[], ys?: readonly Y[]): DataNode<Sample<X, Y>> {
  if (ys && ys.length !== xs.length)
    throw new DataConfigError('fromArrays', 'y', `an array of ${xs.length} labels (one per x)`, `${ys.length} labels`);
  return fromGetter(xs.length, (i) => (ys ? { x: xs[i]!, y: ys[i]! } : { x: xs[i]! }));
}

function hostValues(t: TensorLike, what: string): TypedArray {
  const v = typeof t.dataSync === 'function' ? t.dataSync() : t.data;
  if (!ArrayBuffer.isView(v))
    throw new DataConfigError('fromTensors', what, 'a tensor (with dataSync()) or {data: TypedArray, shape}', typeof v);
  return v as unknown as TypedArray;
}

/**
 * Slices tensors along their first axis: row i is `{x: x[i], y: y[i]}` (views into the values,
 * no copy). A scalar row (rank-1 tensor) gives a number.
 */
export function tensorsNode(x: TensorLike, y?: TensorLike): DataNode<Sample<TypedArray | number, TypedArray | number>> {
  const n = x.shape[0];
  if (n === undefined) throw new DataConfigError('fromTensors', 'x', 'a tensor of rank ≥ 1', `shape [${x.shape.join(', ')}]`);
  if (y && y.shape[0] !== n)
    throw new DataConfigError('fromTensors', 'y', `a tensor whose first axis is ${n} (as x)`, `shape [${y.shape.join(', ')}]`);
  const xv = hostValues(x, 'x');
  const yv = y ? hostValues(y, 'y') : undefined;
  const row = (v: TypedArray, shape: readonly number[], i: number): TypedArray | number => {
    if (shape.length === 1) return v[i]!;
    const w = v.length / n;
    return v.subarray(i * w, (i + 1) * w);
  };
  return fromGetter(n, (i) => (yv && y ? { x: row(xv, x.shape, i), y: row(yv, y.shape, i) } : { x: row(xv, x.shape, i) }));
}

export type { HostTensor };
