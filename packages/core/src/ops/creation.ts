import { arrayFor, sizeOf, type DType, type NestedArray, type Shape, type TypedArray } from '../dtype';
import { ShapeError, ValueError } from '../errors';
import { engine } from '../engine';
import { fromHandle, Tensor, upload } from '../tensor';
import { defaultGenerator, type Generator } from '../random';
import { full } from './elementwise';

/** Options when creating a tensor. */
export interface TensorOptions {
  /** @default 'float32' (or 'int32' for an Int32Array, 'bool' for booleans) */
  dtype?: DType;
  /** Track gradients for this leaf. @default false */
  requiresGrad?: boolean;
}

function inferShape(v: NestedArray): number[] {
  const s: number[] = [];
  let cur: NestedArray = v;
  while (Array.isArray(cur)) {
    s.push(cur.length);
    cur = cur[0] as NestedArray;
  }
  return s;
}

function flattenNested(v: NestedArray, shape: number[], outArr: number[], depth = 0, path = ''): void {
  if (depth === shape.length) {
    if (Array.isArray(v)) throw new ShapeError('tensor', `ragged nested array at ${path || 'root'}`, [shape]);
    outArr.push(typeof v === 'boolean' ? +v : v);
    return;
  }
  if (!Array.isArray(v) || v.length !== shape[depth]) {
    throw new ShapeError('tensor', `ragged nested array at ${path || 'root'}: expected ${shape[depth]} entries, got ${Array.isArray(v) ? v.length : 'a number'}`, [shape]);
  }
  v.forEach((e, i) => flattenNested(e, shape, outArr, depth + 1, `${path}[${i}]`));
}

/**
 * Make a tensor from values.
 *
 * @param values - Nested arrays (`[[1, 2], [3, 4]]`), a flat array or a typed array.
 * @param shape - Required for flat data of rank ≠ 1; inferred from nested arrays.
 * @example
 * ```ts
 * const x = tensor([[1, 2], [3, 4]]);
 * const y = tensor(new Float32Array(6), [2, 3]);
 * ```
 */
export function tensor(values: NestedArray | TypedArray | readonly number[], shape?: readonly number[], opts: TensorOptions = {}): Tensor {
  let flat: TypedArray | number[];
  let inferred: number[];
  let dtype = opts.dtype;
  if (ArrayBuffer.isView(values)) {
    flat = values as TypedArray;
    inferred = [flat.length];
    dtype ??= values instanceof Int32Array ? 'int32' : values instanceof Uint8Array ? 'bool' : 'float32';
  } else {
    inferred = inferShape(values as NestedArray);
    flat = [];
    flattenNested(values as NestedArray, inferred, flat);
    const first = (function f(v: NestedArray): NestedArray { return Array.isArray(v) ? f(v[0] as NestedArray) : v; })(values as NestedArray);
    dtype ??= typeof first === 'boolean' ? 'bool' : 'float32';
  }
  const s = shape ? [...shape] : inferred;
  if (sizeOf(s) !== flat.length) {
    throw new ShapeError('tensor', `${flat.length} values do not fill shape [${s.join(', ')}] (${sizeOf(s)} elements)`, [inferred, s]);
  }
  // Float64 data stays float64 on the way in: the reference backend keeps full precision, other
  // backends round to float32 themselves.
  const arr = dtype === 'float32' && flat instanceof Float64Array ? flat : arrayFor(dtype, flat.length);
  if (arr !== flat) arr.set(flat as ArrayLike<number>);
  const t = upload(arr, s, dtype);
  if (opts.requiresGrad) t.requiresGrad = true;
  return t;
}

/** A tensor of zeros. */
export const zeros = (shape: Shape, dtype: DType = 'float32'): Tensor => full(shape, 0, dtype);
/** A tensor of ones. */
export const ones = (shape: Shape, dtype: DType = 'float32'): Tensor => full(shape, 1, dtype);
export const zerosLike = (x: Tensor): Tensor => full(x.shape, 0, x.dtype);
export const onesLike = (x: Tensor): Tensor => full(x.shape, 1, x.dtype);
export const fullLike = (x: Tensor, v: number): Tensor => full(x.shape, v, x.dtype);

/** Values start, start+step, … below stop. */
export function arange(start: number, stop?: number, step = 1, dtype: DType = 'int32'): Tensor {
  if (stop === undefined) [start, stop] = [0, start];
  if (step === 0) throw new ValueError('arange: step must not be 0.', 'arange');
  const n = Math.max(Math.ceil((stop - start) / step), 0);
  const a = arrayFor(dtype, n);
  for (let i = 0; i < n; i++) a[i] = start + i * step;
  return upload(a, [n], dtype);
}

/** n evenly spaced values from start to stop inclusive. */
export function linspace(start: number, stop: number, n: number): Tensor {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = n === 1 ? start : start + ((stop - start) * i) / (n - 1);
  return upload(a, [n], 'float32');
}

/** The n×n identity matrix. */
export function eye(n: number): Tensor {
  const a = new Float32Array(n * n);
  for (let i = 0; i < n; i++) a[i * n + i] = 1;
  return upload(a, [n, n], 'float32');
}

/** Options of the random creators. */
export interface RandomOptions {
  /** Generator to draw from. @default the process-wide default (see `manualSeed`) */
  generator?: Generator;
  /** @default false */
  requiresGrad?: boolean;
}

/**
 * Values drawn on the host from a generator. While tracing, nothing is drawn: the trace gets a
 * per-step host value ({@link RandomHost}) whose `draw` replays exactly this loop, so an engine
 * running the traced step draws the same numbers, in the same order, as eager code would.
 */
function fromGen(shape: Shape, f: (g: Generator) => number, opts: RandomOptions, dtype: DType = 'float32', dist = 'custom', params: Record<string, number> = {}, fill?: (g: Generator, out: { length: number; [i: number]: number }) => void): Tensor {
  const g = opts.generator ?? defaultGenerator;
  const n = sizeOf(shape);
  const draw = fill ? (out: { length: number; [i: number]: number }) => fill(g, out) : (out: { length: number; [i: number]: number }) => {
    for (let i = 0; i < out.length; i++) out[i] = f(g);
  };
  let t: Tensor;
  const tr = engine.tracing?.hook;
  if (tr) t = fromHandle(tr.host({ role: 'random', dist, params, generator: g, draw }, shape, dtype === 'int32' ? 'int32' : 'float32'), shape, dtype);
  else {
    const a = arrayFor(dtype, n);
    draw(a);
    t = upload(a, shape, dtype);
  }
  if (opts.requiresGrad) t.requiresGrad = true;
  return t;
}

/** Standard normal samples. */
export const randn = (shape: Shape, opts: RandomOptions = {}): Tensor => fromGen(shape, (g) => g.normal(), opts, 'float32', 'normal', { mean: 0, std: 1 });
/** Uniform samples in [0, 1). */
export const rand = (shape: Shape, opts: RandomOptions = {}): Tensor => fromGen(shape, (g) => g.next(), opts, 'float32', 'uniform', { low: 0, high: 1 });
/** Uniform samples in [low, high). */
export function randomUniform(shape: Shape, low = 0, high = 1, opts: RandomOptions = {}): Tensor {
  if (!(low < high)) throw new ValueError(`randomUniform: low (${low}) must be < high (${high}).`, 'randomUniform');
  return fromGen(shape, (g) => low + (high - low) * g.next(), opts, 'float32', 'uniform', { low, high });
}
/** Normal samples with mean and standard deviation. */
export function randomNormal(shape: Shape, mean = 0, std = 1, opts: RandomOptions = {}): Tensor {
  if (!(std >= 0)) throw new ValueError(`randomNormal: std must be ≥ 0, got ${std}.`, 'randomNormal');
  return fromGen(shape, (g) => mean + std * g.normal(), opts, 'float32', 'normal', { mean, std });
}
/**
 * Normal samples redrawn until within two standard deviations of the mean (as Keras and
 * tf.random.truncated_normal do).
 */
export function truncatedNormal(shape: Shape, mean = 0, std = 1, opts: RandomOptions = {}): Tensor {
  return fromGen(shape, (g) => {
    let v: number;
    do v = g.normal();
    while (Math.abs(v) > 2);
    return mean + std * v;
  }, opts, 'float32', 'truncatedNormal', { mean, std });
}
/** Integers uniform in [low, high). */
export function randint(low: number, high: number, shape: Shape, opts: RandomOptions = {}): Tensor {
  return fromGen(shape, (g) => low + g.int(high - low), opts, 'int32', 'randint', { low, high });
}
/** Options of {@link randomFrom}. */
export interface RandomFromOptions extends RandomOptions {
  /** A name for what is drawn (shown in messages and engine reports). @default 'custom' */
  dist?: string;
  /** @default 'float32' */
  dtype?: 'float32' | 'int32';
}

/**
 * A tensor your own code fills from a generator, that a compiled step redraws every step (a draw
 * with `Generator.next()` & co. outside core's random ops would be frozen into the graph as one
 * constant; the compiled engines refuse that). `fill(g, out)` writes `out.length` values; eagerly it
 * runs at once, under a traced step (the `ort` engine) it runs once per step with the same generator,
 * in the same order as the other random ops, so both give the same numbers.
 *
 * @param shape - Shape of the tensor.
 * @param fill - Writes the values into `out` (a flat array of the tensor's size), drawing from `g`.
 * @param opts - Generator (default: the process-wide one), dtype, a name for messages.
 * @example
 * ```ts
 * // one random shift per image, as a float tensor [B, 1]
 * const shifts = randomFrom([B, 1], (g, out) => { for (let i = 0; i < out.length; i++) out[i] = g.int(7) - 3; });
 * ```
 */
export function randomFrom(shape: Shape, fill: (g: Generator, out: { length: number; [i: number]: number }) => void, opts: RandomFromOptions = {}): Tensor {
  return fromGen(shape, () => 0, opts, opts.dtype ?? 'float32', opts.dist ?? 'custom', {}, fill);
}
/** Options of {@link bernoulli}. */
export interface BernoulliOptions extends RandomOptions {
  /**
   * The value of a success (a failure is 0), stored as float32 like every value of the tensor:
   * inverted dropout draws its mask as 0 or 1/(1 − rate) when float32 holds that exactly (rate 0.2,
   * 0.5 …), the scaled mask without a multiplication of its own. Finite. @default 1
   */
  value?: number;
}

/**
 * 1 (or `opts.value`) with probability p, else 0 (float32): one 32-bit draw per element (see
 * `Generator.fillBernoulli`).
 */
export function bernoulli(shape: Shape, p: number, opts: BernoulliOptions = {}): Tensor {
  if (!(p >= 0 && p <= 1)) throw new ValueError(`bernoulli: p must be in [0, 1], got ${p}.`, 'bernoulli');
  const value = opts.value ?? 1;
  if (!Number.isFinite(value)) throw new ValueError(`bernoulli: value must be a finite number, got ${value}.`, 'bernoulli');
  return fromGen(shape, () => 0, opts, 'float32', 'bernoulli', value === 1 ? { p } : { p, value }, (g, out) => g.fillBernoulli(out, p, value));
}
