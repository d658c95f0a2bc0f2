import { readFile } from 'node:fs/promises';
import type { DType } from '../dtype';
import { NNError } from '../errors';
import { tensor } from '../ops';
import type { Tensor } from '../tensor';
import { writeFileAtomic } from './atomic';

/** Element types of the safetensors format that nn reads (F16/BF16 widen to float32; I64/U8 narrow to int32). */
export type SafetensorsDType = 'F32' | 'F64' | 'I32' | 'I64' | 'BOOL' | 'U8' | 'F16' | 'BF16';
type StDType = SafetensorsDType;

/**
 * A malformed or unsupported safetensors file (or one that does not fit what it is loaded into).
 * The message names the file (or `<bytes>`) and, when one is involved, the tensor.
 */
export class SafetensorsError extends NNError {
  override name = 'SafetensorsError';
  constructor(
    /** File path or `<bytes>`. */
    readonly source: string,
    /** What is wrong. */
    readonly detail: string,
    /** Tensor name involved, when one is. */
    readonly tensor?: string,
  ) {
    super(`${source}${tensor !== undefined ? ` tensor "${tensor}"` : ''}: ${detail}.`, source);
  }
}

/** Bytes per element of each safetensors dtype. */
export const SAFETENSORS_DTYPE_BYTES: Readonly<Record<SafetensorsDType, number>> = { F32: 4, F64: 8, I32: 4, I64: 8, BOOL: 1, U8: 1, F16: 2, BF16: 2 };
const BYTES = SAFETENSORS_DTYPE_BYTES;
const MAX_HEADER = 100 * 1024 * 1024;

/** One tensor of a checked safetensors header; `begin`/`end` are byte offsets into the data section. */
export interface SafetensorsEntry {
  name: string;
  dtype: SafetensorsDType;
  shape: number[];
  begin: number;
  end: number;
}

/**
 * Parse and check a safetensors header, strictly, before any data is read: an 8-byte little-endian
 * length, a UTF-8 JSON object; every entry an object with a known `dtype`, a `shape` of
 * non-negative integers and `data_offsets` `[begin, end]` of non-negative integers whose span is
 * exactly shape × dtype size; the entries tile the data section with no gap, overlap or trailing
 * bytes (as the reference Rust implementation requires); `__metadata__` maps strings to strings.
 * The one safetensors validator of nn: `decodeSafetensors` here and `@nn/onnx`'s reader use it.
 *
 * @param bytes - The whole file.
 * @param source - Named in errors (a path). @default '<bytes>'
 * @returns The entries sorted by offset, the metadata and where the data section starts.
 * @throws SafetensorsError naming the file and the tensor.
 * @example
 * ```ts
 * const { entries } = parseSafetensorsHeader(await readFile('model.safetensors'), 'model.safetensors');
 * ```
 */
export function parseSafetensorsHeader(bytes: Uint8Array, source = '<bytes>'): { entries: SafetensorsEntry[]; metadata: Record<string, string>; dataStart: number } {
  const fail = (detail: string, name?: string) => new SafetensorsError(source, detail, name);
  if (bytes.length < 8) throw fail(`the file is ${bytes.length} bytes long, too short for the 8-byte header length (truncated or not safetensors)`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const big = dv.getBigUint64(0, true);
  if (big > BigInt(MAX_HEADER) || 8 + Number(big) > bytes.length) {
    throw fail(`the header claims ${big} bytes but the file has ${bytes.length - 8} after the length (truncated or not safetensors)`);
  }
  const n = Number(big);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    throw fail(`the JSON header does not parse (${(e as Error).message})`);
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) throw fail('the header is not a JSON object');
  const dataStart = 8 + n, dataLen = bytes.length - dataStart;
  const entries: SafetensorsEntry[] = [];
  let metadata: Record<string, string> = {};
  const isCount = (d: unknown): d is number => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0;
  for (const [name, e] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (!e || typeof e !== 'object' || Array.isArray(e) || !Object.values(e).every((v) => typeof v === 'string')) throw fail('__metadata__ is not an object of strings');
      metadata = e as Record<string, string>;
      continue;
    }
    if (!e || typeof e !== 'object' || Array.isArray(e)) throw fail(`the entry is ${JSON.stringify(e)}, not {dtype, shape, data_offsets}`, name);
    const { dtype, shape, data_offsets: offs } = e as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof dtype !== 'string' || !(dtype in BYTES)) throw fail(`unsupported dtype ${typeof dtype === 'string' ? dtype : JSON.stringify(dtype)} (supported: ${Object.keys(BYTES).join(', ')})`, name);
    if (!Array.isArray(shape) || !shape.every(isCount)) throw fail(`invalid shape ${JSON.stringify(shape)} (expected non-negative integers)`, name);
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every(isCount) || offs[1] < offs[0]) {
      throw fail(`invalid data_offsets ${JSON.stringify(offs)} (expected [begin, end], 0 ≤ begin ≤ end)`, name);
    }
    const size = (shape as number[]).reduce((p, d) => p * d, 1) * BYTES[dtype as StDType];
    const [begin, end] = offs as [number, number];
    if (end - begin !== size) throw fail(`data_offsets [${begin}, ${end}] span ${end - begin} bytes but ${dtype} [${shape.join(', ')}] needs ${size}`, name);
    if (end > dataLen) throw fail(`data_offsets end at ${end} but the data section has ${dataLen} bytes (truncated file)`, name);
    entries.push({ name, dtype: dtype as StDType, shape: [...(shape as number[])], begin, end });
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  for (const { begin, end, name } of entries) {
    if (begin !== at) throw fail(begin < at ? `data_offsets overlap the previous tensor's bytes (begins at ${begin}, previous ends at ${at})` : `leaves a hole of ${begin - at} bytes before its data_offsets (a gap)`, name);
    at = end;
  }
  if (at !== dataLen) throw fail(`the data section has ${dataLen - at} trailing bytes no tensor uses`);
  return { entries, metadata, dataStart };
}

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

/**
 * Decode safetensors bytes into tensors, after {@link parseSafetensorsHeader} checked the whole
 * header (so a bad file allocates nothing): F32/F16/BF16 → float32, F64 → float32 keeping its
 * precision on the float64 reference backend, I32/U8 → int32, I64 → int32 (range-checked), BOOL → bool.
 *
 * @param bytes - The whole file.
 * @param source - Named in errors (a path). @default 'safetensors'
 * @throws SafetensorsError naming the file and the tensor.
 */
export function decodeSafetensors(bytes: Uint8Array, source = 'safetensors'): { tensors: Record<string, Tensor>; metadata: Record<string, string> } {
  const { entries, metadata, dataStart } = parseSafetensorsHeader(bytes, source);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // Host values first, tensors after: nothing is allocated on the backend for a file that fails.
  const host = entries.map(({ name, dtype, shape, begin, end }) => {
    const at = dataStart + begin, count = (end - begin) / BYTES[dtype];
    let values: Float32Array | Float64Array | Int32Array | Uint8Array;
    let out: DType = 'float32';
    switch (dtype) {
      case 'F32': values = new Float32Array(count); for (let i = 0; i < count; i++) values[i] = dv.getFloat32(at + 4 * i, true); break;
      case 'F64': values = new Float64Array(count); for (let i = 0; i < count; i++) values[i] = dv.getFloat64(at + 8 * i, true); break;
      case 'F16': values = new Float32Array(count); for (let i = 0; i < count; i++) values[i] = half(dv.getUint16(at + 2 * i, true)); break;
      case 'BF16': { const u = new Uint32Array(count); for (let i = 0; i < count; i++) u[i] = dv.getUint16(at + 2 * i, true) << 16; values = new Float32Array(u.buffer); break; }
      case 'I32': out = 'int32'; values = new Int32Array(count); for (let i = 0; i < count; i++) values[i] = dv.getInt32(at + 4 * i, true); break;
      case 'I64':
        out = 'int32';
        values = new Int32Array(count);
        for (let i = 0; i < count; i++) {
          const v = dv.getBigInt64(at + 8 * i, true);
          if (v > 2147483647n || v < -2147483648n) throw new SafetensorsError(source, `I64 value ${v} at index ${i} does not fit in int32`, name);
          values[i] = Number(v);
        }
        break;
      case 'U8': out = 'int32'; values = new Int32Array(count); for (let i = 0; i < count; i++) values[i] = bytes[at + i]!; break;
      case 'BOOL': out = 'bool'; values = bytes.slice(at, at + count); break;
    }
    return { name, shape, values, out };
  });
  const tensors: Record<string, Tensor> = {};
  for (const h of host) tensors[h.name] = tensor(h.values, h.shape, { dtype: h.out });
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
    throw new SafetensorsError(path, `cannot read the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return decodeSafetensors(bytes, path);
}
