import { describe, expect, it } from 'vitest';
import { Dataset } from '../dataset.js';

const N = 1000;
const items = Array.from({ length: N }, (_, i) => i);
const indexable = () => Dataset.fromItems(items);
const stream = () => Dataset.fromGenerator(() => items);

function isPermutation(order: number[]): boolean {
  return order.length === N && new Set(order).size === N && order.every((v) => v >= 0 && v < N);
}

/** Fraction of positions where two orders agree; ≈ 1/N for independent permutations. */
function agreement(a: number[], b: number[]): number {
  return a.filter((v, i) => v === b[i]).length / a.length;
}

describe.each([
  ['indexable (full permutation)', indexable, undefined],
  ['stream (buffer 100)', stream, 100],
] as const)('shuffle: %s', (_name, make, buffer) => {
  it('each element exactly once per epoch; a new order every epoch', async () => {
    const ds = make().shuffle({ seed: 7, buffer });
    const e0 = await ds.toArray();
    const e1 = await ds.toArray();
    expect(isPermutation(e0)).toBe(true);
    expect(isPermutation(e1)).toBe(true);
    expect(e0).not.toEqual(items);
    expect(e0).not.toEqual(e1);
    // Two unrelated orders agree at ~N·(1/N)=1 position on average for a full permutation;
    // 5% leaves room for a buffer shuffle's locality while catching "same order" bugs.
    expect(agreement(e0, e1)).toBeLessThan(0.05);
  });

  it('same seed → same sequence of orders; another seed → another order', async () => {
    const a = make().shuffle({ seed: 1, buffer });
    const b = make().shuffle({ seed: 1, buffer });
    const c = make().shuffle({ seed: 2, buffer });
    expect(await a.toArray()).toEqual(await b.toArray());
    expect(await a.toArray()).toEqual(await b.toArray()); // epoch 1 too
    expect(await a.toArray({ epoch: 0 })).toEqual(await b.toArray({ epoch: 0 }));
    expect(agreement(await a.toArray({ epoch: 0 }), await c.toArray({ epoch: 0 }))).toBeLessThan(0.05);
  });

  it('repeat reshuffles each repetition', async () => {
    const all = await make().shuffle({ seed: 3, buffer }).repeat(2).toArray();
    const first = all.slice(0, N);
    const second = all.slice(N);
    expect(isPermutation(first) && isPermutation(second)).toBe(true);
    expect(first).not.toEqual(second);
  });
});

describe('shuffle statistics', () => {
  it('full permutation: every element visits every position bucket about equally', async () => {
    // 400 epochs of 10 elements: element 0 lands at each position ~40 times. A binomial
    // (n=400, p=0.1) has sd 6; 40 ± 25 (> 4 sd) fails only for a biased shuffle.
    const ds = Dataset.fromItems(Array.from({ length: 10 }, (_, i) => i)).shuffle({ seed: 11 });
    const hits = new Array(10).fill(0);
    for (let e = 0; e < 400; e++) hits[(await ds.toArray()).indexOf(0)]++;
    for (const h of hits) expect(Math.abs(h - 40)).toBeLessThan(25);
  });

  it('buffer shuffle: elements move at most about a buffer away from their start, and mix within it', async () => {
    const order = await stream().shuffle({ seed: 5, buffer: 50 }).toArray();
    // An element can come out early only after entering the buffer: output position ≥ index − buffer.
    order.forEach((v, pos) => expect(pos).toBeGreaterThanOrEqual(v - 50));
    // Mean displacement of a buffer-50 shuffle is ~50; identity would give 0.
    const mean = order.reduce((s, v, pos) => s + Math.abs(v - pos), 0) / N;
    expect(mean).toBeGreaterThan(20);
  });
});
