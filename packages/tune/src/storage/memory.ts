/** In-memory storage: the default, for one process. */
import type { ParamValue } from '../distributions.js';
import { StorageError } from '../errors.js';
import type { Direction, FrozenTrial, Storage, StudyRecord, TrialPatch, TrialState } from '../types.js';

interface MutableTrial {
  id: number;
  studyId: number;
  number: number;
  state: TrialState;
  value: number | null;
  params: FrozenTrial['params'];
  intermediate: Record<number, number>;
  userAttrs: Record<string, unknown>;
  fixedParams: Record<string, ParamValue>;
  startedAt: number | null;
  completedAt: number | null;
  heartbeatAt: number | null;
  error: string | null;
  worker: string | null;
}

function freeze(t: MutableTrial): FrozenTrial {
  return structuredClone({
    id: t.id,
    number: t.number,
    state: t.state,
    value: t.value,
    params: t.params,
    intermediate: t.intermediate,
    userAttrs: t.userAttrs,
    fixedParams: t.fixedParams,
    startedAt: t.startedAt,
    completedAt: t.completedAt,
    error: t.error,
    worker: t.worker,
  });
}

/**
 * Keeps studies in this process's memory; nothing survives the process. Not shareable between
 * processes or worker threads.
 *
 * @example
 * ```ts
 * const s = study({ storage: new MemoryStorage() });
 * ```
 */
export class MemoryStorage implements Storage {
  readonly url = 'memory';
  readonly shared = false;
  private studies: StudyRecord[] = [];
  private trials: MutableTrial[] = [];

  async createStudy(name: string, direction: Direction): Promise<StudyRecord> {
    const found = this.studies.find((s) => s.name === name);
    if (found) {
      checkDirection(this.url, found, direction);
      return found;
    }
    const rec = { id: this.studies.length + 1, name, direction };
    this.studies.push(rec);
    return rec;
  }

  async getStudy(name: string): Promise<StudyRecord | null> {
    return this.studies.find((s) => s.name === name) ?? null;
  }

  async claimTrial(studyId: number, opts: { worker: string; maxTrials?: number }): Promise<FrozenTrial | null> {
    const now = Date.now();
    const mine = this.trials.filter((t) => t.studyId === studyId);
    const waiting = mine.find((t) => t.state === 'waiting');
    if (waiting) {
      Object.assign(waiting, { state: 'running', startedAt: now, heartbeatAt: now, worker: opts.worker });
      return freeze(waiting);
    }
    if (opts.maxTrials !== undefined && mine.length >= opts.maxTrials) return null;
    const t = this.newTrial(studyId, mine.length, 'running', {});
    Object.assign(t, { startedAt: now, heartbeatAt: now, worker: opts.worker });
    return freeze(t);
  }

  async enqueueTrial(studyId: number, fixedParams: Record<string, ParamValue>): Promise<FrozenTrial> {
    const n = this.trials.filter((t) => t.studyId === studyId).length;
    return freeze(this.newTrial(studyId, n, 'waiting', fixedParams));
  }

  private newTrial(studyId: number, number: number, state: TrialState, fixedParams: Record<string, ParamValue>): MutableTrial {
    const t: MutableTrial = {
      id: this.trials.length + 1,
      studyId,
      number,
      state,
      value: null,
      params: {},
      intermediate: {},
      userAttrs: {},
      fixedParams: structuredClone(fixedParams),
      startedAt: null,
      completedAt: null,
      heartbeatAt: null,
      error: null,
      worker: null,
    };
    this.trials.push(t);
    return t;
  }

  async updateTrial(trialId: number, patch: TrialPatch): Promise<void> {
    const t = this.get(trialId);
    if (t.state !== 'running') return;
    if (patch.params) t.params = structuredClone(patch.params);
    if (patch.intermediate) t.intermediate = structuredClone(patch.intermediate);
    if (patch.userAttrs) t.userAttrs = structuredClone(patch.userAttrs);
    t.heartbeatAt = Date.now();
  }

  async heartbeat(trialId: number): Promise<void> {
    const t = this.get(trialId);
    if (t.state === 'running') t.heartbeatAt = Date.now();
  }

  async finishTrial(trialId: number, state: 'complete' | 'pruned' | 'fail', value: number | null, error: string | null): Promise<boolean> {
    const t = this.get(trialId);
    if (t.state !== 'running') return false;
    Object.assign(t, { state, value, error, completedAt: Date.now() });
    return true;
  }

  async failStaleTrials(studyId: number, graceMs: number): Promise<number[]> {
    const limit = Date.now() - graceMs;
    const stale = this.trials.filter((t) => t.studyId === studyId && t.state === 'running' && (t.heartbeatAt ?? 0) < limit);
    for (const t of stale) Object.assign(t, { state: 'fail', completedAt: Date.now(), error: `no heartbeat for ${graceMs} ms (worker ${t.worker} died?)` });
    return stale.map((t) => t.number);
  }

  async getTrials(studyId: number): Promise<FrozenTrial[]> {
    return this.trials.filter((t) => t.studyId === studyId).map(freeze);
  }

  async close(): Promise<void> {}

  private get(trialId: number): MutableTrial {
    const t = this.trials[trialId - 1];
    if (!t) throw new StorageError(this.url, `no trial with id ${trialId}`);
    return t;
  }
}

/** Throws when a stored study's direction differs from the requested one. */
export function checkDirection(url: string, found: StudyRecord, direction: Direction): void {
  if (found.direction !== direction) {
    throw new StorageError(
      url,
      `study "${found.name}" exists with direction "${found.direction}" but "${direction}" was requested`,
      'Use the same direction or another study name',
    );
  }
}
