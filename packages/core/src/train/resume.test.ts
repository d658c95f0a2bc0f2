import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'nn-resume-'));
afterAll(() => { if (!process.env.NN_KEEP) rmSync(dir, { recursive: true, force: true }); });

function run(mode: string) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(here, 'fixtures', 'resume-child.ts'), mode, dir], { encoding: 'utf8', timeout: 120_000 });
  return r;
}
const read = (mode: string) => JSON.parse(readFileSync(join(dir, `${mode}.json`), 'utf8')) as { losses: number[]; weights: Record<string, number[]> };

describe('checkpoints and resume', () => {
  it('4 epochs in one process equal 2 epochs, save, and 2 more in a fresh process (losses and weights, exactly)', () => {
    for (const m of ['full', 'first', 'resume']) {
      const r = run(m);
      expect(r.status, r.stderr).toBe(0);
    }
    const full = read('full'), first = read('first'), resume = read('resume');
    // Same backend, same seeds, same data order and dropout masks: the float64 reference backend is
    // deterministic, so equality is exact, not approximate.
    expect([...first.losses, ...resume.losses]).toEqual(full.losses);
    expect(resume.weights).toEqual(full.weights);
  });

  it('SIGINT during fit finishes the step, saves a checkpoint and stops cleanly', () => {
    const r = run('sigint');
    expect(r.status, r.stderr).toBe(130);
    const s = JSON.parse(readFileSync(join(dir, 'sigint.json'), 'utf8'));
    expect(s.interrupted).toBe(true);
    expect(s.epochs).toBe(0); // interrupted inside the first epoch
    expect(existsSync(join(dir, 'ckpt', 'checkpoint.json'))).toBe(true); // the published pointer (files in a version folder)
  });
});
