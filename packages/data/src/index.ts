export { Dataset } from './dataset.js';
export type { BatchOptions, CacheOptions, ParallelMapOptions, ShuffleOptions, WorkerFn } from './dataset.js';
export { DataLoader } from './data-loader.js';
export type { DataLoaderOptions } from './data-loader.js';
export { collateHost } from './collate.js';
export type { HostBatch } from './collate.js';
export { defaultCollate } from './default-collate.js';
export type { DefaultBatch } from './default-collate.js';
export { splits, countsFromRatios, SplitLengthError } from './splits.js';
export type { SplitOptions } from './splits.js';
export { computeStats, zscore } from './stats.js';
export type { FeatureStats, FeatureSelector, ComputeStatsOptions } from './stats.js';
export { FASHION_MNIST_CLASSES } from './sources/fashion-mnist.js';
export type { FashionMnistOptions } from './sources/fashion-mnist.js';
export type { CsvOptions, CsvColumnType, InvalidRowPolicy, ReadReport } from './sources/csv.js';
export type { JsonlOptions } from './sources/jsonl.js';
export type { IdxOptions, IdxHeader } from './sources/idx.js';
export type { BinaryShardOptions } from './sources/binary-shards.js';
export type { TensorLike } from './sources/arrays.js';
export type { MapFn } from './transforms/map.js';
export {
  DataError,
  DataFileError,
  DataRowError,
  IdxFormatError,
  ShardFormatError,
  WorkerTaskError,
  DataConfigError,
  DataEmptyError,
} from './errors.js';
export type { DataNode, Reader, IterContext, Sample, HostTensor, TypedArray } from './types.js';
export {
  applyAugment,
  Compose,
  GaussianNoise,
  RandomAffine,
  RandomCrop,
  RandomHorizontalFlip,
  type AugmentContext,
  type AugmentTransform,
  type ComposeOptions,
  type Composed,
} from './augment.js';
export type { TransformInfo } from './data-loader.js';
