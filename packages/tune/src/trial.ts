/** The handle an objective receives: define-by-run suggestions, intermediate reports, pruning. */
import {
  type CategoricalChoice,
  type Distribution,
  type ParamValue,
  categorical,
  int,
  loguniform,
  uniform,
} from './distributions.js';
import { InvalidDistributionError, ParamConflictError } from './errors.js';
import type { Pruner } from './pruners/pruner.js';
import type { Sampler, SamplerContext } from './samplers/sampler.js';
import type { Direction, FrozenTrial, Storage, StoredParam } from './types.js';

/** What a trial needs from its study. */
export interface TrialRuntime {
  readonly storage: Storage;
  readonly studyId: number;
  readonly sampler: Sampler;
  readonly pruner: Pruner;
  readonly direction: Direction;
  readonly seed: number;
}

/**
 * One evaluation of the objective. Parameters are drawn when first asked for
 * (`t.suggest(name, dist)`), so the search space may depend on earlier answers (conditional
 * parameters). Every suggestion and report is written to the storage as it happens.
 */
export class Trial {
  /** 0-based number of the trial in its study. */
  readonly number: number;
  /** Storage id of the trial. */
  readonly id: number;
  private readonly stored: Record<string, StoredParam> = {};
  private readonly intermediate: Record<number, number> = {};
  private readonly userAttrs: Record<string, unknown> = {};
  private readonly fixed: Record<string, ParamValue>;
  private history: readonly FrozenTrial[];
  private writes: Promise<void> = Promise.resolve();
  private writeError: unknown = null;
  private readonly scratch = new Map<string, unknown>();

  /** @internal Created by the study; objectives receive it. */
  constructor(
    private readonly rt: TrialRuntime,
    frozen: FrozenTrial,
    history: readonly FrozenTrial[],
    fixedBySampler: Record<string, ParamValue> = {},
  ) {
    this.number = frozen.number;
    this.id = frozen.id;
    this.history = history;
    this.fixed = { ...fixedBySampler, ...frozen.fixedParams };
  }

  /** The parameters suggested so far, by name. */
  get params(): Record<string, ParamValue> {
    return Object.fromEntries(Object.entries(this.stored).map(([k, p]) => [k, p.value]));
  }

  /** The intermediate values reported so far, by step. */
  get intermediateValues(): Readonly<Record<number, number>> {
    return { ...this.intermediate };
  }

  private ctx(): SamplerContext {
    return { trialNumber: this.number, history: this.history, direction: this.rt.direction, seed: this.rt.seed, scratch: this.scratch };
  }

  /**
   * Draws (or returns the already drawn) value of parameter `name` from `dist`.
   *
   * @param name - Parameter name; asking again in the same trial returns the same value.
   * @param dist - The search space, e.g. `loguniform(1e-5, 10)`.
   * @returns The value, on the distribution's own scale.
   * @example
   * ```ts
   * const lr = t.suggest('lr', loguniform(1e-5, 10));
   * const layers = t.suggest('layers', int(1, 3));
   * for (let i = 0; i < layers; i++) t.suggest(`units_${i}`, int(16, 256, { log: true }));
   * ```
   */
  suggest<T extends ParamValue>(name: string, dist: Distribution<T>): T {
    const prev = this.stored[name];
    if (prev) {
      if (JSON.stringify(prev.distribution) !== JSON.stringify(dist.toJSON())) {
        throw new ParamConflictError(name, this.number, JSON.stringify(prev.distribution), dist.toString());
      }
      return prev.value as T;
    }
    let value: T;
    let internal: number;
    if (name in this.fixed) {
      const v = this.fixed[name]!;
      if (!dist.contains(v)) {
        throw new InvalidDistributionError('suggest', `fixed value ${name}=${JSON.stringify(v)} (trial ${this.number})`, `a value inside ${dist.toString()}`);
      }
      value = v as T;
      internal = dist.toInternal(value);
    } else {
      internal = this.rt.sampler.sample(name, dist, this.ctx());
      value = dist.toExternal(internal);
      internal = dist.toInternal(value);
    }
    this.stored[name] = { value, internal, distribution: dist.toJSON() };
    this.write({ params: structuredClone(this.stored) });
    return value;
  }

  /** Optuna-style shorthand for `suggest(name, uniform(...))` or `loguniform` when `log` is set. */
  suggestFloat(name: string, low: number, high: number, opts: { log?: boolean; step?: number } = {}): number {
    return this.suggest(name, opts.log ? loguniform(low, high) : uniform(low, high, { step: opts.step ?? null }));
  }

  /** Optuna-style shorthand for `suggest(name, int(...))`. */
  suggestInt(name: string, low: number, high: number, opts: { log?: boolean; step?: number } = {}): number {
    return this.suggest(name, int(low, high, opts));
  }

  /** Optuna-style shorthand for `suggest(name, categorical(choices))`. */
  suggestCategorical<const T extends CategoricalChoice>(name: string, choices: readonly T[]): T {
    return this.suggest(name, categorical(choices));
  }

  /**
   * Records an intermediate objective value (e.g. the validation loss after an epoch). Awaiting
   * it also refreshes the view of other trials that {@link Trial.shouldPrune} uses.
   *
   * @param value - The intermediate value.
   * @param step - The step (epoch), a non-negative integer.
   * @example
   * ```ts
   * await t.report(valLoss, epoch);
   * if (t.shouldPrune()) throw new TrialPruned(t.number, epoch);
   * ```
   */
  async report(value: number, step: number): Promise<void> {
    if (!Number.isInteger(step) || step < 0) {
      throw new InvalidDistributionError('report', `step=${step} (trial ${this.number})`, 'a non-negative integer step');
    }
    if (typeof value !== 'number') {
      throw new InvalidDistributionError('report', `value=${String(value)} (trial ${this.number})`, 'a number');
    }
    this.intermediate[step] = value;
    this.write({ intermediate: { ...this.intermediate } });
    if (this.rt.pruner.name !== 'none') {
      const pending = this.writes.then(() => this.rt.storage.getTrials(this.rt.studyId));
      this.writes = pending.then(
        (h) => void (this.history = h),
        (e: unknown) => void (this.writeError ??= e),
      );
    }
    await this.writes;
    this.throwWriteError();
  }

  /**
   * Whether the study's pruner would stop this trial now, given its reported values. Throw
   * {@link TrialPruned} from the objective when it returns true.
   */
  shouldPrune(): boolean {
    return this.rt.pruner.prune({
      trial: { number: this.number, intermediate: this.intermediate },
      history: this.history,
      direction: this.rt.direction,
    });
  }

  /** Attaches a JSON-serialisable value to the trial (shown in `study.trials`). */
  setUserAttr(key: string, value: unknown): void {
    this.userAttrs[key] = value;
    this.write({ userAttrs: structuredClone(this.userAttrs) });
  }

  private write(patch: Parameters<Storage['updateTrial']>[1]): void {
    this.writes = this.writes.then(
      () => this.rt.storage.updateTrial(this.id, patch),
      (e: unknown) => void (this.writeError ??= e),
    ).catch((e: unknown) => void (this.writeError ??= e));
  }

  private throwWriteError(): void {
    if (this.writeError !== null) throw this.writeError;
  }

  /** @internal Waits for every pending write; throws the first storage error. */
  async flush(): Promise<void> {
    await this.writes;
    this.throwWriteError();
  }

  /** @internal The history snapshot the sampler uses. */
  get snapshot(): readonly FrozenTrial[] {
    return this.history;
  }
}
