import { existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Dataset } from '@nn/data';

/** Where the IDX files are, and how they were found. */
export interface DataLocation {
  dir: string;
  source: 'flag' | 'debian' | 'subset';
}

export const DEBIAN_DIR = '/usr/share/datasets/fashion-mnist';
export const SUBSET_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'data');
const FILES = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'];

const complete = (dir: string) => FILES.every((f) => existsSync(join(dir, f)) || existsSync(join(dir, `${f}.gz`)));

/** `--data DIR` if given, else Debian's package, else the subset shipped in the repo. */
export function locateData(flag?: string): DataLocation {
  if (flag) {
    if (!complete(flag)) throw new UsageError(`--data ${flag}: expected the four Fashion-MNIST IDX files (${FILES.join(', ')}, optionally .gz) in that folder.`);
    return { dir: flag, source: 'flag' };
  }
  if (complete(DEBIAN_DIR)) return { dir: DEBIAN_DIR, source: 'debian' };
  return { dir: SUBSET_DIR, source: 'subset' };
}

/** Read one split (or its first `limit` images) into memory as flat arrays, streaming from the IDX files. */
export async function loadSplit(dir: string, split: 'train' | 'test', limit?: number): Promise<{ x: Float32Array; y: Int32Array; n: number }> {
  const all = Dataset.fromFashionMnist(dir, { split });
  const ds = limit === undefined ? all : all.take(limit);
  const xs: Float32Array[] = [];
  const ys: number[] = [];
  for await (const s of ds) {
    xs.push(s.x as Float32Array);
    ys.push(s.y as number);
  }
  const x = new Float32Array(xs.length * 784);
  xs.forEach((r, i) => x.set(r, i * 784));
  return { x, y: Int32Array.from(ys), n: ys.length };
}

/** A command-line mistake: printed as one line plus the usage, never a stack. */
export class UsageError extends Error {
  override name = 'UsageError';
}
