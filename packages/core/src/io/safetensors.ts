import { readFile } from 'node:fs/promises';
import type { DType } from '../dtype';
import { NNError } from '../errors';
import { tensor } from '../ops';
import type { Tensor } from '../tensor';
import { writeFileAtomic } from './atomic';

/** Data types of the safetensors format that nn reads. */
type StDType = 'F32' | 'F64' | 'I32' | 'I64' | 'BOOL' | 'U8' | 'F16';

/** Raised for a malformed or unsupported safetensors file. */
export class SafetensorsError extends NNError {
  override name = 'SafetensorsError';
}

const BYTES: Record<StDType, number> = { F32: 4, F64: 8, I32: 4, I64: 8, BOOL: 1, U8: 1, F16: 2 };

/**
 * Encode named tensors as safetensors bytes: an 8-byte little-endian header length, a JSON header
 * `{name: {dtype, shape, data_offsets}}` and the raw little-endian data. Data only, never code.
 */
export function encodeSafetensors(tensors: Readonly<Record<string, Tensor>>, metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    const v = t.dataSync();
    let bytes: Uint8Array;
    let dtype: StDType;
    if (t.dtype === 'float32' && v instanceof Float64Array) {
      // The float64 reference backend: keep full precision (PyTorch reads F64 too).
      dtype = 'F64';
      bytes = new Uint8Array(v.length * 8);
      const dv = new DataView(bytes.buffer);
      for (let i = 0; i < v.length; i++) dv.setFloat64(i * 8, v[i]!, true);
    } else if (t.dtype === 'float32') {
      dtype = 'F32';
      const f = v instanceof Float32Array ? v : Float32Array.from(v);
      bytes = new Uint8Array(f.length * 4);
      const dv = new DataView(bytes.buffer);
      for (let i = 0; i < f.length; i++) dv.setFloat32(i * 4, f[i]!, true);
    } else if (t.dtype === 'int32') {
      dtype = 'I32';
      bytes = new Uint8Array(v.length * 4);
      const dv = new DataView(bytes.buffer);
      for (let i = 0; i < v.length; i++) dv.setInt32(i * 4, v[i]!, true);
    } else {
      dtype = 'BOOL';
      bytes = Uint8Array.from(v, (x) => (x ? 1 : 0));
    }
    header[name] = { dtype, shape: [...t.shape], data_offsets: [offset, offset + bytes.length] };
    chunks.push(bytes);
    offset += bytes.length;
  }
  let json = JSON.stringify(header);
  while ((json.length + 8) % 8 !== 0) json += ' '; // align the data to 8 bytes, as the reference writer does
  const hb = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + hb.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(hb.length), true);
  out.set(hb, 8);
  let p = 8 + hb.length;
  for (const c of chunks) {
    out.set(c, p);
    p += c.length;
  }
  return out;
}

/** Decode safetensors bytes into tensors (F64/F16 become float32 tensors — F64 keeps its precision on the float64 reference backend —, I64/U8 int32). */
export function decodeSafetensors(bytes: Uint8Array, source = 'safetensors'): { tensors: Record<string, Tensor>; metadata: Record<string, string> } {
  if (bytes.length < 8) throw new SafetensorsError(`${source}: file is ${bytes.length} bytes, too short for a safetensors header.`, source);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(dv.getBigUint64(0, true));
  if (n > bytes.length - 8 || n > 100_000_000) throw new SafetensorsError(`${source}: header length ${n} exceeds the file size (${bytes.length} bytes): truncated or not a safetensors file.`, source);
  let header: Record<string, { dtype: StDType; shape: number[]; data_offsets: [number, number] }>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    throw new SafetensorsError(`${source}: header is not valid JSON (${(e as Error).message}).`, source);
  }
  const base = 8 + n;
  const tensors: Record<string, Tensor> = {};
  let metadata: Record<string, string> = {};
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = info as unknown as Record<string, string>;
      continue;
    }
    const size = BYTES[info.dtype];
    if (!size) throw new SafetensorsError(`${source}: tensor "${name}" has unsupported dtype ${info.dtype} (supported: ${Object.keys(BYTES).join(', ')}).`, source);
    const count = info.shape.reduce((p, d) => p * d, 1);
    const [s, e] = info.data_offsets;
    if (e - s !== count * size || base + e > bytes.length) {
      throw new SafetensorsError(`${source}: tensor "${name}" (${info.dtype} [${info.shape.join(', ')}]) has data offsets [${s}, ${e}] that do not fit its size or the file (truncated?).`, source);
    }
    const at = base + s;
    let dtype: DType = 'float32';
    let values: Float32Array | Float64Array | Int32Array | Uint8Array;
    switch (info.dtype) {
      case 'F32': values = new Float32Array(count); for (let i = 0; i < count; i++) values[i] = dv.getFloat32(at + 4 * i, true); break;
      case 'F64': values = new Float64Array(count); for (let i = 0; i < count; i++) values[i] = dv.getFloat64(at + 8 * i, true); break;
      case 'F16': values = new Float32Array(count); for (let i = 0; i < count; i++) values[i] = half(dv.getUint16(at + 2 * i, true)); break;
      case 'I32': dtype = 'int32'; values = new Int32Array(count); for (let i = 0; i < count; i++) values[i] = dv.getInt32(at + 4 * i, true); break;
      case 'I64': dtype = 'int32'; values = new Int32Array(count); for (let i = 0; i < count; i++) values[i] = Number(dv.getBigInt64(at + 8 * i, true)); break;
      case 'U8': dtype = 'int32'; values = new Int32Array(count); for (let i = 0; i < count; i++) values[i] = bytes[at + i]!; break;
      case 'BOOL': dtype = 'bool'; values = bytes.slice(at, at + count); break;
    }
    tensors[name] = tensor(values, info.shape, { dtype });
  }
  return { tensors, metadata };
}

function half(h: number): number {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/** Save named tensors to a .safetensors file, atomically. */
export async function saveSafetensors(path: string, tensors: Readonly<Record<string, Tensor>>, metadata?: Record<string, string>): Promise<void> {
  await writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}

/** Load a .safetensors file. */
export async function loadSafetensors(path: string): Promise<{ tensors: Record<string, Tensor>; metadata: Record<string, string> }> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new SafetensorsError(`Cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`, path);
  }
  return decodeSafetensors(bytes, path);
}
