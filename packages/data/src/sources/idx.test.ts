import { existsSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { Dataset } from '../dataset.js';
import { DataFileError, IdxFormatError } from '../errors.js';
import { idxBytes, tempDir, writeFakeMnist } from '../test-helpers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe('fromIdx', () => {
  const values = Uint8Array.from({ length: 3 * 2 * 2 }, (_, i) => i);

  it('reads items of an uncompressed and a gzipped file alike', async () => {
    writeFileSync(tmp.file('a.idx'), idxBytes([3, 2, 2], values));
    writeFileSync(tmp.file('a.idx.gz'), gzipSync(idxBytes([3, 2, 2], values)));
    for (const f of ['a.idx', 'a.idx.gz']) {
      const items = await Dataset.fromIdx(tmp.file(f)).toArray();
      expect(items.map((v) => Array.from(v as Uint8Array))).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]);
    }
  });

  it('rank-1 files give numbers; scale gives Float32Array', async () => {
    writeFileSync(tmp.file('l.idx'), idxBytes([4], Uint8Array.from([3, 1, 4, 1])));
    expect(await Dataset.fromIdx(tmp.file('l.idx')).toArray()).toEqual([3, 1, 4, 1]);
    writeFileSync(tmp.file('s.idx'), idxBytes([1, 2], Uint8Array.from([0, 255])));
    expect(await Dataset.fromIdx(tmp.file('s.idx'), { scale: 255 }).toArray()).toEqual([Float32Array.from([0, 1])]);
  });

  it('decodes big-endian int32 and float32 items', async () => {
    const b = Buffer.alloc(8);
    b.writeInt32BE(-7, 0);
    b.writeInt32BE(1 << 20, 4);
    writeFileSync(tmp.file('i.idx'), idxBytes([2], b, 0x0c));
    expect(await Dataset.fromIdx(tmp.file('i.idx')).toArray()).toEqual([-7, 1 << 20]);
    const f = Buffer.alloc(8);
    f.writeFloatBE(1.5, 0);
    f.writeFloatBE(-2.25, 4);
    writeFileSync(tmp.file('f.idx'), idxBytes([1, 2], f, 0x0d));
    expect(await Dataset.fromIdx(tmp.file('f.idx')).toArray()).toEqual([Float32Array.from([1.5, -2.25])]);
  });

  it('a wrong magic number is an IdxFormatError showing it', async () => {
    writeFileSync(tmp.file('bad.idx'), Buffer.from('PK\x03\x04 not an idx file'));
    const err = await Dataset.fromIdx(tmp.file('bad.idx')).toArray().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IdxFormatError);
    expect((err as Error).message).toMatch(/wrong magic number: expected 0x0000TTNN .* got 0x504b0304\.$/);
  });

  it('a truncated file (raw or gzipped) is an IdxFormatError giving sizes', async () => {
    const full = idxBytes([3, 2, 2], values);
    writeFileSync(tmp.file('t.idx'), full.subarray(0, full.length - 5));
    await expect(Dataset.fromIdx(tmp.file('t.idx')).toArray()).rejects.toThrow(/truncated data \(header shape \[3, 2, 2\]\): expected 28 bytes, got 23 bytes \(1 complete items\)/);
    const gz = gzipSync(full);
    writeFileSync(tmp.file('t.idx.gz'), gz.subarray(0, gz.length - 6));
    await expect(Dataset.fromIdx(tmp.file('t.idx.gz')).toArray()).rejects.toThrow(IdxFormatError);
    writeFileSync(tmp.file('h.idx'), Buffer.from([0, 0]));
    await expect(Dataset.fromIdx(tmp.file('h.idx')).toArray()).rejects.toThrow(/truncated header/);
  });

  it('a missing file is a DataFileError', async () => {
    await expect(Dataset.fromIdx(tmp.file('none.idx')).toArray()).rejects.toThrow(DataFileError);
  });
});

describe('fromFashionMnist', () => {
  it('pairs images in [0, 1] with labels from small generated files', async () => {
    writeFakeMnist(tmp.dir, 't10k', 12);
    const ds = Dataset.fromFashionMnist(tmp.dir, { split: 'test' });
    const rows = await ds.toArray();
    expect(rows).toHaveLength(12);
    expect(rows[5]!.x).toHaveLength(784);
    expect(rows[5]!.x[100]).toBeCloseTo(5 / 255, 7); // float32 of 5/255: 7 digits is within its precision
    expect(rows.map((r) => r.y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
  });

  it('reads the wrong rank as an error (images and labels swapped)', async () => {
    writeFakeMnist(tmp.dir, 'train', 2, false);
    const { renameSync } = await import('node:fs');
    renameSync(tmp.file('train-images-idx3-ubyte'), tmp.file('x'));
    renameSync(tmp.file('train-labels-idx1-ubyte'), tmp.file('train-images-idx3-ubyte'));
    renameSync(tmp.file('x'), tmp.file('train-labels-idx1-ubyte'));
    await expect(Dataset.fromFashionMnist(tmp.dir, { gzip: false }).toArray()).rejects.toThrow(/unexpected rank: expected rank [13], got rank [13]\./);
  });

  const real = '/usr/share/datasets/fashion-mnist';
  it.skipIf(!existsSync(`${real}/t10k-labels-idx1-ubyte.gz`))('reads the real test set (10,000 images, 1,000 per class)', async () => {
    const counts = new Array(10).fill(0);
    let n = 0;
    for await (const { x, y } of Dataset.fromFashionMnist(real, { split: 'test' })) {
      counts[y!]++;
      if (n++ === 0) expect(x).toHaveLength(784);
    }
    expect(n).toBe(10_000);
    expect(counts).toEqual(new Array(10).fill(1000));
  });
});
