import { collateHost, type HostBatch } from './collate.js';

/** What the default collate yields: `[x, y]` (y undefined for unlabelled data). */
export type DefaultBatch = HostBatch;

/** Turns a host batch into the batch type the DataLoader yields. */
export function toBatch(host: HostBatch): DefaultBatch {
  return host;
}

/**
 * The DataLoader's default collate: stacks samples (see `collateHost`) and makes tensors.
 * @example `defaultCollate([{ x: new Float32Array([1, 2]), y: 1 }])`
 */
export function defaultCollate(samples: readonly unknown[]): DefaultBatch {
  return toBatch(collateHost(samples));
}
