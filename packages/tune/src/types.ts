/** Shared record types of studies and trials. */
import type { DistributionJSON, ParamValue } from './distributions.js';

/** Whether the objective is to be minimised or maximised. */
export type Direction = 'minimize' | 'maximize';

/**
 * The life of a trial: `waiting` (enqueued, not yet claimed) → `running` → `complete`, `pruned`
 * or `fail` (objective threw, returned a non-finite value, or its worker stopped sending heartbeats).
 */
export type TrialState = 'waiting' | 'running' | 'complete' | 'pruned' | 'fail';

/** One suggested parameter as stored: the value, its internal-space number and its distribution. */
export interface StoredParam {
  value: ParamValue;
  internal: number;
  distribution: DistributionJSON;
}

/** An immutable snapshot of a trial as read from a storage. */
export interface FrozenTrial {
  /** Storage-wide id. */
  readonly id: number;
  /** 0-based number within its study, in creation order. */
  readonly number: number;
  readonly state: TrialState;
  /** The objective value (complete trials), else `null`. */
  readonly value: number | null;
  /** Suggested parameters by name. */
  readonly params: Readonly<Record<string, StoredParam>>;
  /** Intermediate values reported with `t.report(value, step)`, by step. */
  readonly intermediate: Readonly<Record<number, number>>;
  /** Values the objective attached with `t.setUserAttr`. */
  readonly userAttrs: Readonly<Record<string, unknown>>;
  /** Parameters fixed by `enqueueTrial` (for `waiting` trials and the trials that ran them). */
  readonly fixedParams: Readonly<Record<string, ParamValue>>;
  /** Epoch milliseconds when the trial started running, else `null`. */
  readonly startedAt: number | null;
  /** Epoch milliseconds when the trial finished, else `null`. */
  readonly completedAt: number | null;
  /** The error message of a failed trial. */
  readonly error: string | null;
  /** An id of the process that claimed the trial (host:pid:…). */
  readonly worker: string | null;
}

/** A study as stored. */
export interface StudyRecord {
  readonly id: number;
  readonly name: string;
  readonly direction: Direction;
}

/** Fields a running trial may update. */
export interface TrialPatch {
  params?: Record<string, StoredParam>;
  intermediate?: Record<number, number>;
  userAttrs?: Record<string, unknown>;
}

/**
 * Where studies and trials live. Implementations: {@link MemoryStorage}, {@link SqliteStorage},
 * {@link PostgresStorage}. Every method that claims or finishes a trial is atomic across processes
 * sharing the storage.
 */
export interface Storage {
  /** The location, for messages (passwords masked). */
  readonly url: string;
  /** Whether several processes can share this storage (false for in-memory). */
  readonly shared: boolean;
  /** Creates the study or, when it exists, loads it (throws when it exists with another direction). */
  createStudy(name: string, direction: Direction): Promise<StudyRecord>;
  /** The study named `name`, or `null`. */
  getStudy(name: string): Promise<StudyRecord | null>;
  /**
   * Atomically claims the oldest `waiting` trial, or creates a new `running` trial when fewer than
   * `maxTrials` trials exist (no limit when undefined). Returns `null` when the limit is reached.
   */
  claimTrial(studyId: number, opts: { worker: string; maxTrials?: number }): Promise<FrozenTrial | null>;
  /** Adds a `waiting` trial with fixed parameters. */
  enqueueTrial(studyId: number, fixedParams: Record<string, ParamValue>): Promise<FrozenTrial>;
  /** Updates a running trial (no-op when it is no longer running). Also refreshes its heartbeat. */
  updateTrial(trialId: number, patch: TrialPatch): Promise<void>;
  /** Refreshes the heartbeat of a running trial. */
  heartbeat(trialId: number): Promise<void>;
  /**
   * Moves a running trial to a final state. Returns `false` (and changes nothing) when the trial was
   * no longer running, e.g. it was failed for a missed heartbeat.
   */
  finishTrial(trialId: number, state: 'complete' | 'pruned' | 'fail', value: number | null, error: string | null): Promise<boolean>;
  /** Marks `running` trials whose last heartbeat is older than `graceMs` as `fail`; returns their numbers. */
  failStaleTrials(studyId: number, graceMs: number): Promise<number[]>;
  /** Every trial of the study, ordered by number. */
  getTrials(studyId: number): Promise<FrozenTrial[]>;
  /** Releases connections and file handles. */
  close(): Promise<void>;
}
