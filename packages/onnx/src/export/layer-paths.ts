import { getBackend, type TracedOp } from '@nn/core';

type Method = (...args: unknown[]) => unknown;
interface ModuleLike {
  forward?: Method;
  call?: Method;
  namedModules?: () => Iterable<[string, ModuleLike]>;
  name?: unknown;
}

/**
 * Run `fn` (a trace) with every submodule's `forward` (and a Keras layer's `call`) wrapped so that each kernel call recorded
 * while it runs is attributed to the innermost module's path (`encoder.0.fc1`, or `layers.2 (dense_1)`
 * for a Keras layer). Used for node doc strings and for errors that name the layer. Modules are
 * restored afterwards; a model without `namedModules()` is traced as is.
 */
export function withLayerPaths<T>(model: unknown, fn: () => T): { result: T; layers: Map<TracedOp, string> } {
  const layers = new Map<TracedOp, string>();
  const m = model as ModuleLike;
  if (typeof m.namedModules !== 'function') return { result: fn(), layers };
  const restore: (() => void)[] = [];
  for (const [path, mod] of m.namedModules()) {
    if (!path) continue;
    const label = typeof mod.name === 'string' && mod.name && mod.name !== path ? `${path} (${mod.name})` : path;
    for (const key of ['forward', 'call'] as const) {
      const original = mod[key];
      if (typeof original !== 'function' || original === Function.prototype.call) continue;
      const own = Object.prototype.hasOwnProperty.call(mod, key);
      mod[key] = function (this: unknown, ...args: unknown[]) {
        const ops = (getBackend() as { ops?: TracedOp[] }).ops;
        const start = ops?.length ?? 0;
        try {
          return original.apply(this, args);
        } finally {
          // Inner modules finish first and claim their ops; this one takes what is left.
          if (ops) for (let i = start; i < ops.length; i++) if (!layers.has(ops[i]!)) layers.set(ops[i]!, label);
        }
      };
      restore.push(() => {
        if (own) mod[key] = original;
        else delete mod[key];
      });
    }
  }
  try {
    return { result: fn(), layers };
  } finally {
    for (const r of restore) r();
  }
}
