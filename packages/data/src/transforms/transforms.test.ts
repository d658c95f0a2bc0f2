import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { Dataset } from '../dataset.js';
import { DataConfigError } from '../errors.js';
import { tempDir } from '../test-helpers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
const range = (n: number) => Dataset.fromItems(Array.from({ length: n }, (_, i) => i));
const stream = (n: number) => Dataset.fromGenerator(function* () { for (let i = 0; i < n; i++) yield i; });

describe('map / filter', () => {
  it('map takes sync and async functions, with the index, and keeps random access', async () => {
    const ds = range(4).map((v, i) => v * 10 + i).map(async (v) => v + 1);
    expect(await ds.toArray()).toEqual([1, 12, 23, 34]);
    expect(ds.indexable).toBe(true);
    expect(await ds.get(2)).toBe(23);
  });

  it('filter keeps matching elements and forgets the length', async () => {
    const ds = range(10).filter(async (v) => v % 3 === 0);
    expect(await ds.toArray()).toEqual([0, 3, 6, 9]);
    expect(ds.length).toBeUndefined();
  });
});

describe('batch', () => {
  it('keeps or drops the remainder and reports the batch count', async () => {
    expect(await range(7).batch(3).toArray()).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
    expect(range(7).batch(3).length).toBe(3);
    const dropped = range(7).batch(3, { dropRemainder: true });
    expect(await dropped.toArray()).toEqual([[0, 1, 2], [3, 4, 5]]);
    expect(dropped.length).toBe(2);
  });

  it('rejects a batch size below 1', () => {
    expect(() => range(3).batch(0)).toThrow(DataConfigError);
    expect(() => range(3).batch(0)).toThrow('Dataset.batch: option "size" must be an integer ≥ 1, got 0.');
  });
});

describe('repeat / take / skip', () => {
  it('repeat n times, or forever (with take)', async () => {
    expect(await range(3).repeat(2).toArray()).toEqual([0, 1, 2, 0, 1, 2]);
    expect(range(3).repeat(2).length).toBe(6);
    expect(await stream(2).repeat().take(5).toArray()).toEqual([0, 1, 0, 1, 0]);
    expect(await Dataset.fromItems([]).repeat().toArray()).toEqual([]); // no endless loop on empty data
  });

  it('take and skip on streams and indexable data', async () => {
    expect(await stream(10).skip(7).toArray()).toEqual([7, 8, 9]);
    expect(await stream(10).take(2).toArray()).toEqual([0, 1]);
    const ds = range(10).skip(3).take(4);
    expect(ds.length).toBe(4);
    expect(await ds.toArray()).toEqual([3, 4, 5, 6]);
    expect(await ds.get(1)).toBe(4);
  });

  it('take stops pulling from the source', async () => {
    let pulled = 0;
    const ds = Dataset.fromGenerator(function* () { for (let i = 0; ; i++) { pulled++; yield i; } });
    await ds.take(3).toArray();
    expect(pulled).toBe(3);
  });
});

describe('cache', () => {
  it('memory: later passes do not read the source', async () => {
    let reads = 0;
    const ds = Dataset.fromGenerator(function* () { reads++; yield* [1, 2, 3]; }).cache();
    expect(await ds.toArray()).toEqual([1, 2, 3]);
    expect(await ds.toArray()).toEqual([1, 2, 3]);
    expect(reads).toBe(1);
  });

  it('memory: an interrupted first pass caches nothing', async () => {
    let reads = 0;
    const ds = Dataset.fromGenerator(function* () { reads++; yield* [1, 2, 3]; }).cache();
    expect(await ds.take(1).toArray()).toEqual([1]);
    expect(await ds.toArray()).toEqual([1, 2, 3]);
    expect(reads).toBe(2);
  });

  it('disk: writes typed arrays on the first pass (temp file + rename) and replays them', async () => {
    let reads = 0;
    const path = tmp.file('c.cache');
    const make = () => Dataset.fromGenerator(function* () {
      reads++;
      for (let i = 0; i < 1000; i++) yield { x: Float32Array.from([i, i / 2]), y: i % 7 };
    }).cache({ to: 'disk', path });
    const first = await make().toArray();
    expect(existsSync(path)).toBe(true);
    const again = await make().toArray(); // a new Dataset (as in a new process) finds the file
    expect(again).toEqual(first);
    expect(again[999]!.x).toBeInstanceOf(Float32Array);
    expect(reads).toBe(1);
  });

  it('disk: needs a path', () => {
    expect(() => range(2).cache({ to: 'disk' })).toThrow(/option "path" must be a file path/);
  });
});

describe('prefetch', () => {
  it('reads ahead while the consumer is busy, and keeps order', async () => {
    let produced = 0;
    const ds = Dataset.fromGenerator(async function* () {
      for (let i = 0; i < 6; i++) { produced++; yield i; }
    }).prefetch(3);
    const seen: number[] = [];
    const aheadAt: number[] = [];
    for await (const v of ds) {
      await new Promise((r) => setTimeout(r, 5)); // the "training step"
      aheadAt.push(produced - v - 1);
      seen.push(v);
    }
    expect(seen).toEqual([0, 1, 2, 3, 4, 5]);
    // While element 0 was processed, the producer had already made up to 3 more.
    expect(aheadAt[0]).toBeGreaterThanOrEqual(2);
  });

  it('passes errors through at the element where they happened', async () => {
    const ds = Dataset.fromGenerator(async function* () { yield 1; throw new Error('disk on fire'); }).prefetch(4);
    const got: number[] = [];
    await expect((async () => { for await (const v of ds) got.push(v); })()).rejects.toThrow('disk on fire');
    expect(got).toEqual([1]);
  });
});

describe('zip', () => {
  it('pairs elements, stopping at the shorter', async () => {
    const ds = Dataset.zip<[number, string]>([range(3), Dataset.fromItems(['a', 'b'])]);
    expect(await ds.toArray()).toEqual([[0, 'a'], [1, 'b']]);
    expect(ds.indexable).toBe(true);
  });
});
