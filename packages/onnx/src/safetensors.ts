// The safetensors format (https://github.com/huggingface/safetensors): an 8-byte little-endian
// header length N, N bytes of JSON {name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?},
// then the raw little-endian tensor bytes. Data only, never code.
//
// This file imports neither onnx nor onnxruntime so that it can move into @nn/core (model.save).
import { readFile } from 'node:fs/promises';
import { noGrad, parseSafetensorsHeader, SAFETENSORS_DTYPE_BYTES, tensor, type SafetensorsDType as CoreDType, type Tensor } from '@nn/core';
import { SafetensorsError } from './errors';
import { writeFileAtomic } from './fs-atomic';

/** Element types read and written (core's list). F16 and BF16 are read only (widened to float32). */
export type SafetensorsDType = CoreDType;

/** A tensor in a safetensors file, as host data. */
export interface RawTensor {
  dtype: SafetensorsDType;
  shape: number[];
  data: Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | Uint16Array;
}

const BYTES = SAFETENSORS_DTYPE_BYTES;

function encodeData(t: RawTensor, out: DataView, off: number): void {
  const d = t.data, n = d.length;
  switch (t.dtype) {
    case 'F32': for (let i = 0; i < n; i++) out.setFloat32(off + i * 4, Number(d[i]), true); break;
    case 'F64': for (let i = 0; i < n; i++) out.setFloat64(off + i * 8, Number(d[i]), true); break;
    case 'I32': for (let i = 0; i < n; i++) out.setInt32(off + i * 4, Number(d[i]), true); break;
    case 'I64': for (let i = 0; i < n; i++) out.setBigInt64(off + i * 8, BigInt(d[i]!), true); break;
    case 'F16':
    case 'BF16': for (let i = 0; i < n; i++) out.setUint16(off + i * 2, Number(d[i]), true); break;
    default: for (let i = 0; i < n; i++) out.setUint8(off + i, Number(d[i])); break;
  }
}

function decodeData(dtype: SafetensorsDType, v: DataView, off: number, n: number): RawTensor['data'] {
  switch (dtype) {
    case 'F32': { const a = new Float32Array(n); for (let i = 0; i < n; i++) a[i] = v.getFloat32(off + i * 4, true); return a; }
    case 'F64': { const a = new Float64Array(n); for (let i = 0; i < n; i++) a[i] = v.getFloat64(off + i * 8, true); return a; }
    case 'I32': { const a = new Int32Array(n); for (let i = 0; i < n; i++) a[i] = v.getInt32(off + i * 4, true); return a; }
    case 'I64': { const a = new BigInt64Array(n); for (let i = 0; i < n; i++) a[i] = v.getBigInt64(off + i * 8, true); return a; }
    case 'F16':
    case 'BF16': { const a = new Uint16Array(n); for (let i = 0; i < n; i++) a[i] = v.getUint16(off + i * 2, true); return a; }
    default: return new Uint8Array(v.buffer, v.byteOffset + off, n).slice();
  }
}

/**
 * Serialize tensors (and optional string metadata) to safetensors bytes. Tensors are laid out by
 * decreasing element size, then name, as the reference implementation does, so every tensor is
 * aligned to its element size.
 */
export function encodeSafetensors(tensors: Readonly<Record<string, RawTensor>>, metadata?: Readonly<Record<string, string>>): Uint8Array {
  const names = Object.keys(tensors).sort((a, b) => BYTES[tensors[b]!.dtype] - BYTES[tensors[a]!.dtype] || (a < b ? -1 : a > b ? 1 : 0));
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length) header.__metadata__ = { ...metadata };
  let off = 0;
  for (const name of names) {
    const t = tensors[name]!;
    if (name === '__metadata__') throw new SafetensorsError('<bytes>', 'the name "__metadata__" is reserved', name);
    if (!(t.dtype in BYTES)) throw new SafetensorsError('<bytes>', `unknown dtype ${String(t.dtype)}`, name);
    const numel = t.shape.reduce((p, d) => p * d, 1);
    if (numel !== t.data.length) throw new SafetensorsError('<bytes>', `${t.data.length} values do not fill shape [${t.shape.join(', ')}]`, name);
    const len = numel * BYTES[t.dtype];
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [off, off + len] };
    off += len;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((Buffer.byteLength(json) + 8) % 8)) % 8);
  const hb = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + hb.length + off);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, BigInt(hb.length), true);
  out.set(hb, 8);
  const base = 8 + hb.length;
  for (const name of names) encodeData(tensors[name]!, dv, base + (header[name] as { data_offsets: number[] }).data_offsets[0]!);
  return out;
}

/**
 * Parse safetensors bytes into raw host tensors. The header is checked by core's strict
 * {@link parseSafetensorsHeader} (dtypes, shapes, offsets that tile the data section with no gap,
 * overlap or trailing bytes, metadata of strings) before any data is read.
 *
 * @param source - Named in errors (a path, or `<bytes>`).
 * @throws SafetensorsError naming the file and the tensor.
 */
export function decodeSafetensors(bytes: Uint8Array, source = '<bytes>'): { tensors: Record<string, RawTensor>; metadata: Record<string, string> } {
  const { entries, metadata, dataStart } = parseSafetensorsHeader(bytes, source);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tensors: Record<string, RawTensor> = {};
  for (const { name, dtype, shape, begin, end } of entries) {
    tensors[name] = { dtype, shape, data: decodeData(dtype, dv, dataStart + begin, (end - begin) / BYTES[dtype]) };
  }
  return { tensors, metadata };
}

const f16 = (h: number): number => {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
};

/** A raw tensor as an nn Tensor: floats → float32, integers → int32 (range-checked), BOOL → bool. */
export function rawToTensor(t: RawTensor, name = '', source = '<bytes>'): Tensor {
  const d = t.data;
  switch (t.dtype) {
    case 'F32': return tensor(d as Float32Array, t.shape);
    case 'F64': return tensor(Float32Array.from(d as Float64Array), t.shape);
    case 'F16': return tensor(Float32Array.from(d as Uint16Array, f16), t.shape);
    case 'BF16': {
      const u = new Uint32Array(d.length);
      for (let i = 0; i < d.length; i++) u[i] = (d as Uint16Array)[i]! << 16;
      return tensor(new Float32Array(u.buffer), t.shape);
    }
    case 'I32': return tensor(d as Int32Array, t.shape, { dtype: 'int32' });
    case 'I64': {
      const a = new Int32Array(d.length);
      for (let i = 0; i < d.length; i++) {
        const v = (d as BigInt64Array)[i]!;
        if (v > 2147483647n || v < -2147483648n) throw new SafetensorsError(source, `I64 value ${v} at index ${i} does not fit in int32`, name);
        a[i] = Number(v);
      }
      return tensor(a, t.shape, { dtype: 'int32' });
    }
    case 'U8': return tensor(Int32Array.from(d as Uint8Array), t.shape, { dtype: 'int32' });
    case 'BOOL': return tensor(Uint8Array.from(d as Uint8Array, (v) => (v ? 1 : 0)), t.shape, { dtype: 'bool' });
  }
}

/** An nn Tensor as raw data: float32 → F32, int32 → I32, bool → BOOL. */
export function tensorToRaw(t: Tensor): RawTensor {
  const v = t.dataSync();
  if (t.dtype === 'float32') return { dtype: 'F32', shape: [...t.shape], data: v instanceof Float32Array ? v : Float32Array.from(v as ArrayLike<number>) };
  if (t.dtype === 'int32') return { dtype: 'I32', shape: [...t.shape], data: v as Int32Array };
  return { dtype: 'BOOL', shape: [...t.shape], data: v as Uint8Array };
}

/**
 * Save tensors as a safetensors file (PyTorch loads it with `safetensors.torch.load_file`),
 * written atomically.
 *
 * @param path - Destination file.
 * @param tensors - Name → tensor (e.g. `model.stateDict()`).
 * @param metadata - Optional string metadata stored in the header.
 * @example
 * ```ts
 * await saveSafetensors('model.safetensors', model.stateDict());
 * ```
 */
export async function saveSafetensors(path: string, tensors: Readonly<Record<string, Tensor>>, metadata?: Readonly<Record<string, string>>): Promise<void> {
  const raw: Record<string, RawTensor> = {};
  for (const [k, t] of Object.entries(tensors)) raw[k] = tensorToRaw(t);
  await writeFileAtomic(path, encodeSafetensors(raw, metadata));
}

/**
 * Load a safetensors file as nn Tensors (F32/F64/F16/BF16 → float32, I32/I64/U8 → int32, BOOL → bool).
 *
 * @param path - The `.safetensors` file.
 * @throws SafetensorsError for a truncated or malformed file, naming the tensor involved.
 * @example
 * ```ts
 * const sd = await loadSafetensors('model.safetensors');   // { 'fc1.weight': Tensor, … }
 * ```
 */
export async function loadSafetensors(path: string): Promise<Record<string, Tensor>> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new SafetensorsError(path, `cannot read the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const { tensors } = decodeSafetensors(bytes, path);
  return noGrad(() => Object.fromEntries(Object.entries(tensors).map(([k, t]) => [k, rawToTensor(t, k, path)])));
}
