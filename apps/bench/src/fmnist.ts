import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

/** Debian's python3-fashion-mnist data (`/usr/share/datasets/fashion-mnist`), the full 60k/10k set. */
export const DEBIAN_DIR = '/usr/share/datasets/fashion-mnist';
/** The subset shipped with apps/fashion-mnist. */
export const SUBSET_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fashion-mnist', 'data');

/** The folder with the Fashion-MNIST IDX files: Debian's when present, else the shipped subset. */
export function fmnistDir(): { dir: string; source: 'debian' | 'subset' } {
  return existsSync(join(DEBIAN_DIR, 'train-images-idx3-ubyte.gz')) ? { dir: DEBIAN_DIR, source: 'debian' } : { dir: SUBSET_DIR, source: 'subset' };
}

function idx(file: string): { dims: number[]; data: Uint8Array } {
  const raw = file.endsWith('.gz') ? gunzipSync(readFileSync(file)) : readFileSync(file);
  const rank = raw[3]!;
  const dims = Array.from({ length: rank }, (_, i) => raw.readUInt32BE(4 + 4 * i));
  return { dims, data: new Uint8Array(raw.buffer, raw.byteOffset + 4 + 4 * rank, dims.reduce((a, b) => a * b, 1)) };
}

/** One split in memory: inputs x/255 as float32 [n, 784], labels as int32 [n]; at most `limit` rows. */
export function loadFmnist(split: 'train' | 't10k', limit = Infinity): { x: Float32Array; y: Int32Array; n: number; source: string } {
  const { dir, source } = fmnistDir();
  const images = idx(join(dir, `${split}-images-idx3-ubyte.gz`));
  const labels = idx(join(dir, `${split}-labels-idx1-ubyte.gz`));
  const n = Math.min(limit, images.dims[0]!);
  const x = new Float32Array(n * 784);
  for (let i = 0; i < x.length; i++) x[i] = images.data[i]! / 255;
  return { x, y: Int32Array.from(labels.data.subarray(0, n)), n, source: `${source} (${dir}), ${n} ${split} rows` };
}
