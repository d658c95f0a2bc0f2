import { afterEach, describe, expect, it, vi } from 'vitest';
import { endScope, fit, manualSeed, startScope, tensor, nn, optim, randint, randn, registerFitEngine, registeredFitEngines, Tensor, HOST_BATCHES, type FitEngine, type HostBatch } from '../index';

const model = () => {
  manualSeed(3);
  const m = new nn.Sequential(new nn.Linear(4, 3));
  m.compile({ optimizer: new optim.SGD(m.parameters(), { lr: 0.1 }), loss: 'crossentropy' });
  return m;
};
const X = randn([20, 4]), Y = randint(0, 3, [20]);

/** An engine that runs each step eagerly itself and counts them (enough to see fit hand steps over). */
function countingEngine(counter: { steps: number; compiled: number }): FitEngine {
  return {
    name: 'counting',
    compile: async (m, c) => {
      counter.compiled++;
      return {
        step: async (x: Tensor, y: Tensor) => {
          counter.steps++;
          const l = c.losses[0]!(y, m(x) as Tensor);
          c.optimizer.zeroGrad();
          l.backward();
          c.optimizer.step();
          return l.item();
        },
        sync: () => {},
        invalidate: () => {},
        dispose: async () => {},
      };
    },
  };
}

/** `base` run k batches per call: the stacked host values split back into batches, each stepped by `base` (`seen` sees each call's x). */
function groupedEngine(name: string, base: FitEngine, seen: (x: Float32Array | Int32Array) => void = () => {}, stepsPerCall = 2): FitEngine {
  return {
    name, stepsPerCall,
    compile: async (m, c, sample) => {
      const s = await base.compile(m, c, sample);
      return {
        ...s,
        steps: async (x: Float32Array | Int32Array, y: Float32Array | Int32Array, k: number) => {
          seen(x);
          // Each batch as [rows, per / rows], rows from y (as a compiled engine reads its input).
          const per = x.length / k, py = y.length / k, out: number[] = [];
          for (let t = 0; t < k; t++) out.push(await s.step(tensor(x.subarray(t * per, (t + 1) * per), [py, per / py]), tensor(y.subarray(t * py, (t + 1) * py), [py], { dtype: 'int32' })));
          return out;
        },
      };
    },
  };
}

describe('fit engines by name: the registry', () => {
  afterEach(() => vi.restoreAllMocks());

  it('a registered engine is found by name, and trains like eager fit', async () => {
    const counter = { steps: 0, compiled: 0 };
    registerFitEngine('counting', () => countingEngine(counter));
    expect(registeredFitEngines()).toContain('counting');
    const h = await fit(model(), X, Y, { epochs: 2, batchSize: 5, verbose: 0, engine: 'counting' });
    expect(counter).toEqual({ steps: 8, compiled: 1 });
    const e = await fit(model(), X, Y, { epochs: 2, batchSize: 5, verbose: 0, engine: 'eager' });
    expect(h.history.loss).toEqual(e.history.loss);
  });

  it('an unknown name is a clear error listing the known ones; reserved names cannot be registered', async () => {
    await expect(fit(model(), X, Y, { verbose: 0, engine: 'nope' })).rejects.toThrow(/unknown engine "nope"; expected one of 'auto', 'eager', 'ort'/);
    expect(() => registerFitEngine('auto', () => countingEngine({ steps: 0, compiled: 0 }))).toThrow(/reserved/);
  });

  it("'auto' (the default) trains eagerly on the float64 reference backend and says why when verbose", async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const h = await fit(model(), X, Y, { epochs: 1, batchSize: 5, verbose: 2 });
    const e = await fit(model(), X, Y, { epochs: 1, batchSize: 5, verbose: 0, engine: 'eager' });
    expect(h.history.loss).toEqual(e.history.loss);
    expect(log.mock.calls.map((c) => String(c[0])).join('\n')).toMatch(/engine 'auto' → eager \(reference\): the float64 reference backend trains eagerly/);
  });

  it('batches from a source that scopes each batch (as a DataLoader does) stay alive while they wait for their group', async () => {
    /** Yields [x, y] made inside a scope that closes when the next batch is requested (DataLoader autoScope). */
    const source = {
      async *[Symbol.asyncIterator]() {
        for (let i = 0; i < 20; i += 5) {
          const token = startScope('batch');
          try {
            yield [X.slice([i, 0], [5, 4]), Y.slice([i], [5])] as const;
          } finally {
            endScope(token);
          }
        }
      },
    };
    const counter = { steps: 0, compiled: 0 };
    const base = countingEngine(counter);
    // k batches stacked on the host: reading them needs the queued tensors alive.
    const grouped = groupedEngine('grouped', base);
    const h = await fit(model(), source, { epochs: 1, verbose: 0, engine: grouped });
    const e = await fit(model(), source, { epochs: 1, verbose: 0, engine: 'eager' });
    expect(counter.steps).toBe(4);
    expect(h.history.loss![0]).toBeCloseTo(e.history.loss![0]!, 10);
  });
  it('in-memory arrays reach an engine as host-gathered groups from the first epoch on (not as tensors read back), in one buffer for the whole fit', async () => {
    const counter = { steps: 0, compiled: 0 };
    const base = countingEngine(counter);
    const buffers: ArrayBufferLike[][] = [[], []];
    let epoch = 0;
    const grouped = groupedEngine('grouped-arrays', base, (x) => buffers[epoch]!.push(x.buffer));
    // Batches made as tensors and read back would go through dataSync of [5, 4] x batches.
    const reads = vi.spyOn(Tensor.prototype, 'dataSync');
    const h = await fit(model(), X, Y, { epochs: 2, batchSize: 5, verbose: 0, engine: grouped, callbacks: [{ onEpochEnd: () => void epoch++ }] });
    expect(reads.mock.contexts.filter((t) => (t as Tensor).shape.join() === '5,4')).toEqual([]);
    reads.mockRestore();
    const e = await fit(model(), X, Y, { epochs: 2, batchSize: 5, verbose: 0, engine: 'eager' });
    // 20 rows, batches of 5, 2 per call: 2 calls per epoch. Host groups share one gather buffer for
    // the whole fit call (a fresh one per epoch costs its page faults again).
    expect(buffers.map((b) => b.length)).toEqual([2, 2]);
    for (const b of buffers) expect(b[1]).toBe(b[0]);
    expect(buffers[1]![0]).toBe(buffers[0]![0]);
    expect(counter).toEqual({ steps: 8, compiled: 1 });
    // The counting engine steps eagerly on the same rows in the same order: the same losses exactly.
    expect(h.history.loss).toEqual(e.history.loss);
  });
  it("a source with host batches (HOST_BATCHES, as an @nn/data DataLoader) reaches an engine without a tensor per batch; eager fit and fallbacks read its tensors", async () => {
    const xs = X.dataSync(), ys = Y.dataSync();
    const host = (rows: number[], labels = true): HostBatch => [
      { data: Float32Array.from(rows.flatMap((r) => Array.from(xs.subarray(r * 4, r * 4 + 4)))), shape: [rows.length, 4], dtype: 'float32' },
      labels ? { data: Int32Array.from(rows.map((r) => ys[r]!)), shape: [rows.length], dtype: 'int32' } : undefined,
    ];
    const sizes = [4, 4, 4, 4, 3, 1];
    const passes = { host: 0, tensors: 0 };
    const source = (labels = true, offer = true) => ({
      [HOST_BATCHES]: () => {
        if (!offer) return null;
        passes.host++;
        return (async function* () {
          for (let i = 0, r = 0; i < sizes.length; r += sizes[i]!, i++) yield host(Array.from({ length: sizes[i]! }, (_, j) => r + j), labels);
        })();
      },
      async *[Symbol.asyncIterator]() {
        passes.tensors++;
        for (let i = 0, r = 0; i < sizes.length; r += sizes[i]!, i++) yield [X.slice([r, 0], [sizes[i]!, 4]), Y.slice([r], [sizes[i]!])] as const;
      },
    });
    const lengths: number[] = [], counter = { steps: 0, compiled: 0 };
    const grouped = groupedEngine('grouped-host', countingEngine(counter), (x) => lengths.push(x.length), 3);
    const e = await fit(model(), source(), { epochs: 2, verbose: 0, engine: 'eager' });
    expect(passes).toEqual({ host: 0, tensors: 2 }); // eager: the tensors
    const h = await fit(model(), source(), { epochs: 2, verbose: 0, engine: grouped });
    expect(passes).toEqual({ host: 2, tensors: 2 });
    // Groups of up to 3 equal-size batches: [4 4 4] stacked, then [4], [3] and [1] each alone (a size
    // change ends a group; one batch is a plain step).
    expect(lengths).toEqual([48, 48]);
    expect(counter.steps).toBe(12);
    expect(h.history.loss).toEqual(e.history.loss);
    // stepsPerEpoch stops the pass where the tensor path stops.
    const limited = await fit(model(), source(), { epochs: 1, verbose: 0, engine: grouped, stepsPerEpoch: 2 });
    const limitedEager = await fit(model(), source(), { epochs: 1, verbose: 0, engine: 'eager', stepsPerEpoch: 2 });
    expect(limited.history.loss).toEqual(limitedEager.history.loss);
    // What the engine cannot take (classWeight) trains eagerly on the host batches made tensors.
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const cw = await fit(model(), source(), { epochs: 1, verbose: 0, engine: grouped, classWeight: { 0: 2, 1: 1, 2: 1 } });
    const cwEager = await fit(model(), source(), { epochs: 1, verbose: 0, engine: 'eager', classWeight: { 0: 2, 1: 1, 2: 1 } });
    expect(cw.history.loss).toEqual(cwEager.history.loss);
    // Unlabelled batches: the same error as from tensors; a source that declines (null): its tensors.
    await expect(fit(model(), source(false), { epochs: 1, verbose: 0, engine: grouped })).rejects.toThrow(/a batch has no targets/);
    const before = passes.tensors;
    await fit(model(), source(true, false), { epochs: 1, verbose: 0, engine: grouped });
    expect(passes.tensors).toBe(before + 1);
  });

  it('a batch of another sample shape (variable-length batches) is never stacked with the others; from it on, fit trains eagerly and says why', async () => {
    // A model that takes any width: the mean of each row's features, then Linear(1, 3).
    class MeanFeatures extends nn.Module {
      override forward(x: Tensor) {
        return x.mean(1, true);
      }
    }
    const widthModel = () => {
      manualSeed(3);
      const m = new nn.Sequential(new MeanFeatures(), new nn.Linear(1, 3));
      m.compile({ optimizer: new optim.SGD(m.parameters(), { lr: 0.1 }), loss: 'crossentropy' });
      return m;
    };
    const widths = [6, 6, 6, 4, 6, 4, 4];
    const source = {
      async *[Symbol.asyncIterator]() {
        for (let i = 0; i < widths.length; i++) yield [randn([4, widths[i]!]), Y.slice([i * 2], [4])] as const;
      },
    };
    const calls: number[] = [];
    const engine = groupedEngine('width-steps', countingEngine({ steps: 0, compiled: 0 }), (x) => calls.push(x.length / 2));
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    manualSeed(11);
    const h = await fit(widthModel(), source, { epochs: 2, verbose: 0, engine });
    manualSeed(11);
    const e = await fit(widthModel(), source, { epochs: 2, verbose: 0, engine: 'eager' });
    // [6] starts the engine alone and [6 6] is one engine call; [4] is another sample shape: eager
    // from there on ([6], [4 4] and the second epoch). Before, groups looked at the batch size only:
    // [4 6] went into one call read at the first batch's width (with the ort engine: silently
    // misread rows, or a TrainStepInputError about rows).
    expect(calls).toEqual([24]);
    expect(warn.mock.calls.map((c) => String(c[0]))).toEqual([
      'fit: engine "width-steps" not used from here: a batch has samples of shape x [4], y [], and the engine compiled for x [6], y [] (the first batch\'s); training eagerly.',
    ]);
    expect(h.history.loss!.map((v) => v.toFixed(12))).toEqual(e.history.loss!.map((v) => v.toFixed(12)));
  });

  it("a batched source's batches are stacked into one buffer for the whole fit (a smaller group does not shrink it)", async () => {
    const source = {
      async *[Symbol.asyncIterator]() {
        for (let i = 0; i < 20; i += 4) yield [X.slice([i, 0], [4, 4]), Y.slice([i], [4])] as const;
      },
    };
    const buffers: ArrayBufferLike[] = [], lengths: number[] = [];
    const counter = { steps: 0, compiled: 0 };
    // 5 batches per epoch, 3 per call: the first epoch starts the engine on its first batch alone and
    // ends with one batch alone (one step, nothing stacked); later epochs are groups of 3 and 2. Before, each group was
    // stacked into a new array (25 MB for 32 batches of 256 Fashion-MNIST rows: its page faults made
    // fit(loader) ~1.7× fit(x, y) per epoch on the ort engine).
    const grouped = groupedEngine('grouped-source', countingEngine(counter), (x) => (buffers.push(x.buffer), lengths.push(x.length)), 3);
    const h = await fit(model(), source, { epochs: 3, verbose: 0, engine: grouped });
    const e = await fit(model(), source, { epochs: 3, verbose: 0, engine: 'eager' });
    expect(lengths).toEqual([48, 48, 32, 48, 32]);
    expect(new Set(buffers).size).toBe(1);
    expect(counter).toEqual({ steps: 15, compiled: 1 });
    expect(h.history.loss).toEqual(e.history.loss);
  });
});
