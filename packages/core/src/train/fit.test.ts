import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CSVLogger, EarlyStopping, Input, Model, ModelCheckpoint, Sequential, TerminateOnNaN, layers, loadCheckpoint, manualSeed, memory,
  getBackend, referenceBackend, useBackend, losses, nn, optim, optimizers, randn, tensor, Tensor, ValueError,
} from '../index';

const dirs: string[] = [];
const tmp = async () => {
  const d = await mkdtemp(join(tmpdir(), 'nn-fit-'));
  dirs.push(d);
  return d;
};
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** Two Gaussian blobs in 4-D, separable: a model that trains must reach high accuracy. */
function blobs(n: number, seed = 3) {
  manualSeed(seed);
  const x = randn([n, 4]).dataSync();
  const xs: number[][] = [], ys: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % 2;
    xs.push(Array.from(x.subarray(i * 4, i * 4 + 4), (v) => v + (c ? 2 : -2)));
    ys.push(c);
  }
  return { x: tensor(xs), y: tensor(ys, undefined, { dtype: 'int32' }) };
}

const mlp = () =>
  new Sequential([layers.Dense(8, { activation: 'relu', inputShape: [4] }), layers.Dropout(0.1, { seed: 1 }), layers.Dense(2)]);

describe('fit (Keras loop)', () => {
  it('trains a small classifier: loss falls, accuracy ≥ 0.95, history and validation logged', async () => {
    const { x, y } = blobs(200);
    const model = mlp();
    model.compile({ optimizer: optimizers.Adam({ learningRate: 0.05 }), loss: losses.SparseCategoricalCrossentropy({ fromLogits: true }), metrics: ["accuracy"] });
    const h = await model.fit(x, y, { epochs: 8, batchSize: 16, validationSplit: 0.2, verbose: 0, bayesError: 0.01 });
    expect(h.epoch).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    // fit's end-of-training report: avoidable bias = train error − Bayes estimate, from the last epoch.
    expect(h.biasVariance!.avoidableBias).toBeCloseTo(1 - h.history.accuracy![7]! - 0.01, 10);
    expect(h.biasVariance!.variance).toBeCloseTo(h.history.accuracy![7]! - h.history.val_accuracy![7]!, 10);
    expect(h.history.loss![7]!).toBeLessThan(h.history.loss![0]!);
    expect(h.history.val_accuracy![7]!).toBeGreaterThanOrEqual(0.95);
    const ev = await model.evaluate(x, y, { batchSize: 50 });
    expect(ev.accuracy).toBeGreaterThanOrEqual(0.95);
    const p = (await model.predict(x, { batchSize: 64 })) as Tensor;
    expect(p.shape).toEqual([200, 2]);
    expect(model.training).toBe(false);
  });

  it('the same model written PyTorch-style trains with fit too, and with a manual loop', async () => {
    const { x, y } = blobs(200);
    class Net extends nn.Module {
      fc1 = new nn.Linear(4, 8);
      fc2 = new nn.Linear(8, 2);
      override forward(t: Tensor) { return this.fc2(this.fc1(t).relu()); }
    }
    const a = new Net();
    a.compile({ optimizer: new optim.SGD(a.parameters(), { lr: 0.1, momentum: 0.9 }), loss: 'crossEntropy', metrics: ['accuracy'] });
    const h = await a.fit(x, y, { epochs: 5, batchSize: 20, verbose: 0 });
    expect(h.history.accuracy![4]!).toBeGreaterThanOrEqual(0.95);

    const b = new Net();
    const opt = new optim.Adam(b.parameters(), { lr: 0.05 });
    const before = memory().numTensors;
    for (let step = 0; step < 60; step++) {
      opt.zeroGrad();
      const loss = nn.functional.crossEntropy(b(x), y);
      loss.backward();
      opt.step();
      loss.dispose();
    }
    const acc = b(x).argmax(-1).eq(y).float().mean().item();
    expect(acc).toBeGreaterThanOrEqual(0.95);
    void before;
  });

  it('compile({ loss: new nn.CrossEntropyLoss() }) trains as the name does: the module is called (input, target)', async () => {
    const { x, y } = blobs(80);
    const run = async (loss: 'crossentropy' | nn.CrossEntropyLoss) => {
      manualSeed(4);
      const m = new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Linear(8, 2));
      m.compile({ optimizer: new optim.SGD(m.parameters(), { lr: 0.1 }), loss: loss as never });
      return (await m.fit(x, y, { epochs: 3, batchSize: 20, verbose: 0, shuffle: false })).history.loss!;
    };
    // Same loss function, same seed, same batches: the same numbers (float64 reference backend).
    const byName = await run('crossentropy'), byModule = await run(new nn.CrossEntropyLoss());
    byModule.forEach((v, i) => expect(v).toBeCloseTo(byName[i]!, 10));
    expect(byName[2]!).toBeLessThan(byName[0]!);
  });

  it('fit leaves the live tensor count flat', async () => {
    // A fresh backend, so that garbage of earlier tests (freed by finalizers at any time) does not count.
    const prev = getBackend();
    await useBackend(referenceBackend());
    const { x, y } = blobs(64);
    const model = mlp();
    model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    await model.fit(x, y, { epochs: 1, batchSize: 16, verbose: 0 });
    const before = memory().numTensors;
    await model.fit(x, y, { epochs: 3, batchSize: 16, verbose: 0 });
    // Finalizers may only lower the count; a leak of even one tensor per step would raise it by 12.
    expect(memory().numTensors).toBeLessThanOrEqual(before);
    await useBackend(prev);
  });

  it('bad input: mismatched lengths, labels out of range, NaN inputs — before training', async () => {
    const model = mlp();
    model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    await expect(model.fit(randn([10, 4]), tensor([0, 1, 0], undefined, { dtype: 'int32' }), { verbose: 0 })).rejects.toThrow(/same number of samples; y\[0\] has 3, x\[0\] has 10/);
    await expect(model.fit(randn([3, 4]), tensor([0, 1, 5], undefined, { dtype: 'int32' }), { verbose: 0 })).rejects.toThrow(/label 5 at sample 2 is out of range for 2 classes/);
    await expect(model.fit(tensor([[1, 2, 3, NaN]]), tensor([0], undefined, { dtype: 'int32' }), { verbose: 0 })).rejects.toThrow(ValueError);
    await expect(new Sequential([layers.Dense(2)]).fit(randn([2, 2]), randn([2, 2]))).rejects.toThrow(/not compiled/);
  });

  it('TerminateOnNaN stops at the step, keeping the last good checkpoint', async () => {
    const { x, y } = blobs(64);
    const model = mlp();
    const dir = join(await tmp(), 'ckpt');
    // A huge learning rate with a loss that explodes: log of a negative number gives NaN eventually.
    model.compile({ optimizer: optimizers.SGD({ learningRate: 1e6 }), loss: (t: Tensor, p: Tensor) => p.sub(t.float().reshape([-1, 1])).pow(4).mean().add(p.abs().max().log().mul(0)), metrics: [] });
    const stop = new TerminateOnNaN();
    const ck = new ModelCheckpoint({ dir });
    const h = await model.fit(x, y, { epochs: 5, batchSize: 16, verbose: 0, callbacks: [stop, ck] });
    expect(stop.triggered).not.toBeNull();
    expect(h.epoch.length).toBeLessThan(5);
    if (ck.saved.length) {
      const fresh = mlp();
      fresh(randn([1, 4]));
      const meta = await loadCheckpoint(dir, { model: fresh });
      for (const t of Object.values(fresh.stateDict())) expect(Array.from(t.dataSync()).every(Number.isFinite)).toBe(true);
      expect(meta.epoch).toBeLessThanOrEqual(h.epoch.length);
    }
  });

  it('EarlyStopping with restoreBestWeights, CSVLogger writes one row per epoch', async () => {
    const { x, y } = blobs(100);
    const model = mlp();
    model.compile({ optimizer: optimizers.Adam({ learningRate: 0.05 }), loss: losses.SparseCategoricalCrossentropy({ fromLogits: true }), metrics: ["accuracy"] });
    const es = new EarlyStopping({ monitor: 'loss', patience: 0, minDelta: 10, restoreBestWeights: true });
    const csv = join(await tmp(), 'log.csv');
    const h = await model.fit(x, y, { epochs: 10, batchSize: 10, verbose: 0, callbacks: [es, new CSVLogger(csv)] });
    expect(h.epoch).toEqual([0, 1]); // minDelta 10 means no epoch ever "improves" after the first
    const rows = (await readFile(csv, 'utf8')).trim().split('\n');
    expect(rows[0]).toBe('epoch,accuracy,loss,lr');
    expect(rows.length).toBe(3);
  });
});

describe('functional model with two inputs and two outputs trains', () => {
  it('fits [x1, x2] -> [y1, y2] with a loss per output', async () => {
    manualSeed(5);
    const a = Input({ shape: [3] }), b = Input({ shape: [2] });
    const h = layers.Concatenate()([layers.Dense(4, { activation: 'tanh' })(a), b]);
    const m = Model({ inputs: [a, b], outputs: [layers.Dense(1)(h), layers.Dense(1)(h)] });
    m.compile({ optimizer: optimizers.Adam({ learningRate: 0.05 }), loss: ['mse', 'mae'], lossWeights: [1, 0.5] });
    const x1 = randn([64, 3]), x2 = randn([64, 2]);
    const y1 = x1.sum(1, true), y2 = x2.sum(1, true).mul(-1);
    const hist = await m.fit([x1, x2], [y1, y2], { epochs: 30, batchSize: 16, verbose: 0 });
    expect(hist.history.loss![29]!).toBeLessThan(hist.history.loss![0]! * 0.5);
  });

  it("logs each output's own loss as <layer>_loss (unweighted) and each metric as <layer>_<metric>, as Keras does; evaluate and validation too", async () => {
    manualSeed(6);
    const a = Input({ shape: [3] });
    const h = layers.Dense(4, { activation: 'tanh' })(a);
    const m = Model({ inputs: a, outputs: [layers.Dense(1, { name: 'price' })(h), layers.Dense(1, { name: 'score' })(h)] });
    m.compile({ optimizer: optimizers.SGD({ learningRate: 0 }), loss: ['mse', 'mae'], lossWeights: [1, 0.5], metrics: ['mae'] });
    const x = randn([8, 3]), y1 = randn([8, 1]), y2 = randn([8, 1]);
    // lr 0: the weights never move, so every logged value is the loss of the same model, computed by hand here.
    const [p1, p2] = (await m.predict(x)) as Tensor[];
    const mse = p1!.sub(y1).square().mean().item(), mae = p2!.sub(y2).abs().mean().item();
    const hist = await m.fit(x, [y1, y2], { epochs: 1, batchSize: 8, verbose: 0, validationData: [x, [y1, y2]] });
    // Tolerance 1e-6: float32 means of 8 values computed in two orders.
    expect(hist.history.price_loss![0]!).toBeCloseTo(mse, 6);
    expect(hist.history.score_loss![0]!).toBeCloseTo(mae, 6);
    expect(hist.history.loss![0]!).toBeCloseTo(mse + 0.5 * mae, 6);
    expect(hist.history.val_price_loss![0]!).toBeCloseTo(mse, 6);
    expect(hist.history.val_score_loss![0]!).toBeCloseTo(mae, 6);
    // A metric named by a string is computed for every output (Keras 2's flat-list rule).
    const mae1 = p1!.sub(y1).abs().mean().item();
    expect(hist.history.price_mae![0]!).toBeCloseTo(mae1, 6);
    expect(hist.history.score_mae![0]!).toBeCloseTo(mae, 6);
    expect(hist.history.val_price_mae![0]!).toBeCloseTo(mae1, 6);
    const ev = await m.evaluate(x, [y1, y2]);
    expect(Object.keys(ev).sort()).toEqual(['loss', 'price_loss', 'price_mae', 'score_loss', 'score_mae']);
    expect(ev.score_loss!).toBeCloseTo(mae, 6);
  });
});

describe('fit with a batched source, unbuilt models, and the logits warning', () => {
  it('fit(source, { epochs }) takes the options as the second argument (Keras fit(dataset, …))', async () => {
    const { x, y } = blobs(64);
    const source = {
      async *[Symbol.asyncIterator]() {
        for (let s = 0; s < 64; s += 16) yield [x.slice([s, 0], [16, 4]), y.slice([s], [16])] as const;
      },
    };
    // Unbuilt: no inputShape, so the Keras optimizer binds after the first forward pass.
    const model = new Sequential([layers.Dense(8, { activation: 'relu' }), layers.Dense(2)]);
    model.compile({ optimizer: optimizers.Adam({ learningRate: 0.05 }), loss: 'crossEntropy', metrics: ['accuracy'] });
    const h = await model.fit(source, { epochs: 3, verbose: 0 });
    expect(h.epoch).toEqual([0, 1, 2]);
    expect(h.history.accuracy![2]!).toBeGreaterThan(0.9);
  });
  it('warns once when a probability loss gets logits', async () => {
    const { x, y } = blobs(32);
    const model = mlp();
    model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    const warnings: string[] = [];
    const orig = console.warn;
    console.warn = (m: string) => warnings.push(m);
    try {
      await model.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0 });
    } finally {
      console.warn = orig;
    }
    expect(warnings.filter((w) => w.includes('fromLogits: true')).length).toBe(1);
  });
});
