/** Typed arrays a sample's features may be stored in. */
export type TypedArray =
  | Float32Array
  | Float64Array
  | Int32Array
  | Int16Array
  | Int8Array
  | Uint8Array
  | Uint16Array
  | Uint32Array;

/**
 * A tensor held in host memory: flat row-major values and a shape. It is what the data package
 * produces before values are handed to `@nn/core`'s `tensor()`.
 */
export interface HostTensor {
  readonly data: Float32Array | Int32Array | Uint8Array;
  readonly shape: readonly number[];
  readonly dtype: 'float32' | 'int32' | 'bool';
}

/** One training example: features `x` and, when the source has one, a label `y`. */
export interface Sample<X = Float32Array, Y = number> {
  x: X;
  y?: Y;
}

/** Per-pass information handed down a pipeline; `epoch` seeds shuffles so each pass differs. */
export interface IterContext {
  readonly epoch: number;
}

/** Random access to an indexable dataset, opened for one pass (it may hold file handles). */
export interface Reader<T> {
  /** Element `index` (0 ≤ index < length). */
  get(index: number): Promise<T>;
  /** Release resources (file handles). */
  close(): Promise<void>;
}

/**
 * The plumbing under a {@link Dataset}: sources and transforms implement it. A node is
 * *indexable* when it knows its length and can open a {@link Reader}.
 */
export interface DataNode<T> {
  /** Number of elements when known without reading the data; `Infinity` for endless repeats. */
  readonly length: number | undefined;
  /** Present only for indexable nodes. */
  readonly openReader?: () => Reader<T>;
  /** One pass over the elements, in order. */
  iterate(ctx: IterContext): AsyncIterable<T>;
}
