import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

// Training with ModelCheckpoint, killed with SIGKILL at random moments and restarted each time
// (hasCheckpoint → loadCheckpoint → fit({ initialEpoch })): the run must finish with exactly the
// weights of an uninterrupted run (float64 reference backend, shuffled loader, dropout).
const here = dirname(fileURLToPath(import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'nn-train-kill-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/**
 * Run the child in `dir`; once it has saved `kill.afterSaves` more checkpoints in this run, SIGKILL it
 * `kill.delayMs` later (inside the next epoch or the next save). Without `kill` it runs to the end.
 */
function run(dir: string, kill?: { afterSaves: number; delayMs: number }): Promise<{ killed: boolean; saved: number; start: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'fixtures', 'train-kill-child.ts'), dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let saved = 0, start = -1, armed = false, err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      const s = d.toString();
      const st = /start (\d+)/.exec(s);
      if (st && start < 0) start = Number(st[1]);
      for (const m of s.matchAll(/saved (\d+)/g)) saved = Number(m[1]);
      if (kill && !armed && start >= 0 && saved >= start + kill.afterSaves) {
        armed = true;
        setTimeout(() => child.kill('SIGKILL'), kill.delayMs);
      }
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve({ killed: true, saved, start });
      else if (code === 0) resolve({ killed: false, saved, start });
      else reject(new Error(`child exited with ${code ?? signal}: ${err}`));
    });
  });
}

describe('training killed with kill -9 and resumed from ModelCheckpoint', () => {
  it('random kills during training and saves; every restart resumes from the last checkpoint; the final weights equal an uninterrupted run', async () => {
    const ref = join(root, 'ref');
    mkdirSync(ref);
    await run(ref);
    const want = readFileSync(join(ref, 'final.json'), 'utf8');

    const dir = join(root, 'killed');
    mkdirSync(dir);
    let seed = 777, kills = 0, lastSaved = 0;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 30 && !existsSync(join(dir, 'final.json')); i++) {
      // 1–3 more epochs per run, then a kill 0–100 ms later: an epoch (and its save) takes ~50–100 ms
      // here, so kills land inside training steps and inside saves.
      const r = await run(dir, { afterSaves: 1 + Math.floor(rand() * 3), delayMs: Math.floor(rand() * 100) });
      // The restart resumed from the newest checkpoint the previous process reported as saved (or one
      // more: a kill right after the save, before the report).
      if (i > 0) expect(r.start === lastSaved || r.start === lastSaved + 1, `start ${r.start}, last reported save ${lastSaved}`).toBe(true);
      lastSaved = Math.max(r.saved, r.start);
      if (r.killed) kills++;
    }
    console.log(`train-kill: ${kills} kills before the run finished`);
    expect(kills).toBeGreaterThanOrEqual(4);
    expect(existsSync(join(dir, 'final.json'))).toBe(true);
    expect(readFileSync(join(dir, 'final.json'), 'utf8')).toBe(want); // bit-identical
  }, 180_000);
});
