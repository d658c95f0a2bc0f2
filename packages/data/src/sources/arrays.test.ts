import { describe, expect, it } from 'vitest';
import { Dataset } from '../dataset.js';
import { DataConfigError } from '../errors.js';

describe('in-memory sources', () => {
  it('fromArrays zips features and labels, is indexable and re-iterable', async () => {
    const ds = Dataset.fromArrays([[1, 2], [3, 4], [5, 6]], [0, 1, 0]);
    expect(ds.length).toBe(3);
    expect(ds.indexable).toBe(true);
    expect(await ds.get(1)).toEqual({ x: [3, 4], y: 1 });
    const a = await ds.toArray();
    const b = await ds.toArray();
    expect(a).toEqual(b);
    expect(a.map((s) => s.y)).toEqual([0, 1, 0]);
  });

  it('fromArrays rejects a label count that differs from the feature count', () => {
    expect(() => Dataset.fromArrays([[1], [2]], [0])).toThrow(DataConfigError);
    expect(() => Dataset.fromArrays([[1], [2]], [0])).toThrow(/2 labels \(one per x\), got "1 labels"/);
  });

  it('fromTensors slices rows of {data, shape} tensors without copying', async () => {
    const data = Float32Array.from({ length: 12 }, (_, i) => i);
    const ds = Dataset.fromTensors({ data, shape: [4, 3] }, { data: Int32Array.from([7, 8, 9, 10]), shape: [4] });
    const s = await ds.get(2);
    expect(Array.from(s.x as Float32Array)).toEqual([6, 7, 8]);
    expect(s.y).toBe(9);
    expect((s.x as Float32Array).buffer).toBe(data.buffer);
    // Anything with dataSync() (a core Tensor) works too.
    const t = { shape: [2, 2], dataSync: () => Float32Array.from([1, 2, 3, 4]) };
    expect((await Dataset.fromTensors(t).toArray()).map((r) => Array.from(r.x as Float32Array))).toEqual([[1, 2], [3, 4]]);
  });

  it('fromTensors checks that x and y have as many rows', () => {
    expect(() => Dataset.fromTensors({ data: new Float32Array(4), shape: [2, 2] }, { data: new Float32Array(3), shape: [3] })).toThrow(/first axis is 2/);
  });

  it('get() refuses out-of-range indices and streams', async () => {
    await expect(Dataset.fromItems([1, 2]).get(2)).rejects.toThrow(RangeError);
    await expect(Dataset.fromGenerator(() => [1]).get(0)).rejects.toThrow(/indexable/);
  });

  it('fromGenerator calls the generator again each pass, with the epoch', async () => {
    const ds = Dataset.fromGenerator(async function* (epoch) {
      for (let i = 0; i < 3; i++) yield epoch * 10 + i;
    });
    expect(await ds.toArray()).toEqual([0, 1, 2]);
    expect(await ds.toArray()).toEqual([10, 11, 12]);
    expect(await Dataset.fromGenerator(() => [5, 6], { length: 2 }).toArray()).toEqual([5, 6]);
  });
});
