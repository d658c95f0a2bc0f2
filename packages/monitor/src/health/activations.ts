import type { TensorLike } from '../types.js';

/** Statistics of one layer's output over a batch. */
export interface ActivationStats {
  name: string;
  mean: number;
  std: number;
  min: number;
  max: number;
  /** Fraction of all values that are exactly 0 (or below, for ReLU outputs: ≤ 0). */
  fractionZero: number;
  /**
   * Fraction of units (last axis) that are ≤ 0 for every example of the batch: dead ReLUs when
   * the layer is a ReLU.
   */
  deadFraction: number;
  /** Fraction of values with |x| ≥ 0.99: saturation for tanh (and sigmoid near 1). */
  fractionSaturated: number;
  nonFinite: number;
}

/**
 * Statistics of an activation tensor (or a plain array with its shape): mean, standard
 * deviation, range, zero and saturated fractions, and the fraction of dead units (≤ 0 for every
 * row of the batch, the last axis being units).
 *
 * @param name - layer name used in reports.
 * @param t - a tensor, or `{ shape, dataSync }` over a typed array.
 * @example
 * activationStats('dense_1', model.layers[1].output);
 */
export function activationStats(name: string, t: TensorLike): ActivationStats {
  const v = t.dataSync();
  const units = t.shape.length ? t.shape[t.shape.length - 1]! : 1;
  const n = v.length;
  const alive = new Uint8Array(units);
  let sum = 0;
  let sumSq = 0;
  let min = Infinity;
  let max = -Infinity;
  let zero = 0;
  let sat = 0;
  let nonFinite = 0;
  for (let i = 0; i < n; i++) {
    const x = v[i]!;
    if (!Number.isFinite(x)) { nonFinite++; continue; }
    sum += x;
    sumSq += x * x;
    if (x < min) min = x;
    if (x > max) max = x;
    if (x <= 0) zero++;
    else alive[i % units] = 1;
    if (Math.abs(x) >= 0.99) sat++;
  }
  const m = n - nonFinite;
  const mean = m ? sum / m : 0;
  const std = m ? Math.sqrt(Math.max(0, sumSq / m - mean * mean)) : 0;
  let dead = 0;
  for (let u = 0; u < units; u++) if (!alive[u]) dead++;
  return { name, mean, std, min: m ? min : 0, max: m ? max : 0, fractionZero: m ? zero / m : 0, deadFraction: dead / units, fractionSaturated: m ? sat / m : 0, nonFinite };
}

/** A module that supports PyTorch-style forward hooks. */
export interface HookableModule {
  registerForwardHook(hook: (module: unknown, input: unknown, output: unknown) => void): { remove(): void };
}

/** A model that lists its sub-modules by name (PyTorch's `namedModules()`). */
export interface ModuleTreeLike {
  namedModules(): Iterable<[string, unknown]>;
}

/**
 * Collects activation statistics per layer: by forward hooks where the model supports them
 * (`namedModules()` whose modules have `registerForwardHook`), or by calling
 * {@link ActivationRecorder.record} by hand.
 *
 * @example
 * const rec = new ActivationRecorder();
 * const attached = rec.attach(model);   // 0 when the model has no hooks
 * model.forward(x);
 * gradientHealth(model, { activations: rec.stats() });
 * rec.detach();
 */
export class ActivationRecorder {
  private latest = new Map<string, ActivationStats>();
  private handles: { remove(): void }[] = [];

  /** Records the statistics of `output` under `name` (replacing the previous batch's). */
  record(name: string, output: TensorLike): void {
    this.latest.set(name, activationStats(name, output));
  }

  /**
   * Attaches a forward hook to every sub-module that supports one.
   * @returns the number of hooks attached (0 when the model has none).
   */
  attach(model: unknown, filter: (name: string, module: unknown) => boolean = (n) => n !== ''): number {
    const tree = model as Partial<ModuleTreeLike>;
    if (typeof tree?.namedModules !== 'function') return 0;
    for (const [name, mod] of tree.namedModules()) {
      const m = mod as Partial<HookableModule>;
      if (typeof m?.registerForwardHook !== 'function' || !filter(name, mod)) continue;
      this.handles.push(m.registerForwardHook((_m, _in, out) => {
        const o = out as Partial<TensorLike>;
        if (o && Array.isArray(o.shape) && typeof o.dataSync === 'function') this.record(name, o as TensorLike);
      }));
    }
    return this.handles.length;
  }

  /** Removes every hook attached by {@link ActivationRecorder.attach}. */
  detach(): void {
    for (const h of this.handles) h.remove();
    this.handles = [];
  }

  /** The latest statistics of each recorded layer, in recording order. */
  stats(): ActivationStats[] {
    return [...this.latest.values()];
  }
}
