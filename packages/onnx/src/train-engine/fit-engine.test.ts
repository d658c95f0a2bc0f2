import { afterEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fit, layers, loadCheckpoint, manualSeed, ModelCheckpoint, nn, noGrad, optim, optimizers, randint, randn, Sequential, type Callback, type Module, type Tensor } from '@nn/core';
import { CompiledTrainStep } from './compile';
import { autoStepsPerCall, ortEngine } from './engine';
import { fitOrt } from './fit-ort';

// core `fit(x, y, { engine: ortEngine() })` against eager `fit` (reference backend, float64) and
// against `fitOrt`. Tolerance as in parity.test.ts: float32 graph vs float64 eager, 1e-5 relative on
// the loss (measured ~1e-7), weights 1e-5 absolute after a few dozen steps.
const LOSS_TOL = 1e-5;
const WEIGHT_TOL = 1e-5;

manualSeed(30);
const X = randn([100, 12]), Y = randint(0, 4, [100]);

// No bias before batch norm: its gradient is exactly zero, so it only holds rounding noise (float32
// there, float64 here) that Adam normalises into lr-sized steps; the training loss does not see it,
// but the running mean does, and so would the validation loss (see parity.test.ts).
const torchModel = () => {
  manualSeed(31);
  const m = new nn.Sequential(new nn.Linear(12, 16, { bias: false }), new nn.BatchNorm1d(16), new nn.ReLU(), new nn.Dropout(0.1, { seed: 5 }), new nn.Linear(16, 4));
  m.compile({ optimizer: new optim.Adam(m.parameters(), { lr: 0.01 }), loss: 'crossentropy', metrics: ['accuracy'] });
  return m;
};
// No inputShape: the Keras model builds on its first call, so fit binds the optimizer first.
const kerasModel = () => {
  manualSeed(31);
  const m = new Sequential([layers.Dense(16, { activation: 'relu' }), layers.Dropout(0.1, { seed: 5 }), layers.Dense(4)]);
  m.compile({ optimizer: optimizers.Adam({ learningRate: 0.01 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return m;
};

const state = (m: Module) => [...m.namedParameters(), ...m.namedBuffers()].map(([n, t]) => [n, Float64Array.from(t.dataSync() as ArrayLike<number>)] as const);
const maxDiff = (a: ReturnType<typeof state>, b: ReturnType<typeof state>) =>
  Math.max(...a.map(([, v], k) => Math.max(...Array.from(v, (x, i) => Math.abs(x - b[k]![1][i]!)))));
const closeLosses = (got: number[], want: number[]) => {
  expect(got).toHaveLength(want.length);
  got.forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThanOrEqual(LOSS_TOL * Math.max(1, Math.abs(want[i]!))));
};

afterEach(() => vi.restoreAllMocks());

describe('fit(x, y, { engine: ortEngine() })', () => {
  it("a checkpoint saved by ModelCheckpoint during fit on the engine resumes in a fresh model and optimizer to the same run (Adam moments, step count and the seeded Dropout's generator included)", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nn-ort-resume-'));
    try {
      const opts = { batchSize: 16, verbose: 0 as const, seed: 7, engine: ortEngine() };
      const full = kerasModel();
      const h = await fit(full, X, Y, { ...opts, epochs: 4 });
      const first = kerasModel();
      const h1 = await fit(first, X, Y, { ...opts, epochs: 2, callbacks: [new ModelCheckpoint({ dir })] });
      // Built before compile (as Keras needs to load weights into a Sequential), so compile binds the optimizer.
      manualSeed(31);
      const resumed = new Sequential([layers.Dense(16, { activation: 'relu' }), layers.Dropout(0.1, { seed: 5 }), layers.Dense(4)]);
      resumed.build([16, 12]);
      const opt = optimizers.Adam({ learningRate: 0.01 });
      resumed.compile({ optimizer: opt, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
      const meta = await loadCheckpoint(dir, { model: resumed, optimizer: opt });
      expect(meta.epoch).toBe(2);
      const h2 = await fit(resumed, X, Y, { ...opts, epochs: 4, initialEpoch: meta.epoch });
      // The same float32 engine steps either way (the checkpoint holds the true Adam moments, restated
      // from the engine's scaled ones): losses within the engine tolerance, weights too.
      closeLosses([...h1.history.loss!, ...h2.history.loss!], h.history.loss!);
      expect(maxDiff(state(resumed), state(full))).toBeLessThanOrEqual(WEIGHT_TOL);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  for (const [door, make] of [['PyTorch door (Module, BatchNorm, Dropout)', torchModel], ['Keras door (Sequential, built by fit)', kerasModel]] as const) {
    it(`${door}: same epoch losses, accuracy and final weights as eager fit and as fitOrt`, async () => {
      const opts = { epochs: 3, batchSize: 16, verbose: 0 as const, seed: 7, validationData: [X, Y] as [Tensor, Tensor] };
      const eager = make();
      const h0 = await fit(eager, X, Y, opts);
      const viaFit = make();
      const engine = ortEngine({ device: 'cpu', onFallback: (r) => { throw new Error(r); } });
      const infer = vi.spyOn(CompiledTrainStep.prototype, 'infer');
      const h1 = await viaFit.fit(X, Y, { ...opts, engine });
      // Validation ran in onnxruntime from the engine's weights: 7 batches of ≤ 16 rows per epoch.
      expect(infer).toHaveBeenCalledTimes(21);
      for (const r of infer.mock.results) expect(await r.value).toBeDefined();
      const viaFitOrt = make();
      const h2 = await fitOrt(viaFitOrt, X, Y, { ...opts, metrics: ['accuracy'], device: 'cpu' });

      closeLosses(h1.history.loss!, h0.history.loss!);
      closeLosses(h1.history.loss!, h2.history.loss!);
      closeLosses(h1.history.val_loss!, h0.history.val_loss!);
      h1.history.val_accuracy!.forEach((v, i) => expect(Math.abs(v - h0.history.val_accuracy![i]!)).toBeLessThanOrEqual(0.01));
      // Accuracy counts argmax hits: equal unless a float32 near-tie flips one of 100 samples.
      h1.history.accuracy!.forEach((v, i) => expect(Math.abs(v - h0.history.accuracy![i]!)).toBeLessThanOrEqual(0.01));
      expect(h1.history.lr).toEqual(h0.history.lr);
      expect(maxDiff(state(viaFit), state(eager))).toBeLessThanOrEqual(WEIGHT_TOL);
      expect(maxDiff(state(viaFit), state(viaFitOrt))).toBeLessThanOrEqual(WEIGHT_TOL);
      expect(viaFit.training).toBe(false);
    });
  }

  it("validation through the engine (infer) leaves the training run bit for bit as validation by an eager forward does", async () => {
    const opts = { epochs: 3, batchSize: 16, verbose: 0 as const, seed: 7, validationData: [X, Y] as [Tensor, Tensor] };
    const base = ortEngine({ device: 'cpu' });
    // The same engine with its inference hidden: fit validates with an eager forward.
    const noInfer = { ...base, compile: async (...a: Parameters<typeof base.compile>) => Object.assign(await base.compile(...a), { infer: undefined }) };
    for (const make of [torchModel, kerasModel]) {
      const h1 = await fit(make(), X, Y, { ...opts, engine: base });
      const h2 = await fit(make(), X, Y, { ...opts, engine: noInfer });
      // Before, the load before validation dropped the record of what sync() wrote, so the next step
      // reloaded every tensor (the scaled Adam moments round-tripped): another run by a rounding.
      expect(h1.history.loss).toEqual(h2.history.loss);
      closeLosses(h1.history.val_loss!, h2.history.val_loss!);
    }
  });

  it('one batch per call and 8 per call (an ONNX Scan) give the same run; batch callbacks see synced weights', async () => {
    const opts = { epochs: 2, batchSize: 16, verbose: 0 as const, seed: 3 };
    const a = torchModel();
    const ha = await a.fit(X, Y, { ...opts, engine: ortEngine({ device: 'cpu', stepsPerCall: 8 }) });
    // A batch callback forces one batch per call and gets the model's weights current at each batch end.
    const b = torchModel();
    const fc = b.namedParameters()[0]![1];
    const seen: number[] = [];
    const cb: Callback = { onBatchEnd: () => void seen.push(fc.dataSync()[0]!) };
    const hb = await b.fit(X, Y, { ...opts, callbacks: [cb], engine: ortEngine({ device: 'cpu', stepsPerCall: 8 }) });
    closeLosses(hb.history.loss!, ha.history.loss!);
    expect(maxDiff(state(a), state(b))).toBeLessThanOrEqual(1e-6);
    expect(seen).toHaveLength(14); // 7 batches × 2 epochs
    expect(new Set(seen).size).toBe(14); // the weight moved at every step, and the callback saw it
  });

  it('a batched source (fit(source, options)) with stepsPerEpoch: same losses as eager fit', async () => {
    const source = {
      async *[Symbol.asyncIterator]() {
        for (let i = 0; i < 100; i += 20) yield [X.slice([i, 0], [20, 12]), Y.slice([i], [20])] as const;
      },
    };
    const a = torchModel();
    const ha = await fit(a, source, { epochs: 2, stepsPerEpoch: 4, verbose: 0 });
    const b = torchModel();
    const hb = await b.fit(source, { epochs: 2, stepsPerEpoch: 4, verbose: 0, engine: ortEngine({ device: 'cpu', stepsPerCall: 3 }) });
    closeLosses(hb.history.loss!, ha.history.loss!);
    expect(maxDiff(state(a), state(b))).toBeLessThanOrEqual(WEIGHT_TOL);
  });

  it("stepsPerCall may be a function of fit's batch size (the default, autoStepsPerCall: ≤ 16k samples per call, ≤ 128 batches, ≤ 32 unrolled)", async () => {
    const sizes = [1, 64, 128, 256, 512, 1024, 4096, 20000];
    expect(sizes.map((b) => autoStepsPerCall(b))).toEqual([128, 128, 128, 64, 32, 16, 4, 1]);
    expect(sizes.map((b) => autoStepsPerCall(b, { unrolled: true }))).toEqual([32, 32, 32, 32, 32, 16, 4, 1]);
    // ortEngine's default: a Scan of k steps on CPU / CUDA, the unrolled form's cap on webgpu.
    const perCallOf = (e: { stepsPerCall: number | ((b: number) => number) }, b: number) => (typeof e.stepsPerCall === 'function' ? e.stepsPerCall(b) : e.stepsPerCall);
    expect(perCallOf(ortEngine({ device: 'cpu' }), 64)).toBe(128);
    expect(perCallOf(ortEngine(), 256)).toBe(64);
    expect(perCallOf(ortEngine({ device: 'webgpu' }), 64)).toBe(32);
    const opts = { epochs: 1, batchSize: 16, verbose: 0 as const, seed: 3 };
    const a = torchModel();
    const ha = await fit(a, X, Y, opts);
    const perCall = vi.fn((b: number) => (b === 16 ? 3 : 1));
    const b = torchModel();
    const hb = await b.fit(X, Y, { ...opts, engine: ortEngine({ device: 'cpu', stepsPerCall: perCall }) });
    expect(perCall).toHaveBeenCalledWith(16);
    closeLosses(hb.history.loss!, ha.history.loss!);
    expect(maxDiff(state(a), state(b))).toBeLessThanOrEqual(WEIGHT_TOL);
  });

  it("engine: 'ort' (by name, @nn/onnx loaded by core) trains as ortEngine() does", async () => {
    const opts = { epochs: 1, batchSize: 16, verbose: 0 as const, seed: 3 };
    const a = torchModel();
    const ha = await a.fit(X, Y, { ...opts, engine: ortEngine() });
    const b = torchModel();
    const hb = await b.fit(X, Y, { ...opts, engine: 'ort' });
    expect(hb.history.loss).toEqual(ha.history.loss); // the same engine, the same float32 graph
    expect(maxDiff(state(a), state(b))).toBe(0);
  });

  it("engineOptions reach the engine named by fit (a device ortEngine cannot open is its clear error)", async () => {
    const opts = { epochs: 1, batchSize: 16, verbose: 0 as const, seed: 3 };
    const a = torchModel();
    const ha = await a.fit(X, Y, { ...opts, engine: ortEngine({ threads: 1, stepsPerCall: 2 }) });
    const b = torchModel();
    const hb = await b.fit(X, Y, { ...opts, engine: 'ort', engineOptions: { threads: 1, stepsPerCall: 2 } });
    expect(hb.history.loss).toEqual(ha.history.loss);
    await expect(torchModel().fit(X, Y, { ...opts, engine: 'ort', engineOptions: { device: 'tpu' } })).rejects.toThrow(/tpu/);
  });

  it('weights a callback assigns at an epoch end are the ones the engine trains on next (no stale copy)', async () => {
    const halve: Callback = {
      onEpochEnd: (epoch) => {
        if (epoch === 0) noGrad(() => { for (const p of a.parameters()) p.assign_(p.mul(0.5)); });
      },
    };
    const halveB: Callback = {
      onEpochEnd: (epoch) => {
        if (epoch === 0) noGrad(() => { for (const p of b.parameters()) p.assign_(p.mul(0.5)); });
      },
    };
    const opts = { epochs: 2, batchSize: 16, verbose: 0 as const, seed: 4 };
    const a = torchModel();
    const ha = await fit(a, X, Y, { ...opts, callbacks: [halve] });
    const b = torchModel();
    const hb = await b.fit(X, Y, { ...opts, callbacks: [halveB], engine: ortEngine({ device: 'cpu' }) });
    closeLosses(hb.history.loss!, ha.history.loss!);
    expect(maxDiff(state(a), state(b))).toBeLessThanOrEqual(WEIGHT_TOL);
  });

  it('what fit cannot hand to the engine trains eagerly and says why (classWeight)', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const opts = { epochs: 1, batchSize: 32, verbose: 0 as const, classWeight: { 0: 2, 1: 1, 2: 1, 3: 1 } };
    const a = torchModel();
    const ha = await fit(a, X, Y, opts);
    const b = torchModel();
    const hb = await b.fit(X, Y, { ...opts, engine: ortEngine({ device: 'cpu' }) });
    expect(hb.history.loss).toEqual(ha.history.loss); // the same eager code: identical
    expect(warn).toHaveBeenCalledWith('fit: engine "ort" not used: classWeight is not supported; training eagerly.');
  });

  it('an op the engine cannot compile falls back to eager inside the engine, with the reason', async () => {
    class Peeking extends nn.Module {
      fc = new nn.Linear(12, 4);
      override forward(x: Tensor) {
        return this.fc(x.mul(x.abs().max().item() > 100 ? 0.5 : 1)); // reads a value: data-dependent
      }
    }
    const make = () => {
      manualSeed(4);
      const m = new Peeking();
      m.compile({ optimizer: new optim.SGD(m.parameters(), { lr: 0.1 }), loss: 'crossentropy' });
      return m;
    };
    const a = make();
    manualSeed(9);
    const ha = await fit(a, X, Y, { epochs: 1, batchSize: 25, verbose: 0 });
    const b = make();
    const reasons: string[] = [];
    manualSeed(9);
    const hb = await b.fit(X, Y, { epochs: 1, batchSize: 25, verbose: 0, engine: ortEngine({ device: 'cpu', onFallback: (r) => reasons.push(r) }) });
    expect(hb.history.loss).toEqual(ha.history.loss);
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toMatch(/Cannot read tensor values while tracing/);
  });

  it('a bad stepsPerCall is a clear error', async () => {
    await expect(torchModel().fit(X, Y, { verbose: 0, engine: ortEngine({ stepsPerCall: 0 }) })).rejects.toThrow(/engine "ort" stepsPerCall must be a positive integer, got 0/);
  });
});
