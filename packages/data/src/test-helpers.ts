import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

/** A fresh temporary directory and a function that removes it (test use only). */
export function tempDir(): { dir: string; file: (name: string) => string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'nn-data-test-'));
  return { dir, file: (name) => join(dir, name), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Bytes of an IDX file of uint8 values with the given shape. */
export function idxBytes(shape: number[], values: Uint8Array, code = 0x08): Buffer {
  const head = Buffer.alloc(4 + 4 * shape.length);
  head[2] = code;
  head[3] = shape.length;
  shape.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, Buffer.from(values)]);
}

/** Writes a small Fashion-MNIST-like set: `n` images 28×28 where every pixel of image i is i % 256, label i % 10. */
export function writeFakeMnist(dir: string, prefix: 'train' | 't10k', n: number, gzip = true): void {
  const img = new Uint8Array(n * 784);
  for (let i = 0; i < n; i++) img.fill(i % 256, i * 784, (i + 1) * 784);
  const lab = Uint8Array.from({ length: n }, (_, i) => i % 10);
  const ext = gzip ? '.gz' : '';
  const wrap = (b: Buffer) => (gzip ? gzipSync(b) : b);
  writeFileSync(join(dir, `${prefix}-images-idx3-ubyte${ext}`), wrap(idxBytes([n, 28, 28], img)));
  writeFileSync(join(dir, `${prefix}-labels-idx1-ubyte${ext}`), wrap(idxBytes([n], lab)));
}
