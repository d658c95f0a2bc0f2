import { arrayCtor, arrayFor, fmtShape, sizeOf, type TypedArray } from '../dtype';
import { NNError, ValueError } from '../errors';
import * as o from '../ops';
import { Generator } from '../random';
import { Tensor } from '../tensor';
import { cachedHost, keepHost, knownFinite, markFinite } from './host-cache';

/** One batch: model inputs and targets. */
export type Batch = [Tensor | Tensor[], Tensor | Tensor[] | undefined];

/** In-memory data accepted by fit/evaluate/predict: a tensor, nested arrays, or one per input. */
export type ArrayLikeData = Tensor | number[] | number[][] | number[][][] | number[][][][] | Tensor[];

/** A batched, re-iterable source (e.g. an @nn/data DataLoader) yielding `[x, y]` per batch. */
export type BatchSource = AsyncIterable<readonly [Tensor | Tensor[], (Tensor | Tensor[] | undefined)?, (Tensor | undefined)?] | { x: Tensor | Tensor[]; y?: Tensor | Tensor[]; sampleWeight?: Tensor }>;

/** One array of a {@link HostBatch}: flat values, the batch's shape (batch first), dtype. */
export interface HostBatchPart {
  readonly data: TypedArray;
  readonly shape: readonly number[];
  readonly dtype: Tensor['dtype'];
}

/** A batch as host arrays: features and targets (undefined: unlabelled), as @nn/data's collate makes them. */
export type HostBatch = readonly [HostBatchPart, HostBatchPart | undefined];

/**
 * The protocol by which a batched source (an @nn/data `DataLoader`) also yields its batches as host
 * arrays, for `fit` with a training engine that takes host values (no backend tensor made and read
 * back per batch): `source[HOST_BATCHES]()` returns one pass (the same batches, order and epoch
 * count as iterating the source), or null when it cannot (a custom collate).
 * A `Symbol.for` key: two copies of core, or a source from another package, agree on it.
 */
export const HOST_BATCHES: unique symbol = Symbol.for('nn.hostBatches') as never;

/** The source's host-batch pass (see {@link HOST_BATCHES}), or null. */
export function hostBatchesOf(source: unknown): AsyncIterable<HostBatch> | null {
  const f = (source as { [HOST_BATCHES]?: unknown } | null)?.[HOST_BATCHES];
  return typeof f === 'function' ? ((f as () => AsyncIterable<HostBatch> | null).call(source) ?? null) : null;
}

/** Host copy of one array: values, per-sample shape, dtype. */
interface HostArray {
  data: TypedArray;
  sampleShape: number[];
  dtype: Tensor['dtype'];
  n: number;
}

function toHost(v: ArrayLikeData, what: string): HostArray[] {
  const list: (Tensor | number[] | number[][])[] = Array.isArray(v) && v.length > 0 && v[0] instanceof Tensor ? (v as Tensor[]) : [v as Tensor];
  return list.map((item, i) => {
    const t = item instanceof Tensor ? item : o.tensor(item as number[][]);
    if (t.rank === 0) throw new ValueError(`${what}${list.length > 1 ? `[${i}]` : ''}: expected at least one axis (samples), got a scalar.`, 'fit');
    let data: TypedArray;
    if (item instanceof Tensor) {
      // The same tensor as a recent call's (same values): its host copy again (see ./host-cache.ts).
      const handle = t.handle;
      const kept = cachedHost(t, handle);
      data = kept ? kept.data : t.dataSync();
      if (!kept) keepHost(t, handle, data);
    } else {
      data = t.dataSync();
      t.dispose();
    }
    return { data, sampleShape: t.shape.slice(1), dtype: t.dtype, n: t.shape[0]! };
  });
}

/** Keep of each host array one float32 (int32) copy for fit engines, made on first use. */
const engineCopies = new WeakMap<TypedArray, TypedArray>();
function engineTyped(a: HostArray): HostArray {
  const want = a.dtype === 'float32' ? Float32Array : a.dtype === 'int32' ? Int32Array : null;
  if (!want || a.data instanceof want) return a;
  let c = engineCopies.get(a.data);
  if (!c) engineCopies.set(a.data, (c = new want(a.data as ArrayLike<number>)));
  return { ...a, data: c };
}

/** The two buffers an engine's groups are gathered or stacked into, kept by the caller (fit) across groups and epochs. */
export interface GroupBuffers {
  x?: TypedArray;
  y?: TypedArray;
}

/**
 * `n` values of `dtype` to fill for one group: a view of the kept `buffers[key]` when it has that type
 * and room, else a new array, which is kept (whole: a smaller group's view never replaces it). A fresh
 * buffer per group or epoch pays its page faults again (25 MB for 32 batches of 256 Fashion-MNIST rows).
 */
export function keptArray(buffers: GroupBuffers, key: 'x' | 'y', dtype: Tensor['dtype'], n: number): Float32Array | Int32Array | Uint8Array {
  const kept = buffers[key];
  if (kept instanceof arrayCtor(dtype) && kept.length >= n) return kept.subarray(0, n);
  const fresh = arrayFor(dtype, n);
  buffers[key] = fresh;
  return fresh;
}

/** `k` equal-size batches of one input and one target, back to back in one buffer each (for a fit engine). */
export interface HostGroup {
  x: Float32Array;
  y: Float32Array | Int32Array;
  k: number;
  size: number;
  sampleShape: number[];
  ySampleShape: number[];
  yDtype: 'float32' | 'int32';
}

/** In-memory training data, batched on the host and uploaded per step. */
export class ArrayData {
  readonly xs: HostArray[];
  readonly ys: HostArray[] | null;
  readonly n: number;
  /** Per-sample weights (Keras `sample_weight`), indexed like the rows of x; null: none. */
  weights: Float64Array | null = null;
  constructor(x: ArrayLikeData, y: ArrayLikeData | undefined, readonly multiX: boolean, readonly multiY: boolean, private readonly index: Int32Array | null = null) {
    this.xs = toHost(x, 'x');
    this.ys = y === undefined ? null : toHost(y, 'y');
    const full = this.xs[0]!.n;
    for (const [k, a] of [...this.xs.map((a, i) => [`x[${i}]`, a] as const), ...(this.ys ?? []).map((a, i) => [`y[${i}]`, a] as const)]) {
      if (a.n !== full) {
        throw new ValueError(`fit: x and y must have the same number of samples; ${k} has ${a.n}, x[0] has ${full}.`, 'fit', 'Check that inputs and labels line up.');
      }
    }
    this.n = index ? index.length : full;
  }

  /** A view on a subset of rows (for validationSplit). */
  subset(index: Int32Array): ArrayData {
    const d = Object.create(ArrayData.prototype) as ArrayData;
    Object.assign(d, { xs: this.xs, ys: this.ys, n: index.length, multiX: this.multiX, multiY: this.multiY, index: this.rows(index), weights: this.weights });
    return d;
  }

  private rows(idx: Int32Array): Int32Array {
    return this.index ? idx.map((i) => this.index![i]!) : idx;
  }

  /**
   * Give each sample a weight (Keras `sample_weight`): one finite, non-negative number per row of x.
   * @param where - The caller, for messages (`fit`, `evaluate`).
   */
  setSampleWeights(w: ArrayLikeData | Float32Array | Float64Array, where: string): void {
    const values = w instanceof Tensor ? w.dataSync() : ArrayBuffer.isView(w) ? (w as Float32Array) : (w as number[]).flat(3);
    const full = this.xs[0]!.n;
    if (w instanceof Tensor && w.rank !== 1) throw new ValueError(`${where}: sampleWeight must have one weight per sample (shape [${full}]), got shape [${w.shape.join(', ')}].`, where);
    if (values.length !== full) throw new ValueError(`${where}: sampleWeight has ${values.length} values for ${full} samples; give one weight per sample.`, where);
    const out = new Float64Array(full);
    for (let i = 0; i < full; i++) {
      const v = Number(values[i]);
      if (!(Number.isFinite(v) && v >= 0)) throw new ValueError(`${where}: sampleWeight[${i}] is ${values[i]}; weights must be finite and ≥ 0.`, where);
      out[i] = v;
    }
    this.weights = out;
  }

  /** The weights of some rows (from {@link batches}) as a float32 tensor, or null without weights. */
  batchWeights(rows: Int32Array): Tensor | null {
    const w = this.weights;
    return w ? o.tensor(Float32Array.from(rows, (r) => w[r]!), [rows.length]) : null;
  }

  /** Throw if any float input is NaN or infinite, naming the array and the row. */
  checkFinite(): void {
    this.xs.forEach((a, k) => {
      if (a.dtype !== 'float32' || knownFinite(a.data)) return;
      const per = sizeOf(a.sampleShape);
      for (let i = 0; i < a.data.length; i++) {
        if (!Number.isFinite(a.data[i]!)) {
          throw new ValueError(`fit: x${this.xs.length > 1 ? `[${k}]` : ''} contains ${a.data[i]} at sample ${Math.floor(i / per)} (flat index ${i}).`, 'fit', 'Clean or impute the data before training.');
        }
      }
      markFinite(a.data);
    });
  }

  /** Labels as numbers (first target), for range checks and class weights. */
  labels(): TypedArray | null {
    return this.ys ? this.ys[0]!.data : null;
  }

  /** The rows' values of one array, back to back, into `out` (a new array when not given). */
  private gatherHost(a: HostArray, rows: Int32Array, out: TypedArray = arrayFor(a.dtype, rows.length * sizeOf(a.sampleShape))): TypedArray {
    const per = sizeOf(a.sampleShape);
    const src = a.data;
    // One value per row (class labels): indexing, not a subarray view per row (8% of a 32 × 256-row
    // FMNIST group's gather, measured with both arrays gathered).
    if (per === 1) for (let r = 0; r < rows.length; r++) out[r] = src[rows[r]!]!;
    else {
      for (let r = 0; r < rows.length; r++) {
        const s = rows[r]! * per;
        out.set(src.subarray(s, s + per), r * per);
      }
    }
    return out;
  }

  private gather(a: HostArray, rows: Int32Array): Tensor {
    return o.tensor(this.gatherHost(a, rows), [rows.length, ...a.sampleShape], { dtype: a.dtype });
  }

  /** True when {@link hostGroups} applies: one float32 input and one float32/int32 target. */
  get hostable(): boolean {
    const y = this.ys?.length === 1 ? this.ys[0]! : null;
    return !this.multiX && !this.multiY && this.xs.length === 1 && this.xs[0]!.dtype === 'float32' && (y?.dtype === 'float32' || y?.dtype === 'int32');
  }

  private order(shuffle: Generator | null): Int32Array {
    return shuffle ? shuffle.permutation(this.n) : Int32Array.from({ length: this.n }, (_, i) => i);
  }

  /**
   * The batches of {@link batches} (same order, same generator draws), gathered on the host straight
   * into one buffer per group for a fit engine: up to `k` consecutive full batches per group, and a last
   * smaller batch alone — the grouping fit uses with tensors. Only when {@link hostable}.
   * The groups share two buffers (a call of 32 × 256 FMNIST rows gathers 25 MB): a group's arrays are
   * valid until the next one is pulled.
   * @param buffers - Where the two buffers are kept: pass the same object to every epoch's call and
   *   they are allocated once per fit, not once per epoch. A fresh 25 MB buffer costs its page faults
   *   again (measured ≈ 75 ms per epoch on a 2-core VM, 4× the gathering itself).
   */
  *hostGroups(batchSize: number, shuffle: Generator | null, k: number, buffers: GroupBuffers = {}): IterableIterator<HostGroup> {
    // The engine takes float32 / int32: a float64 host copy (the reference backend's) is converted
    // once here, not row by row in every group.
    const xa = engineTyped(this.xs[0]!), ya = engineTyped(this.ys![0]!);
    const order = this.order(shuffle);
    for (let s = 0; s < this.n; ) {
      const size = Math.min(batchSize, this.n - s);
      const kk = size === batchSize ? Math.min(k, Math.floor((this.n - s) / batchSize)) : 1;
      const rows = this.rows(order.subarray(s, s + kk * size));
      const x = this.gatherHost(xa, rows, keptArray(buffers, 'x', xa.dtype, rows.length * sizeOf(xa.sampleShape)));
      const y = this.gatherHost(ya, rows, keptArray(buffers, 'y', ya.dtype, rows.length * sizeOf(ya.sampleShape)));
      yield {
        x: x as Float32Array, y: y as Float32Array | Int32Array, k: kk, size,
        sampleShape: xa.sampleShape, ySampleShape: ya.sampleShape, yDtype: ya.dtype as 'float32' | 'int32',
      };
      s += kk * size;
    }
  }

  /** Batches in order or shuffled with a generator. */
  *batches(batchSize: number, shuffle: Generator | null): IterableIterator<[Tensor | Tensor[], Tensor | Tensor[] | undefined, Int32Array]> {
    const order = this.order(shuffle);
    for (let s = 0; s < this.n; s += batchSize) {
      const rows = this.rows(order.subarray(s, Math.min(s + batchSize, this.n)));
      const xs = this.xs.map((a) => this.gather(a, rows));
      const ys = this.ys?.map((a) => this.gather(a, rows));
      yield [this.multiX ? xs : xs[0]!, ys ? (this.multiY ? ys : ys[0]!) : undefined, rows];
    }
  }

  get steps(): number {
    return this.n;
  }
}

/** Normalise one yielded batch of a BatchSource. */
export function unpackBatch(b: unknown, where: string): [Tensor | Tensor[], Tensor | Tensor[], Tensor | null] {
  const missing = () => new NNError(`${where}: a batch has no targets (y); training and evaluation need [x, y] batches.`, where);
  const weights = (w: unknown): Tensor | null => {
    if (w === undefined || w === null) return null;
    if (w instanceof Tensor && w.rank === 1) return w;
    throw new NNError(`${where}: a batch's sample weights (the third element, as Keras's (x, y, sample_weight)) must be a 1-D Tensor, got ${w instanceof Tensor ? `shape [${w.shape.join(', ')}]` : describeValue(w)}.`, where);
  };
  if (Array.isArray(b) && b.length >= 2) {
    if (b[1] === undefined) throw missing();
    return [checkBatchPart(b[0], 'x', where), checkBatchPart(b[1], 'y', where), weights(b[2])];
  }
  if (b && typeof b === 'object' && 'x' in b) {
    const y = (b as { y?: Tensor }).y;
    if (y === undefined) throw missing();
    return [checkBatchPart((b as { x: unknown }).x, 'x', where), checkBatchPart(y, 'y', where), weights((b as { sampleWeight?: unknown }).sampleWeight)];
  }
  throw new NNError(`${where}: each batch must be [x, y] or { x, y }, got ${b instanceof Tensor ? `a single tensor ${fmtShape(b.shape)}` : typeof b}.`, where);
}

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name} of ${(v as unknown as ArrayLike<number>).length}`;
  if (typeof v === 'object') return `an object (${(v as object).constructor?.name ?? 'Object'})`;
  return `a ${typeof v}`;
}

/** A batch's x or y must be a Tensor (or, for multi-input models, an array of Tensors). */
function checkBatchPart(v: unknown, part: 'x' | 'y', where: string): Tensor | Tensor[] {
  if (v instanceof Tensor) return v;
  if (Array.isArray(v) && v.length > 0 && v.every((t) => t instanceof Tensor)) return v as Tensor[];
  throw new NNError(
    `${where}: a batch's ${part} is ${describeValue(v)}, not a Tensor. Batches must be [x, y] or { x, y } of Tensors: ` +
      `wrap a Dataset of samples in a DataLoader (new DataLoader(ds, { batchSize: 32 })), which collates them into Tensors.`,
    where,
  );
}

/**
 * Tell a batch source which epoch comes next, when the run was given an explicit `initialEpoch`
 * and the source can be told (an @nn/data `DataLoader`'s `setEpoch`, like PyTorch's
 * `DistributedSampler.set_epoch`): `fit` calls it at the start of every epoch, so a run resumed
 * with `fit({ initialEpoch: 5 })` on a fresh loader reads epoch 5's shuffle order instead of
 * replaying epoch 0's. Without `initialEpoch` the source keeps its own count, so repeated
 * `fit({ epochs: 1 })` calls on one loader still see a new order each time.
 *
 * @param source - The training data (any value; only a `setEpoch` function is used).
 * @param epoch - The epoch about to start (0-based, as `fit` counts).
 * @param initialEpoch - The `initialEpoch` given to `fit`; nothing happens when it is undefined.
 * @example
 * ```ts
 * setSourceEpoch(loader, 3, 2); // loader.setEpoch(3)
 * ```
 */
export function setSourceEpoch(source: unknown, epoch: number, initialEpoch: number | undefined): void {
  if (initialEpoch === undefined) return;
  const s = source as { setEpoch?: unknown } | null;
  if (typeof s === 'object' && s !== null && typeof s.setEpoch === 'function') (s.setEpoch as (e: number) => void).call(s, epoch);
}

/** True for async-iterable batch sources. */
export function isBatchSource(v: unknown): v is BatchSource {
  return typeof v === 'object' && v !== null && !(v instanceof Tensor) && !Array.isArray(v) && Symbol.asyncIterator in v;
}
