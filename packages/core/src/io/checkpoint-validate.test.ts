import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CheckpointError, hasCheckpoint, loadCheckpoint, nn, optim, saveCheckpoint, zeros, type Tensor } from '../index';
import { encodeSafetensors } from './safetensors';

// loadCheckpoint checks everything before it changes anything; old-layout checkpoints still load.
const dirs: string[] = [];
afterAll(async () => { for (const d of dirs) await rm(d, { recursive: true, force: true }); });
const tmp = async () => { const d = await mkdtemp(join(tmpdir(), 'nn-ckpt-v-')); dirs.push(d); return d; };

const build = () => {
  const model = new nn.Sequential(new nn.Linear(3, 4), new nn.Linear(4, 2));
  return { model, adam: new optim.Adam(model.parameters(), { lr: 0.1 }), sgd: new optim.SGD(model.parameters(), { lr: 0.1 }) };
};
const weights = (m: nn.Module) => Object.values(m.stateDict()).map((t) => Array.from(t.dataSync()));
/** A checkpoint of a model whose weights differ from a fresh one's, with a stepped Adam. */
async function saved() {
  const dir = join(await tmp(), 'ckpt');
  const a = build();
  (a.model.forward(zeros([1, 3]).add(1)) as Tensor).sum().backward();
  a.adam.step();
  await saveCheckpoint(dir, { model: a.model, optimizer: a.adam, epoch: 3 });
  const files = join(dir, JSON.parse(await readFile(join(dir, 'checkpoint.json'), 'utf8')).files as string);
  return { dir, files, a };
}
/** Expect loading to fail with `re`, leaving the model's weights and the optimizer untouched. */
async function rejectsUntouched(dir: string, re: RegExp, withOptimizer: 'adam' | 'sgd' = 'adam') {
  const b = build();
  const before = weights(b.model);
  const err = await loadCheckpoint(dir, { model: b.model, optimizer: b[withOptimizer] }).then(() => null, (e: unknown) => e as Error);
  expect(err, 'loadCheckpoint should have failed').not.toBeNull();
  expect(err!.message).toMatch(re);
  expect(weights(b.model)).toEqual(before);
  expect(b[withOptimizer].stateDict().state).toEqual({});
  return err!;
}

describe('loadCheckpoint validates everything before changing the model', () => {
  it('loads a whole checkpoint: weights, optimizer state and epoch', async () => {
    const { dir, a } = await saved();
    const b = build();
    expect(await hasCheckpoint(dir)).toBe(true);
    expect((await loadCheckpoint(dir, { model: b.model, optimizer: b.adam })).epoch).toBe(3);
    expect(weights(b.model)).toEqual(weights(a.model));
    expect(Object.keys(b.adam.stateDict().state).length).toBe(4);
  });

  it('a truncated optimizer.json: CheckpointError naming the file, model untouched', async () => {
    const { dir, files } = await saved();
    const f = join(files, 'optimizer.json');
    await writeFile(f, (await readFile(f)).subarray(0, 20));
    const e = await rejectsUntouched(dir, /optimizer\.json is not valid JSON/);
    expect(e).toBeInstanceOf(CheckpointError);
  });

  it('a truncated optimizer.safetensors: SafetensorsError naming the file, model untouched', async () => {
    const { dir, files } = await saved();
    const f = join(files, 'optimizer.safetensors');
    const bytes = await readFile(f);
    await writeFile(f, bytes.subarray(0, bytes.length - 5));
    await rejectsUntouched(dir, /optimizer\.safetensors.*(truncated|data section)/);
  });

  it('Adam state into SGD: CheckpointError, model untouched', async () => {
    const { dir } = await saved();
    await rejectsUntouched(dir, /holds the state of pytorch Adam, cannot load it into pytorch SGD/, 'sgd');
  });

  it('a truncated checkpoint.json names the file (not a bare SyntaxError)', async () => {
    const { dir } = await saved();
    const f = join(dir, 'checkpoint.json');
    await writeFile(f, (await readFile(f)).subarray(0, 30));
    const e = await rejectsUntouched(dir, /checkpoint\.json is not valid JSON/);
    expect(e).toBeInstanceOf(CheckpointError);
  });

  it('weights of another architecture: CheckpointError listing keys, optimizer untouched', async () => {
    const { dir } = await saved();
    const model = new nn.Sequential(new nn.Linear(3, 5), new nn.Linear(5, 2));
    const opt = new optim.Adam(model.parameters());
    const before = weights(model);
    await expect(loadCheckpoint(dir, { model, optimizer: opt })).rejects.toThrow(/shape mismatches: 0\.weight: model \[5, 3\], file \[4, 3\]/);
    expect(weights(model)).toEqual(before);
    expect(opt.stateDict().state).toEqual({});
  });
});

describe('old-layout checkpoints and leftovers', () => {
  /** The pre-versioning layout: files directly in the folder, format nn-checkpoint/1. */
  async function legacy(dir: string, model: nn.Module, epoch: number) {
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'model.safetensors'), encodeSafetensors(model.stateDict()));
    await writeFile(join(dir, 'checkpoint.json'), JSON.stringify({ epoch, rngState: [1, 2, 3, 4], weightKeys: Object.keys(model.stateDict()), savedAt: '2026-01-01T00:00:00.000Z', format: 'nn-checkpoint/1' }));
  }

  it('an old-layout checkpoint loads; the next save moves to versions and removes the old files and dir.tmp-*/dir.old-* leftovers', async () => {
    const root = await tmp();
    const dir = join(root, 'ckpt');
    const a = build();
    await legacy(dir, a.model, 5);
    await legacy(join(root, 'ckpt.tmp-0badc0de'), a.model, 4); // leftovers of killed old-style saves
    await mkdir(join(root, 'ckpt.old-12345678'));
    await mkdir(join(root, 'ckpt-other')); // not ours: kept
    const b = build();
    expect((await loadCheckpoint(dir, { model: b.model })).epoch).toBe(5);
    expect(weights(b.model)).toEqual(weights(a.model));
    await saveCheckpoint(dir, { model: b.model, epoch: 6 });
    const names = (await readdir(dir)).sort();
    expect(names.length).toBe(2);
    expect(names[0]).toBe('checkpoint.json');
    expect(names[1]).toMatch(/^v-\d{15}-[0-9a-f]{8}$/);
    expect((await readdir(root)).sort()).toEqual(['ckpt', 'ckpt-other']);
    expect((await loadCheckpoint(dir, { model: build().model })).epoch).toBe(6);
  });

  it('recovers from the old save\'s window (dir renamed to dir.old-*, dir.tmp-* not yet renamed): the newest whole leftover loads', async () => {
    const root = await tmp();
    const a = build();
    await legacy(join(root, 'ckpt.old-aaaaaaaa'), a.model, 7);
    const newer = build();
    await legacy(join(root, 'ckpt.tmp-bbbbbbbb'), newer.model, 8);
    await writeFile(join(root, 'ckpt.tmp-bbbbbbbb', 'checkpoint.json'), JSON.stringify({ epoch: 8, rngState: [1, 2, 3, 4], savedAt: '2026-01-02T00:00:00.000Z', format: 'nn-checkpoint/1' }));
    await mkdir(join(root, 'ckpt.tmp-cccccccc')); // a partial one (no checkpoint.json): skipped
    const b = build();
    expect(await hasCheckpoint(join(root, 'ckpt'))).toBe(false);
    expect((await loadCheckpoint(join(root, 'ckpt'), { model: b.model })).epoch).toBe(8);
    expect(weights(b.model)).toEqual(weights(newer.model));
  });

  it('a folder without a published checkpoint: hasCheckpoint false, loadCheckpoint a CheckpointError naming checkpoint.json', async () => {
    const dir = join(await tmp(), 'ckpt');
    await mkdir(join(dir, 'v-000000000000001-0000abcd'), { recursive: true }); // an interrupted first save
    expect(await hasCheckpoint(dir)).toBe(false);
    await expect(loadCheckpoint(dir, { model: build().model })).rejects.toThrow(/cannot read .*checkpoint\.json \(ENOENT\)/);
  });
});
