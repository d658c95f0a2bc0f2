/** `study()`: the entry point that ties a storage, a sampler and a pruner to an objective. */
import { hostname } from 'node:os';
import type { ParamValue } from './distributions.js';
import { InvalidObjectiveValueError, InvalidOptionError, NoCompletedTrialError, StudyNotFoundError, TrialPruned, TrialResultNotSavedError, type UnsavedResult } from './errors.js';
import { type PrunerLike, type SamplerLike, resolvePruner, resolveSampler } from './resolve.js';
import type { Pruner } from './pruners/pruner.js';
import type { Sampler } from './samplers/sampler.js';
import { openStorage } from './storage/open.js';
import { Trial } from './trial.js';
import type { Direction, FrozenTrial, Storage, StudyRecord } from './types.js';
import { trialsToCsv, trialsTable, type TrialRow } from './results.js';
import { optimizationHistorySpec, sliceSpec, intermediateValuesSpec, importanceSpec, type VegaLiteSpec } from './plots.js';
import { parameterImportance, type ImportanceOptions } from './importance.js';
import { runWorkers, type ObjectiveModule } from './workers.js';

/** An objective: receives a trial, returns the value to minimise or maximise. */
export type Objective = (trial: Trial) => number | Promise<number>;

/** Options of {@link study}. */
export interface StudyOptions {
  /** Study name; several processes sharing a storage and a name drive one study. @default 'default' */
  name?: string;
  /** @default 'minimize' */
  direction?: Direction;
  /** `'tpe'`, `'random'`, or a sampler object (`tpe({...})`, `random()`, `grid({...})`). @default 'tpe' */
  sampler?: SamplerLike;
  /** `'median'`, `'successiveHalving'`, `'none'`, or a pruner object (`hyperband({...})`). @default 'none' */
  pruner?: PrunerLike;
  /**
   * Where trials live: `'memory'`, `'sqlite:path/to/file.db'`, `'postgres://user@host:port/db'`, or
   * a {@link Storage} object. In memory, a crash loses every trial and the study cannot be resumed
   * or shared: pass `'sqlite:…'` to keep it (rerun with the same name to resume). @default 'memory'
   */
  storage?: string | Storage;
  /** Seed of every random draw; the same seed and history give the same suggestions. @default 0 */
  seed?: number;
  /** How often a running trial refreshes its heartbeat, in ms. @default 10000 */
  heartbeatInterval?: number;
  /**
   * A running trial with no heartbeat for this long (ms) is marked failed by the next worker that
   * claims a trial. A synchronous objective blocks the heartbeat timer: report or await regularly,
   * or raise this. @default 60000
   */
  heartbeatGrace?: number;
  /** Receives one line per failed trial and other warnings. @default process.emitWarning */
  onWarning?: (message: string) => void;
}

/** Options of {@link Study.optimize}. */
export interface OptimizeOptions {
  /** How many trials this call runs (across its `parallel` lanes). */
  trials?: number;
  /** Trials running at once: async lanes in this process, or worker threads/processes for a module objective. @default 1 */
  parallel?: number;
  /** Stop starting new trials after this many milliseconds. */
  timeout?: number;
  /** Stop when the study (all processes together) holds this many trials. */
  maxTrials?: number;
  /** For a module objective: run it in `'thread'`s (worker_threads) or `'process'`es (child_process.fork). @default 'thread' */
  executor?: 'thread' | 'process';
  /** Called after each trial of this call finishes. */
  onTrialFinish?: (trial: FrozenTrial) => void;
}

let workerCounter = 0;

/**
 * A set of trials over one objective. Create it with {@link study}.
 */
export class Study {
  readonly name: string;
  readonly direction: Direction;
  readonly sampler: Sampler;
  readonly pruner: Pruner;
  readonly seed: number;
  private readonly storageArg: string | Storage;
  private storagePromise: Promise<{ storage: Storage; record: StudyRecord }> | null = null;
  private cache: FrozenTrial[] = [];
  private readonly heartbeatInterval: number;
  private readonly heartbeatGrace: number;
  private readonly warn: (m: string) => void;
  private readonly workerId = `${hostname()}:${process.pid}:${++workerCounter}`;
  private readonly unsaved: UnsavedResult[] = [];

  constructor(options: StudyOptions = {}) {
    this.name = options.name ?? 'default';
    this.direction = options.direction ?? 'minimize';
    if (this.direction !== 'minimize' && this.direction !== 'maximize') {
      throw new InvalidOptionError('study()', 'direction', this.direction, '"minimize" or "maximize"');
    }
    this.sampler = resolveSampler(options.sampler);
    this.pruner = resolvePruner(options.pruner);
    this.seed = options.seed ?? 0;
    if (!Number.isInteger(this.seed)) throw new InvalidOptionError('study()', 'seed', this.seed, 'an integer');
    this.storageArg = options.storage ?? 'memory';
    this.heartbeatInterval = options.heartbeatInterval ?? 10_000;
    this.heartbeatGrace = options.heartbeatGrace ?? 6 * this.heartbeatInterval;
    if (!(this.heartbeatInterval > 0)) throw new InvalidOptionError('study()', 'heartbeatInterval', this.heartbeatInterval, 'milliseconds > 0');
    if (!(this.heartbeatGrace > this.heartbeatInterval)) {
      throw new InvalidOptionError('study()', 'heartbeatGrace', this.heartbeatGrace, `milliseconds > heartbeatInterval (${this.heartbeatInterval})`);
    }
    this.warn = options.onWarning ?? ((m) => process.emitWarning(m, 'TuneWarning'));
  }

  /** Opens the storage and creates or loads the study; rejects with a `StorageError` when unreachable. */
  async ready(): Promise<{ storage: Storage; record: StudyRecord }> {
    this.storagePromise ??= (async () => {
      const storage = typeof this.storageArg === 'string' ? await openStorage(this.storageArg) : this.storageArg;
      const record = await storage.createStudy(this.name, this.direction);
      return { storage, record };
    })();
    return this.storagePromise;
  }

  /**
   * Runs trials of `objective`. A trial whose objective throws or returns a non-finite value is
   * marked `fail` and the study goes on; throwing {@link TrialPruned} marks it `pruned`.
   *
   * @param objective - A function of the trial, or `{ module, exportName }` naming a module whose
   *   export is the objective (needed for `parallel` > 1 in worker threads or processes, with a
   *   SQLite or PostgreSQL storage).
   * @param options - See {@link OptimizeOptions}; give at least one of `trials`, `timeout`, `maxTrials`.
   * @example
   * ```ts
   * const s = study({ sampler: 'tpe', seed: 1 });
   * await s.optimize((t) => (t.suggest('x', uniform(-10, 10)) - 2) ** 2, { trials: 50 });
   * s.bestParams; // { x: 2.01… }
   * ```
   */
  async optimize(objective: Objective | ObjectiveModule, options: OptimizeOptions = {}): Promise<void> {
    const { trials, timeout, maxTrials } = options;
    const parallel = options.parallel ?? 1;
    const check = (k: string, v: number | undefined, min: number): void => {
      if (v !== undefined && (!Number.isInteger(v) || v < min)) throw new InvalidOptionError('optimize()', k, v, `an integer ≥ ${min}`);
    };
    check('trials', trials, 0);
    check('parallel', parallel, 1);
    check('maxTrials', maxTrials, 0);
    if (timeout !== undefined && !(timeout > 0)) throw new InvalidOptionError('optimize()', 'timeout', timeout, 'milliseconds > 0');
    if (trials === undefined && timeout === undefined && maxTrials === undefined && this.sampler.name !== 'grid') {
      throw new InvalidOptionError('optimize()', 'trials', undefined, 'one of trials, timeout or maxTrials, so that the study ends');
    }
    const { storage, record } = await this.ready();
    await this.saveUnsavedResults();
    if (typeof objective !== 'function') {
      await runWorkers(this, storage, record, objective, options);
      await this.refresh();
      return;
    }
    const deadline = timeout === undefined ? Infinity : Date.now() + timeout;
    let started = 0;
    const lane = async (): Promise<void> => {
      for (;;) {
        if (trials !== undefined && started >= trials) return;
        if (Date.now() >= deadline) return;
        started++;
        const done = await this.runOne(storage, record, objective, maxTrials, options.onTrialFinish);
        if (!done) return;
      }
    };
    await Promise.all(Array.from({ length: parallel }, lane));
    await this.refresh();
  }

  /** Claims and runs one trial; returns false when no trial could be claimed. */
  private async runOne(
    storage: Storage,
    record: StudyRecord,
    objective: Objective,
    maxTrials: number | undefined,
    onFinish: ((t: FrozenTrial) => void) | undefined,
  ): Promise<boolean> {
    const stale = await storage.failStaleTrials(record.id, this.heartbeatGrace);
    for (const n of stale) this.warn(`Study "${this.name}": trial ${n} had no heartbeat for ${this.heartbeatGrace} ms; marked failed.`);
    if (this.sampler.isExhausted?.(await storage.getTrials(record.id))) return false;
    const frozen = await storage.claimTrial(record.id, { worker: this.workerId, ...(maxTrials === undefined ? {} : { maxTrials }) });
    if (!frozen) return false;
    const history = await storage.getTrials(record.id);
    const rt = { storage, studyId: record.id, sampler: this.sampler, pruner: this.pruner, direction: this.direction, seed: this.seed };
    const fixed = this.sampler.startTrial?.({ trialNumber: frozen.number, history, direction: this.direction, seed: this.seed });
    const trial = new Trial(rt, frozen, history, fixed);
    // The heartbeat runs until the result is saved: while the storage retries a write, the trial
    // must not look abandoned to other workers.
    const timer = setInterval(() => void storage.heartbeat(frozen.id).catch(() => {}), this.heartbeatInterval);
    timer.unref();
    let state: 'complete' | 'pruned' | 'fail';
    let value: number | null = null;
    let error: string | null = null;
    try {
      try {
        const v = await objective(trial);
        if (typeof v !== 'number' || !Number.isFinite(v)) throw new InvalidObjectiveValueError(trial.number, v);
        state = 'complete';
        value = v;
      } catch (e) {
        if (e instanceof TrialPruned) {
          state = 'pruned';
        } else {
          state = 'fail';
          error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
          this.warn(`Study "${this.name}": trial ${trial.number} failed (${error}); the study goes on.`);
        }
      }
      try {
        await trial.flush();
      } catch (e) {
        // Intermediate values / attributes were not written; the result still is.
        this.warn(`Study "${this.name}": trial ${trial.number}: some reported values or attributes could not be saved (${(e as Error).message}).`);
      }
      let ok: boolean;
      try {
        ok = await storage.finishTrial(frozen.id, state, value, error);
      } catch (e) {
        const result: UnsavedResult = { trialId: frozen.id, number: trial.number, state, value, error, params: trial.params };
        this.unsaved.push(result);
        throw new TrialResultNotSavedError(storage.url, result, e);
      }
      if (!ok) this.warn(`Study "${this.name}": trial ${trial.number} was marked failed (missed heartbeat) before it finished; its result is dropped.`);
    } finally {
      clearInterval(timer);
    }
    if (onFinish) {
      const all = await storage.getTrials(record.id);
      const t = all.find((x) => x.id === frozen.id);
      if (t) onFinish(t);
    }
    return true;
  }

  /**
   * Results of trials that finished but could not be written to the storage (each also reported by
   * a {@link TrialResultNotSavedError}); written by the next `optimize()` or {@link saveUnsavedResults}.
   */
  get unsavedResults(): readonly UnsavedResult[] {
    return this.unsaved;
  }

  /**
   * Writes the {@link unsavedResults} to the storage now.
   * @returns how many are still unsaved (0 when all were written).
   * @throws {@link StorageError} when the storage still cannot be written (the results are kept).
   */
  async saveUnsavedResults(): Promise<number> {
    if (this.unsaved.length === 0) return 0;
    const { storage } = await this.ready();
    while (this.unsaved.length) {
      const r = this.unsaved[0]!;
      const ok = await storage.finishTrial(r.trialId, r.state, r.value, r.error);
      if (!ok) this.warn(`Study "${this.name}": trial ${r.number} was marked failed (missed heartbeat) before its result could be saved; its result (${r.state}, value ${r.value}) is dropped.`);
      this.unsaved.shift();
    }
    return 0;
  }

  /**
   * Adds a trial with fixed parameters, run before any sampled one (e.g. the default configuration).
   *
   * @param params - Values the objective's `suggest` calls will return for these names.
   */
  async enqueueTrial(params: Record<string, ParamValue>): Promise<void> {
    const { storage, record } = await this.ready();
    await storage.enqueueTrial(record.id, params);
  }

  /** Re-reads every trial from the storage into {@link Study.trials}. */
  async refresh(): Promise<FrozenTrial[]> {
    const { storage, record } = await this.ready();
    this.cache = await storage.getTrials(record.id);
    return this.cache;
  }

  /** The trials as of the last `optimize()` or `refresh()`. */
  get trials(): readonly FrozenTrial[] {
    return this.cache;
  }

  /** The best complete trial (as of the last `optimize()`/`refresh()`); throws when there is none. */
  get bestTrial(): FrozenTrial {
    const done = this.cache.filter((t) => t.state === 'complete');
    if (done.length === 0) throw new NoCompletedTrialError(this.name);
    const sign = this.direction === 'minimize' ? 1 : -1;
    return done.reduce((b, t) => (sign * t.value! < sign * b.value! ? t : b));
  }

  /** The parameters of {@link Study.bestTrial}. */
  get bestParams(): Record<string, ParamValue> {
    return Object.fromEntries(Object.entries(this.bestTrial.params).map(([k, p]) => [k, p.value]));
  }

  /** The objective value of {@link Study.bestTrial}. */
  get bestValue(): number {
    return this.bestTrial.value!;
  }

  /** One flat row per trial (number, state, value, duration, params.*), for tables. */
  table(): TrialRow[] {
    return trialsTable(this.cache);
  }

  /** The trials as CSV (RFC 4180), one row per trial, one column per parameter. */
  toCsv(): string {
    return trialsToCsv(this.cache);
  }

  /** Vega-Lite spec: each trial's value and the best value so far, against the trial number. */
  plotOptimizationHistory(): VegaLiteSpec {
    return optimizationHistorySpec(this.cache, this.direction, this.name);
  }

  /** Vega-Lite spec: the objective against each parameter (log axes for log scales). */
  plotSlice(params?: string[]): VegaLiteSpec {
    return sliceSpec(this.cache, this.name, params);
  }

  /** Vega-Lite spec: every trial's intermediate values against the step. */
  plotIntermediateValues(): VegaLiteSpec {
    return intermediateValuesSpec(this.cache, this.name);
  }

  /**
   * Which parameters mattered, from the complete trials as of the last `optimize()`/`refresh()`:
   * by default fANOVA (as Optuna's default `FanovaImportanceEvaluator`: a random forest fitted to
   * the trials, each parameter's share of the variance its main effect explains), or PED-ANOVA
   * (`{ evaluator: 'ped-anova' }`). Scores sum to 1.
   *
   * @param options - See {@link ImportanceOptions}.
   * @returns Importance by parameter name, from the most to the least important.
   * @throws {@link NotEnoughTrialsError} with fewer than 2 complete trials.
   * @example
   * ```ts
   * await s.optimize(objective, { trials: 100 });
   * s.importance(); // e.g. { lr: 0.81, width: 0.15, dropout: 0.04 }
   * ```
   */
  importance(options: ImportanceOptions = {}): Record<string, number> {
    return parameterImportance(this.cache, this.direction, this.name, options);
  }

  /** Vega-Lite spec: a bar per parameter, its {@link Study.importance}. */
  plotImportance(options: ImportanceOptions = {}): VegaLiteSpec {
    return importanceSpec(this.importance(options), this.name);
  }

  /** Closes the storage (connections, file handles). */
  async close(): Promise<void> {
    if (this.storagePromise) await (await this.storagePromise).storage.close();
    this.storagePromise = null;
  }

  /** @internal The storage as given (a location string keeps its password for workers). */
  get storageLocation(): string | Storage {
    return this.storageArg;
  }

  /** @internal Settings workers need to rebuild this study. */
  get workerSettings(): { heartbeatInterval: number; heartbeatGrace: number } {
    return { heartbeatInterval: this.heartbeatInterval, heartbeatGrace: this.heartbeatGrace };
  }
}

/**
 * Creates (or, with a persistent storage, resumes) a study.
 *
 * @param options - See {@link StudyOptions}.
 * @example
 * ```ts
 * import { study, loguniform, oneMinusLog } from '@nn/tune';
 * const s = study({ sampler: 'tpe', direction: 'minimize', storage: 'sqlite:tune.db', seed: 1 });
 * await s.optimize(async (t) => {
 *   const lr = t.suggest('lr', loguniform(1e-5, 10));
 *   const beta1 = t.suggest('beta1', oneMinusLog(-4, -1));
 *   return trainAndValidate(lr, beta1);
 * }, { trials: 50, parallel: 2 });
 * console.log(s.bestParams);
 * ```
 */
export function study(options: StudyOptions = {}): Study {
  return new Study(options);
}

/**
 * Loads an existing study from a storage, taking its direction from there; throws
 * {@link StudyNotFoundError} when no study has that name.
 *
 * @param options - As for {@link study}, with `name` and `storage` required and no `direction`.
 * @example
 * ```ts
 * const s = await loadStudy({ name: 'mlp', storage: 'sqlite:tune.db' });
 * console.log(s.bestParams, s.trials.length);
 * ```
 */
export async function loadStudy(options: Omit<StudyOptions, 'direction'> & { name: string; storage: string | Storage }): Promise<Study> {
  const storage = typeof options.storage === 'string' ? await openStorage(options.storage) : options.storage;
  const rec = await storage.getStudy(options.name);
  if (typeof options.storage === 'string') await storage.close();
  if (!rec) throw new StudyNotFoundError(options.name, storage.url);
  const s = new Study({ ...options, direction: rec.direction });
  await s.refresh();
  return s;
}
