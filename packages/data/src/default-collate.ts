import { tensor, type Tensor } from '@nn/core';
import { collateHost, type HostBatch } from './collate.js';
import type { HostTensor } from './types.js';

/** What the default collate yields: `[x, y]` core tensors (y undefined for unlabelled data). */
export type DefaultBatch = [Tensor, Tensor | undefined];

/** Wraps a host tensor in a core `Tensor` on the active backend. */
export function hostToTensor(h: HostTensor): Tensor {
  return tensor(h.data, h.shape, { dtype: h.dtype });
}

/** Turns a host batch into `[x, y]` core tensors. */
export function toBatch(host: HostBatch): DefaultBatch {
  return [hostToTensor(host[0]), host[1] ? hostToTensor(host[1]) : undefined];
}

/**
 * The DataLoader's default collate: stacks samples with {@link collateHost} and makes core
 * tensors: `x` float32 `[batch, ...featureShape]`, `y` int32 (integer labels) or float32.
 * @example `const [x, y] = defaultCollate([{ x: new Float32Array([1, 2]), y: 1 }]); // x: [1, 2], y: [1]`
 */
export function defaultCollate(samples: readonly unknown[]): DefaultBatch {
  return toBatch(collateHost(samples));
}
