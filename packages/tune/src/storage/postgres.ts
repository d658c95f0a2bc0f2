/** PostgreSQL storage (node-postgres): one study driven by many workers on many machines. */
import { randomUUID } from 'node:crypto';
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
ALTER TABLE tune_trials ADD COLUMN IF NOT EXISTS claim_token TEXT;
CREATE INDEX IF NOT EXISTS tune_trials_claim ON tune_trials (claim_token);
`;

/**
 * Errors worth retrying: the connection was lost or refused (server restarting, network blip),
 * the server is shutting down or starting (57P01 admin shutdown, 57P02 crash shutdown, 57P03
 * cannot connect now), connection exceptions (class 08), too many connections (53300), and the
 * transaction conflicts PostgreSQL asks clients to retry (40001 serialization, 40P01 deadlock).
 */
const TRANSIENT_CODES = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN',
  '57P01', '57P02', '57P03', '08000', '08001', '08003', '08004', '08006', '53300', '40001', '40P01',
]);
// node-postgres reports a dropped connection by message only.
const TRANSIENT_MESSAGE = /Connection terminated|connection error|timeout exceeded when trying to connect|Client was closed and is not queryable|terminating connection/i;

/** Whether `e` is a transient error (see {@link TRANSIENT_CODES}). */
export function isTransientPgError(e: unknown): boolean {
  const err = e as { code?: unknown; message?: unknown } | null;
  if (!err) return false;
  if (typeof err.code === 'string' && TRANSIENT_CODES.has(err.code)) return true;
  return typeof err.message === 'string' && TRANSIENT_MESSAGE.test(err.message);
}

/** How {@link PostgresStorage} retries transient errors. */
export interface PostgresRetryOptions {
  /** Keep retrying one operation for at most this long (ms); then it fails with a `StorageError`. @default 30000 */
  timeoutMs?: number;
  /** First backoff cap (ms); doubled after each failed attempt. @default 50 */
  baseDelayMs?: number;
  /** Largest backoff cap (ms). @default 2000 */
  maxDelayMs?: number;
}

/** Server time in epoch ms: heartbeats compare server clocks only, so worker clocks may drift. */
const NOW = '(extract(epoch from clock_timestamp()) * 1000)';

/** Options of {@link PostgresStorage}. */
export interface PostgresStorageOptions {
  /** Connections in this process's pool. @default 4 */
  poolSize?: number;
  /**
   * Give up connecting after this many ms (transient errors while connecting, e.g. a server still
   * starting up, are retried within this time). @default 5000
   */
  connectTimeout?: number;
  /**
   * Retrying of transient errors (see {@link isTransientPgError}): exponential backoff with full
   * jitter (each wait uniform in [0, min(maxDelayMs, baseDelayMs · 2^attempt)]), bounded by
   * `timeoutMs` per operation. `false` turns retries off.
   * @default { timeoutMs: 30000, baseDelayMs: 50, maxDelayMs: 2000 }
   */
  retry?: PostgresRetryOptions | false;
}

/**
 * Studies in a PostgreSQL database. Trials are claimed in one transaction that bumps a per-study
 * counter (a row lock) or takes a waiting trial with `FOR UPDATE SKIP LOCKED`, so any number of
 * processes on any number of machines can drive one study without running a trial twice. Open it
 * with {@link PostgresStorage.connect} (checks the server is reachable).
 *
 * Transient errors (a server restart, a dropped connection, a serialization failure or deadlock)
 * are retried with exponential backoff and jitter for up to `retry.timeoutMs`. Retried writes are
 * idempotent: a claim carries a token, so a retry after a commit whose answer was lost returns the
 * same trial instead of claiming a second one; finishing a trial that the lost commit already
 * finished with the same result counts as success.
 *
 * @example
 * ```ts
 * const s = study({ name: 'mlp', storage: 'postgres://tune@db-host:5432/tune' });
 * ```
 */
export class PostgresStorage implements Storage {
  readonly shared = true;
  private readonly retry: Required<PostgresRetryOptions> | null;
  private constructor(
    readonly url: string,
    private readonly pool: pg.Pool,
    retry: PostgresRetryOptions | false | undefined,
  ) {
    this.retry = retry === false ? null : { timeoutMs: 30_000, baseDelayMs: 50, maxDelayMs: 2000, ...retry };
  }

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
    const storage = new PostgresStorage(url, pool, options.retry);
    try {
      const schema = () =>
        storage.tx(async (c) => {
          // Serialise schema creation: concurrent CREATE TABLE IF NOT EXISTS can still collide.
          await c.query('SELECT pg_advisory_xact_lock(7461626)');
          await c.query(SCHEMA);
        });
      await (storage.retry ? storage.retrying(schema, { ...storage.retry, timeoutMs: options.connectTimeout ?? 5000 }) : schema());
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
    let broken: Error | undefined;
    // A checked-out client between two queries has no listener of its own: without this, the
    // server's "terminating connection" (57P01) would be an unhandled 'error' event (a crash).
    const onError = (e: Error) => void (broken ??= e);
    c.on('error', onError);
    try {
      await c.query('BEGIN');
      const r = await fn(c);
      await c.query('COMMIT');
      return r;
    } catch (e) {
      if (isTransientPgError(e)) broken = e as Error; // do not give a dead connection back to the pool
      else await c.query('ROLLBACK').catch(() => {});
      throw e;
    } finally {
      c.off('error', onError);
      c.release(broken);
    }
  }

  /**
   * Runs `fn`, retrying transient errors with exponential backoff and full jitter until
   * `timeoutMs` has passed; other errors, and the last transient one, are thrown as they are.
   * @param fn - gets the attempt number (0 first).
   */
  private async retrying<T>(fn: (attempt: number) => Promise<T>, policy: Required<PostgresRetryOptions> | null = this.retry): Promise<T> {
    const start = Date.now();
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn(attempt);
      } catch (e) {
        if (!policy || !isTransientPgError(e)) throw e;
        const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
        const wait = Math.random() * cap;
        if (Date.now() - start + wait > policy.timeoutMs) {
          throw Object.assign(e as Error, { retried: { attempts: attempt + 1, ms: Date.now() - start } });
        }
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  }

  /** A StorageError for operation `what`, saying how long transient errors were retried. */
  private fail(what: string, e: unknown): StorageError {
    const err = e as Error & { code?: string; retried?: { attempts: number; ms: number } };
    const code = err.code ? `${err.code}: ` : '';
    const retried = err.retried ? ` (transient; gave up after ${err.retried.attempts} attempts over ${err.retried.ms} ms)` : '';
    return new StorageError(
      this.url,
      `${what} failed: ${code}${err.message}${retried}`,
      err.retried ? 'The server stayed unreachable longer than retry.timeoutMs: check it runs, or raise retry.timeoutMs' : undefined,
    );
  }

  private async q<T extends pg.QueryResultRow>(what: string, text: string, args: unknown[], retry = true): Promise<pg.QueryResult<T>> {
    try {
      return await (retry ? this.retrying(() => this.pool.query<T>(text, args)) : this.pool.query<T>(text, args));
    } catch (e) {
      throw this.fail(what, e);
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
    // One token per claim, kept across retries: a retry after a commit whose answer was lost finds
    // the trial that commit claimed (no second claim, no orphan left `running`).
    const token = randomUUID();
    try {
      return await this.retrying((attempt) => this.tx(async (c) => {
        if (attempt > 0) {
          const mine = await c.query<TrialRowSql>('SELECT * FROM tune_trials WHERE study_id = $1 AND claim_token = $2', [studyId, token]);
          if (mine.rows[0]) return rowToTrial(mine.rows[0]);
        }
        const claimed = await c.query<TrialRowSql>(
          `UPDATE tune_trials SET state = 'running', started_at = ${NOW}, heartbeat_at = ${NOW}, worker = $2, claim_token = $3
           WHERE id = (SELECT id FROM tune_trials WHERE study_id = $1 AND state = 'waiting' ORDER BY number LIMIT 1 FOR UPDATE SKIP LOCKED)
           RETURNING *`,
          [studyId, opts.worker, token],
        );
        if (claimed.rows[0]) return rowToTrial(claimed.rows[0]);
        const n = await c.query<{ n: number }>(
          'UPDATE tune_studies SET next_number = next_number + 1 WHERE id = $1 AND ($2::int IS NULL OR next_number < $2::int) RETURNING next_number - 1 AS n',
          [studyId, opts.maxTrials ?? null],
        );
        if (!n.rows[0]) return null;
        const row = await c.query<TrialRowSql>(
          `INSERT INTO tune_trials (study_id, number, state, started_at, heartbeat_at, worker, claim_token)
           VALUES ($1, $2, 'running', ${NOW}, ${NOW}, $3, $4) RETURNING *`,
          [studyId, n.rows[0].n, opts.worker, token],
        );
        return rowToTrial(row.rows[0]!);
      }));
    } catch (e) {
      throw this.fail('claimTrial', e);
    }
  }

  async enqueueTrial(studyId: number, fixedParams: Record<string, ParamValue>): Promise<FrozenTrial> {
    try {
      // Retried as a whole; a commit whose answer was lost can add the trial twice (it then runs twice).
      return await this.retrying(() => this.tx(async (c) => {
        const n = await c.query<{ n: number }>('UPDATE tune_studies SET next_number = next_number + 1 WHERE id = $1 RETURNING next_number - 1 AS n', [studyId]);
        const row = await c.query<TrialRowSql>(
          `INSERT INTO tune_trials (study_id, number, state, fixed_params) VALUES ($1, $2, 'waiting', $3) RETURNING *`,
          [studyId, n.rows[0]!.n, JSON.stringify(fixedParams)],
        );
        return rowToTrial(row.rows[0]!);
      }));
    } catch (e) {
      throw this.fail('enqueueTrial', e);
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
    // Not retried: the next heartbeat is the retry.
    await this.q('heartbeat', `UPDATE tune_trials SET heartbeat_at = ${NOW} WHERE id = $1 AND state = 'running'`, [trialId], false);
  }

  async finishTrial(trialId: number, state: 'complete' | 'pruned' | 'fail', value: number | null, error: string | null): Promise<boolean> {
    // Idempotent: when a retry follows a commit whose answer was lost, the row already holds this
    // very result, which counts as success (not as "no longer running").
    const r = await this.q(
      'finishTrial',
      `UPDATE tune_trials SET state = $2, value = $3, error = $4, completed_at = coalesce(completed_at, ${NOW})
       WHERE id = $1 AND (state = 'running' OR (state = $2 AND value IS NOT DISTINCT FROM $3::double precision AND error IS NOT DISTINCT FROM $4::text AND completed_at IS NOT NULL))`,
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
