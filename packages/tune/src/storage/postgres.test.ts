import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniform } from '../distributions.js';
import { StorageError } from '../errors.js';
import { study } from '../study.js';
import { type Cluster, hasPostgres, startCluster } from '../__fixtures__/pg-cluster.js';
import { OBJECTIVE, exited, expectInterleaved, printed, readLog, startWorker } from '../__fixtures__/processes.js';
import { PostgresStorage, isTransientPgError } from './postgres.js';

const quiet = { onWarning: () => {} };
const available = hasPostgres();
if (!available) console.warn('PostgreSQL tests SKIPPED: initdb is not on PATH (install postgresql to run them).');

describe.skipIf(!available)('PostgreSQL storage (a real local server)', () => {
  let pg: Cluster;
  const dir = mkdtempSync(join(tmpdir(), 'nn-tune-pgtest-'));
  beforeAll(async () => {
    pg = await startCluster(); // throws (and fails every test) when the server cannot start
  });
  afterAll(() => {
    pg?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores, resumes and reads back a study', async () => {
    const a = study({ name: 'basic', storage: pg.url, seed: 1, ...quiet });
    await a.optimize(async (t) => {
      const x = t.suggest('x', uniform(-2, 2));
      await t.report(Number.NaN, 0); // non-finite intermediate values survive the round trip
      t.setUserAttr('note', { x });
      return x * x;
    }, { trials: 5 });
    await a.close();
    const b = study({ name: 'basic', storage: pg.url, seed: 1, ...quiet });
    await b.optimize((t) => t.suggest('x', uniform(-2, 2)) ** 2, { trials: 2 });
    expect(b.trials.map((t) => t.number)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(Number.isNaN(b.trials[0]!.intermediate[0])).toBe(true);
    expect(b.trials[0]!.userAttrs.note).toEqual({ x: b.trials[0]!.params.x!.value });
    expect(b.bestValue).toBe(Math.min(...b.trials.map((t) => t.value!)));
    await b.close();
  });

  it('two processes sharing one study never run a trial twice and lose no result', async () => {
    const log = join(dir, 'shared.log');
    const ps = [startWorker([pg.url, 'shared', '40', log, 'normal']), startWorker([pg.url, 'shared', '40', log, 'normal'])];
    const codes = await Promise.all(ps.map((p) => exited(p, 60_000)));
    expect(codes, ps.map((p) => p.output()).join('\n')).toEqual([0, 0]);
    const entries = readLog(log);
    expect(entries.map(([n]) => n).sort((a, b) => a - b)).toEqual(Array.from({ length: 80 }, (_, i) => i));
    expectInterleaved(entries);
    const s = study({ name: 'shared', storage: pg.url, ...quiet });
    const trials = await s.refresh();
    expect(trials).toHaveLength(80);
    expect(trials.every((t) => t.state === 'complete' && Number.isFinite(t.value))).toBe(true);
    await s.close();
  });

  it("marks a killed worker's trial failed and the study goes on", async () => {
    const log = join(dir, 'killed.log');
    const victim = startWorker([pg.url, 'killed', '5', log, 'hang']);
    await printed(victim, 'started 0');
    victim.kill('SIGKILL');
    await exited(victim);
    await new Promise((r) => setTimeout(r, 1600)); // past the 1500 ms heartbeat grace
    const survivor = startWorker([pg.url, 'killed', '4', log, 'normal']);
    expect(await exited(survivor, 60_000), survivor.output()).toBe(0);
    const s = study({ name: 'killed', storage: pg.url, ...quiet });
    const trials = await s.refresh();
    expect(trials.map((t) => t.state)).toEqual(['fail', 'complete', 'complete', 'complete', 'complete']);
    expect(trials[0]!.error).toMatch(/no heartbeat for 1500 ms/);
    await s.close();
  });

  it('runs a module objective in worker threads on the shared server', async () => {
    const s = study({ name: 'threads', storage: pg.url, sampler: 'random', seed: 2, ...quiet });
    await s.optimize({ module: OBJECTIVE }, { trials: 10, parallel: 2, executor: 'thread' });
    expect(s.trials).toHaveLength(10);
    expect(s.trials.every((t) => t.state === 'complete')).toBe(true);
    await s.close();
  });

  it('a 1 s server restart under 4 workers loses no finished value and leaves no trial running', async () => {
    const log = join(dir, 'restart.log');
    const perWorker = 25;
    // heartbeatGrace 10 s: longer than the outage plus backoff, so no live trial is taken for dead.
    const ps = Array.from({ length: 4 }, () => startWorker([pg.url, 'restart', String(perWorker), log, 'slow', '10000']));
    // Restart in the middle: once ~1/4 of the trials have started.
    const t0 = Date.now();
    while (!existsSync(log) || readLog(log).length < perWorker) {
      if (Date.now() - t0 > 60_000) throw new Error(`workers did not start: ${ps.map((p) => p.output()).join('\n')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const downMs = await pg.restart(1000);
    const startedBefore = readLog(log).length;
    const codes = await Promise.all(ps.map((p) => exited(p, 60_000).catch(() => 'still running after 60 s')));
    for (const p of ps) if (p.exitCode === null) p.kill('SIGKILL');
    expect(codes, ps.map((p, i) => `worker ${i}: ${p.output()}`).join('\n')).toEqual([0, 0, 0, 0]);
    expect(startedBefore).toBeLessThan(4 * perWorker); // the restart really happened mid-study
    expect(downMs).toBeGreaterThanOrEqual(1000);

    const s = study({ name: 'restart', storage: pg.url, ...quiet });
    const trials = await s.refresh();
    await s.close();
    // No trial left running, none claimed twice (each worker ran exactly its trials).
    expect(trials.filter((t) => t.state === 'running')).toEqual([]);
    expect(trials).toHaveLength(4 * perWorker);
    expect(trials.every((t) => t.state === 'complete'), JSON.stringify(trials.filter((t) => t.state !== 'complete'))).toBe(true);
    // Every value an objective computed is stored, exactly, under its trial number.
    const computed = readFileSync(`${log}.values`, 'utf8').trim().split('\n').map((l) => l.split(' '));
    expect(computed).toHaveLength(4 * perWorker);
    const byNumber = new Map(trials.map((t) => [t.number, t.value]));
    for (const [n, , v] of computed) expect(byNumber.get(Number(n)), `trial ${n}`).toBe(Number(v));
  }, 180_000);

  it('retries only transient errors', () => {
    for (const code of ['ECONNRESET', 'ECONNREFUSED', '57P01', '57P03', '40001', '40P01', '08006']) expect(isTransientPgError({ code }), code).toBe(true);
    expect(isTransientPgError(new Error('Connection terminated unexpectedly'))).toBe(true);
    for (const code of ['23505', '42P01', '22P02']) expect(isTransientPgError({ code, message: 'x' }), code).toBe(false);
  });

  it('fails clearly when the server is unreachable', async () => {
    const url = `postgres://postgres:secret@127.0.0.1:${pg.port + 1}/postgres`; // nothing listens there
    const err = await PostgresStorage.connect(url, { connectTimeout: 2000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageError);
    expect((err as Error).message).toMatch(/cannot reach PostgreSQL \(ECONNREFUSED/);
    expect((err as Error).message).toMatch(/postgres:\*\*\*@127/); // password masked
    expect((err as Error).message).not.toMatch(/secret/);
  });
});
