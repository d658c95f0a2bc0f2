import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Sequential, layers, loadCheckpoint, manualSeed, optimizers, randn, saveCheckpoint, type Tensor } from '../index';

const dirs: string[] = [];
afterAll(async () => { for (const d of dirs) await rm(d, { recursive: true, force: true }); });
const tmp = async () => { const d = await mkdtemp(join(tmpdir(), 'nn-ckpt-')); dirs.push(d); return d; };

// Keras layers take auto names from a per-process counter, so a second copy of one architecture
// built in the same process has other names (dense_3 for dense) — its state-dict keys differ.
const build = (units = 4) =>
  new Sequential([layers.Dense(units, { inputShape: [3], activation: 'relu' }), layers.BatchNormalization(), layers.Dense(2)]);

describe('loadCheckpoint into a fresh copy of the same Keras architecture', () => {
  it('matches by structure when the auto-generated layer names differ, as Keras load_weights does', async () => {
    manualSeed(1);
    const a = build();
    a.compile({ optimizer: optimizers.Adam(), loss: 'mse' });
    const x = randn([16, 3]), y = randn([16, 2]);
    await a.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0 }); // moves weights and BN running statistics
    const dir = join(await tmp(), 'ckpt');
    await saveCheckpoint(dir, { model: a, epoch: 2 });

    const b = build();
    b.compile({ optimizer: optimizers.Adam(), loss: 'mse' });
    await b.predict(x); // builds b's weights
    expect(Object.keys(b.stateDict())).not.toEqual(Object.keys(a.stateDict())); // the names really differ
    await loadCheckpoint(dir, { model: b });
    const sa = Object.values(a.stateDict()), sb = Object.values(b.stateDict());
    expect(sb.length).toBe(sa.length);
    sa.forEach((t, i) => expect(Array.from(sb[i]!.dataSync())).toEqual(Array.from(t.dataSync()))); // exact copies
    expect(Array.from(((await b.predict(x)) as Tensor).dataSync())).toEqual(Array.from(((await a.predict(x)) as Tensor).dataSync()));
  });

  it('a different architecture is still an error that lists the keys', async () => {
    manualSeed(2);
    const a = build(4);
    await a.predict(randn([2, 3]));
    const dir = join(await tmp(), 'ckpt');
    await saveCheckpoint(dir, { model: a });
    const b = build(5);
    await b.predict(randn([2, 3]));
    await expect(loadCheckpoint(dir, { model: b })).rejects.toThrow(/missing|unexpected/);
  });
});
