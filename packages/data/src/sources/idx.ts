import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { DataEmptyError, IdxFormatError } from '../errors.js';
import type { DataNode, TypedArray } from '../types.js';
import { checkFile } from './files.js';
import { FINITE_EXPECTED } from './non-finite.js';

/** IDX element types by their code in the third magic byte. */
const IDX_TYPES: Record<number, { name: string; bytes: number; read: (b: Buffer, n: number) => TypedArray }> = {
  0x08: { name: 'uint8', bytes: 1, read: (b) => new Uint8Array(b) },
  0x09: { name: 'int8', bytes: 1, read: (b) => new Int8Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length)) },
  0x0b: { name: 'int16', bytes: 2, read: (b, n) => bigEndian(b, n, Int16Array, (v, o) => v.readInt16BE(o)) },
  0x0c: { name: 'int32', bytes: 4, read: (b, n) => bigEndian(b, n, Int32Array, (v, o) => v.readInt32BE(o)) },
  0x0d: { name: 'float32', bytes: 4, read: (b, n) => bigEndian(b, n, Float32Array, (v, o) => v.readFloatBE(o)) },
  0x0e: { name: 'float64', bytes: 8, read: (b, n) => bigEndian(b, n, Float64Array, (v, o) => v.readDoubleBE(o)) },
};

function bigEndian<A extends TypedArray>(b: Buffer, n: number, C: new (n: number) => A, get: (b: Buffer, o: number) => number): A {
  const out = new C(n);
  const size = b.length / n;
  for (let i = 0; i < n; i++) out[i] = get(b, i * size);
  return out;
}

/** The header of an IDX file. */
export interface IdxHeader {
  dtype: string;
  /** Full shape, first axis = number of items. */
  shape: number[];
}

/** Options of `Dataset.fromIdx`. */
export interface IdxOptions {
  /** Divide values by this and return Float32Array items (e.g. 255 for images). @default no scaling */
  scale?: number;
  /** Fail unless the file's rank is this (3 for image files, 1 for label files). */
  rank?: number;
  /**
   * Read NaN/±Infinity values of a float32/float64 file as they are instead of failing (see
   * "Non-finite values" in the README).
   * @default false
   */
  allowNonFinite?: boolean;
}

/**
 * Streams an IDX file (MNIST / Fashion-MNIST format), gzipped or not (detected from the bytes, not
 * the name). Items of a rank-1 file are numbers; others are typed arrays of one item's values.
 */
export function idxNode(file: string, opts: IdxOptions = {}): DataNode<TypedArray | number> {
  return {
    length: undefined,
    async *iterate() {
      const size = await checkFile(file, 'IDX file');
      const gz = await isGzip(file);
      const raw = createReadStream(file, { highWaterMark: 1 << 20 });
      const stream = gz ? pipeline(raw, createGunzip(), () => undefined) : raw;
      let buf: Buffer = Buffer.alloc(0);
      let header: (IdxHeader & { itemBytes: number; code: number; count: number }) | undefined;
      let seen = 0;
      let bytesSeen = 0;
      try {
        for await (const chunk of stream as AsyncIterable<Buffer>) {
          bytesSeen += chunk.length;
          buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
          if (!header) {
            header = parseHeader(file, buf, opts);
            if (!header) continue;
            buf = buf.subarray(4 + 4 * header.shape.length);
            if (header.count === 0) throw new DataEmptyError(file, 'IDX file', `the header announces shape [${header.shape.join(', ')}]`);
            // Uncompressed: the size is known now, so extra bytes fail before any item is read.
            if (!gz && size > expectedBytes(header)) throw trailing(file, header, size, false);
          }
          const h = header;
          if (seen === h.count) continue; // only trailing bytes left: counted, reported below
          let off = 0;
          while (buf.length - off >= h.itemBytes && seen < h.count) {
            const item = buf.subarray(off, off + h.itemBytes);
            off += h.itemBytes;
            yield toItem(item, h, opts, file, seen);
            seen++;
          }
          buf = buf.subarray(off);
        }
      } catch (e) {
        if (e instanceof IdxFormatError || e instanceof DataEmptyError) throw e;
        throw new IdxFormatError(file, 'unreadable gzip stream (truncated or corrupt)', 'a complete gzip file', `${(e as Error).message} after ${bytesSeen} bytes`, e);
      } finally {
        raw.destroy();
      }
      if (!header) throw new IdxFormatError(file, 'truncated header', 'at least 4 bytes of magic number and the dimensions', `${bytesSeen} bytes`);
      if (bytesSeen > expectedBytes(header)) throw trailing(file, header, bytesSeen, gz);
      if (seen < header.count) {
        const expected = 4 + 4 * header.shape.length + header.count * header.itemBytes;
        const got = 4 + 4 * header.shape.length + seen * header.itemBytes + buf.length;
        throw new IdxFormatError(file, `truncated data (header shape [${header.shape.join(', ')}])`, `${expected} bytes${gz ? ' after gunzip' : ''}`, `${got} bytes (${seen} complete items)`);
      }
    },
  };
}

function expectedBytes(h: { shape: number[]; count: number; itemBytes: number }): number {
  return 4 + 4 * h.shape.length + h.count * h.itemBytes;
}

function trailing(file: string, h: { shape: number[]; count: number; itemBytes: number }, got: number, gz: boolean): IdxFormatError {
  const expected = expectedBytes(h);
  return new IdxFormatError(
    file,
    `${got - expected} trailing byte(s) after the data (header shape [${h.shape.join(', ')}]; a wrong header or two files joined?)`,
    `${expected} bytes${gz ? ' after gunzip' : ''}`,
    `${got} bytes`,
  );
}

function toItem(item: Buffer, h: { code: number; shape: number[]; itemBytes: number }, opts: IdxOptions, file: string, index: number): TypedArray | number {
  const t = IDX_TYPES[h.code]!;
  const n = h.itemBytes / t.bytes;
  const values = t.read(item, n); // every reader copies: the chunk buffer is not kept
  if ((h.code === 0x0d || h.code === 0x0e) && !opts.allowNonFinite) {
    for (let i = 0; i < n; i++) {
      const v = values[i]!;
      if (v - v !== 0) // NaN or ±Infinity (v - v is NaN exactly then)
        throw new IdxFormatError(file, `non-finite value at item ${index}, element ${i} (byte offset ${4 + 4 * h.shape.length + index * h.itemBytes + i * t.bytes})`, FINITE_EXPECTED, String(v));
    }
  }
  if (opts.scale !== undefined) {
    const f = new Float32Array(n);
    for (let i = 0; i < n; i++) f[i] = values[i]! / opts.scale;
    return h.shape.length === 1 ? f[0]! : f;
  }
  return h.shape.length === 1 ? values[0]! : values;
}

function parseHeader(file: string, buf: Buffer, opts: IdxOptions) {
  if (buf.length < 4) return undefined;
  const code = buf[2]!;
  const rank = buf[3]!;
  const magic = buf.readUInt32BE(0);
  if (buf[0] !== 0 || buf[1] !== 0 || !IDX_TYPES[code] || rank === 0)
    throw new IdxFormatError(file, 'wrong magic number', '0x0000TTNN (TT: 08 uint8, 09 int8, 0B int16, 0C int32, 0D float32, 0E float64; NN: rank ≥ 1), e.g. 0x00000803 for images', `0x${magic.toString(16).padStart(8, '0')}`);
  if (opts.rank !== undefined && rank !== opts.rank)
    throw new IdxFormatError(file, 'unexpected rank', `rank ${opts.rank}`, `rank ${rank}`);
  if (buf.length < 4 + 4 * rank) return undefined;
  const shape: number[] = [];
  for (let i = 0; i < rank; i++) shape.push(buf.readUInt32BE(4 + 4 * i));
  const itemBytes = shape.slice(1).reduce((a, b) => a * b, 1) * IDX_TYPES[code]!.bytes;
  return { dtype: IDX_TYPES[code]!.name, shape, itemBytes, code, count: shape[0]! };
}

async function isGzip(file: string): Promise<boolean> {
  const fh = await open(file, 'r');
  try {
    const b = Buffer.alloc(2);
    const { bytesRead } = await fh.read(b, 0, 2, 0);
    return bytesRead === 2 && b[0] === 0x1f && b[1] === 0x8b;
  } finally {
    await fh.close();
  }
}
