import { describe, expect, it } from 'vitest';
import { Dataset } from './dataset.js';
import { DataConfigError } from './errors.js';
import { countsFromRatios, SplitLengthError, splits } from './splits.js';

const N = 2000;
const items = Array.from({ length: N }, (_, i) => i);
const stream = (n = N) => Dataset.fromGenerator(function* () { for (let i = 0; i < n; i++) yield i; });

async function check(parts: Dataset<number>[], sizes: number[] | undefined) {
  const arrays = await Promise.all(parts.map((p) => p.toArray()));
  const all = arrays.flat();
  expect(new Set(all).size).toBe(all.length); // disjoint
  if (sizes) expect(arrays.map((a) => a.length)).toEqual(sizes);
  return arrays;
}

describe('splits', () => {
  it('the big-data split is exact: 1,000,000 → 980,000 / 10,000 / 10,000', () => {
    expect(countsFromRatios(1_000_000, [0.98, 0.01, 0.01])).toEqual([980_000, 10_000, 10_000]);
    expect(countsFromRatios(10, [1 / 3, 1 / 3, 1 / 3])).toEqual([4, 3, 3]);
  });

  it('indexable: exact sizes, disjoint, covering, deterministic, indexable parts', async () => {
    const ds = Dataset.fromItems(items);
    const parts = splits(ds, [0.8, 0.1, 0.1], { seed: 1 });
    expect(parts.map((p) => p.length)).toEqual([1600, 200, 200]);
    expect(parts.every((p) => p.indexable)).toBe(true);
    const a = await check(parts, [1600, 200, 200]);
    expect(a.flat().length).toBe(N);
    const again = await check(splits(ds, [0.8, 0.1, 0.1], { seed: 1 }), undefined);
    expect(again).toEqual(a);
    const other = await check(splits(ds, [0.8, 0.1, 0.1], { seed: 2 }), undefined);
    expect(other[1]).not.toEqual(a[1]);
  });

  it('counts, with the rest dropped', async () => {
    const parts = splits(Dataset.fromItems(items), [100, 50], { seed: 3 });
    await check(parts, [100, 50]);
  });

  it('stream of known size (total): exact sizes in one pass per part, nothing kept in memory', async () => {
    const parts = splits(stream(), [0.98, 0.01, 0.01], { seed: 4, total: N });
    expect(parts.map((p) => p.length)).toEqual([1960, 20, 20]);
    const a = await check(parts, [1960, 20, 20]);
    expect(await parts[1]!.toArray()).toEqual(a[1]); // replayed identically
    // Sampling is spread over the whole stream, not the first rows.
    expect(Math.max(...a[2]!)).toBeGreaterThan(N / 2);
  });

  it('stream with counts infers the total and checks it at the end of the pass', async () => {
    await check(splits(stream(), [1500, 500], { seed: 5 }), [1500, 500]);
    await expect(splits(stream(), [1000, 500], { seed: 5 })[0]!.toArray()).rejects.toThrow(SplitLengthError);
  });

  it('stream of unknown size: hash assignment, sizes close to the ratios', async () => {
    const parts = splits(stream(), [0.5, 0.3, 0.2], { seed: 6 });
    const a = await check(parts, undefined);
    expect(a.flat().length).toBe(N);
    // Binomial(2000, p) has sd ≤ 23; ±100 (> 4 sd) catches a wrong assignment, not chance.
    a.forEach((part, k) => expect(Math.abs(part.length - N * [0.5, 0.3, 0.2][k]!)).toBeLessThan(100));
  });

  it('splits ignore an upstream shuffle epoch: rows never move between parts', async () => {
    const shuffled = stream().shuffle({ buffer: 100, seed: 1 });
    const [a, b] = splits(shuffled, [0.5, 0.5], { seed: 7, total: N });
    const a1 = await a!.toArray();
    const a2 = await a!.toArray();
    expect(a2).toEqual(a1);
    const bs = new Set(await b!.toArray());
    expect(a1.some((v) => bs.has(v))).toBe(false);
  });

  it('stratified: each part gets each class in proportion', async () => {
    // Classes 0/1/2 with 1000/600/400 members.
    const labels = items.map((i) => (i < 1000 ? 0 : i < 1600 ? 1 : 2));
    const ds = Dataset.fromArrays(items, labels);
    const parts = splits(ds, [0.5, 0.25, 0.25], { seed: 8, stratify: (s) => s.y! });
    const arrays = await Promise.all(parts.map((p) => p.toArray()));
    const xs = arrays.flat().map((s) => s.x);
    expect(new Set(xs).size).toBe(N);
    const perClass = arrays.map((a) => [0, 1, 2].map((c) => a.filter((s) => s.y === c).length));
    expect(perClass).toEqual([[500, 300, 200], [250, 150, 100], [250, 150, 100]]);
  });

  it('rejects bad sizes', () => {
    const ds = Dataset.fromItems(items);
    expect(() => splits(ds, [0.7, 0.7])).toThrow(DataConfigError);
    expect(() => splits(ds, [-1, 2])).toThrow(/non-negative/);
    expect(() => splits(ds, [N, 1])).toThrow(/at most 2000/);
  });
});
