/**
 * fANOVA (Hutter, Hoos & Leyton-Brown 2014; Optuna's default `FanovaImportanceEvaluator`): fit a
 * random forest of regression trees to (parameters → objective value), then for each parameter the
 * share of the forest's variance over the search space that its main effect explains. Unlike
 * methods that look at where the sampler went, a parameter that does not change the objective gets
 * no variance even when the sampler (e.g. TPE) concentrated its values by chance.
 */
import { Rng } from './prng.js';

/** One input column: numerical (values in [0, 1]) or categorical (values 0…k−1). */
export interface FanovaColumn {
  categorical: boolean;
  /** Number of choices (categorical only). */
  choices: number;
}

/** Options of {@link fanova}. */
export interface FanovaOptions {
  /** Trees in the forest. @default 64 */
  nTrees?: number;
  /** Maximum depth of a tree. @default 64 */
  maxDepth?: number;
  /** Fewest samples a leaf may hold. @default 1 */
  minSamplesLeaf?: number;
  /** Seed of the bootstrap samples. @default 0 */
  seed?: number;
}

/** A node's region in one column: an interval of [0, 1], or a set of categories. */
type Region = { lo: number; hi: number } | { cats: boolean[] };

interface Leaf {
  value: number;
  region: Region[];
}

/**
 * Main-effect variance shares of each column, averaged over the trees (each tree's shares are of
 * its own total variance; trees with no variance are skipped). Not normalised to sum to 1.
 *
 * @param x - Rows of inputs: numerical columns scaled to [0, 1], categorical ones as indices.
 * @param y - Objective values, one per row.
 */
export function fanova(x: readonly (readonly number[])[], y: readonly number[], cols: readonly FanovaColumn[], options: FanovaOptions = {}): number[] {
  const nTrees = options.nTrees ?? 64;
  const maxDepth = options.maxDepth ?? 64;
  const minLeaf = options.minSamplesLeaf ?? 1;
  const rng = new Rng(options.seed ?? 0);
  const sums = new Array<number>(cols.length).fill(0);
  let used = 0;
  for (let t = 0; t < nTrees; t++) {
    const idx = Array.from({ length: y.length }, () => rng.int(y.length));
    const leaves: Leaf[] = [];
    grow(idx, cols.map((c) => (c.categorical ? { cats: new Array<boolean>(c.choices).fill(true) } : { lo: 0, hi: 1 })), 0);
    const shares = mainEffects(leaves, cols);
    if (shares) {
      shares.forEach((s, i) => (sums[i]! += s));
      used++;
    }

    function grow(rows: number[], region: Region[], depth: number): void {
      const mean = rows.reduce((s, r) => s + y[r]!, 0) / rows.length;
      const split = depth < maxDepth && rows.length >= 2 * minLeaf ? bestSplit(rows, x, y, cols, minLeaf) : null;
      if (!split) {
        leaves.push({ value: mean, region });
        return;
      }
      const [left, right] = [rows.filter((r) => split.goesLeft(x[r]![split.col]!)), rows.filter((r) => !split.goesLeft(x[r]![split.col]!))];
      const reg = region[split.col]!;
      const lr = [...region];
      const rr = [...region];
      if ('cats' in reg) {
        lr[split.col] = { cats: reg.cats.map((c, k) => c && split.goesLeft(k)) };
        rr[split.col] = { cats: reg.cats.map((c, k) => c && !split.goesLeft(k)) };
      } else {
        lr[split.col] = { lo: reg.lo, hi: split.threshold };
        rr[split.col] = { lo: split.threshold, hi: reg.hi };
      }
      grow(left, lr, depth + 1);
      grow(right, rr, depth + 1);
    }
  }
  return sums.map((s) => (used > 0 ? s / used : 0));
}

interface Split {
  col: number;
  threshold: number;
  goesLeft: (v: number) => boolean;
}

/** The split with the largest drop in squared error (numerical: midpoints; categorical: categories ordered by mean). */
function bestSplit(rows: number[], x: readonly (readonly number[])[], y: readonly number[], cols: readonly FanovaColumn[], minLeaf: number): Split | null {
  let best: Split | null = null;
  let bestScore = 1e-12; // the gain must be positive
  const total = rows.reduce((s, r) => s + y[r]!, 0);
  const n = rows.length;
  const base = (total * total) / n;
  cols.forEach((col, c) => {
    // Order the distinct values: numerically, or categories by their mean objective.
    const groups = new Map<number, { sum: number; count: number }>();
    for (const r of rows) {
      const v = x[r]![c]!;
      const g = groups.get(v) ?? { sum: 0, count: 0 };
      g.sum += y[r]!;
      g.count++;
      groups.set(v, g);
    }
    if (groups.size < 2) return;
    const keys = [...groups.keys()].sort(col.categorical ? (a, b) => groups.get(a)!.sum / groups.get(a)!.count - groups.get(b)!.sum / groups.get(b)!.count : (a, b) => a - b);
    let ls = 0;
    let lc = 0;
    for (let k = 0; k < keys.length - 1; k++) {
      const g = groups.get(keys[k]!)!;
      ls += g.sum;
      lc += g.count;
      if (lc < minLeaf || n - lc < minLeaf) continue;
      const rs = total - ls;
      const gain = (ls * ls) / lc + (rs * rs) / (n - lc) - base;
      if (gain > bestScore) {
        bestScore = gain;
        if (col.categorical) {
          const left = new Set(keys.slice(0, k + 1));
          best = { col: c, threshold: NaN, goesLeft: (v) => left.has(v) };
        } else {
          const threshold = 0.5 * (keys[k]! + keys[k + 1]!);
          best = { col: c, threshold, goesLeft: (v) => v < threshold };
        }
      }
    }
  });
  return best;
}

const measure = (r: Region, cols: FanovaColumn, ): number => ('cats' in r ? r.cats.filter(Boolean).length / cols.choices : r.hi - r.lo);

/** Each column's main-effect variance ÷ the tree's variance, under the uniform measure on the space. */
function mainEffects(leaves: Leaf[], cols: readonly FanovaColumn[]): number[] | null {
  const vols = leaves.map((l) => l.region.reduce((p, r, c) => p * measure(r, cols[c]!), 1));
  const mean = leaves.reduce((s, l, i) => s + vols[i]! * l.value, 0);
  const total = leaves.reduce((s, l, i) => s + vols[i]! * (l.value - mean) ** 2, 0);
  if (!(total > 1e-300)) return null;
  return cols.map((col, c) => {
    // Cells of column c: the categories, or the intervals between every split point on c.
    const cells: Region[] = [];
    if (col.categorical) {
      for (let k = 0; k < col.choices; k++) cells.push({ cats: Array.from({ length: col.choices }, (_, j) => j === k) });
    } else {
      const cuts = [...new Set(leaves.flatMap((l) => { const r = l.region[c] as { lo: number; hi: number }; return [r.lo, r.hi]; }))].sort((a, b) => a - b);
      for (let k = 0; k + 1 < cuts.length; k++) cells.push({ lo: cuts[k]!, hi: cuts[k + 1]! });
    }
    let v = 0;
    for (const cell of cells) {
      // The main effect on this cell: the mean over the other columns, Σ_leaves value · vol_{−c}.
      let f = 0;
      leaves.forEach((l, i) => {
        const r = l.region[c]!;
        const inside = 'cats' in r ? r.cats[(cell as { cats: boolean[] }).cats.indexOf(true)]! : (cell as { lo: number }).lo >= r.lo && (cell as { hi: number }).hi <= r.hi;
        if (inside) f += l.value * (vols[i]! / measure(r, col));
      });
      v += measure(cell, col) * (f - mean) ** 2;
    }
    return v / total;
  });
}
