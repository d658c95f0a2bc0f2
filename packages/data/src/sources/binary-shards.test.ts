import { writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { Dataset } from '../dataset.js';
import { DataFileError, ShardFormatError } from '../errors.js';
import { tempDir } from '../test-helpers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

/** Records [i, i + 0.5, label = i % 3] as float32 little-endian. */
function shard(name: string, from: number, count: number): string {
  const v = new Float32Array(count * 3);
  for (let k = 0; k < count; k++) v.set([from + k, from + k + 0.5, (from + k) % 3], k * 3);
  const f = tmp.file(name);
  writeFileSync(f, Buffer.from(v.buffer));
  return f;
}

describe('fromBinaryShards', () => {
  const files = [shard('s0.bin', 0, 5), shard('s1.bin', 5, 1), shard('s2.bin', 6, 4)];

  it('is indexable across shards by offset', async () => {
    const ds = Dataset.fromBinaryShards(files, { dtype: 'float32', recordLength: 3, label: 'last' });
    expect(ds.length).toBe(10);
    expect(ds.indexable).toBe(true);
    const s = await ds.get(7);
    expect(Array.from(s.x)).toEqual([7, 7.5]);
    expect(s.y).toBe(1);
    expect((await ds.get(5)).x[0]).toBe(5);
  });

  it('iterates in order, reading blocks', async () => {
    const rows = await Dataset.fromBinaryShards(files, { dtype: 'float32', recordLength: 3, label: 'first' }).toArray();
    expect(rows.map((r) => r.y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(Array.from(rows[9]!.x)).toEqual([9.5, 0]);
  });

  it('uint8 records', async () => {
    const f = tmp.file('u8.bin');
    writeFileSync(f, Buffer.from([1, 2, 3, 4, 5, 6]));
    const rows = await Dataset.fromBinaryShards(f, { dtype: 'uint8', recordLength: 2 }).toArray();
    expect(rows.map((r) => Array.from(r.x))).toEqual([[1, 2], [3, 4], [5, 6]]);
  });

  it('a file that is not a whole number of records, or missing, fails at creation', () => {
    const f = tmp.file('odd.bin');
    writeFileSync(f, Buffer.alloc(13));
    expect(() => Dataset.fromBinaryShards(f, { dtype: 'float32', recordLength: 3 })).toThrow(ShardFormatError);
    expect(() => Dataset.fromBinaryShards(f, { dtype: 'float32', recordLength: 3 })).toThrow(/size 13 bytes is not a whole number of 12-byte records/);
    expect(() => Dataset.fromBinaryShards(tmp.file('none.bin'), { dtype: 'uint8', recordLength: 1 })).toThrow(DataFileError);
  });
});
