import { availableParallelism } from 'node:os';
import { DataConfigError } from './errors.js';
import { randomSeed } from './random.js';
import { arraysNode, itemsNode, tensorsNode, type TensorLike } from './sources/arrays.js';
import { binaryShardsNode, type BinaryShardOptions } from './sources/binary-shards.js';
import { csvNode, type CsvOptions } from './sources/csv.js';
import { fashionMnistNode, type FashionMnistOptions } from './sources/fashion-mnist.js';
import { generatorNode } from './sources/generator.js';
import { idxNode, type IdxOptions } from './sources/idx.js';
import { jsonlNode, type JsonlOptions } from './sources/jsonl.js';
import { batchNode } from './transforms/batch.js';
import { diskCacheNode, memoryCacheNode } from './transforms/cache.js';
import { filterNode, mapNode, type MapFn } from './transforms/map.js';
import { parallelMapNode } from './transforms/parallel-map.js';
import { prefetchNode } from './transforms/prefetch.js';
import { repeatNode } from './transforms/repeat.js';
import { shuffleNode } from './transforms/shuffle.js';
import { skipNode, takeNode } from './transforms/take-skip.js';
import { zipNode } from './transforms/zip.js';
import type { DataNode, Sample, TypedArray } from './types.js';

/** Options of {@link Dataset.shuffle}. */
export interface ShuffleOptions {
  /** Buffer size for streams (ignored for indexable data, which gets a full permutation). @default 10_000 */
  buffer?: number;
  /** Seed; the order of pass `e` is a function of `(seed, e)`. @default a random seed */
  seed?: number;
}

/** Options of {@link Dataset.batch}. */
export interface BatchOptions {
  /** Drop a last batch smaller than `size`. @default false */
  dropRemainder?: boolean;
}

/** Options of {@link Dataset.cache}. */
export interface CacheOptions {
  /** `'memory'` or `'disk'`. @default 'memory' */
  to?: 'memory' | 'disk';
  /** File for the disk cache (required with `to: 'disk'`); reused when it exists. */
  path?: string;
}

/** Options of {@link Dataset.parallelMap}. */
export interface ParallelMapOptions {
  /** Worker threads. @default max(1, availableParallelism - 1) */
  workers?: number;
  /** Keep the input order (else emit as workers finish). @default true */
  ordered?: boolean;
  /** Elements in flight per worker. @default 2 */
  perWorker?: number;
  /** A structured-cloneable value given to the function as its third argument (e.g. statistics). */
  context?: unknown;
}

/** A function that can run in a worker: self-contained (no outer variables), sync or async. */
export type WorkerFn<T, U, C = unknown> = (value: T, index: number, context: C) => U | Promise<U>;

function positiveInt(where: string, option: string, v: number): number {
  if (!Number.isInteger(v) || v < 1) throw new DataConfigError(where, option, 'an integer ≥ 1', v);
  return v;
}

function nonNegativeInt(where: string, option: string, v: number): number {
  if (!Number.isInteger(v) || v < 0) throw new DataConfigError(where, option, 'an integer ≥ 0', v);
  return v;
}

/**
 * A lazy sequence of elements, read again on every pass (`for await` starts a new epoch).
 * Build one from a source (`Dataset.fromCsv`, `fromIdx`, `fromArrays` …) and chain transforms;
 * nothing is read until you iterate. Indexable datasets (in-memory arrays, binary shards, and
 * `map`/`take`/`skip` of them) also support `get(i)`, full-permutation shuffles and exact splits.
 *
 * @example
 * ```ts
 * const ds = Dataset.fromCsv('big.csv', { label: 'y' })
 *   .shuffle({ buffer: 10_000, seed: 1 })
 *   .batch(256);
 * for await (const batch of ds) console.log(batch.length);
 * ```
 */
export class Dataset<T> implements AsyncIterable<T> {
  /** The node this dataset reads from (for custom sources and transforms). */
  readonly node: DataNode<T>;
  private epochs = 0;

  /** Wraps a {@link DataNode}; prefer the static `from…` constructors. */
  constructor(node: DataNode<T>) {
    this.node = node;
  }

  // ---------------------------------------------------------------- sources

  /**
   * In-memory features and optional labels as `{x, y}` samples. Indexable.
   * @param x one entry per example (typed arrays, number arrays, numbers …).
   * @param y labels, as many as `x`.
   * @example `Dataset.fromArrays([[0, 1], [1, 0]], [1, 0])`
   */
  static fromArrays<X, Y = number>(x: readonly X[], y: readonly Y[]): Dataset<{ x: X; y: Y }>;
  static fromArrays<X>(x: readonly X[]): Dataset<{ x: X }>;
  static fromArrays<X, Y>(x: readonly X[], y?: readonly Y[]): Dataset<Sample<X, Y>> {
    return new Dataset(arraysNode(x, y));
  }

  /**
   * Any in-memory array of elements, as they are. Indexable.
   * @example `Dataset.fromItems(['a', 'b']).map((s) => s.toUpperCase())`
   */
  static fromItems<T>(items: readonly T[]): Dataset<T> {
    return new Dataset(itemsNode(items));
  }

  /**
   * Rows of tensors (core `Tensor`s or `{data, shape}`), sliced along the first axis without copying.
   * Rank-1 tensors give numbers. Indexable.
   * @example `Dataset.fromTensors(tensor(xs, [100, 4]), tensor(ys, [100]))`
   */
  static fromTensors(x: TensorLike, y?: TensorLike): Dataset<Sample<TypedArray | number, TypedArray | number>> {
    return new Dataset(tensorsNode(x, y));
  }

  /**
   * Streams a CSV file (parsed by `csv-parse`) into `{x: Float32Array, y?: number}` samples.
   * A malformed row throws a `DataRowError` naming the file and line, or — with
   * `onInvalid: 'skip'` — is counted and reported at the end of the pass.
   * @param file path to the CSV file.
   * @param options label column, column types, header, delimiter, invalid-row policy.
   * @example `Dataset.fromCsv('big.csv', { label: 'y', columns: { id: 'ignore' } })`
   */
  static fromCsv(file: string, options?: CsvOptions): Dataset<Sample> {
    return new Dataset(csvNode(file, options));
  }

  /**
   * Streams a JSON Lines file; each non-blank line is one JSON value (optionally converted by `parse`).
   * @example `Dataset.fromJsonl('rows.jsonl', { parse: (o: any) => ({ x: Float32Array.from(o.x), y: o.y }) })`
   */
  static fromJsonl<T = unknown>(file: string, options?: JsonlOptions<T>): Dataset<T> {
    return new Dataset(jsonlNode(file, options));
  }

  /**
   * Streams an IDX file (MNIST format), gzipped or not. Items of a rank-1 file are numbers, others
   * typed arrays (or Float32Array when `scale` is set). Checks the magic number and the length.
   * @example `Dataset.fromIdx('train-images-idx3-ubyte.gz', { scale: 255 })`
   */
  static fromIdx(file: string, options?: IdxOptions): Dataset<TypedArray | number> {
    return new Dataset(idxNode(file, options));
  }

  /**
   * Fashion-MNIST (or MNIST) from the four standard IDX files in `dir`:
   * `{x: Float32Array(784) in [0, 1], y}` samples.
   * @example `Dataset.fromFashionMnist('/usr/share/datasets/fashion-mnist', { split: 'test' })`
   */
  static fromFashionMnist(dir: string, options?: FashionMnistOptions): Dataset<Sample> {
    return new Dataset(fashionMnistNode(dir, options));
  }

  /**
   * Fixed-size float32/uint8 records in one or more files, read by offset. Indexable.
   * @example `Dataset.fromBinaryShards(['a.bin', 'b.bin'], { dtype: 'float32', recordLength: 785, label: 'last' })`
   */
  static fromBinaryShards(files: string | string[], options: BinaryShardOptions): Dataset<Sample<Float32Array | Uint8Array>> {
    return new Dataset(binaryShardsNode(Array.isArray(files) ? files : [files], options));
  }

  /**
   * Elements from a (sync or async) generator function, called again at every pass with the epoch.
   * @param length the number of elements, when known.
   * @example `Dataset.fromGenerator(function* () { for (let i = 0; i < 10; i++) yield i; })`
   */
  static fromGenerator<T>(make: (epoch: number) => Iterable<T> | AsyncIterable<T>, options: { length?: number } = {}): Dataset<T> {
    return new Dataset(generatorNode(make, options.length));
  }

  /**
   * Tuples of the elements of several datasets, position by position (stops at the shortest).
   * @example `Dataset.zip([images, labels]).map(([x, y]) => ({ x, y }))`
   */
  static zip<T extends unknown[]>(datasets: { [K in keyof T]: Dataset<T[K]> }): Dataset<T> {
    return new Dataset(zipNode<T>((datasets as Dataset<unknown>[]).map((d) => d.node) as never));
  }

  // ---------------------------------------------------------------- reading

  /** Number of elements when known without reading (`undefined` after `filter`, for streams). */
  get length(): number | undefined {
    return this.node.length;
  }

  /** True when elements can be read by index (`get`). */
  get indexable(): boolean {
    return this.node.openReader !== undefined && this.node.length !== undefined;
  }

  /**
   * Element `index` of an indexable dataset.
   * @example `await Dataset.fromItems([1, 2, 3]).get(2) // 3`
   */
  async get(index: number): Promise<T> {
    const open = this.node.openReader;
    if (!open || this.node.length === undefined)
      throw new DataConfigError('Dataset.get', 'dataset', 'an indexable dataset (arrays, tensors, binary shards, or map/take/skip of them)', 'a stream');
    if (!Number.isInteger(index) || index < 0 || index >= this.node.length)
      throw new RangeError(`Dataset.get: index ${index} is out of range [0, ${this.node.length})`);
    const r = open();
    try {
      return await r.get(index);
    } finally {
      await r.close();
    }
  }

  /**
   * One pass. Without `epoch`, passes are numbered 0, 1, 2 … per Dataset object, and shuffles
   * seed each pass from it: the same seed gives the same sequence of orders.
   * @param options.epoch the epoch to read (PyTorch's `sampler.set_epoch`).
   */
  iterate(options: { epoch?: number } = {}): AsyncIterableIterator<T> {
    const epoch = options.epoch ?? this.epochs++;
    const it = this.node.iterate({ epoch })[Symbol.asyncIterator]();
    return {
      next: () => it.next(),
      return: async (v?: unknown) => (it.return ? it.return(v) : { done: true, value: v as T }),
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return this.iterate();
  }

  /**
   * Reads one whole pass into an array (only for data that fits in memory).
   * @example `await Dataset.fromItems([1, 2]).map((v) => v * 2).toArray() // [2, 4]`
   */
  async toArray(options: { epoch?: number } = {}): Promise<T[]> {
    const out: T[] = [];
    for await (const v of this.iterate(options)) out.push(v);
    return out;
  }

  // ---------------------------------------------------------------- transforms

  /**
   * Applies `fn` (sync or async) to each element. Keeps the length and random access.
   * @example `ds.map(({ x, y }) => ({ x: x.map((v) => v / 255), y }))`
   */
  map<U>(fn: MapFn<T, U>): Dataset<U> {
    return new Dataset(mapNode(this.node, fn));
  }

  /**
   * Keeps the elements for which `predicate` holds (sync or async).
   * @example `ds.filter(({ y }) => y !== 3)`
   */
  filter(predicate: (value: T, index: number) => boolean | Promise<boolean>): Dataset<T> {
    return new Dataset(filterNode(this.node, predicate));
  }

  /**
   * Groups consecutive elements into arrays of `size`.
   * @param size elements per batch.
   * @param options.dropRemainder drop a smaller last batch. @default false
   * @example `ds.batch(256, { dropRemainder: true })`
   */
  batch(size: number, options: BatchOptions = {}): Dataset<T[]> {
    return new Dataset(batchNode(this.node, positiveInt('Dataset.batch', 'size', size), options.dropRemainder ?? false));
  }

  /**
   * Shuffles: a full permutation each pass for indexable data, a buffer of `buffer` elements for
   * streams. A new order every pass; the same `seed` gives the same orders.
   * @example `ds.shuffle({ buffer: 10_000, seed: 42 })`
   */
  shuffle(options: ShuffleOptions = {}): Dataset<T> {
    const buffer = positiveInt('Dataset.shuffle', 'buffer', options.buffer ?? 10_000);
    return new Dataset(shuffleNode(this.node, options.seed ?? randomSeed(), buffer));
  }

  /**
   * The dataset `count` times in a row (forever when omitted); shuffles upstream reshuffle each time.
   * @example `ds.shuffle({ seed: 1 }).repeat(3)`
   */
  repeat(count?: number): Dataset<T> {
    if (count !== undefined) nonNegativeInt('Dataset.repeat', 'count', count);
    return new Dataset(repeatNode(this.node, count));
  }

  /** The first `n` elements. @example `ds.take(10)` */
  take(n: number): Dataset<T> {
    return new Dataset(takeNode(this.node, nonNegativeInt('Dataset.take', 'n', n)));
  }

  /** Everything after the first `n` elements. @example `ds.skip(10)` */
  skip(n: number): Dataset<T> {
    return new Dataset(skipNode(this.node, nonNegativeInt('Dataset.skip', 'n', n)));
  }

  /**
   * Stores the first complete pass in memory or in a file; later passes replay it. Put it before
   * `shuffle` (else the first order is frozen).
   * @example `Dataset.fromIdx(file).map(decode).cache({ to: 'disk', path: '/tmp/decoded.cache' })`
   */
  cache(options: CacheOptions = {}): Dataset<T> {
    const to = options.to ?? 'memory';
    if (to === 'memory') return new Dataset(memoryCacheNode(this.node));
    if (to !== 'disk') throw new DataConfigError('Dataset.cache', 'to', "'memory' or 'disk'", to);
    if (!options.path) throw new DataConfigError('Dataset.cache', 'path', "a file path with to: 'disk'", options.path);
    return new Dataset(diskCacheNode(this.node, options.path));
  }

  /**
   * Reads up to `size` elements ahead while the consumer works.
   * @default size 2
   * @example `ds.batch(64).prefetch(4)`
   */
  prefetch(size = 2): Dataset<T> {
    return new Dataset(prefetchNode(this.node, positiveInt('Dataset.prefetch', 'size', size)));
  }

  /**
   * Runs `fn` on each element in worker threads. `fn` travels as source text, so it must be
   * self-contained: pass data it needs as `options.context` (its third argument). An exception in
   * a worker — or a worker that dies — rejects the pass with a `WorkerTaskError`.
   * @example `ds.parallelMap((s, i, k) => ({ x: s.x.map((v) => v * k), y: s.y }), { workers: 4, context: 2 })`
   */
  parallelMap<U, C = unknown>(fn: WorkerFn<T, U, C>, options: ParallelMapOptions = {}): Dataset<U> {
    if (typeof fn !== 'function') throw new DataConfigError('Dataset.parallelMap', 'fn', 'a function', typeof fn);
    const source = fn.toString();
    if (/\[native code\]/.test(source))
      throw new DataConfigError('Dataset.parallelMap', 'fn', 'a function written in JavaScript/TypeScript (not a bound or built-in one)', source);
    const workers = positiveInt('Dataset.parallelMap', 'workers', options.workers ?? defaultWorkers());
    return new Dataset(
      parallelMapNode<T, U>(this.node, source, {
        workers,
        perWorker: positiveInt('Dataset.parallelMap', 'perWorker', options.perWorker ?? 2),
        ordered: options.ordered ?? true,
        context: options.context,
      }),
    );
  }
}

function defaultWorkers(): number {
  return Math.max(1, availableParallelism() - 1);
}
