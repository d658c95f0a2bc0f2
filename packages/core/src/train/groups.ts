// Batches grouped for one engine call (k equal-size batches, stacked on the host when the engine runs
// several steps per call), from tensors or gathered straight into host buffers.
import * as o from '../ops';
import type { Tensor } from '../tensor';
import { keptArray, type GroupBuffers, type HostBatch, type HostGroup } from './data';

/**
 * k equal-size batches for one engine call: their values stacked on the host, and each batch as
 * tensors on demand. `owned`: pair() makes new tensors, which the caller disposes (or a scope does).
 */
export interface EngineGroup {
  readonly k: number;
  readonly size: number;
  readonly owned: boolean;
  /** The shape of one sample of x and of y (every batch of a group has the same). */
  readonly sample: readonly [readonly number[], readonly number[]];
  stacked(): [Float32Array | Int32Array, Float32Array | Int32Array];
  pair(t: number): [Tensor, Tensor];
  /** Batch t as fit read it (several inputs or targets as arrays), for the eager step. */
  batch(t: number): [Tensor | Tensor[], Tensor | Tensor[] | undefined];
  target(t: number): Tensor;
}

/** Call `f` with the group's first batch as tensors, disposing them after when the group made them. */
export async function withFirstPair<T>(group: EngineGroup, f: (x: Tensor, y: Tensor) => Promise<T>): Promise<T> {
  const [x, y] = group.pair(0);
  try {
    return await f(x, y);
  } finally {
    if (group.owned) {
      x.dispose();
      y.dispose();
    }
  }
}

/**
 * A group of batches that are already tensors (fit disposes them). Single-tensor batches when k > 1.
 * @param buffers - Where `stacked()` writes (see {@link keptArray}): a group's stacked arrays are
 *   valid until the next group stacks.
 */
export function tensorGroup(batches: [Tensor | Tensor[], Tensor | Tensor[] | undefined][], buffers: GroupBuffers = {}): EngineGroup {
  const first = batches[0]![0];
  const pair = (t: number) => batches[t] as [Tensor, Tensor];
  const firstY = batches[0]![1];
  const sampleOf = (t: Tensor | Tensor[] | undefined) => (t === undefined || Array.isArray(t) ? [] : t.shape.slice(1));
  return {
    k: batches.length, size: (Array.isArray(first) ? first[0]! : first).shape[0]!, owned: false,
    sample: [sampleOf(first), sampleOf(firstY)],
    stacked: () => [stackValues(batches.map((g) => g[0] as Tensor), buffers, 'x'), stackValues(batches.map((g) => g[1] as Tensor), buffers, 'y')],
    pair,
    batch: (t) => batches[t]!,
    target: (t) => pair(t)[1],
  };
}

/** A group gathered on the host by {@link ArrayData.hostGroups}. */
export function hostGroup(g: HostGroup): EngineGroup {
  const px = g.x.length / (g.k * g.size), py = g.y.length / (g.k * g.size);
  const target = (t: number) => o.tensor(g.y.subarray(t * g.size * py, (t + 1) * g.size * py), [g.size, ...g.ySampleShape], { dtype: g.yDtype });
  const pair = (t: number): [Tensor, Tensor] => [o.tensor(g.x.subarray(t * g.size * px, (t + 1) * g.size * px), [g.size, ...g.sampleShape]), target(t)];
  return {
    k: g.k, size: g.size, owned: true,
    sample: [g.sampleShape, g.ySampleShape],
    stacked: () => [g.x, g.y],
    pair,
    batch: pair,
    target,
  };
}

/**
 * The values of equal-shape tensors back to back (float32 → Float32Array, else Int32Array), for
 * `FitEngineSession.steps`, in the kept `buffers[key]` (see {@link keptArray}).
 */
function stackValues(ts: readonly Tensor[], buffers: GroupBuffers, key: 'x' | 'y'): Float32Array | Int32Array {
  const n = ts[0]!.size;
  const out = keptArray(buffers, key, ts[0]!.dtype === 'float32' ? 'float32' : 'int32', n * ts.length) as Float32Array | Int32Array;
  ts.forEach((t, i) => out.set(t.dataSync() as ArrayLike<number>, i * n));
  return out;
}

/** Whether host batches can go to an engine as they are: float32 features, float32 or int32 targets. */
export const engineHostBatch = (b: HostBatch): boolean =>
  b[0].dtype === 'float32' && b[0].data instanceof Float32Array && b[1] !== undefined &&
  ((b[1].dtype === 'float32' && b[1].data instanceof Float32Array) || (b[1].dtype === 'int32' && b[1].data instanceof Int32Array));

/**
 * k equal-size host batches (each passing {@link engineHostBatch}) copied back to back into the
 * kept buffers, as one {@link HostGroup} (valid until the next group is stacked).
 */
export function stackHostBatches(batches: readonly HostBatch[], buffers: GroupBuffers): HostGroup {
  const [x0, y0] = batches[0]!;
  const size = x0.shape[0]!, px = x0.data.length, py = y0!.data.length;
  const yInt = y0!.dtype === 'int32';
  const x = keptArray(buffers, 'x', 'float32', px * batches.length) as Float32Array;
  const y = keptArray(buffers, 'y', yInt ? 'int32' : 'float32', py * batches.length) as Float32Array | Int32Array;
  batches.forEach(([bx, by], t) => {
    x.set(bx.data as Float32Array, t * px);
    y.set(by!.data as Float32Array | Int32Array, t * py);
  });
  return { x, y, k: batches.length, size, sampleShape: x0.shape.slice(1), ySampleShape: y0!.shape.slice(1), yDtype: yInt ? 'int32' : 'float32' };
}
