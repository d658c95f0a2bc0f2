/** Grid search. */
import type { Distribution, ParamValue } from '../distributions.js';
import { InvalidDistributionError, InvalidOptionError } from '../errors.js';
import { Rng, deriveSeed } from '../prng.js';
import type { FrozenTrial } from '../types.js';
import type { Sampler, SamplerContext, SamplerSpec } from './sampler.js';

/** Options of {@link grid}. */
export interface GridOptions {
  /** Visit the grid in a seeded random order instead of row-major order. @default false */
  shuffle?: boolean;
  /** Warn when the grid has more points than this. @default 1000 */
  warnAbove?: number;
  /** Receives the large-grid warning. @default process.emitWarning */
  onWarning?: (message: string) => void;
}

/**
 * Tries every combination of the given values, once each. The objective must suggest exactly the
 * grid's parameters, with distributions that contain the grid values. The study stops when every
 * point has been tried.
 */
export class GridSampler implements Sampler {
  readonly name = 'grid';
  readonly size: number;
  private readonly keys: string[];
  private readonly assigned = new Map<number, number>();
  private readonly shuffle: boolean;
  private readonly warnAbove: number;

  constructor(
    readonly space: Record<string, ParamValue[]>,
    options: GridOptions = {},
  ) {
    this.keys = Object.keys(space).sort();
    if (this.keys.length === 0) throw new InvalidOptionError('grid()', 'space', space, 'at least one parameter');
    for (const k of this.keys) {
      const v = space[k];
      if (!Array.isArray(v) || v.length === 0) {
        throw new InvalidDistributionError('grid', `${k}=${JSON.stringify(v)}`, 'a non-empty array of values for each parameter');
      }
    }
    this.size = this.keys.reduce((n, k) => n * space[k]!.length, 1);
    this.shuffle = options.shuffle ?? false;
    this.warnAbove = options.warnAbove ?? 1000;
    if (this.size > this.warnAbove) {
      const msg =
        `grid(): the grid has ${this.size} points (${this.keys.map((k) => `${k}: ${space[k]!.length}`).join(' × ')}), ` +
        `more than warnAbove=${this.warnAbove}; random or TPE search usually finds as good a point in far fewer trials.`;
      (options.onWarning ?? ((m: string) => process.emitWarning(m, 'TuneWarning')))(msg);
    }
  }

  spec(): SamplerSpec {
    return { type: 'grid', space: this.space, options: { shuffle: this.shuffle, warnAbove: this.warnAbove } };
  }

  /** The grid point with index i (row-major over the sorted parameter names). */
  point(i: number): Record<string, ParamValue> {
    const out: Record<string, ParamValue> = {};
    for (let j = this.keys.length - 1; j >= 0; j--) {
      const vals = this.space[this.keys[j]!]!;
      out[this.keys[j]!] = vals[i % vals.length]!;
      i = Math.floor(i / vals.length);
    }
    return out;
  }

  private keyOf(params: Record<string, ParamValue>): string {
    return JSON.stringify(this.keys.map((k) => params[k]));
  }

  private visited(history: readonly FrozenTrial[]): Set<string> {
    const seen = new Set<string>();
    for (const t of history) {
      if (t.state === 'waiting') continue;
      const p: Record<string, ParamValue> = {};
      let complete = true;
      for (const k of this.keys) {
        if (t.params[k]) p[k] = t.params[k].value;
        else if (k in t.fixedParams) p[k] = t.fixedParams[k]!;
        else complete = false;
      }
      // A running trial that has not suggested every grid parameter yet is known by `assigned`.
      if (complete) seen.add(this.keyOf(p));
    }
    for (const i of this.assigned.values()) seen.add(this.keyOf(this.point(i)));
    return seen;
  }

  startTrial(ctx: SamplerContext): Record<string, ParamValue> | undefined {
    const seen = this.visited(ctx.history.filter((t) => t.number !== ctx.trialNumber));
    const order = Array.from({ length: this.size }, (_, i) => i);
    if (this.shuffle) new Rng(deriveSeed(ctx.seed, 'grid')).shuffle(order);
    // An exhausted grid (only reachable with parallel trials) repeats a point rather than failing.
    const idx = order.find((i) => !seen.has(this.keyOf(this.point(i)))) ?? order[ctx.trialNumber % this.size]!;
    this.assigned.set(ctx.trialNumber, idx);
    return this.point(idx);
  }

  sample(name: string, dist: Distribution, ctx: SamplerContext): number {
    const idx = this.assigned.get(ctx.trialNumber);
    if (!(name in this.space) || idx === undefined) {
      throw new InvalidOptionError('grid()', 'space', Object.keys(this.space), `a value list for every suggested parameter; "${name}" has none`);
    }
    const v = this.point(idx)[name]!;
    if (!dist.contains(v)) {
      throw new InvalidDistributionError('grid', `${name}=${JSON.stringify(v)}`, `a value inside ${dist.toString()}`);
    }
    return dist.toInternal(v as never);
  }

  isExhausted(history: readonly FrozenTrial[]): boolean {
    return this.visited(history).size >= this.size;
  }
}

/**
 * Grid search over explicit value lists; warns when the grid is large.
 *
 * @param space - Values to try for each parameter.
 * @param options - See {@link GridOptions}.
 * @example
 * ```ts
 * const s = study({ sampler: grid({ lr: [1e-3, 1e-2], width: [64, 128] }) });
 * ```
 */
export function grid(space: Record<string, ParamValue[]>, options: GridOptions = {}): GridSampler {
  return new GridSampler(space, options);
}
