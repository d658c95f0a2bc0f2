import { statSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { DataConfigError, DataFileError, ShardFormatError } from '../errors.js';
import type { DataNode, Reader, Sample } from '../types.js';
import { FINITE_EXPECTED } from './non-finite.js';

/** Options of `Dataset.fromBinaryShards`. */
export interface BinaryShardOptions {
  /** Element type of a record. */
  dtype: 'float32' | 'uint8';
  /** Values per record (features, plus the label when `label` is set). */
  recordLength: number;
  /** Where the label sits in a record: its first or last value. @default no label */
  label?: 'first' | 'last';
  /**
   * Read NaN/±Infinity float32 values as they are instead of failing with a {@link ShardFormatError}
   * naming the record (see "Non-finite values" in the README).
   * @default false
   */
  allowNonFinite?: boolean;
}

type Values = Float32Array | Uint8Array;

/**
 * Fixed-size records stored back to back in one or more files (little-endian float32 or uint8),
 * read by offset: indexable, so shuffles are full permutations and splits need no pass. File sizes
 * are checked when the dataset is created (a missing file fails there).
 */
export function binaryShardsNode(files: string[], opts: BinaryShardOptions): DataNode<Sample<Values>> {
  const bytesPer = opts.dtype === 'float32' ? 4 : 1;
  if (opts.dtype !== 'float32' && opts.dtype !== 'uint8') throw new DataConfigError('fromBinaryShards', 'dtype', "'float32' or 'uint8'", opts.dtype);
  if (!Number.isInteger(opts.recordLength) || opts.recordLength < (opts.label ? 2 : 1))
    throw new DataConfigError('fromBinaryShards', 'recordLength', `an integer ≥ ${opts.label ? 2 : 1}`, opts.recordLength);
  const recordBytes = opts.recordLength * bytesPer;
  const starts: number[] = []; // first global record index of each shard
  let total = 0;
  for (const f of files) {
    let size: number;
    try {
      size = statSync(f).size;
    } catch (e) {
      throw new DataFileError(f, 'binary shard', e);
    }
    if (size % recordBytes !== 0)
      throw new ShardFormatError(f, `size ${size} bytes is not a whole number of ${recordBytes}-byte records (${opts.recordLength} × ${opts.dtype}); the file is truncated or recordLength is wrong.`);
    starts.push(total);
    total += size / recordBytes;
  }
  const checkFinite = opts.dtype === 'float32' && !opts.allowNonFinite;
  /** `b`: record `record` of shard `s`. */
  const decode = (b: Buffer, s: number, record: number): Sample<Values> => {
    const all: Values = opts.dtype === 'float32' ? new Float32Array(b.buffer, b.byteOffset, opts.recordLength) : new Uint8Array(b.buffer, b.byteOffset, opts.recordLength);
    if (checkFinite)
      for (let i = 0; i < all.length; i++) {
        const v = all[i]!;
        if (v - v !== 0) // NaN or ±Infinity
          throw new ShardFormatError(files[s]!, `record ${record}, value ${i} (byte offset ${record * recordBytes + 4 * i}) is ${v}; expected ${FINITE_EXPECTED}.`);
      }
    if (!opts.label) return { x: all };
    return opts.label === 'first' ? { x: all.subarray(1), y: all[0]! } : { x: all.subarray(0, -1), y: all[all.length - 1]! };
  };
  const shardOf = (i: number): number => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= i) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  const openReader = (): Reader<Sample<Values>> => {
    const handles = new Map<number, Promise<FileHandle>>();
    const handle = (s: number) => {
      let h = handles.get(s);
      if (!h) {
        h = open(files[s]!, 'r').catch((e) => {
          throw new DataFileError(files[s]!, 'binary shard', e);
        });
        handles.set(s, h);
      }
      return h;
    };
    return {
      async get(i) {
        if (!(i >= 0 && i < total)) throw new RangeError(`fromBinaryShards: index ${i} out of range [0, ${total})`);
        const s = shardOf(i);
        const b = Buffer.alloc(recordBytes); // own ArrayBuffer: aligned for Float32Array
        const { bytesRead } = await (await handle(s)).read(b, 0, recordBytes, (i - starts[s]!) * recordBytes);
        if (bytesRead !== recordBytes) throw new ShardFormatError(files[s]!, `record ${i - starts[s]!} is short (${bytesRead} of ${recordBytes} bytes): the file shrank after it was opened.`);
        return decode(b, s, i - starts[s]!);
      },
      async close() {
        const hs = [...handles.values()];
        handles.clear();
        await Promise.all(hs.map(async (h) => (await h.catch(() => undefined))?.close()));
      },
    };
  };
  return {
    length: total,
    openReader,
    async *iterate() {
      // Sequential pass: read blocks of records instead of one read per record.
      const block = Math.max(1, Math.floor((1 << 20) / recordBytes));
      for (let s = 0; s < files.length; s++) {
        const count = (starts[s + 1] ?? total) - starts[s]!;
        let fh: FileHandle;
        try {
          fh = await open(files[s]!, 'r');
        } catch (e) {
          throw new DataFileError(files[s]!, 'binary shard', e);
        }
        try {
          for (let r = 0; r < count; r += block) {
            const n = Math.min(block, count - r);
            const b = Buffer.alloc(n * recordBytes);
            const { bytesRead } = await fh.read(b, 0, b.length, r * recordBytes);
            if (bytesRead !== b.length) throw new ShardFormatError(files[s]!, `expected ${b.length} bytes at offset ${r * recordBytes}, read ${bytesRead}: the file shrank after it was opened.`);
            for (let k = 0; k < n; k++) yield decode(b.subarray(k * recordBytes, (k + 1) * recordBytes), s, r + k);
          }
        } finally {
          await fh.close();
        }
      }
    },
  };
}
