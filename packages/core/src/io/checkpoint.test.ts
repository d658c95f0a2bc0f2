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

describe('seeded layers resume where they stopped', () => {
  it("a Dropout given a seed: its own generator's state is in the checkpoint, so 2 epochs + resume in a fresh copy = 4 epochs straight (exact)", async () => {
    const x = randn([24, 3]), y = randn([24, 2]);
    const make = () => {
      manualSeed(4);
      const m = new Sequential([layers.Dense(6, { inputShape: [3], activation: 'relu' }), layers.Dropout(0.5, { seed: 9 }), layers.Dense(2)]);
      const opt = optimizers.Adam({ learningRate: 0.01 });
      m.compile({ optimizer: opt, loss: 'mse' });
      return { m, opt };
    };
    const full = make();
    const h = await full.m.fit(x, y, { epochs: 4, batchSize: 8, seed: 3, verbose: 0 });
    const first = make();
    const h1 = await first.m.fit(x, y, { epochs: 2, batchSize: 8, seed: 3, verbose: 0 });
    const dir = join(await tmp(), 'ckpt');
    await saveCheckpoint(dir, { model: first.m, optimizer: first.opt, epoch: 2 });
    const again = make(); // other auto-generated layer names: matched by structure
    const meta = await loadCheckpoint(dir, { model: again.m, optimizer: again.opt });
    expect(meta.moduleRngStates).toHaveLength(1);
    const h2 = await again.m.fit(x, y, { epochs: 4, initialEpoch: 2, batchSize: 8, seed: 3, verbose: 0 });
    // Before, the fresh Dropout started again from seed 9: other masks in epochs 3 and 4.
    expect([...h1.history.loss!, ...h2.history.loss!]).toEqual(h.history.loss);
  });
});
