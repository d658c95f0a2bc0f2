import { Tensor as NNTensor, tensor as nnTensor } from '@nn/core';
import { SessionInputError } from '../errors';

/** Element types a session input or output can have. */
export type OrtDType = 'float32' | 'float64' | 'int32' | 'int64' | 'bool' | 'uint8' | 'int8' | 'float16' | 'string' | string;

/** A host array fed to or fetched from a session. */
export type HostArray = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;

/** One input value: an nn Tensor, a typed array (shape inferred from the model), or data with dims. */
export type FeedValue = NNTensor | HostArray | { readonly data: HostArray; readonly dims: readonly number[] };

/** A model input or output as the model declares it. */
export interface ValueSpec {
  name: string;
  dtype: OrtDType;
  /** Fixed sizes, or a name / null for a dynamic dimension. */
  dims: readonly (number | string | null)[];
}

export const describe = (v: ValueSpec) => `${v.name}: ${v.dtype} [${v.dims.map((d) => (d === null ? '?' : d)).join(', ')}]`;
export const describeAll = (vs: readonly ValueSpec[]) => vs.map(describe).join('; ');

/** A session output: typed data, its dims and dtype. */
export interface SessionOutput {
  readonly name: string;
  readonly dtype: OrtDType;
  readonly dims: readonly number[];
  readonly data: HostArray;
}

/**
 * An output as an nn Tensor (int64 becomes int32, float64 float32).
 *
 * @param o - One output of {@link InferenceSession.run}.
 * @example
 * ```ts
 * const probs = outputToTensor((await session.run({ x })).probs);
 * ```
 */
export function outputToTensor(o: SessionOutput): NNTensor {
  const d = o.data;
  if (d instanceof Float32Array) return nnTensor(d, o.dims);
  if (d instanceof Float64Array) return nnTensor(Float32Array.from(d), o.dims);
  if (d instanceof Int32Array) return nnTensor(d, o.dims, { dtype: 'int32' });
  if (d instanceof BigInt64Array) return nnTensor(Int32Array.from(d, Number), o.dims, { dtype: 'int32' });
  return nnTensor(d, o.dims, { dtype: o.dtype === 'bool' ? 'bool' : 'int32' });
}

const ARRAY_FOR: Record<string, string> = { float32: 'Float32Array', float64: 'Float64Array', int32: 'Int32Array', int64: 'BigInt64Array or Int32Array', bool: 'Uint8Array', uint8: 'Uint8Array' };

/** Convert and check one feed against its spec; returns data in the model's element type and its dims. */
export function prepareFeed(spec: ValueSpec, v: FeedValue, all: readonly ValueSpec[]): { data: HostArray; dims: number[] } {
  const fail = (detail: string) => new SessionInputError(spec.name, detail, describeAll(all));
  let data: HostArray, dims: number[] | undefined;
  if (v instanceof NNTensor) {
    const want = spec.dtype === 'int64' ? 'int32' : spec.dtype === 'uint8' ? 'int32' : spec.dtype;
    if (v.dtype !== want) throw fail(`got an nn Tensor of dtype ${v.dtype}, expected ${spec.dtype}${v.dtype !== 'bool' ? ` (cast it with .cast('${want}'))` : ''}`);
    const raw = v.dataSync();
    data = spec.dtype === 'float32' ? (raw instanceof Float32Array ? raw : Float32Array.from(raw as ArrayLike<number>)) : (raw as HostArray);
    dims = [...v.shape];
  } else if (ArrayBuffer.isView(v)) {
    data = v as HostArray;
  } else if (v && typeof v === 'object' && 'data' in v && ArrayBuffer.isView(v.data)) {
    data = v.data;
    dims = [...v.dims];
  } else {
    throw fail(`got ${v === null ? 'null' : typeof v}, expected an nn Tensor, a typed array or { data, dims }`);
  }
  const okType =
    (spec.dtype === 'float32' && data instanceof Float32Array) ||
    (spec.dtype === 'float64' && data instanceof Float64Array) ||
    (spec.dtype === 'int32' && data instanceof Int32Array) ||
    (spec.dtype === 'int64' && (data instanceof BigInt64Array || data instanceof Int32Array)) ||
    ((spec.dtype === 'bool' || spec.dtype === 'uint8') && data instanceof Uint8Array);
  if (!okType) throw fail(`got a ${data.constructor.name}, expected ${ARRAY_FOR[spec.dtype] ?? spec.dtype} data`);
  if (spec.dtype === 'int64' && data instanceof Int32Array) data = BigInt64Array.from(data, (x) => BigInt(x));
  if (!dims) {
    // A bare typed array: infer the single dynamic dimension from its length.
    const dyn = spec.dims.filter((d) => typeof d !== 'number').length;
    const known = spec.dims.reduce<number>((p, d) => (typeof d === 'number' ? p * d : p), 1);
    if (dyn > 1) throw fail(`a bare ${data.constructor.name} cannot fix ${dyn} dynamic dimensions; pass { data, dims }`);
    if (dyn === 0) dims = spec.dims as number[];
    else {
      if (known === 0 || data.length % known !== 0) throw fail(`${data.length} values do not fill whole rows of ${known}`);
      dims = spec.dims.map((d) => (typeof d === 'number' ? d : data.length / known));
    }
  }
  const size = dims.reduce((p, d) => p * d, 1);
  if (size !== data.length) throw fail(`${data.length} values do not fill dims [${dims.join(', ')}]`);
  if (dims.length !== spec.dims.length || dims.some((d, i) => typeof spec.dims[i] === 'number' && spec.dims[i] !== d)) {
    throw fail(`got shape [${dims.join(', ')}]`);
  }
  return { data, dims };
}
