/**
 * @nn/data feeding @nn/core: Keras `Normalization.adapt` from a Dataset and from a DataLoader, and
 * `model.fit(new DataLoader(…))` — same seed, same batches and losses; a PyTorch-style loop over
 * the same loader sees the same batches.
 */
import { describe, expect, it, vi } from 'vitest';
import {
  Layer, Sequential, layers, losses, manualSeed, nn, optim, optimizers, referenceBackend, tensor, useBackend, Tensor,
  type CallOptions, type FitEngine,
} from '@nn/core';
import { DataLoader } from './data-loader.js';
import { Dataset } from './dataset.js';
import { computeStats } from './stats.js';

await useBackend(referenceBackend());

const F = 4;
/** Two separable blobs in F dimensions, every row distinct; a small LCG, no global RNG. */
function blobs(n: number, seed: number, spread = 10): { x: Float32Array; y: number }[] {
  let s = seed >>> 0;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  return Array.from({ length: n }, (_, i) => {
    const y = i % 2;
    return { x: Float32Array.from({ length: F }, (_, k) => (y ? 1.5 : -1.5) + (rnd() - 0.5) * 2 + k * spread), y };
  });
}

const vals = (t: Tensor) => Array.from(t.dataSync());

describe('Normalization.adapt from @nn/data', () => {
  const rows = blobs(50, 7);
  // Two-pass float64 reference statistics (population variance, as Keras).
  const mean = Array.from({ length: F }, (_, k) => rows.reduce((a, r) => a + r.x[k]!, 0) / rows.length);
  const variance = mean.map((m, k) => rows.reduce((a, r) => a + (r.x[k]! - m) ** 2, 0) / rows.length);
  const check = (norm: ReturnType<typeof layers.Normalization>) => {
    // Stored as float32 weights.
    vals(norm.meanW!).forEach((v, k) => expect(v).toBeCloseTo(mean[k]!, 4));
    vals(norm.varianceW!).forEach((v, k) => expect(Math.abs(v - variance[k]!) / variance[k]!).toBeLessThan(1e-6));
  };

  it('a Dataset of {x: Float32Array, y} samples (and a shuffled, mapped, batched one)', async () => {
    const ds = Dataset.fromItems(rows);
    const a = layers.Normalization();
    await a.adapt(ds);
    check(a);
    const b = layers.Normalization();
    await b.adapt(ds.shuffle({ seed: 3 }).map((s) => ({ x: s.x })).batch(7));
    check(b);
    // Same statistics as @nn/data's computeStats (the z-score map).
    const st = await computeStats(ds);
    vals(a.meanW!).forEach((v, k) => expect(v).toBeCloseTo(st.mean[k]!, 5));
    // A stream (generator source), plain arrays and typed-array rows.
    const c = layers.Normalization();
    await c.adapt(Dataset.fromGenerator(function* () { yield* rows; }));
    check(c);
    const d = layers.Normalization();
    await d.adapt(rows.map((r) => Array.from(r.x)));
    check(d);
    const e = layers.Normalization();
    await e.adapt(rows.map((r) => r.x));
    check(e);
  });

  it('a DataLoader ([x, y] tensor batches, shuffled, with workers) and a tensor', async () => {
    const ds = Dataset.fromArrays(rows.map((r) => r.x), rows.map((r) => r.y));
    for (const numWorkers of [0, 1]) {
      const norm = layers.Normalization();
      await norm.adapt(new DataLoader(ds, { batchSize: 8, shuffle: true, seed: 1, numWorkers }));
      check(norm);
    }
    const t = layers.Normalization();
    await t.adapt(tensor(rows.map((r) => Array.from(r.x))));
    check(t);
  });

  it('steps limits an endless source; adapting does not shift a Dataset’s pass numbering', async () => {
    const ds = Dataset.fromItems(rows).shuffle({ seed: 5 });
    const norm = layers.Normalization();
    await norm.adapt(ds.repeat(), { steps: rows.length * 3 });
    check(norm); // three whole passes: the same statistics
    const before = await Dataset.fromItems(rows).shuffle({ seed: 5 }).toArray({ epoch: 0 });
    const fresh = Dataset.fromItems(rows).shuffle({ seed: 5 });
    await layers.Normalization().adapt(fresh);
    const first: unknown[] = [];
    for await (const s of fresh) first.push(s);
    expect(first).toEqual(before);
  });

  it('clear errors: unreadable elements, inconsistent widths, no data', async () => {
    await expect(layers.Normalization().adapt(Dataset.fromItems([{ features: [1, 2] }]) as never)).rejects.toThrow(
      /cannot read features from an object with keys \{features\}; expected tensors, arrays of numbers, \{ x \} samples or \[x, y\] batches/,
    );
    await expect(layers.Normalization().adapt(Dataset.fromItems([{ x: [1, 2] }, { x: [1, 2, 3] }]))).rejects.toThrow(/3 features, earlier ones 2/);
    await expect(layers.Normalization().adapt(Dataset.fromItems([]))).rejects.toThrow(/no data/);
  });

  it('an adapted Normalization in front of Dense trains with fit on the same loader', async () => {
    const ds = Dataset.fromArrays(rows.map((r) => r.x), rows.map((r) => r.y));
    const loader = new DataLoader(ds, { batchSize: 10, shuffle: true, seed: 2 });
    const norm = layers.Normalization();
    await norm.adapt(loader);
    // Adapting read the loader's epoch 0 without advancing it: training still starts at epoch 0.
    const firstBatch = async (it: AsyncIterator<[Tensor, Tensor | undefined]>) => {
      const v = vals((await it.next()).value![0]);
      await it.return!();
      return v;
    };
    const fresh = new DataLoader(ds, { batchSize: 10, shuffle: true, seed: 2 });
    expect(await firstBatch(loader[Symbol.asyncIterator]())).toEqual(await firstBatch(fresh.iterate({ epoch: 0 })));
    loader.setEpoch(0);
    manualSeed(1);
    const model = new Sequential([norm, layers.Dense(2)]);
    model.compile({ optimizer: optimizers.SGD({ learningRate: 0.5 }), loss: losses.SparseCategoricalCrossentropy({ fromLogits: true }), metrics: ['accuracy'] });
    const h = await model.fit(loader, { epochs: 5, verbose: 0 });
    expect(h.history.accuracy!.at(-1)).toBeGreaterThanOrEqual(0.95);
    expect(norm.meanW!.shape).toEqual([F]); // non-trainable: untouched by the optimizer
    vals(norm.meanW!).forEach((v, k) => expect(v).toBeCloseTo(mean[k]!, 4));
  });
});

/** Passes its input through and records, in training mode, the batches the model was fed. */
class Spy extends Layer {
  batches: number[][] = [];
  override call(x: Tensor, opts: CallOptions = {}): Tensor {
    if (opts.training ?? this.training) this.batches.push(vals(x));
    return x;
  }
}

describe('fit and the PyTorch loop on a DataLoader', () => {
  const train = Dataset.fromItems(blobs(96, 11, 0));
  const val = Dataset.fromItems(blobs(32, 12, 0));
  const EPOCHS = 3, BATCH = 16;

  async function fitOnce(seed: number) {
    manualSeed(0); // the same initial weights every run
    const spy = new Spy({ inputShape: [F] });
    const model = new Sequential([spy, layers.Dense(8, { activation: 'relu' }), layers.Dense(2)]);
    model.compile({ optimizer: optimizers.SGD({ learningRate: 0.05 }), loss: losses.SparseCategoricalCrossentropy({ fromLogits: true }), metrics: ['accuracy'] });
    const h = await model.fit(new DataLoader(train, { batchSize: BATCH, shuffle: true, seed }), {
      epochs: EPOCHS, verbose: 0, validationData: new DataLoader(val, { batchSize: BATCH }),
    });
    const steps = train.length! / BATCH;
    const epochs = Array.from({ length: EPOCHS }, (_, e) => spy.batches.slice(e * steps, (e + 1) * steps));
    return { h, epochs, batches: spy.batches };
  }

  it('model.fit(new DataLoader(ds, { shuffle, seed }), { epochs, validationData }) trains; same seed, same order and losses', async () => {
    const a = await fitOnce(42);
    expect(a.batches).toHaveLength(EPOCHS * (96 / BATCH));
    expect(a.h.epoch).toEqual([0, 1, 2]);
    expect(a.h.history.val_loss).toHaveLength(EPOCHS);
    expect(a.h.history.loss!.at(-1)!).toBeLessThan(a.h.history.loss![0]!);
    expect(a.h.history.val_accuracy!.at(-1)!).toBeGreaterThanOrEqual(0.9);
    // Every sample once per epoch, a new order each epoch.
    const sorted = (e: number[][]) => e.flatMap(chunk).sort().join('|');
    expect(sorted(a.epochs[1]!)).toBe(sorted(a.epochs[0]!));
    expect(a.epochs[1]).not.toEqual(a.epochs[0]);

    const b = await fitOnce(42);
    expect(b.batches).toEqual(a.batches);
    expect(b.h.history.loss).toEqual(a.h.history.loss);
    expect(b.h.history.val_loss).toEqual(a.h.history.val_loss);

    const c = await fitOnce(43);
    expect(c.epochs[0]).not.toEqual(a.epochs[0]);
    expect(sorted(c.epochs[0]!)).toBe(sorted(a.epochs[0]!));
  });

  it("with a training engine, fit takes the loader's batches as host arrays (core's HOST_BATCHES): the same batches, order and losses as eager fit", async () => {
    const eager = await fitOnce(42);
    manualSeed(0);
    const spy = new Spy({ inputShape: [F] });
    const model = new Sequential([spy, layers.Dense(8, { activation: 'relu' }), layers.Dense(2)]);
    model.compile({ optimizer: optimizers.SGD({ learningRate: 0.05 }), loss: losses.SparseCategoricalCrossentropy({ fromLogits: true }), metrics: ['accuracy'] });
    // An engine that takes k stacked host batches per call and steps each eagerly (what the ort
    // engine computes in onnxruntime): it sees what fit hands over.
    const calls: number[] = [];
    const engine: FitEngine = {
      name: 'host-steps', stepsPerCall: 4,
      compile: async (m, c) => {
        const step = (x: Tensor, y: Tensor) => {
          const l = c.losses[0]!(y, m(x) as Tensor);
          c.optimizer.zeroGrad();
          l.backward();
          c.optimizer.step();
          return l.item();
        };
        return {
          step: async (x: Tensor, y: Tensor) => step(x, y),
          steps: async (x: Float32Array | Int32Array, y: Float32Array | Int32Array, k: number) => {
            calls.push(k);
            const n = y.length / k;
            return Array.from({ length: k }, (_, t) => step(tensor(x.subarray(t * n * F, (t + 1) * n * F), [n, F]), tensor(y.subarray(t * n, (t + 1) * n), [n], { dtype: 'int32' })));
          },
          sync: () => {}, invalidate: () => {}, dispose: async () => {},
        };
      },
    };
    const loader = new DataLoader(train, { batchSize: BATCH, shuffle: true, seed: 42 });
    const asTensors = vi.spyOn(loader, Symbol.asyncIterator);
    const h = await model.fit(loader, { epochs: EPOCHS, verbose: 0, engine, validationData: new DataLoader(val, { batchSize: BATCH }) });
    expect(asTensors).not.toHaveBeenCalled(); // no tensor per batch: the host pass each epoch
    // 6 batches per epoch, 4 per call (the engine starts from the first batch's shapes, so the first
    // epoch is grouped like every other).
    expect(calls).toEqual([4, 2, 4, 2, 4, 2]);
    expect(spy.batches).toEqual(eager.batches);
    expect(h.history.loss).toEqual(eager.h.history.loss);
    expect(h.history.val_loss).toEqual(eager.h.history.val_loss);
  });

  it('fit({ initialEpoch: 1 }) on a fresh DataLoader reads epochs 1 and 2\'s shuffle orders (exact resume), not epoch 0\'s', async () => {
    const a = await fitOnce(42);
    manualSeed(0);
    const spy = new Spy({ inputShape: [F] });
    const model = new Sequential([spy, layers.Dense(8, { activation: 'relu' }), layers.Dense(2)]);
    model.compile({ optimizer: optimizers.SGD({ learningRate: 0.05 }), loss: losses.SparseCategoricalCrossentropy({ fromLogits: true }) });
    await model.fit(new DataLoader(train, { batchSize: BATCH, shuffle: true, seed: 42 }), { epochs: EPOCHS, initialEpoch: 1, verbose: 0 });
    const steps = train.length! / BATCH;
    expect(spy.batches.slice(0, steps)).toEqual(a.epochs[1]);
    expect(spy.batches.slice(steps)).toEqual(a.epochs[2]);
  });

  it('a PyTorch-style loop over the same loader gets the same batches, and the same losses as fit', async () => {
    const viaFit = await fitOnce(42);
    manualSeed(0);
    const spy = new Spy({ inputShape: [F] });
    const model = new Sequential([spy, layers.Dense(8, { activation: 'relu' }), layers.Dense(2)]);
    const opt = new optim.SGD(model.parameters(), { lr: 0.05 }); // plain SGD: Keras's and PyTorch's formulas agree
    const loader = new DataLoader(train, { batchSize: BATCH, shuffle: true, seed: 42 });
    const epochLoss: number[] = [];
    model.train();
    for (let epoch = 0; epoch < EPOCHS; epoch++) {
      let sum = 0, n = 0;
      for await (const [x, y] of loader) {
        opt.zeroGrad();
        const loss = nn.functional.crossEntropy(model(x) as Tensor, y as Tensor);
        loss.backward();
        opt.step();
        sum += loss.item() * x.shape[0]!;
        n += x.shape[0]!;
      }
      epochLoss.push(sum / n);
    }
    expect(spy.batches).toEqual(viaFit.batches);
    epochLoss.forEach((l, e) => expect(l).toBeCloseTo(viaFit.h.history.loss![e]!, 6));
  });
});

/** The rows (F values each) of a flat batch, as strings. */
function chunk(flat: number[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < flat.length; i += F) out.push(flat.slice(i, i + F).join(','));
  return out;
}
