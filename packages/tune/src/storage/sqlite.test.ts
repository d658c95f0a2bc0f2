import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { uniform } from '../distributions.js';
import { loadStudy, study } from '../study.js';
import { openRetrying, SqliteStorage } from './sqlite.js';
import { OBJECTIVE, exited, expectInterleaved, printed, readLog, startWorker } from '../__fixtures__/processes.js';

const dir = mkdtempSync(join(tmpdir(), 'nn-tune-sqlite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const quiet = { onWarning: () => {} };

describe('SQLite storage', () => {
  it('persists a study and resumes it from the file with the same history', async () => {
    const file = join(dir, 'resume.db');
    const a = study({ name: 'r', storage: `sqlite:${file}`, seed: 1, ...quiet });
    await a.optimize(async (t) => {
      const x = t.suggest('x', uniform(-3, 3));
      await t.report(x * 2, 0);
      return x * x;
    }, { trials: 12 });
    await a.close();
    const b = study({ name: 'r', storage: `sqlite:${file}`, seed: 1, ...quiet });
    const before = await b.refresh();
    expect(before).toHaveLength(12);
    expect(before[3]!.intermediate[0]).toBeCloseTo((before[3]!.params.x!.value as number) * 2, 12);
    await b.optimize((t) => t.suggest('x', uniform(-3, 3)) ** 2, { trials: 3 });
    expect(b.trials.map((t) => t.number)).toEqual(Array.from({ length: 15 }, (_, i) => i));
    await b.close();
    const c = await loadStudy({ name: 'r', storage: `sqlite:${file}`, ...quiet });
    expect(c.direction).toBe('minimize');
    expect(c.trials).toHaveLength(15);
    await c.close();
    await expect(loadStudy({ name: 'nope', storage: `sqlite:${file}` })).rejects.toThrow(/Study "nope" does not exist in storage "sqlite:/);
  });

  it('refuses to reopen a study with the other direction', async () => {
    const file = join(dir, 'dir.db');
    const a = study({ name: 'd', storage: `sqlite:${file}`, direction: 'minimize', ...quiet });
    await a.ready();
    await expect(study({ name: 'd', storage: `sqlite:${file}`, direction: 'maximize' }).ready()).rejects.toThrow(
      /exists with direction "minimize" but "maximize" was requested/,
    );
    await a.close();
  });

  it('rejects a file that is not a SQLite database', () => {
    const file = join(dir, 'junk.db');
    writeFileSync(file, 'this is not sqlite, just text that is long enough to be a header '.repeat(10));
    expect(() => new SqliteStorage(file)).toThrow(/cannot open the SQLite file/);
  });

  it('two processes sharing one study never run a trial twice and lose no result', async () => {
    const file = join(dir, 'shared.db');
    const log = join(dir, 'shared.log');
    const ps = [startWorker([`sqlite:${file}`, 'shared', '40', log, 'normal']), startWorker([`sqlite:${file}`, 'shared', '40', log, 'normal'])];
    const codes = await Promise.all(ps.map((p) => exited(p, 60_000)));
    expect(codes, ps.map((p) => p.output()).join('\n')).toEqual([0, 0]);
    const entries = readLog(log);
    const numbers = entries.map(([n]) => n).sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: 80 }, (_, i) => i)); // each trial ran exactly once
    expectInterleaved(entries);
    const s = study({ name: 'shared', storage: `sqlite:${file}`, ...quiet });
    const trials = await s.refresh();
    expect(trials).toHaveLength(80);
    expect(trials.every((t) => t.state === 'complete' && Number.isFinite(t.value))).toBe(true);
    await s.close();
  });

  it("marks a killed worker's trial failed and the study goes on", async () => {
    const file = join(dir, 'killed.db');
    const log = join(dir, 'killed.log');
    const victim = startWorker([`sqlite:${file}`, 'k', '5', log, 'hang']);
    await printed(victim, 'started 0');
    victim.kill('SIGKILL');
    await exited(victim);
    // Heartbeat grace 1500 ms: wait past it, then a survivor claims trials and fails the stale one.
    await new Promise((r) => setTimeout(r, 1600));
    const survivor = startWorker([`sqlite:${file}`, 'k', '4', log, 'normal']);
    expect(await exited(survivor, 60_000), survivor.output()).toBe(0);
    expect(survivor.output()).toMatch(/trial 0 had no heartbeat/);
    const s = study({ name: 'k', storage: `sqlite:${file}`, ...quiet });
    const trials = await s.refresh();
    expect(trials.map((t) => t.state)).toEqual(['fail', 'complete', 'complete', 'complete', 'complete']);
    expect(trials[0]!.error).toMatch(/no heartbeat for 1500 ms/);
    await s.close();
  });

  it('runs a module objective in worker threads and in child processes', async () => {
    for (const executor of ['thread', 'process'] as const) {
      const file = join(dir, `workers-${executor}.db`);
      const log = join(dir, `workers-${executor}.log`);
      process.env.NN_TUNE_TEST_LOG = log;
      const s = study({ name: 'w', storage: `sqlite:${file}`, sampler: 'tpe', seed: 3, ...quiet });
      await s.optimize({ module: OBJECTIVE }, { trials: 16, parallel: 2, executor });
      expect(s.trials).toHaveLength(16);
      expect(s.trials.every((t) => t.state === 'complete')).toBe(true);
      const entries = readLog(log);
      expect(entries.map(([n]) => n).sort((a, b) => a - b)).toEqual(Array.from({ length: 16 }, (_, i) => i));
      expect(new Set(entries.map(([, w]) => w)).size).toBe(2);
      await s.close();
    }
    delete process.env.NN_TUNE_TEST_LOG;
  });

  it('needs a shared storage for a module objective', async () => {
    await expect(study(quiet).optimize({ module: OBJECTIVE }, { trials: 2, parallel: 2 })).rejects.toThrow(/a shared storage/);
  });
});

describe('opening a file another process is switching to WAL (SQLITE_BUSY at once)', () => {
  const busy = () => Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });

  it('opens again after a short pause until it succeeds', () => {
    let calls = 0;
    const pauses: number[] = [];
    const v = openRetrying(() => {
      if (++calls < 4) throw busy();
      return 'db';
    }, 10_000, (ms) => pauses.push(ms));
    expect(v).toBe('db');
    expect(calls).toBe(4);
    expect(pauses).toHaveLength(3);
    expect(pauses.every((ms) => ms > 0 && ms <= 150)).toBe(true);
  });

  it('gives up with the last error once the busy timeout has passed, and throws other errors at once', () => {
    let calls = 0;
    expect(() => openRetrying(() => {
      calls++;
      throw busy();
    }, 0, () => {})).toThrow(/database is locked/);
    expect(calls).toBe(1);
    calls = 0;
    expect(() => openRetrying(() => {
      calls++;
      throw Object.assign(new Error('file is not a database'), { code: 'SQLITE_NOTADB' });
    }, 10_000, () => {})).toThrow(/not a database/);
    expect(calls).toBe(1);
  });

  it('five processes opening one new file at about the same moment all open it', async () => {
    const file = join(dir, 'race.db');
    const ps = Array.from({ length: 5 }, () => startWorker([`sqlite:${file}`, 'race', '1', join(dir, 'race.log'), 'normal']));
    const codes = await Promise.all(ps.map((p) => exited(p, 60_000)));
    expect(codes, ps.map((p) => p.output()).join('\n')).toEqual([0, 0, 0, 0, 0]);
  });
});
