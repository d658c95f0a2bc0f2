// Host copies of the tensors that fit, evaluate and predict read (train/data.ts `toHost`), kept for
// the next call on the same tensor: a Keras-style loop of `fit(x, y, { epochs: 1 })`, a tuner's
// trials on one dataset, `evaluate` after every `fit`. Reading a tensor back allocates its values
// anew; on a 2-core VM reading 54,000 × 784 float32 values from tfjs-wasm took 0.45 s (a plain
// 170 MB `slice()` too: page faults), plus 0.1 s for fit's NaN check, per call.
//
// Valid while the tensor holds the same backend handle: a handle's values never change (in-place
// updates such as `assign_` swap in a new handle). Only the most recently read tensors are kept, at
// most HOST_CACHE_BYTES in all (a copy is host memory that outlives the call: a larger dataset is
// read back per call as before), `dispose()` drops a tensor's copy at once, and a tensor the
// garbage collector takes takes its copy along. No imports from tensor.ts: it calls {@link forgetHost}.

import type { TypedArray } from '../dtype';

interface Entry {
  readonly handle: unknown;
  readonly data: TypedArray;
  /** fit's NaN / infinity check passed on these values. */
  finite: boolean;
}

/** How many tensors' copies are kept: x and y of training and of validation data. */
export const HOST_CACHE_SIZE = 4;

/** How many bytes of copies are kept at most (512 MiB: Fashion-MNIST's training set is 188 MB as float32). */
export const HOST_CACHE_BYTES = 512 * 2 ** 20;

/** @internal The byte cap in force (tests lower it). */
export const hostCacheLimit = { bytes: HOST_CACHE_BYTES };

// Copies are found through a WeakMap keyed by the tensor, so the cache never keeps a tensor alive: a
// tensor left to the garbage collector (core frees its backend memory then) takes its copy with it.
// `recent` (oldest first) bounds what is kept while the tensors live.
const byTensor = new WeakMap<object, Entry>();
const recent: { ref: WeakRef<object>; entry: Entry }[] = [];

function drop(t: object): void {
  byTensor.delete(t);
  const i = recent.findIndex((r) => r.ref.deref() === t);
  if (i >= 0) recent.splice(i, 1);
}

/** The kept host copy of `t`'s values when it still holds `handle`. */
export function cachedHost(t: object, handle: unknown): { data: TypedArray; finite: boolean } | undefined {
  const e = byTensor.get(t);
  if (!e) return undefined;
  drop(t);
  if (e.handle !== handle) return undefined;
  byTensor.set(t, e);
  recent.push({ ref: new WeakRef(t), entry: e });
  return e;
}

/** Keep `data` as the host copy of `t` (holding `handle`), dropping the least recently used beyond {@link HOST_CACHE_SIZE} copies or {@link HOST_CACHE_BYTES}; a copy larger than that is not kept. */
export function keepHost(t: object, handle: unknown, data: TypedArray): void {
  drop(t);
  if (data.byteLength > hostCacheLimit.bytes) return;
  const entry: Entry = { handle, data, finite: false };
  byTensor.set(t, entry);
  recent.push({ ref: new WeakRef(t), entry });
  // Collected tensors no longer count; then the oldest go until both bounds hold.
  for (let i = recent.length - 1; i >= 0; i--) if (recent[i]!.ref.deref() === undefined) recent.splice(i, 1);
  let bytes = recent.reduce((b, r) => b + r.entry.data.byteLength, 0);
  while (recent.length > HOST_CACHE_SIZE || bytes > hostCacheLimit.bytes) {
    const old = recent.shift()!;
    bytes -= old.entry.data.byteLength;
    const ot = old.ref.deref();
    if (ot) byTensor.delete(ot);
  }
}

/** Record that fit's finiteness check passed on a kept copy (`data`). */
export function markFinite(data: TypedArray): void {
  for (const r of recent) if (r.entry.data === data) r.entry.finite = true;
}

/** Whether `data` is a kept copy that passed fit's finiteness check. */
export function knownFinite(data: TypedArray): boolean {
  return recent.some((r) => r.entry.data === data && r.entry.finite && r.ref.deref() !== undefined);
}

/** Drop `t`'s kept copy (its tensor is being disposed). */
export function forgetHost(t: object): void {
  if (byTensor.has(t)) drop(t);
}

/** @internal How many copies are kept (tests). */
export const hostCacheSize = (): number => recent.filter((r) => r.ref.deref() !== undefined).length;
