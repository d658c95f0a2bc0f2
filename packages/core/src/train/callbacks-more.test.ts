import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  EarlyStopping, LearningRateScheduler, ModelCheckpoint, ProgressReporter, ReduceLROnPlateauCallback, Sequential, TerminateOnNaN,
  layers, loadCheckpoint, manualSeed, optimizers, randn, tensor, type Callback, type Logs, type Module, type Tensor, type Trainable,
} from '../index';

// Callbacks of the Keras loop, each checked for what it must do, on the float64 reference backend.
// Monitored values are injected into the epoch logs by a callback placed before the one under test
// (fit hands every callback the same logs object, as Keras does), so "improves" is decided by the
// test, not by the noise of training.

const dirs: string[] = [];
const tmp = async () => {
  const d = await mkdtemp(join(tmpdir(), 'nn-cb-'));
  dirs.push(d);
  return d;
};
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

function data(n = 32) {
  manualSeed(11);
  const x = randn([n, 2]);
  return { x, y: x.matmul(tensor([[1], [-2]])).add(0.5) };
}
// Explicit layer names: weights are saved under them, and a second model built in the same process
// would otherwise get fresh automatic names (dense_2 …) that do not match the checkpoint.
const net = () => new Sequential([layers.Dense(3, { name: 'hidden', inputShape: [2], activation: 'tanh' }), layers.Dense(1, { name: 'out' })]);
const compiled = (lr = 0.05) => {
  const m = net();
  m.compile({ optimizer: optimizers.Adam({ learningRate: lr }), loss: 'mse' });
  return m;
};
/** Sets logs[key] = values[epoch] at each epoch end. */
const inject = (key: string, values: number[]): Callback => ({ onEpochEnd: (e: number, logs?: Logs) => void (logs![key] = values[e]!) });
const lrOf = (m: Module) => (m as Trainable).optimizer!.lr;
const weightsOf = (m: Module) => Object.fromEntries(Object.entries(m.stateDict()).map(([k, t]) => [k, Array.from(t.dataSync())]));
/** Records the model's weights at each epoch end. */
const snapshots = (m: Module) => {
  const out: Record<string, number[]>[] = [];
  return { out, cb: { onEpochEnd: () => void out.push(weightsOf(m)) } as Callback };
};

describe('TerminateOnNaN with ModelCheckpoint', () => {
  it('a NaN in epoch 2 step 2 stops training there, names epoch and step, and the checkpoint keeps epoch 1\'s finite weights', async () => {
    const { x } = data(32);
    // A batched source whose second pass (epoch 2) has NaN inputs in its second batch.
    let pass = 0;
    const source = {
      async *[Symbol.asyncIterator]() {
        pass++;
        for (let s = 0; s < 32; s += 8) {
          const xb = pass === 2 && s === 8 ? tensor(new Float32Array(16).fill(NaN), [8, 2]) : x.slice([s, 0], [8, 2]);
          yield [xb, xb.sum(1, true)] as const;
        }
      },
    };
    const model = compiled();
    const dir = join(await tmp(), 'ckpt');
    const stop = new TerminateOnNaN();
    const ck = new ModelCheckpoint({ dir });
    const snap = snapshots(model);
    const batches: [number, number][] = [];
    let epoch = -1;
    const counter: Callback = { onEpochBegin: (e) => void (epoch = e), onBatchEnd: (b) => void batches.push([epoch, b]) };
    const warnings: string[] = [];
    const orig = console.warn;
    console.warn = (m: string) => warnings.push(m);
    let h;
    try {
      h = await model.fit(source, { epochs: 5, verbose: 0, callbacks: [counter, stop, ck, snap.cb] });
    } finally {
      console.warn = orig;
    }
    // One good epoch (4 steps), then epoch 2 stops right after its second step.
    expect(batches).toEqual([[0, 0], [0, 1], [0, 2], [0, 3], [1, 0], [1, 1]]);
    expect(stop.triggered).toEqual({ epoch: 1, batch: 1 });
    expect(h.epoch).toEqual([0, 1]);
    expect(Number.isFinite(h.history.loss![0]!)).toBe(true);
    expect(Number.isNaN(h.history.loss![1]!)).toBe(true);
    expect(warnings.some((w) => /TerminateOnNaN: invalid loss NaN at epoch 2, step 2/.test(w))).toBe(true);
    // The NaN step already poisoned the live weights; the checkpoint is epoch 1's, whole and finite.
    expect(Object.values(weightsOf(model)).flat().some((v) => !Number.isFinite(v))).toBe(true);
    expect(ck.saved).toEqual([1]);
    const fresh = net();
    const meta = await loadCheckpoint(dir, { model: fresh });
    expect(meta.epoch).toBe(1);
    const restored = weightsOf(fresh);
    expect(Object.values(restored).flat().every(Number.isFinite)).toBe(true);
    expect(restored).toEqual(snap.out[0]);
  });
});

describe('TerminateOnNaN through relu', () => {
  it('one NaN input element in a relu network makes the loss NaN and stops training at that step', async () => {
    // relu must pass NaN (PyTorch, tfjs): a reference relu that mapped NaN to 0 trained on with finite losses.
    const { x } = data(32);
    const xs = x.dataSync().slice();
    xs[8 * 2 + 1] = NaN; // sample 8 (step 2 of batches of 8), one element
    const xn = tensor(xs, [32, 2]);
    const yn = tensor(new Float32Array(32).fill(1), [32, 1]);
    // A stream (fit checks in-memory tensors for NaN up front; a stream is not checked).
    const source = {
      async *[Symbol.asyncIterator]() {
        for (let s = 0; s < 32; s += 8) yield [xn.slice([s, 0], [8, 2]), yn.slice([s, 0], [8, 1])] as const;
      },
    };
    const model = new Sequential([layers.Dense(4, { name: 'h', inputShape: [2], activation: 'relu' }), layers.Dense(1, { name: 'o' })]);
    model.compile({ optimizer: optimizers.SGD({ learningRate: 0.01 }), loss: 'mse' });
    const stop = new TerminateOnNaN();
    const orig = console.warn;
    console.warn = () => {};
    try {
      await model.fit(source, { epochs: 3, verbose: 0, callbacks: [stop] });
    } finally {
      console.warn = orig;
    }
    expect(stop.triggered).toEqual({ epoch: 0, batch: 1 });
  });
});

describe('ModelCheckpoint saveBestOnly', () => {
  it('writes only the epochs whose monitored value improves (min mode), and the folder holds the best one', async () => {
    const { x, y } = data();
    const model = compiled();
    const root = await tmp();
    const each = new ModelCheckpoint({ dir: join(root, 'e-{epoch}'), monitor: 'score', saveBestOnly: true });
    const last = new ModelCheckpoint({ dir: join(root, 'best'), monitor: 'score', saveBestOnly: true });
    const snap = snapshots(model);
    await model.fit(x, y, { epochs: 5, batchSize: 8, verbose: 0, callbacks: [inject('score', [3, 2, 2.5, 1, 1.5]), each, last, snap.cb] });
    expect(each.saved).toEqual([1, 2, 4]);
    expect((await readdir(root)).sort()).toEqual(['best', 'e-001', 'e-002', 'e-004']);
    const fresh = net();
    expect((await loadCheckpoint(join(root, 'best'), { model: fresh })).epoch).toBe(4);
    expect(weightsOf(fresh)).toEqual(snap.out[3]);
    expect(weightsOf(fresh)).not.toEqual(snap.out[4]);
  });

  it('"auto" mode maximizes accuracy-like names', async () => {
    const { x, y } = data();
    const model = compiled();
    const ck = new ModelCheckpoint({ dir: join(await tmp(), 'ck'), monitor: 'val_accuracy', saveBestOnly: true });
    await model.fit(x, y, { epochs: 4, batchSize: 8, verbose: 0, callbacks: [inject('val_accuracy', [0.5, 0.7, 0.6, 0.8]), ck] });
    expect(ck.saved).toEqual([1, 2, 4]);
  });
});

describe('LearningRateScheduler', () => {
  it('sets lr at each epoch start, the steps use it, and History logs it', async () => {
    // One weight w, loss (w·1 − 1)², one step per epoch with plain SGD: w ← w − lr·2(w − 1).
    const model = new Sequential([layers.Dense(1, { inputShape: [1], useBias: false, kernelInitializer: 'zeros' })]);
    model.compile({ optimizer: optimizers.SGD({ learningRate: 1 }), loss: 'mse' });
    const seen: number[] = [];
    const spy: Callback = { onBatchBegin: () => void seen.push(lrOf(model)) };
    const sched = new LearningRateScheduler((epoch) => 0.1 * 0.5 ** epoch);
    const h = await model.fit(tensor([[1]]), tensor([[1]]), { epochs: 3, batchSize: 1, verbose: 0, callbacks: [sched, spy] });
    expect(seen).toEqual([0.1, 0.05, 0.025]);
    expect(h.history.lr).toEqual([0.1, 0.05, 0.025]);
    let w = 0;
    for (const lr of seen) w -= lr * 2 * (w - 1); // 0.2, 0.28, 0.316
    // Exact up to float64 rounding of three updates.
    expect(Math.abs((model.layers[0] as unknown as { kernel: Tensor }).kernel.item() - w)).toBeLessThan(1e-12);
  });
});

describe('ReduceLROnPlateau callback', () => {
  it('multiplies lr by factor after `patience` epochs without improvement, never below minLr', async () => {
    const { x, y } = data();
    const model = compiled(0.1);
    const seen: number[] = [];
    const spy: Callback = { onEpochBegin: () => void seen.push(lrOf(model)) };
    const plateau = new ReduceLROnPlateauCallback({ monitor: 'score', patience: 2, factor: 0.5, minLr: 0.03 });
    // Improves at epochs 1 and 2 (0-based 0, 1); then flat: reductions after epochs 3 and 5 (2 flat each).
    const h = await model.fit(x, y, { epochs: 7, batchSize: 8, verbose: 0, callbacks: [spy, inject('score', [5, 4, 4, 4, 4, 4, 4]), plateau] });
    expect(seen).toEqual([0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.03]);
    expect(h.history.lr).toEqual([0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.03]);
    expect(lrOf(model)).toBe(0.03);
  });
});

describe('EarlyStopping', () => {
  it('stops after `patience` epochs in a row without improvement (Keras) and restores the best epoch\'s weights', async () => {
    const { x, y } = data();
    const model = compiled();
    const snap = snapshots(model);
    const es = new EarlyStopping({ monitor: 'score', patience: 2, restoreBestWeights: true });
    // Best at epoch index 1; indices 2 and 3 do not improve → stop at 3. (Index 4 would improve.)
    const h = await model.fit(x, y, { epochs: 10, batchSize: 8, verbose: 0, callbacks: [inject('score', [3, 1, 2, 2.5, 0.5, 0.4]), snap.cb, es] });
    expect(h.epoch).toEqual([0, 1, 2, 3]);
    expect(es.stoppedEpoch).toBe(3);
    expect(es.bestEpoch).toBe(1);
    expect(snap.out[3]).not.toEqual(snap.out[1]); // training moved on after the best epoch …
    expect(weightsOf(model)).toEqual(snap.out[1]); // … and the best epoch's weights are back
  });

  it('without restoreBestWeights the last weights stay', async () => {
    const { x, y } = data();
    const model = compiled();
    const snap = snapshots(model);
    const es = new EarlyStopping({ monitor: 'score', patience: 1 });
    const h = await model.fit(x, y, { epochs: 10, batchSize: 8, verbose: 0, callbacks: [inject('score', [3, 1, 2, 0.5]), snap.cb, es] });
    expect(h.epoch).toEqual([0, 1, 2]);
    expect(weightsOf(model)).toEqual(snap.out[2]);
  });
});

describe('user callbacks', () => {
  it('hooks run in Keras order with the model set first; batch and epoch logs carry the values', async () => {
    const { x, y } = data(8);
    const model = compiled();
    const events: string[] = [];
    const epochLogs: Logs[] = [];
    let modelSeen: Module | undefined;
    const cb: Callback = {
      setModel: (m) => void (modelSeen = m),
      onTrainBegin: () => void events.push('trainBegin'),
      onEpochBegin: (e) => void events.push(`epochBegin ${e}`),
      onBatchBegin: (b, logs) => void events.push(`batchBegin ${b} size ${logs?.size}`),
      onBatchEnd: (b, logs) => void events.push(`batchEnd ${b} ${Number.isFinite(logs?.loss) ? 'loss' : '?'}`),
      onEpochEnd: (e, logs) => void (events.push(`epochEnd ${e}`), epochLogs.push({ ...logs })),
      onTrainEnd: () => void events.push('trainEnd'),
    };
    await model.fit(x, y, { epochs: 2, batchSize: 5, verbose: 0, validationData: [x, y], callbacks: [cb] });
    expect(modelSeen).toBe(model);
    expect(events).toEqual([
      'trainBegin',
      'epochBegin 0', 'batchBegin 0 size 5', 'batchEnd 0 loss', 'batchBegin 1 size 3', 'batchEnd 1 loss', 'epochEnd 0',
      'epochBegin 1', 'batchBegin 0 size 5', 'batchEnd 0 loss', 'batchBegin 1 size 3', 'batchEnd 1 loss', 'epochEnd 1',
      'trainEnd',
    ]);
    for (const l of epochLogs) expect(Object.keys(l).sort()).toEqual(['loss', 'lr', 'val_loss']);
  });
});

describe('progress output', () => {
  const fakeStream = (isTTY: boolean) => {
    const chunks: string[] = [];
    return { chunks, stream: { isTTY, write: (s: string) => (chunks.push(s), true), columns: 80, on: () => undefined, removeListener: () => undefined, cursorTo: () => true, clearLine: () => true, moveCursor: () => true } as unknown as NodeJS.WriteStream };
  };
  const run = (p: ProgressReporter) => {
    for (let e = 0; e < 3; e++) {
      p.epochBegin(e, 4);
      for (let s = 0; s < 4; s++) p.batchEnd(s, { loss: 1 / (s + 1) });
      p.epochEnd(e, { loss: 0.5, val_loss: 0.25 });
    }
  };

  it('not a TTY: exactly one line per epoch, Keras-formatted; verbose 0: nothing', () => {
    const f = fakeStream(false);
    run(new ProgressReporter(1, 3, f.stream));
    const lines = f.chunks.join('').split('\n').filter(Boolean);
    expect(lines.length).toBe(3);
    lines.forEach((l, e) => expect(l).toMatch(new RegExp(`^Epoch ${e + 1}/3 - \\d+\\.\\ds - loss: 0\\.5000 - val_loss: 0\\.2500$`)));
    const q = fakeStream(false);
    run(new ProgressReporter(0, 3, q.stream));
    expect(q.chunks).toEqual([]);
  });

  it('fit itself writes one line per epoch to a non-TTY stdout', async () => {
    const { x, y } = data(8);
    const model = compiled();
    const desc = Object.getOwnPropertyDescriptor(process.stdout, 'isTTY');
    const write = process.stdout.write;
    const out: string[] = [];
    Object.defineProperty(process.stdout, 'isTTY', { value: false, configurable: true });
    process.stdout.write = ((s: string | Uint8Array) => (out.push(String(s)), true)) as typeof process.stdout.write;
    try {
      await model.fit(x, y, { epochs: 3, batchSize: 4, verbose: 1 });
    } finally {
      process.stdout.write = write;
      if (desc) Object.defineProperty(process.stdout, 'isTTY', desc);
      else delete (process.stdout as { isTTY?: boolean }).isTTY;
    }
    const lines = out.join('').split('\n').filter((l) => l.startsWith('Epoch '));
    expect(lines.map((l) => l.slice(0, 9))).toEqual(['Epoch 1/3', 'Epoch 2/3', 'Epoch 3/3']);
    expect(out.join('').split('\n').filter(Boolean).length).toBe(3);
  });
});
