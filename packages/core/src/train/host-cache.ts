// Host copies of the tensors that fit, evaluate and predict read (train/data.ts `toHost`), kept for
// the next call on the same tensor: a Keras-style loop of `fit(x, y, { epochs: 1 })`, a tuner's
// trials on one dataset, `evaluate` after every `fit`. Reading a tensor back allocates its values
// anew; on a 2-core VM reading 54,000 × 784 float32 values from tfjs-wasm took 0.45 s (a plain
// 170 MB `slice()` too: page faults), plus 0.1 s for fit's NaN check, per call.
//
// Valid while the tensor holds the same backend handle: a handle's values never change (in-place
// updates such as `assign_` swap in a new handle). Only the most recently read tensors are kept, at
// most HOST_CACHE_BYTES in all (a copy is host memory that outlives the call: a larger dataset is
// read back per call as before), and `dispose()` drops a tensor's copy at once. No imports from
// tensor.ts: it calls {@link forgetHost}.

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

// Insertion order is recency (a Map re-inserted on use); strong references to at most HOST_CACHE_SIZE tensors.
const entries = new Map<object, Entry>();

/** The kept host copy of `t`'s values when it still holds `handle`. */
export function cachedHost(t: object, handle: unknown): { data: TypedArray; finite: boolean } | undefined {
  const e = entries.get(t);
  if (!e) return undefined;
  entries.delete(t);
  if (e.handle !== handle) return undefined;
  entries.set(t, e);
  return e;
}

/** Keep `data` as the host copy of `t` (holding `handle`), dropping the least recently used beyond {@link HOST_CACHE_SIZE} copies or {@link HOST_CACHE_BYTES}; a copy larger than that is not kept. */
export function keepHost(t: object, handle: unknown, data: TypedArray): void {
  entries.delete(t);
  if (data.byteLength > hostCacheLimit.bytes) return;
  entries.set(t, { handle, data, finite: false });
  let bytes = 0;
  for (const e of entries.values()) bytes += e.data.byteLength;
  for (const [k, e] of entries) {
    if (entries.size <= HOST_CACHE_SIZE && bytes <= hostCacheLimit.bytes) break;
    entries.delete(k);
    bytes -= e.data.byteLength;
  }
}

/** Record that fit's finiteness check passed on a kept copy (`data`). */
export function markFinite(data: TypedArray): void {
  for (const e of entries.values()) if (e.data === data) e.finite = true;
}

/** Whether `data` is a kept copy that passed fit's finiteness check. */
export function knownFinite(data: TypedArray): boolean {
  for (const e of entries.values()) if (e.data === data && e.finite) return true;
  return false;
}

/** Drop `t`'s kept copy (its tensor is being disposed). */
export function forgetHost(t: object): void {
  entries.delete(t);
}

/** @internal How many copies are kept (tests). */
export const hostCacheSize = (): number => entries.size;
