import { cast, noGrad, type Tensor } from '@nn/core';
import { StateDictError } from './errors';
import { loadSafetensors } from './safetensors';

/** What {@link loadTorchStateDict} needs from a module: its parameters and buffers by path. */
export interface StateDictTarget {
  namedParameters(): Iterable<[string, Tensor]>;
  namedBuffers?(): Iterable<[string, Tensor]>;
}

/** Options of {@link loadTorchStateDict}. */
export interface LoadStateDictOptions {
  /** Throw on missing or unexpected keys (shape and dtype mismatches always throw). @default true */
  strict?: boolean;
  /** Map a file key to the module's name (a table, or a function returning undefined to skip the key). */
  rename?: Readonly<Record<string, string>> | ((key: string) => string | undefined);
  /**
   * File keys to skip when the module has no such key. The default skips PyTorch BatchNorm's
   * `num_batches_tracked` counter only for modules that do not keep it (plain structural modules);
   * nn's `nn.BatchNorm1d/2d` keep it, so it is loaded into them.
   * @default [/(^|\.)num_batches_tracked$/]
   */
  ignore?: readonly RegExp[];
}

/** What was loaded. */
export interface LoadStateDictResult {
  loaded: string[];
  missingKeys: string[];
  unexpectedKeys: string[];
}

/**
 * Load a PyTorch state dict saved as safetensors (`safetensors.torch.save_file(model.state_dict(), path)`)
 * into a module: names mapped (identity by default: PyTorch and nn both use dotted paths such as
 * `layer1.weight`), shapes and dtypes checked, and missing / unexpected keys listed.
 *
 * @param module - Anything with `namedParameters()` (and `namedBuffers()`).
 * @param source - A `.safetensors` path, or tensors by name already loaded.
 * @param opts - strict, rename, ignore.
 * @throws StateDictError listing missing and unexpected keys and every shape mismatch.
 * @example
 * ```ts
 * const net = new Net();
 * await loadTorchStateDict(net, 'torch_net.safetensors');
 * ```
 */
export async function loadTorchStateDict(
  module: StateDictTarget,
  source: string | Readonly<Record<string, Tensor>>,
  opts: LoadStateDictOptions = {},
): Promise<LoadStateDictResult> {
  const file = typeof source === 'string' ? await loadSafetensors(source) : source;
  const own = new Map<string, Tensor>([...module.namedParameters(), ...(module.namedBuffers ? module.namedBuffers() : [])]);
  const ignore = opts.ignore ?? [/(^|\.)num_batches_tracked$/];
  const rename = opts.rename;
  const mapName = (k: string): string | undefined => (typeof rename === 'function' ? rename(k) : rename?.[k] ?? k);
  const unexpectedKeys: string[] = [];
  const mismatched: { name: string; expected: readonly number[]; received: readonly number[]; expectedDType?: string; receivedDType?: string }[] = [];
  const pairs: [string, Tensor, Tensor][] = [];
  for (const [key, t] of Object.entries(file)) {
    const name = mapName(key);
    if (name === undefined) continue;
    const p = own.get(name);
    if (!p && ignore.some((r) => r.test(key))) continue;
    if (!p) {
      unexpectedKeys.push(key);
      continue;
    }
    if (p.shape.length !== t.shape.length || p.shape.some((d, i) => d !== t.shape[i])) {
      mismatched.push({ name: key === name ? name : `${key} → ${name}`, expected: p.shape, received: t.shape });
      continue;
    }
    const castable = p.dtype === t.dtype || (p.dtype === 'float32' && t.dtype === 'int32');
    if (!castable) {
      mismatched.push({ name, expected: p.shape, received: t.shape, expectedDType: p.dtype, receivedDType: t.dtype });
      continue;
    }
    pairs.push([name, p, t]);
  }
  const seen = new Set(pairs.map(([n]) => n));
  const missingKeys = [...own.keys()].filter((k) => !seen.has(k) && !mismatched.some((m) => m.name === k || m.name.endsWith(` → ${k}`)));
  const strict = opts.strict ?? true;
  if (mismatched.length || (strict && (missingKeys.length || unexpectedKeys.length))) {
    throw new StateDictError(strict ? missingKeys : [], strict ? unexpectedKeys : [], mismatched);
  }
  noGrad(() => {
    for (const [, p, t] of pairs) p.assign_(t.dtype === p.dtype ? (typeof source === 'string' ? t : t.detach()) : cast(t, p.dtype));
  });
  return { loaded: [...seen], missingKeys, unexpectedKeys };
}
