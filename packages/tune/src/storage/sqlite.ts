/** SQLite storage (better-sqlite3): one file, WAL journal, safe for several processes on one machine. */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { ParamValue } from '../distributions.js';
import { StorageError } from '../errors.js';
import type { Direction, FrozenTrial, Storage, StudyRecord, TrialPatch } from '../types.js';
import { checkDirection } from './memory.js';
import { encodeIntermediate, rowToTrial, type TrialRowSql } from './codec.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS tune_studies (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE,
  direction TEXT NOT NULL,
  next_number INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS tune_trials (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  study_id INTEGER NOT NULL REFERENCES tune_studies(id),
  number INTEGER NOT NULL,
  state TEXT NOT NULL,
  value REAL,
  params TEXT NOT NULL DEFAULT '{}',
  intermediate TEXT NOT NULL DEFAULT '{}',
  user_attrs TEXT NOT NULL DEFAULT '{}',
  fixed_params TEXT NOT NULL DEFAULT '{}',
  started_at REAL,
  completed_at REAL,
  heartbeat_at REAL,
  error TEXT,
  worker TEXT,
  UNIQUE (study_id, number)
);
CREATE INDEX IF NOT EXISTS tune_trials_state ON tune_trials (study_id, state);
`;

/** Blocks the thread for `ms` milliseconds (the constructor is synchronous, as better-sqlite3 is). */
const sleepSync = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/**
 * @internal `open()` again while it fails with SQLITE_BUSY, until `timeout` ms have passed. SQLite
 * answers SQLITE_BUSY at once, without its busy handler, where waiting could deadlock (a connection
 * holding a read lock that wants to write while another holds the write lock: here, two processes
 * opening one new file, both switching it to WAL and creating the schema). Seen once in CI (a worker
 * of the shared-study test failed to open with "database is locked" despite the 30 s timeout), not
 * reproduced locally; a retry after a short pause starts from a clean connection. Other errors are
 * thrown at once.
 */
export function openRetrying<T>(open: () => T, timeout: number, sleep: (ms: number) => void = sleepSync): T {
  const deadline = Date.now() + timeout;
  for (let attempt = 0; ; attempt++) {
    try {
      return open();
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      if (typeof code !== 'string' || !code.startsWith('SQLITE_BUSY') || Date.now() >= deadline) throw e;
      sleep(Math.min(100, 5 * 2 ** Math.min(attempt, 5)) * (0.5 + Math.random()));
    }
  }
}

/** Options of {@link SqliteStorage}. */
export interface SqliteStorageOptions {
  /** How long a writer waits for another process's lock, in ms. @default 30000 */
  busyTimeout?: number;
}

/**
 * Studies in a SQLite file. Every claim and state change is one `BEGIN IMMEDIATE` transaction, so
 * several processes (or worker threads) on one machine can share a study; the WAL journal keeps
 * the file consistent when a process is killed, and a later `optimize()` resumes the study.
 *
 * @example
 * ```ts
 * const s = study({ name: 'mlp', storage: 'sqlite:tune.db' }); // or new SqliteStorage('tune.db')
 * ```
 */
export class SqliteStorage implements Storage {
  readonly url: string;
  readonly shared = true;
  private readonly db: Database.Database;

  constructor(path: string, options: SqliteStorageOptions = {}) {
    this.url = `sqlite:${path}`;
    const file = resolve(path);
    if (path !== ':memory:' && !existsSync(dirname(file))) {
      throw new StorageError(this.url, `the directory ${dirname(file)} does not exist`, 'Create it first or pick another path');
    }
    const timeout = options.busyTimeout ?? 30_000;
    try {
      this.db = openRetrying(() => {
        const db = new Database(path, { timeout });
        try {
          db.pragma('journal_mode = WAL');
          db.pragma('synchronous = NORMAL');
          db.pragma('foreign_keys = ON');
          db.transaction(() => db.exec(SCHEMA)).immediate();
          return db;
        } catch (e) {
          db.close();
          throw e;
        }
      }, timeout);
    } catch (e) {
      throw new StorageError(this.url, `cannot open the SQLite file (${(e as Error).message})`, 'Check the path and that it is a SQLite database');
    }
  }

  private wrap<T>(what: string, fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (e instanceof StorageError) throw e;
      throw new StorageError(this.url, `${what} failed: ${(e as Error).message}`);
    }
  }

  async createStudy(name: string, direction: Direction): Promise<StudyRecord> {
    return this.wrap('createStudy', () =>
      this.db
        .transaction(() => {
          this.db.prepare('INSERT OR IGNORE INTO tune_studies (name, direction) VALUES (?, ?)').run(name, direction);
          const rec = this.db.prepare('SELECT id, name, direction FROM tune_studies WHERE name = ?').get(name) as StudyRecord;
          checkDirection(this.url, rec, direction);
          return rec;
        })
        .immediate(),
    );
  }

  async getStudy(name: string): Promise<StudyRecord | null> {
    return this.wrap('getStudy', () => (this.db.prepare('SELECT id, name, direction FROM tune_studies WHERE name = ?').get(name) as StudyRecord | undefined) ?? null);
  }

  async claimTrial(studyId: number, opts: { worker: string; maxTrials?: number }): Promise<FrozenTrial | null> {
    return this.wrap('claimTrial', () =>
      this.db
        .transaction((): FrozenTrial | null => {
          const now = Date.now();
          const claimed = this.db
            .prepare(
              `UPDATE tune_trials SET state = 'running', started_at = ?, heartbeat_at = ?, worker = ?
               WHERE id = (SELECT id FROM tune_trials WHERE study_id = ? AND state = 'waiting' ORDER BY number LIMIT 1)
               RETURNING *`,
            )
            .get(now, now, opts.worker, studyId) as TrialRowSql | undefined;
          if (claimed) return rowToTrial(claimed);
          const n = this.db
            .prepare('UPDATE tune_studies SET next_number = next_number + 1 WHERE id = ? AND (? IS NULL OR next_number < ?) RETURNING next_number - 1 AS n')
            .get(studyId, opts.maxTrials ?? null, opts.maxTrials ?? null) as { n: number } | undefined;
          if (!n) return null;
          const row = this.db
            .prepare(
              `INSERT INTO tune_trials (study_id, number, state, started_at, heartbeat_at, worker)
               VALUES (?, ?, 'running', ?, ?, ?) RETURNING *`,
            )
            .get(studyId, n.n, now, now, opts.worker) as TrialRowSql;
          return rowToTrial(row);
        })
        .immediate(),
    );
  }

  async enqueueTrial(studyId: number, fixedParams: Record<string, ParamValue>): Promise<FrozenTrial> {
    return this.wrap('enqueueTrial', () =>
      this.db
        .transaction(() => {
          const n = this.db.prepare('UPDATE tune_studies SET next_number = next_number + 1 WHERE id = ? RETURNING next_number - 1 AS n').get(studyId) as { n: number };
          const row = this.db
            .prepare(`INSERT INTO tune_trials (study_id, number, state, fixed_params) VALUES (?, ?, 'waiting', ?) RETURNING *`)
            .get(studyId, n.n, JSON.stringify(fixedParams)) as TrialRowSql;
          return rowToTrial(row);
        })
        .immediate(),
    );
  }

  async updateTrial(trialId: number, patch: TrialPatch): Promise<void> {
    this.wrap('updateTrial', () => {
      const sets = ['heartbeat_at = ?'];
      const args: unknown[] = [Date.now()];
      if (patch.params) sets.push('params = ?'), args.push(JSON.stringify(patch.params));
      if (patch.intermediate) sets.push('intermediate = ?'), args.push(encodeIntermediate(patch.intermediate));
      if (patch.userAttrs) sets.push('user_attrs = ?'), args.push(JSON.stringify(patch.userAttrs));
      this.db.prepare(`UPDATE tune_trials SET ${sets.join(', ')} WHERE id = ? AND state = 'running'`).run(...args, trialId);
    });
  }

  async heartbeat(trialId: number): Promise<void> {
    this.wrap('heartbeat', () => this.db.prepare(`UPDATE tune_trials SET heartbeat_at = ? WHERE id = ? AND state = 'running'`).run(Date.now(), trialId));
  }

  async finishTrial(trialId: number, state: 'complete' | 'pruned' | 'fail', value: number | null, error: string | null): Promise<boolean> {
    return this.wrap('finishTrial', () => {
      const r = this.db
        .prepare(`UPDATE tune_trials SET state = ?, value = ?, error = ?, completed_at = ? WHERE id = ? AND state = 'running'`)
        .run(state, value, error, Date.now(), trialId);
      return r.changes === 1;
    });
  }

  async failStaleTrials(studyId: number, graceMs: number): Promise<number[]> {
    return this.wrap('failStaleTrials', () => {
      const now = Date.now();
      const rows = this.db
        .prepare(
          `UPDATE tune_trials SET state = 'fail', completed_at = ?, error = 'no heartbeat for ' || ? || ' ms (worker ' || coalesce(worker, '?') || ' died?)'
           WHERE study_id = ? AND state = 'running' AND heartbeat_at < ? RETURNING number`,
        )
        .all(now, String(Math.round(graceMs)), studyId, now - graceMs) as Array<{ number: number }>;
      return rows.map((r) => r.number).sort((a, b) => a - b);
    });
  }

  async getTrials(studyId: number): Promise<FrozenTrial[]> {
    return this.wrap('getTrials', () =>
      (this.db.prepare('SELECT * FROM tune_trials WHERE study_id = ? ORDER BY number').all(studyId) as TrialRowSql[]).map(rowToTrial),
    );
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
