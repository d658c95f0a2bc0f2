import { describe, expect, it } from 'vitest';
import { layers, losses, manualSeed, Module, nn, optim, randint, randn, regularizers, scope, Sequential, type Optimizer, type Tensor } from '@nn/core';
import { compileTrainStep, type LossArg } from './compile';
import { autoChunks, rowBytes } from './chunks';
import { TrainStepInputError } from './errors';

// Row chunks (./chunks.ts): which models 'auto' chunks, and that a chunked step trains as eager.

const ce = (y: Tensor, p: Tensor) => nn.functional.crossEntropy(p, y);

/** Compile for one batch size and return its chunk count. */
async function chunksOf(model: Module, input: number[], batch: number, opts: { batchChunks?: 'auto' | number; loss?: LossArg; optimizer?: Optimizer } = {}): Promise<number> {
  model.train();
  const e = await compileTrainStep(model as never, {
    optimizer: opts.optimizer ?? new optim.SGD(model.parameters(), { lr: 0.01 }), loss: opts.loss ?? ce, inputShape: input, batchSize: batch, device: 'cpu',
    ...(opts.batchChunks !== undefined ? { batchChunks: opts.batchChunks } : {}), onFallback: (r) => { throw new Error(`fell back to eager: ${r}`); },
  });
  // The first step runs eagerly (it makes the optimizer's state); the second compiles the graph.
  const rows = input.reduce((p, d) => p * d, 1);
  for (let i = 0; i < 2; i++) await e.step(new Float32Array(batch * rows), new Int32Array(batch));
  const info = Object.values(e.graphInfo);
  await e.dispose();
  expect(info).toHaveLength(1);
  return info[0]!.chunks;
}

/** Eager training losses (train mode, Adam lr 1e-2, as the compiled steps below use). */
function eagerLosses(m: Module, data: { x: Tensor; y: Tensor }[]): number[] {
  m.train();
  const o = new optim.Adam(m.parameters(), { lr: 1e-2 });
  return data.map(({ x, y }) => scope(() => {
    const l = ce(y, m(x) as Tensor);
    o.zeroGrad();
    l.backward();
    o.step();
    return l.item();
  }));
}

/** Softmax across the batch through two transposes: of a [B, 7] input, every shape keeps a 7 first at the probe's batch of 7. */
class SoftmaxAcrossRows extends Module {
  override forward(x: Tensor): Tensor {
    return x.transpose([1, 0]).softmax(-1).transpose([1, 0]);
  }
}

/** Subtracts the batch's mean: rows are not independent. */
class CenterBatch extends Module {
  override forward(x: Tensor): Tensor {
    return x.sub(x.mean(0, true));
  }
}

// 16 channels of 26×26 after the first conv: 43 KB per row, so a 64-row batch is 2.8 MB.
const conv = () => [new nn.Conv2d(1, 16, 3), new nn.ReLU()] as Module[];
const head = () => [new nn.Flatten(), new nn.Linear(16 * 26 * 26, 10)] as Module[];

describe("batchChunks: 'auto' chunks a step only when its rows are independent and large", () => {
  it('a conv net: chunks of at most ~1.5 MB of activations and at least 16 rows', async () => {
    manualSeed(1);
    expect(await chunksOf(new nn.Sequential(...conv(), ...head()), [1, 28, 28], 64)).toBe(2);
    expect(await chunksOf(new nn.Sequential(...conv(), ...head()), [1, 28, 28], 256)).toBe(8);
    // Too small to split (32 rows would make chunks under 16), and a batch 2 rows short of a divisor.
    expect(await chunksOf(new nn.Sequential(...conv(), ...head()), [1, 28, 28], 24)).toBe(1);
    expect(await chunksOf(new nn.Sequential(...conv(), ...head()), [1, 28, 28], 62)).toBe(2);
  });

  it('no chunks: small rows (an MLP), BatchNorm, dropout, an op along the batch axis, activity regularizers', async () => {
    manualSeed(1);
    expect(await chunksOf(new nn.Sequential(new nn.Linear(784, 256), new nn.ReLU(), new nn.Linear(256, 10)), [784], 256)).toBe(1);
    expect(await chunksOf(new nn.Sequential(new nn.Conv2d(1, 16, 3), new nn.BatchNorm2d(16), new nn.ReLU(), ...head()), [1, 28, 28], 64)).toBe(1);
    expect(await chunksOf(new nn.Sequential(...conv(), new nn.Dropout(0.2), ...head()), [1, 28, 28], 64)).toBe(1);
    expect(await chunksOf(new nn.Sequential(...conv(), new CenterBatch(), ...head()), [1, 28, 28], 64)).toBe(1);
    const k = new Sequential([layers.Conv2D(16, 3, { activation: 'relu', activityRegularizer: regularizers.L2({ l2: 1e-4 }) }), layers.Flatten(), layers.Dense(10)]);
    k.build([64, 28, 28, 1]);
    expect(await chunksOf(k, [28, 28, 1], 64, { loss: losses.SparseCategoricalCrossentropy({ fromLogits: true }) })).toBe(1);
    // The same Keras net without the regularizer does chunk (the rule is not simply "never for Keras").
    const k2 = new Sequential([layers.Conv2D(16, 3, { activation: 'relu' }), layers.Flatten(), layers.Dense(10)]);
    k2.build([64, 28, 28, 1]);
    expect(await chunksOf(k2, [28, 28, 1], 64, { loss: losses.SparseCategoricalCrossentropy({ fromLogits: true }) })).toBe(2);
  });

  it('no chunks for a model with more than 1.5 MB of weights (each chunk would add a pass over every weight gradient)', () => {
    manualSeed(1);
    const ctxOf = (m: Module) => ({ model: m as never, optimizer: new optim.SGD(m.parameters(), { lr: 0.1 }), loss: ce, named: [...m.namedParameters()] });
    // 2048-wide activations (8 KB per row) would make 2 chunks at batch 256 by their size alone …
    const wide = new nn.Sequential(new nn.Linear(64, 2048), new nn.ReLU(), new nn.Linear(2048, 10));
    expect(rowBytes(ctxOf(wide), { shape: [256, 64], dtype: 'float32' }, true)).toBe(8192);
    expect(autoChunks(ctxOf(wide), { shape: [256, 64], dtype: 'float32' }, true)).toBe(2);
    // … but with 2048 × 256 more weights (2 MB more) the model is past 1.5 MB of parameters: whole.
    const heavy = new nn.Sequential(new nn.Linear(64, 2048), new nn.ReLU(), new nn.Linear(2048, 256), new nn.ReLU(), new nn.Linear(256, 10));
    expect(rowBytes(ctxOf(heavy), { shape: [256, 64], dtype: 'float32' }, true)).toBe(8192);
    expect(autoChunks(ctxOf(heavy), { shape: [256, 64], dtype: 'float32' }, true)).toBe(1);
    // Frozen weights do not count: with the big layer frozen the heavy model chunks again.
    for (const p of (heavy as unknown as { parameters(): Iterable<Tensor & { requiresGrad: boolean }> }).parameters()) if (p.shape[1] === 2048) p.requiresGrad = false;
    expect(autoChunks(ctxOf(heavy), { shape: [256, 64], dtype: 'float32' }, true)).toBe(2);
  });

  it('the probe sees rows mixed by a transpose of the row axis even when the other axis has the probe batch size', () => {
    // At the probe's 7 rows a [7, 7] transpose keeps 7 first: only its perm says that rows moved.
    const ctxOf = (m: Module) => ({ model: m as never, optimizer: new optim.SGD(m.parameters(), { lr: 0.1 }), loss: ce, named: [...m.namedParameters()] });
    const mixed = new nn.Sequential(new SoftmaxAcrossRows(), new nn.Linear(7, 3));
    const plain = new nn.Sequential(new nn.Linear(7, 7), new nn.ReLU(), new nn.Linear(7, 3));
    expect(rowBytes(ctxOf(mixed), { shape: [64, 7], dtype: 'float32' }, true)).toBeUndefined();
    // The largest activation per row of the plain net: 7 float32 values.
    expect(rowBytes(ctxOf(plain), { shape: [64, 7], dtype: 'float32' }, true)).toBe(28);
  });

  it('a number: that many chunks when it divides the batch, else 1; nonsense is a TrainStepInputError naming batchChunks', async () => {
    manualSeed(1);
    const mlp = () => new nn.Sequential(new nn.Linear(6, 8), new nn.ReLU(), new nn.Linear(8, 3));
    expect(await chunksOf(mlp(), [6], 64, { batchChunks: 4 })).toBe(4);
    expect(await chunksOf(mlp(), [6], 30, { batchChunks: 4 })).toBe(1);
    expect(await chunksOf(new nn.Sequential(...conv(), ...head()), [1, 28, 28], 64, { batchChunks: 1 })).toBe(1);
    for (const bad of [0, 2.5, -1, 'four']) {
      const m = mlp();
      await expect(compileTrainStep(m, { optimizer: new optim.SGD(m.parameters(), { lr: 0.1 }), loss: ce, inputShape: [6], batchChunks: bad as never })).rejects.toThrow(TrainStepInputError);
      await expect(compileTrainStep(m, { optimizer: new optim.SGD(m.parameters(), { lr: 0.1 }), loss: ce, inputShape: [6], batchChunks: bad as never })).rejects.toThrow(/batchChunks/);
    }
  });
});

describe('a chunked step trains as the whole batch does', () => {
  // Tolerance: as compiles.test.ts (float32 graph vs float64 eager, 20 steps: 1e-5 relative); chunks
  // only change the order float32 adds the chunks' gradient contributions in (≈ 1e-7 relative).
  it('conv + max pool + linear, Adam, 4 chunks of 8 rows: eager losses within 1e-5 over 20 steps, and the unchunked graph’s', async () => {
    const B = 32, STEPS = 20;
    manualSeed(7);
    const data = Array.from({ length: STEPS }, () => ({ x: randn([B, 1, 10, 10]), y: randint(0, 3, [B]) }));
    const model = () => {
      manualSeed(1);
      return new nn.Sequential(new nn.Conv2d(1, 4, 3), new nn.ReLU(), new nn.MaxPool2d(2), new nn.Flatten(), new nn.Linear(64, 3));
    };
    const want = eagerLosses(model(), data);
    const run = async (batchChunks: number) => {
      const m = model();
      m.train();
      const e = await compileTrainStep(m, { optimizer: new optim.Adam(m.parameters(), { lr: 1e-2 }), loss: ce, inputShape: [1, 10, 10], batchChunks, device: 'cpu', onFallback: (r) => { throw new Error(r); } });
      const got: number[] = [];
      for (const { x, y } of data) got.push(await e.step(x, y));
      const chunks = Object.values(e.graphInfo)[0]!.chunks;
      await e.dispose();
      return { got, chunks };
    };
    const chunked = await run(4), whole = await run(1);
    expect(chunked.chunks).toBe(4);
    expect(whole.chunks).toBe(1);
    const rel = (a: number[], b: number[]) => Math.max(...a.map((v, i) => Math.abs(v - b[i]!) / Math.max(1, Math.abs(b[i]!))));
    expect(rel(chunked.got, want)).toBeLessThanOrEqual(1e-5);
    expect(rel(chunked.got, whole.got)).toBeLessThanOrEqual(1e-5);
    expect(want[0]).not.toBe(want[STEPS - 1]);
  });

  it("the probe trace leaves dropout's generator alone: a dropout net at batch 64 (probed, not chunked) gives eager's losses", async () => {
    // A generator advanced by the probe would shift every mask: losses off by ≥ 1e-3, not ≈ 1e-7.
    const B = 64, STEPS = 10;
    manualSeed(5);
    const data = Array.from({ length: STEPS }, () => ({ x: randn([B, 6]), y: randint(0, 3, [B]) }));
    const model = () => {
      manualSeed(2);
      return new nn.Sequential(new nn.Linear(6, 16), new nn.ReLU(), new nn.Dropout(0.3, { seed: 9 }), new nn.Linear(16, 3));
    };
    const want = eagerLosses(model(), data);
    const m = model();
    m.train();
    const e = await compileTrainStep(m, { optimizer: new optim.Adam(m.parameters(), { lr: 1e-2 }), loss: ce, inputShape: [6], device: 'cpu', onFallback: (r) => { throw new Error(r); } });
    const got: number[] = [];
    for (const { x, y } of data) got.push(await e.step(x, y));
    const info = Object.values(e.graphInfo)[0]!;
    await e.dispose();
    expect(info.chunks).toBe(1);
    expect(info.masks).toBe(1);
    expect(Math.max(...got.map((v, i) => Math.abs(v - want[i]!) / Math.max(1, Math.abs(want[i]!))))).toBeLessThanOrEqual(1e-5);
  });
});
