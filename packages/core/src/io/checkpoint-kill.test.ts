import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCheckpoint, nn, optim, saveCheckpoint } from '../index';

// kill -9 at random moments while another process saves checkpoints in a loop: after every kill the
// checkpoint folder must load, whole and self-consistent, and leftovers must stay bounded.
const here = dirname(fileURLToPath(import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'nn-ckpt-kill-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// 50 kills (the count): each needs a fresh `node --import tsx` process (~1–2 s), ~60–100 s in all.
const KILLS = 50;
const build = () => {
  const model = new nn.Sequential(new nn.Linear(64, 512), new nn.ReLU(), new nn.Linear(512, 64));
  return { model, opt: new optim.Adam(model.parameters(), { lr: 0.01 }) };
};

/** Start the writer, wait until it reports `minSaves` saves, then SIGKILL it after `delayMs`. Returns the last save it reported. */
function runAndKill(dir: string, delayMs: number, minSaves = 1): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'fixtures', 'checkpoint-writer.ts'), dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let last = 0, armed = false, err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      for (const m of d.toString().matchAll(/saved (\d+)/g)) last = Number(m[1]);
      if (!armed && last >= minSaves) {
        armed = true;
        setTimeout(() => child.kill('SIGKILL'), delayMs);
      }
    });
    child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve(last) : reject(new Error(`writer exited with ${code ?? signal}: ${err}`))));
  });
}

describe('saveCheckpoint survives kill -9 at any moment', () => {
  it(`${KILLS} random kills: the folder always loads, pointer and files agree, leftovers stay bounded`, async () => {
    const dir = join(root, 'ckpt');
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const epochs: number[] = [];
    for (let i = 0; i < KILLS; i++) {
      // One save takes tens of ms here: 0–120 ms lands before, inside and between saves.
      const reported = await runAndKill(dir, Math.floor(rand() * 120));
      const { model, opt } = build();
      const meta = await loadCheckpoint(dir, { model, optimizer: opt });
      // The published checkpoint is at least the last one the writer reported as saved …
      expect(meta.epoch).toBeGreaterThanOrEqual(reported);
      expect(meta.epoch).toBeLessThanOrEqual(reported + 1);
      // … and its weights are the ones saved with that epoch (every parameter was filled with it).
      for (const p of model.parameters()) expect(new Set(p.dataSync())).toEqual(new Set([meta.epoch]));
      epochs.push(meta.epoch);
      // Leftovers: the published version, at most one interrupted save and one not yet cleaned.
      const names = readdirSync(dir);
      expect(names.filter((n) => !/^v-\d{15}-[0-9a-f]{8}$|^checkpoint\.json$|^\.checkpoint\.json\.[0-9a-f]+\.tmp$/.test(n))).toEqual([]);
      expect(names.filter((n) => n.startsWith('v-')).length).toBeLessThanOrEqual(3);
      expect(readdirSync(root)).toEqual(['ckpt']); // nothing beside the folder (the old save left dir.tmp-*/dir.old-*)
    }
    expect(epochs.length).toBe(KILLS);
    // The next save cleans everything else up.
    const { model, opt } = build();
    await loadCheckpoint(dir, { model, optimizer: opt });
    await saveCheckpoint(dir, { model, optimizer: opt, epoch: 99 });
    const names = readdirSync(dir).sort();
    expect(names.length).toBe(2);
    expect(names[0]).toBe('checkpoint.json');
    expect((await loadCheckpoint(dir, { model: build().model })).epoch).toBe(99);
  }, 300_000);
});
