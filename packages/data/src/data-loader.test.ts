import { describe, expect, it } from 'vitest';
import { collateHost } from './collate.js';
import { DataLoader } from './data-loader.js';
import { Dataset } from './dataset.js';
import { DataConfigError, WorkerTaskError } from './errors.js';
import { HOST_BATCHES, type Tensor } from '@nn/core';

const N = 10;
const ds = () => Dataset.fromArrays(Array.from({ length: N }, (_, i) => Float32Array.from([i, -i])), Array.from({ length: N }, (_, i) => i % 3));
const xs = (t: Tensor) => Array.from(t.dataSync());

describe('collateHost', () => {
  it('stacks {x, y} samples, tuples and nested arrays', () => {
    const [x, y] = collateHost([{ x: [1, 2], y: 0 }, { x: [3, 4], y: 1 }]);
    expect(x).toEqual({ data: Float32Array.from([1, 2, 3, 4]), shape: [2, 2], dtype: 'float32' });
    expect(y).toEqual({ data: Int32Array.from([0, 1]), shape: [2], dtype: 'int32' });
    const [x2, y2] = collateHost([[[[1], [2]], 0.5], [[[3], [4]], 1.5]]);
    expect(x2.shape).toEqual([2, 2, 1]);
    expect(y2!.dtype).toBe('float32');
    expect(collateHost([[1, 2], [3, 4]])[1]).toBeUndefined(); // bare features, no labels
  });

  it('features from typed arrays, {data, shape} objects and number arrays stack to the same float32 values (one native copy per typed-array sample)', () => {
    const a = Float64Array.from([0.1, 1 / 3, -2.5, 1e-40]), b = Uint8Array.from([0, 7, 255, 1]), c = [0.1, 1 / 3, -2.5, 1e-40];
    const [x, y] = collateHost([{ x: a, y: 2 }, { x: b, y: 0 }, { x: { data: Float32Array.from(c), shape: [4] }, y: 1 }, { x: c, y: 3 }]);
    expect(x).toEqual({ data: Float32Array.from([...a, ...b, ...c, ...c]), shape: [4, 4], dtype: 'float32' });
    expect(y).toEqual({ data: Int32Array.from([2, 0, 1, 3]), shape: [4], dtype: 'int32' });
  });

  it('names the sample with a different shape', () => {
    expect(() => collateHost([{ x: [1, 2] }, { x: [1, 2, 3] }])).toThrow('collate: sample 1 x has shape [3], sample 0 has [2]; every sample of a batch needs the same shape');
  });
});

describe('DataLoader', () => {
  it("core's HOST_BATCHES pass: the same batches as host arrays, counted as an epoch like for await; null with a custom collate", async () => {
    const host = async (l: DataLoader<unknown>) => {
      const out: number[][] = [];
      for await (const [x, y] of l[HOST_BATCHES]()!) out.push([...x.data, ...(y ? y.data : [])]);
      return out;
    };
    const tensors = async (l: DataLoader<unknown>) => {
      const out: number[][] = [];
      for await (const [x, y] of l as AsyncIterable<[Tensor, Tensor]>) out.push([...xs(x), ...xs(y)]);
      return out;
    };
    for (const numWorkers of [0, 1]) {
      const a = new DataLoader(ds(), { batchSize: 4, shuffle: true, seed: 5, numWorkers });
      const b = new DataLoader(ds(), { batchSize: 4, shuffle: true, seed: 5, numWorkers });
      // Epochs 0, 1, 2 alternating between the two kinds of pass on one loader, against tensors only.
      const mixed = [await host(a), await tensors(a), await host(a)];
      const plain = [await tensors(b), await tensors(b), await tensors(b)];
      expect(mixed).toEqual(plain);
      expect(mixed[0]).not.toEqual(mixed[1]); // a new order each epoch
    }
    const custom = new DataLoader(ds(), { batchSize: 4, collate: (s) => s });
    expect(custom[HOST_BATCHES]()).toBeNull();
  });

  it('yields [x, y] core tensors: float32 features, int32 labels', async () => {
    const [x, y] = (await new DataLoader(ds(), { batchSize: 4 })[Symbol.asyncIterator]().next()).value!;
    expect(x.dtype).toBe('float32');
    expect(y!.dtype).toBe('int32');
    expect(y!.shape).toEqual([4]);
  });

  it('yields [x, y] batches; dropLast; length', async () => {
    // autoScope off: the test keeps batches past their iteration (by default they are freed then).
    const loader = new DataLoader(ds(), { batchSize: 4, autoScope: false });
    expect(loader.length).toBe(3);
    const batches = [];
    for await (const [x, y] of loader) batches.push([x, y] as const);
    expect(batches.map(([x]) => x.shape)).toEqual([[4, 2], [4, 2], [2, 2]]);
    expect(xs(batches[0]![0])).toEqual([0, -0, 1, -1, 2, -2, 3, -3]);
    expect(xs(batches[2]![1]!)).toEqual([2, 0]);
    const dropped = new DataLoader(ds(), { batchSize: 4, dropLast: true });
    expect(dropped.length).toBe(2);
    let n = 0;
    for await (const _ of dropped) n++;
    expect(n).toBe(2);
  });

  it('shuffle: every sample once per epoch, new order each epoch, same seed same orders', async () => {
    const epochOrder = async (l: DataLoader<unknown>) => {
      const out: number[] = [];
      for await (const [x] of l) {
        const v = x.dataSync();
        for (let i = 0; i < x.shape[0]!; i++) out.push(v[i * 2]!);
      }
      return out;
    };
    const a = new DataLoader(ds(), { batchSize: 3, shuffle: true, seed: 42 });
    const b = new DataLoader(ds(), { batchSize: 3, shuffle: true, seed: 42 });
    const a0 = await epochOrder(a);
    const a1 = await epochOrder(a);
    expect([...a0].sort((p, q) => p - q)).toEqual(Array.from({ length: N }, (_, i) => i));
    expect(a1).not.toEqual(a0);
    expect(await epochOrder(b)).toEqual(a0);
    expect(await epochOrder(b)).toEqual(a1);
    b.setEpoch(0);
    expect(await epochOrder(b)).toEqual(a0);
  });

  it('numWorkers runs the transform and stacking in workers, with the same batches as in-thread', async () => {
    const transform = (s: { x: Float32Array; y: number }, _i: number, k: number) => ({ x: s.x.map((v) => v * k), y: s.y });
    const collect = async (numWorkers: number) => {
      const out: number[][] = [];
      for await (const [x, y] of new DataLoader(ds(), { batchSize: 4, numWorkers, transform, transformContext: 10 }))
        out.push([...xs(x), ...xs(y!)]);
      return out;
    };
    const inThread = await collect(0);
    expect(inThread[0]!.slice(0, 4)).toEqual([0, -0, 10, -10]);
    expect(await collect(2)).toEqual(inThread);
  });

  it('a transform that throws in a worker reaches the loop', async () => {
    const loader = new DataLoader(ds(), {
      batchSize: 2,
      numWorkers: 1,
      transform: (s: { y: number }) => {
        if (s.y === 2) throw new Error('corrupt sample');
        return s;
      },
    });
    const run = async () => { for await (const _ of loader) { /* train */ } };
    await expect(run()).rejects.toThrow(WorkerTaskError);
    await expect(run()).rejects.toThrow(/corrupt sample/);
  });

  it('custom collate and plain arrays', async () => {
    const loader = new DataLoader([1, 2, 3, 4, 5], { batchSize: 2, collate: (b: number[]) => b.reduce((s, v) => s + v, 0) });
    const sums: number[] = [];
    for await (const s of loader) sums.push(s);
    expect(sums).toEqual([3, 7, 5]);
  });

  it('collates only the batches the consumer takes, even with read-ahead', async () => {
    let collated = 0;
    const loader = new DataLoader(ds(), { batchSize: 2, prefetch: 4, collate: (b: unknown[]) => (collated++, b.length) });
    for await (const _ of loader) break;
    expect(collated).toBe(1);
  });

  it('validates options', () => {
    expect(() => new DataLoader(ds(), { batchSize: 0 })).toThrow(DataConfigError);
    expect(() => new DataLoader(ds(), { numWorkers: -1 })).toThrow(/numWorkers/);
  });
});
