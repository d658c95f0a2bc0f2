import { join } from 'node:path';
import { DataConfigError } from '../errors.js';
import { mapNode } from '../transforms/map.js';
import { zipNode } from '../transforms/zip.js';
import type { DataNode, Sample } from '../types.js';
import { idxNode } from './idx.js';

/** Options of `Dataset.fromFashionMnist`. */
export interface FashionMnistOptions {
  /** `'train'` (60,000 images) or `'test'` (10,000). @default 'train' */
  split?: 'train' | 'test';
  /** File names end with `.gz` (gzipped). @default true */
  gzip?: boolean;
}

/** The ten Fashion-MNIST class names, by label. */
export const FASHION_MNIST_CLASSES = [
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
] as const;

/**
 * Streams `{x: Float32Array(784) in [0, 1], y: label}` from the standard IDX files in `dir`
 * (`train-images-idx3-ubyte[.gz]`, `train-labels-idx1-ubyte[.gz]`, `t10k-…`). Works for MNIST too.
 */
export function fashionMnistNode(dir: string, opts: FashionMnistOptions = {}): DataNode<Sample> {
  const split = opts.split ?? 'train';
  if (split !== 'train' && split !== 'test') throw new DataConfigError('fromFashionMnist', 'split', "'train' or 'test'", split);
  const prefix = split === 'train' ? 'train' : 't10k';
  const ext = opts.gzip === false ? '' : '.gz';
  const images = idxNode(join(dir, `${prefix}-images-idx3-ubyte${ext}`), { scale: 255, rank: 3 });
  const labels = idxNode(join(dir, `${prefix}-labels-idx1-ubyte${ext}`), { rank: 1 });
  const zipped = zipNode<[Float32Array, number]>([images as DataNode<Float32Array>, labels as DataNode<number>]);
  return mapNode(zipped, ([x, y]) => ({ x, y }));
}
