// Batches grouped for one engine call (k equal-size batches, stacked on the host when the engine runs
// several steps per call), from tensors or gathered straight into host buffers.
import * as o from '../ops';
import type { Tensor } from '../tensor';
import type { HostGroup } from './data';

/**
 * k equal-size batches for one engine call: their values stacked on the host, and each batch as
 * tensors on demand. `owned`: pair() makes new tensors, which the caller disposes (or a scope does).
 */
export interface EngineGroup {
  readonly k: number;
  readonly size: number;
  readonly owned: boolean;
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

/** A group of batches that are already tensors (fit disposes them). Single-tensor batches when k > 1. */
export function tensorGroup(batches: [Tensor | Tensor[], Tensor | Tensor[] | undefined][]): EngineGroup {
  const first = batches[0]![0];
  const pair = (t: number) => batches[t] as [Tensor, Tensor];
  return {
    k: batches.length, size: (Array.isArray(first) ? first[0]! : first).shape[0]!, owned: false,
    stacked: () => [stackValues(batches.map((g) => g[0] as Tensor)), stackValues(batches.map((g) => g[1] as Tensor))],
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
    stacked: () => [g.x, g.y],
    pair,
    batch: pair,
    target,
  };
}

/** The values of equal-shape tensors back to back (float32 → Float32Array, else Int32Array), for `FitEngineSession.steps`. */
function stackValues(ts: readonly Tensor[]): Float32Array | Int32Array {
  const n = ts[0]!.size;
  const out = ts[0]!.dtype === 'float32' ? new Float32Array(n * ts.length) : new Int32Array(n * ts.length);
  ts.forEach((t, i) => out.set(t.dataSync() as ArrayLike<number>, i * n));
  return out;
}

