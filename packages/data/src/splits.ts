import { Dataset } from './dataset.js';
import { DataConfigError, DataError } from './errors.js';
import { hash32, hashUniform, permutation, Rng } from './random.js';
import type { DataNode, Reader } from './types.js';

/** Options of {@link splits}. */
export interface SplitOptions<T> {
  /** Seed of the assignment. @default 0 */
  seed?: number;
  /** Class of an element: each part then gets the same share of every class (one counting pass first). */
  stratify?: (element: T) => string | number;
  /** Number of elements of a stream whose length is unknown; makes ratio splits exact. */
  total?: number;
}

/** A stream did not have the number of elements a split was planned for. */
export class SplitLengthError extends DataError {
  readonly expected: number;
  readonly received: number;
  constructor(expected: number, received: number) {
    super(`splits: the dataset had ${received} elements in this pass, but the split was planned for ${expected} (its length, 'total', or the sum of counts). Pass the right 'total'.`);
    this.expected = expected;
    this.received = received;
  }
}

/**
 * Splits a dataset into disjoint parts by ratios (`[0.98, 0.01, 0.01]`) or counts
 * (`[980_000, 10_000, 10_000]`), deterministically by seed, without loading the data:
 * - indexable data: a seeded permutation of indices (4 bytes per element) → indexable parts;
 * - streams of known size (length, `total`, or counts): seeded sequential sampling (Knuth's
 *   algorithm S) that gives exact sizes in O(1) memory, replayed on every pass;
 * - streams of unknown size with ratios: a seeded hash of the row number (sizes ≈ ratios).
 * Streams are read in a fixed order (epoch 0) so rows never move between parts: shuffle *after*
 * splitting. Ratios summing to less than 1 (or counts to less than the size) drop the rest.
 * @example `const [train, val, test] = splits(ds, [0.98, 0.01, 0.01], { seed: 1 });`
 */
export function splits<T>(ds: Dataset<T>, sizes: readonly number[], options: SplitOptions<T> = {}): Dataset<T>[] {
  const seed = options.seed ?? 0;
  const src = ds.node;
  const knownN = src.length !== undefined && Number.isFinite(src.length) ? src.length : options.total;
  const mode = sizeMode(sizes);
  if (mode === 'counts' && knownN !== undefined && sum(sizes) > knownN)
    throw new DataConfigError('splits', 'sizes', `counts summing to at most ${knownN} (the dataset size)`, sizes);
  const n = knownN ?? (mode === 'counts' ? sum(sizes) : undefined);

  if (options.stratify) return stratified(src, sizes, mode, seed, options.stratify, n).map((d) => new Dataset(d));
  if (n === undefined) return sizes.map((_, k) => new Dataset(hashedPart(src, sizes, seed, k)));
  const counts = mode === 'counts' ? [...sizes] : countsFromRatios(n, sizes);
  const open = src.openReader;
  if (open && src.length !== undefined) {
    const perm = permutation(n, new Rng(hash32(seed, 0x5117)));
    let at = 0;
    return counts.map((c) => {
      const idx = perm.slice(at, at + c).sort(); // keep file order within a part: sequential reads
      at += c;
      return new Dataset(indexPart(src, idx));
    });
  }
  return counts.map((_, k) => new Dataset(sampledPart(src, counts, n, seed, k)));
}

function sum(a: readonly number[]): number {
  return a.reduce((s, v) => s + v, 0);
}

function sizeMode(sizes: readonly number[]): 'ratios' | 'counts' {
  if (sizes.length === 0 || sizes.some((s) => !(s >= 0) || !Number.isFinite(s)))
    throw new DataConfigError('splits', 'sizes', 'a non-empty list of non-negative ratios or counts', sizes);
  if (sizes.every(Number.isInteger) && sum(sizes) > 1) return 'counts';
  if (sum(sizes) > 1 + 1e-9)
    throw new DataConfigError('splits', 'sizes', 'ratios summing to at most 1, or integer counts', sizes);
  return 'ratios';
}

/** Largest-remainder rounding: counts sum exactly to round(n · Σratios). */
export function countsFromRatios(n: number, ratios: readonly number[]): number[] {
  const target = Math.min(n, Math.round(n * sum(ratios)));
  const raw = ratios.map((r) => n * r);
  const counts = raw.map((v) => Math.floor(v + 1e-9));
  let left = target - sum(counts);
  const order = raw.map((v, i) => [v - Math.floor(v + 1e-9), i] as const).sort((a, b) => b[0] - a[0]);
  for (let j = 0; left > 0 && j < order.length; j++, left--) counts[order[j]![1]]!++;
  return counts;
}

function indexPart<T>(src: DataNode<T>, idx: Int32Array): DataNode<T> {
  const open = src.openReader!;
  const openReader = (): Reader<T> => {
    const r = open();
    return { get: (i) => r.get(idx[i]!), close: () => r.close() };
  };
  return {
    length: idx.length,
    openReader,
    async *iterate() {
      const r = openReader();
      try {
        for (let i = 0; i < idx.length; i++) yield await r.get(i);
      } finally {
        await r.close();
      }
    },
  };
}

/** Sequential exact sampling: row i goes to part k with probability remaining_k / rows left. */
function makeAssigner(counts: readonly number[], n: number, rng: Rng) {
  const left = [...counts, n - sum(counts)]; // last bucket: dropped rows
  let rowsLeft = n;
  return (): number => {
    if (rowsLeft <= 0) return -2; // more rows than planned
    let u = rng.int(rowsLeft);
    rowsLeft--;
    for (let k = 0; k < left.length; k++) {
      if (u < left[k]!) {
        left[k]!--;
        return k === counts.length ? -1 : k;
      }
      u -= left[k]!;
    }
    return -1;
  };
}

function sampledPart<T>(src: DataNode<T>, counts: number[], n: number, seed: number, part: number): DataNode<T> {
  return {
    length: counts[part],
    async *iterate() {
      const assign = makeAssigner(counts, n, new Rng(hash32(seed, 0xa5)));
      let rows = 0;
      for await (const v of src.iterate({ epoch: 0 })) {
        rows++;
        const k = assign();
        if (k === -2) throw new SplitLengthError(n, rows);
        if (k === part) yield v;
      }
      if (rows !== n) throw new SplitLengthError(n, rows);
    },
  };
}

function hashedPart<T>(src: DataNode<T>, ratios: readonly number[], seed: number, part: number): DataNode<T> {
  const lo = sum(ratios.slice(0, part));
  const hi = lo + ratios[part]!;
  return {
    length: undefined,
    async *iterate() {
      let i = 0;
      for await (const v of src.iterate({ epoch: 0 })) {
        const u = hashUniform(seed, i++);
        if (u >= lo && u < hi) yield v;
      }
    },
  };
}

/** Stratified: one counting pass of the labels (memoized), then algorithm S within each class. */
function stratified<T>(
  src: DataNode<T>,
  sizes: readonly number[],
  mode: 'ratios' | 'counts',
  seed: number,
  label: (el: T) => string | number,
  n: number | undefined,
): DataNode<T>[] {
  const ratios = mode === 'ratios' ? sizes : sizes.map((c) => c / (n ?? sum(sizes)));
  let plan: Promise<Map<string | number, { n: number; counts: number[] }>> | undefined;
  const makePlan = async () => {
    const perClass = new Map<string | number, number>();
    for await (const v of src.iterate({ epoch: 0 })) {
      const c = label(v);
      perClass.set(c, (perClass.get(c) ?? 0) + 1);
    }
    const out = new Map<string | number, { n: number; counts: number[] }>();
    for (const [c, m] of perClass) out.set(c, { n: m, counts: countsFromRatios(m, ratios) });
    return out;
  };
  return sizes.map((_, part) => ({
    length: undefined,
    async *iterate() {
      plan ??= makePlan();
      const p = await plan;
      const assigners = new Map<string | number, () => number>();
      for (const [c, { n: m, counts }] of p) assigners.set(c, makeAssigner(counts, m, new Rng(hash32(seed, hashKey(c)))));
      for await (const v of src.iterate({ epoch: 0 })) {
        const a = assigners.get(label(v));
        if (!a) throw new DataError(`splits: class ${JSON.stringify(label(v))} was not seen in the counting pass; the dataset changed between passes.`);
        if (a() === part) yield v;
      }
    },
  }));
}

function hashKey(c: string | number): number {
  if (typeof c === 'number') return hash32(c, 1);
  let h = 2166136261;
  for (let i = 0; i < c.length; i++) h = Math.imul(h ^ c.charCodeAt(i), 16777619);
  return hash32(h >>> 0, 2);
}
