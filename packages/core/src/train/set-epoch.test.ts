import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Generator } from '../random';
import { Sequential, layers, loadCheckpoint, manualSeed, optimizers, saveCheckpoint, tensor, type Callback, type Tensor } from '../index';
import { setSourceEpoch } from './data';

const dirs: string[] = [];
afterAll(async () => { for (const d of dirs) await rm(d, { recursive: true, force: true }); });

/**
 * A DataLoader-like source: 32 samples in batches of 8, shuffled per epoch by a generator seeded
 * with the epoch; like @nn/data's DataLoader, each pass reads the next epoch unless setEpoch says
 * which (so a fresh loader starts at epoch 0).
 */
class ShuffledSource {
  calls: number[] = [];
  private epoch = 0;
  constructor(private x: Float64Array, private y: Float64Array) {}
  setEpoch(e: number) {
    this.calls.push(e);
    this.epoch = e;
  }
  async *[Symbol.asyncIterator]() {
    const g = new Generator(1000 + this.epoch++);
    const idx = Array.from({ length: 32 }, (_, i) => i);
    for (let i = 31; i > 0; i--) { const j = g.int(i + 1); [idx[i], idx[j]] = [idx[j]!, idx[i]!]; }
    for (let s = 0; s < 32; s += 8) {
      const rows = idx.slice(s, s + 8);
      yield [tensor(rows.flatMap((r) => [this.x[2 * r]!, this.x[2 * r + 1]!]), [8, 2]), tensor(rows.map((r) => [this.y[r]!]), [8, 1])] as const;
    }
  }
}
function data() {
  const g = new Generator(7);
  const x = Float64Array.from({ length: 64 }, () => g.normal());
  const y = Float64Array.from({ length: 32 }, (_, i) => x[2 * i]! - 2 * x[2 * i + 1]! + 0.5);
  return { x, y };
}
const model = () => {
  manualSeed(3);
  const m = new Sequential([layers.Dense(4, { name: 'h', inputShape: [2], activation: 'tanh' }), layers.Dense(1, { name: 'o' })]);
  const opt = optimizers.Adam({ learningRate: 0.05 });
  m.compile({ optimizer: opt, loss: 'mse' });
  return { m, opt };
};
const weights = (m: Sequential) => Object.values(m.stateDict()).map((t: Tensor) => Array.from(t.dataSync()));

describe('fit calls setEpoch on its source every epoch (exact resume from a shuffled loader)', () => {
  it('setSourceEpoch calls setEpoch when there is one and ignores other values', () => {
    const calls: number[] = [];
    setSourceEpoch({ setEpoch: (e: number) => calls.push(e) }, 4, 0);
    setSourceEpoch({ setEpoch: (e: number) => calls.push(e) }, 5, undefined);
    setSourceEpoch({}, 5, 0);
    setSourceEpoch(null, 6, 0);
    setSourceEpoch([1, 2], 7, 0);
    expect(calls).toEqual([4]);
  });

  it('without initialEpoch the source keeps its own count: repeated fit({ epochs: 1 }) calls see new orders', async () => {
    const { x, y } = data();
    const src = new ShuffledSource(x, y);
    const { m } = model();
    await m.fit(src, { epochs: 1, verbose: 0 });
    await m.fit(src, { epochs: 1, verbose: 0 });
    expect(src.calls).toEqual([]);
  });

  it('fit({ initialEpoch: 2, epochs: 4 }) calls setEpoch(2), setEpoch(3)', async () => {
    const { x, y } = data();
    const src = new ShuffledSource(x, y);
    const { m } = model();
    await m.fit(src, { epochs: 4, initialEpoch: 2, verbose: 0 });
    expect(src.calls).toEqual([2, 3]);
  });

  it('2 epochs, checkpoint, then a fresh loader resumed at epoch 2 ends bit-identical to 4 epochs in one run', async () => {
    const { x, y } = data();
    const full = model();
    const lossesFull: number[] = [];
    const rec = (out: number[]): Callback => ({ onEpochEnd: (_e, logs) => void out.push(logs!.loss!) });
    await full.m.fit(new ShuffledSource(x, y), { epochs: 4, verbose: 0, callbacks: [rec(lossesFull)] });

    const dir = join(await mkdtemp(join(tmpdir(), 'nn-setepoch-')), 'ckpt');
    dirs.push(dir);
    const first = model();
    const lossesFirst: number[] = [];
    await first.m.fit(new ShuffledSource(x, y), { epochs: 2, verbose: 0, callbacks: [rec(lossesFirst)] });
    await saveCheckpoint(dir, { model: first.m, optimizer: first.opt, epoch: 2 });

    const resumed = model();
    const meta = await loadCheckpoint(dir, { model: resumed.m, optimizer: resumed.opt });
    const lossesResumed: number[] = [];
    await resumed.m.fit(new ShuffledSource(x, y), { epochs: 4, initialEpoch: meta.epoch, verbose: 0, callbacks: [rec(lossesResumed)] });
    // Float64 reference backend, same data order, same optimizer state: exactly equal, not approximately.
    expect([...lossesFirst, ...lossesResumed]).toEqual(lossesFull);
    expect(weights(resumed.m)).toEqual(weights(full.m));
  });
});
