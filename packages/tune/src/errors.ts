/**
 * Error classes of `@nn/tune`. Each carries the offending values as fields and builds its message
 * from them: what was wrong, where, and what was expected.
 */

/** Base class of every error thrown by `@nn/tune`. */
export class TuneError extends Error {
  override name = 'TuneError';
}

/**
 * A search-space definition is invalid (low ≥ high, a log scale with low ≤ 0, an empty categorical,
 * a step that does not divide the range, …).
 */
export class InvalidDistributionError extends TuneError {
  override name = 'InvalidDistributionError';
  constructor(
    /** The distribution factory that rejected its input, e.g. `'loguniform'`. */
    readonly distribution: string,
    /** What was received, e.g. `'low=0, high=1'`. */
    readonly received: string,
    /** What is expected, e.g. `'0 < low < high'`. */
    readonly expected: string,
  ) {
    super(`${distribution}(): invalid search space ${received}; expected ${expected}.`);
  }
}

/** A parameter was suggested twice in one trial with two different distributions. */
export class ParamConflictError extends TuneError {
  override name = 'ParamConflictError';
  constructor(
    readonly param: string,
    readonly trialNumber: number,
    readonly previous: string,
    readonly received: string,
  ) {
    super(
      `Trial ${trialNumber}: parameter "${param}" was suggested with ${received} but earlier in the same trial with ${previous}; ` +
        'a name must keep one distribution within a trial.',
    );
  }
}

/**
 * Thrown by an objective (or by `tuneModel`) to stop the current trial early; the trial is recorded
 * as `pruned` and the study goes on.
 *
 * @example
 * ```ts
 * t.report(valLoss, epoch);
 * if (t.shouldPrune()) throw new TrialPruned(t.number, epoch);
 * ```
 */
export class TrialPruned extends TuneError {
  override name = 'TrialPruned';
  constructor(
    readonly trialNumber?: number,
    readonly step?: number,
  ) {
    super(
      `Trial${trialNumber === undefined ? '' : ` ${trialNumber}`} pruned${step === undefined ? '' : ` at step ${step}`}.`,
    );
  }
}

/** The objective's return value is not a finite number (NaN, ±Infinity, not a number at all). */
export class InvalidObjectiveValueError extends TuneError {
  override name = 'InvalidObjectiveValueError';
  constructor(
    readonly trialNumber: number,
    readonly received: unknown,
  ) {
    super(`Trial ${trialNumber}: objective returned ${String(received)}; expected a finite number. The trial is marked failed.`);
  }
}

/** A storage URL could not be parsed, or the storage could not be reached or opened. */
export class StorageError extends TuneError {
  override name = 'StorageError';
  constructor(
    /** The storage location as given (passwords are masked). */
    readonly storage: string,
    /** What went wrong. */
    readonly reason: string,
    /** How to fix it. */
    readonly hint?: string,
  ) {
    super(`Storage "${storage}": ${reason}${hint ? `. ${hint}` : ''}`);
  }
}

/** A finished trial whose result could not be written to the storage. */
export interface UnsavedResult {
  trialId: number;
  number: number;
  state: 'complete' | 'pruned' | 'fail';
  value: number | null;
  error: string | null;
  params: Record<string, unknown>;
}

/**
 * A trial finished but its result could not be saved, even after retrying transient errors. The
 * result is not lost: it is in {@link TrialResultNotSavedError.result} and in the study's
 * `unsavedResults`, and the study's next `optimize()` (or `saveUnsavedResults()`) writes it.
 */
export class TrialResultNotSavedError extends StorageError {
  override name = 'TrialResultNotSavedError';
  constructor(
    storage: string,
    /** The result that was not written. */
    readonly result: UnsavedResult,
    /** The storage error of the last attempt. */
    override readonly cause: unknown,
  ) {
    super(
      storage,
      `trial ${result.number} finished (${result.state}${result.value === null ? '' : `, value ${result.value}`}, params ${JSON.stringify(result.params)}) but its result could not be saved: ${(cause as Error)?.message ?? String(cause)}`,
      'The result is kept in study.unsavedResults and written by the next optimize() or saveUnsavedResults()',
    );
  }
}

/** A study name was not found in a storage, or exists with a different direction. */
export class StudyNotFoundError extends TuneError {
  override name = 'StudyNotFoundError';
  constructor(
    readonly studyName: string,
    readonly storage: string,
  ) {
    super(`Study "${studyName}" does not exist in storage "${storage}"; create it with study({ name, storage }) first.`);
  }
}

/** Invalid options passed to `study()`, `optimize()`, a sampler or a pruner. */
export class InvalidOptionError extends TuneError {
  override name = 'InvalidOptionError';
  constructor(
    readonly where: string,
    readonly option: string,
    readonly received: unknown,
    readonly expected: string,
  ) {
    super(`${where}: option "${option}" got ${JSON.stringify(received) ?? String(received)}; expected ${expected}.`);
  }
}

/** The study has no completed trial yet, so there is no best trial. */
export class NoCompletedTrialError extends TuneError {
  override name = 'NoCompletedTrialError';
  constructor(readonly studyName: string) {
    super(`Study "${studyName}" has no completed trial yet, so it has no best trial; run optimize() first.`);
  }
}
