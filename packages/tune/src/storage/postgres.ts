/** PostgreSQL storage (node-postgres): one study driven by many workers on many machines. */
import pg from 'pg';
import type { ParamValue } from '../distributions.js';
import { StorageError } from '../errors.js';
import type { Direction, FrozenTrial, Storage, StudyRecord, TrialPatch } from '../types.js';
import { checkDirection } from './memory.js';
import { encodeIntermediate, maskUrl, rowToTrial, type TrialRowSql } from './codec.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS tune_studies (
  id SERIAL PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  direction TEXT NOT NULL,
  next_number INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS tune_trials (
  id SERIAL PRIMARY KEY,
  study_id INTEGER NOT NULL REFERENCES tune_studies(id),
  number INTEGER NOT NULL,
  state TEXT NOT NULL,
  value DOUBLE PRECISION,
  params TEXT NOT NULL DEFAULT '{}',
  intermediate TEXT NOT NULL DEFAULT '{}',
  user_attrs TEXT NOT NULL DEFAULT '{}',
  fixed_params TEXT NOT NULL DEFAULT '{}',
  started_at DOUBLE PRECISION,
  completed_at DOUBLE PRECISION,
  heartbeat_at DOUBLE PRECISION,
  error TEXT,
  worker TEXT,
  UNIQUE (study_id, number)
);
CREATE INDEX IF NOT EXISTS tune_trials_state ON tune_trials (study_id, state);
`;

/** Server time in epoch ms: heartbeats compare server clocks only, so worker clocks may drift. */
const NOW = '(extract(epoch from clock_timestamp()) * 1000)';

/** Options of {@link PostgresStorage}. */
export interface PostgresStorageOptions {
  /** Connections in this process's pool. @default 4 */
  poolSize?: number;
  /** Give up connecting after this many ms. @default 5000 */
  connectTimeout?: number;
}

/**
 * Studies in a PostgreSQL database. Trials are claimed in one transaction that bumps a per-study
 * counter (a row lock) or takes a waiting trial with `FOR UPDATE SKIP LOCKED`, so any number of
 * processes on any number of machines can drive one study without running a trial twice. Open it
 * with {@link PostgresStorage.connect} (checks the server is reachable).
 *
 * @example
 * ```ts
 * const s = study({ name: 'mlp', storage: 'postgres://tune@db-host:5432/tune' });
 * ```
 */
export class PostgresStorage implements Storage {
  readonly shared = true;
  private constructor(
    readonly url: string,
    private readonly pool: pg.Pool,
  ) {}

  /**
   * Connects, checks the server answers, and creates the tables when missing.
   *
   * @param connectionString - `postgres://user:password@host:port/database`.
   * @param options - See {@link PostgresStorageOptions}.
   */
  static async connect(connectionString: string, options: PostgresStorageOptions = {}): Promise<PostgresStorage> {
    const url = maskUrl(connectionString);
    const pool = new pg.Pool({
      connectionString,
      max: options.poolSize ?? 4,
      connectionTimeoutMillis: options.connectTimeout ?? 5000,
    });
    pool.on('error', () => {}); // an idle client lost its server; the next query reports it
    const storage = new PostgresStorage(url, pool);
    try {
      await storage.tx(async (c) => {
        // Serialise schema creation: concurrent CREATE TABLE IF NOT EXISTS can still collide.
        await c.query('SELECT pg_advisory_xact_lock(7461626)');
        await c.query(SCHEMA);
      });
    } catch (e) {
      await pool.end().catch(() => {});
      const err = e as Error & { code?: string };
      throw new StorageError(
        url,
        `cannot reach PostgreSQL (${err.code ? `${err.code}: ` : ''}${err.message || String(e)})`,
        'Check that the server runs and listens on that host and port, and the user, password and database',
      );
    }
    return storage;
  }

  private async tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      const r = await fn(c);
      await c.query('COMMIT');
      return r;
    } catch (e) {
      await c.query('ROLLBACK').catch(() => {});
      throw e;
    } finally {
      c.release();
    }
  }

  private async q<T extends pg.QueryResultRow>(what: string, text: string, args: unknown[]): Promise<pg.QueryResult<T>> {
    try {
      return await this.pool.query<T>(text, args);
    } catch (e) {
      throw new StorageError(this.url, `${what} failed: ${(e as Error).message}`);
    }
  }

  async createStudy(name: string, direction: Direction): Promise<StudyRecord> {
    await this.q('createStudy', 'INSERT INTO tune_studies (name, direction) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING', [name, direction]);
    const rec = (await this.getStudy(name))!;
    checkDirection(this.url, rec, direction);
    return rec;
  }

  async getStudy(name: string): Promise<StudyRecord | null> {
    const r = await this.q<{ id: number; name: string; direction: Direction }>('getStudy', 'SELECT id, name, direction FROM tune_studies WHERE name = $1', [name]);
    return r.rows[0] ?? null;
  }

  async claimTrial(studyId: number, opts: { worker: string; maxTrials?: number }): Promise<FrozenTrial | null> {
    try {
      return await this.tx(async (c) => {
        const claimed = await c.query<TrialRowSql>(
          `UPDATE tune_trials SET state = 'running', started_at = ${NOW}, heartbeat_at = ${NOW}, worker = $2
           WHERE id = (SELECT id FROM tune_trials WHERE study_id = $1 AND state = 'waiting' ORDER BY number LIMIT 1 FOR UPDATE SKIP LOCKED)
           RETURNING *`,
          [studyId, opts.worker],
        );
        if (claimed.rows[0]) return rowToTrial(claimed.rows[0]);
        const n = await c.query<{ n: number }>(
          'UPDATE tune_studies SET next_number = next_number + 1 WHERE id = $1 AND ($2::int IS NULL OR next_number < $2::int) RETURNING next_number - 1 AS n',
          [studyId, opts.maxTrials ?? null],
        );
        if (!n.rows[0]) return null;
        const row = await c.query<TrialRowSql>(
          `INSERT INTO tune_trials (study_id, number, state, started_at, heartbeat_at, worker)
           VALUES ($1, $2, 'running', ${NOW}, ${NOW}, $3) RETURNING *`,
          [studyId, n.rows[0].n, opts.worker],
        );
        return rowToTrial(row.rows[0]!);
      });
    } catch (e) {
      throw new StorageError(this.url, `claimTrial failed: ${(e as Error).message}`);
    }
  }

  async enqueueTrial(studyId: number, fixedParams: Record<string, ParamValue>): Promise<FrozenTrial> {
    try {
      return await this.tx(async (c) => {
        const n = await c.query<{ n: number }>('UPDATE tune_studies SET next_number = next_number + 1 WHERE id = $1 RETURNING next_number - 1 AS n', [studyId]);
        const row = await c.query<TrialRowSql>(
          `INSERT INTO tune_trials (study_id, number, state, fixed_params) VALUES ($1, $2, 'waiting', $3) RETURNING *`,
          [studyId, n.rows[0]!.n, JSON.stringify(fixedParams)],
        );
        return rowToTrial(row.rows[0]!);
      });
    } catch (e) {
      throw new StorageError(this.url, `enqueueTrial failed: ${(e as Error).message}`);
    }
  }

  async updateTrial(trialId: number, patch: TrialPatch): Promise<void> {
    const sets = [`heartbeat_at = ${NOW}`];
    const args: unknown[] = [trialId];
    if (patch.params) args.push(JSON.stringify(patch.params)), sets.push(`params = $${args.length}`);
    if (patch.intermediate) args.push(encodeIntermediate(patch.intermediate)), sets.push(`intermediate = $${args.length}`);
    if (patch.userAttrs) args.push(JSON.stringify(patch.userAttrs)), sets.push(`user_attrs = $${args.length}`);
    await this.q('updateTrial', `UPDATE tune_trials SET ${sets.join(', ')} WHERE id = $1 AND state = 'running'`, args);
  }

  async heartbeat(trialId: number): Promise<void> {
    await this.q('heartbeat', `UPDATE tune_trials SET heartbeat_at = ${NOW} WHERE id = $1 AND state = 'running'`, [trialId]);
  }

  async finishTrial(trialId: number, state: 'complete' | 'pruned' | 'fail', value: number | null, error: string | null): Promise<boolean> {
    const r = await this.q(
      'finishTrial',
      `UPDATE tune_trials SET state = $2, value = $3, error = $4, completed_at = ${NOW} WHERE id = $1 AND state = 'running'`,
      [trialId, state, value, error],
    );
    return r.rowCount === 1;
  }

  async failStaleTrials(studyId: number, graceMs: number): Promise<number[]> {
    const r = await this.q<{ number: number }>(
      'failStaleTrials',
      `UPDATE tune_trials SET state = 'fail', completed_at = ${NOW},
         error = 'no heartbeat for ' || $2::text || ' ms (worker ' || coalesce(worker, '?') || ' died?)'
       WHERE study_id = $1 AND state = 'running' AND heartbeat_at < ${NOW} - $2::double precision RETURNING number`,
      [studyId, graceMs],
    );
    return r.rows.map((x) => x.number).sort((a, b) => a - b);
  }

  async getTrials(studyId: number): Promise<FrozenTrial[]> {
    const r = await this.q<TrialRowSql>('getTrials', 'SELECT * FROM tune_trials WHERE study_id = $1 ORDER BY number', [studyId]);
    return r.rows.map(rowToTrial);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
