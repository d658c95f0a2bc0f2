import { describe, expect, it } from 'vitest';
import { Generator, Sequential, layers, losses, nn, noGrad, optimizers, tensor, type Callback, type Tensor } from '../index';
import type { Dense } from '../nn/layers/dense';

// fit's options (Keras semantics), on the float64 reference backend. A recording module sees every
// batch: inputs are sample ids, so the batch order and the train/validation rows can be read back.

/** y = w·x + b with w, b frozen (lr 0) unless trained; records the ids it sees, by mode. */
class Recorder extends nn.Module {
  lin = new nn.Linear(1, 1);
  train_: number[][] = [];
  eval_: number[][] = [];
  constructor(w = 2, b = 0.5) {
    super();
    noGrad(() => { this.lin.weight.fill_(w); this.lin.bias!.fill_(b); });
  }
  override forward(x: Tensor) {
    (this.training ? this.train_ : this.eval_).push(Array.from(x.dataSync()));
    return this.lin(x);
  }
}
const ids = (n: number, from = 0) => tensor(Array.from({ length: n }, (_, i) => [from + i]));
const frozen = (m: nn.Module, loss: Parameters<nn.Module['compile']>[0]['loss'] = 'mse', metrics: string[] = []) => {
  m.compile({ optimizer: optimizers.SGD({ learningRate: 0 }), loss, metrics });
  return m;
};
/** The ids seen in each epoch (concatenated batches), for `perEpoch` batches per epoch. */
const epochsOf = (seen: number[][], perEpoch: number) => {
  const out: number[][] = [];
  for (let i = 0; i < seen.length; i += perEpoch) out.push(seen.slice(i, i + perEpoch).flat());
  return out;
};
const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);
const sorted = (v: number[]) => [...v].sort((a, b) => a - b);

describe('shuffle', () => {
  it('reorders the batches every epoch, from seed + epoch (reproducible), each epoch a permutation of all rows', async () => {
    const run = async (seed: number, extra: object = {}) => {
      const m = frozen(new Recorder());
      await m.fit(ids(12), tensor(new Array(12).fill([0])), { epochs: 3, batchSize: 4, seed, verbose: 0, ...extra });
      return epochsOf((m as Recorder).train_, 3);
    };
    const a = await run(5);
    expect(a.length).toBe(3);
    for (const e of a) expect(sorted(e)).toEqual(range(12));
    expect(new Set(a.map((e) => e.join(','))).size).toBe(3); // three different orders
    expect(a[0]).not.toEqual(range(12));
    // The order of epoch e is the documented permutation from seed + e.
    a.forEach((e, k) => expect(e).toEqual(Array.from(new Generator(5 + k).permutation(12))));
    expect(await run(5)).toEqual(a);
    expect((await run(6))[0]).not.toEqual(a[0]);
    // A resumed run (initialEpoch 1) sees exactly the orders the full run saw from epoch 1 on.
    expect(await run(5, { initialEpoch: 1 })).toEqual(a.slice(1));
    // shuffle: false keeps the row order.
    expect(await run(5, { shuffle: false })).toEqual([range(12), range(12), range(12)]);
  });
});

describe('validationSplit', () => {
  it('holds out the LAST rows, before shuffling (Keras), and evaluates them in inference mode', async () => {
    const m = frozen(new Recorder()) as Recorder;
    const h = await m.fit(ids(10), tensor(new Array(10).fill([0])), { epochs: 2, batchSize: 3, validationSplit: 0.3, verbose: 0 });
    const train = epochsOf(m.train_, 3);
    for (const e of train) expect(sorted(e)).toEqual(range(7));
    expect(train[0]).not.toEqual(range(7)); // shuffled …
    expect(m.eval_).toEqual([[7, 8, 9], [7, 8, 9]]); // … but the validation rows are always 7, 8, 9
    // val_loss by hand: prediction 2x + 0.5 against 0.
    const want = [7, 8, 9].reduce((s, v) => s + (2 * v + 0.5) ** 2, 0) / 3;
    expect(Math.abs(h.history.val_loss![0]! - want)).toBeLessThan(1e-9);
  });
});

describe('validationData', () => {
  it('arrays: used each epoch (never trained on), val_loss and val metrics equal the hand values and evaluate()', async () => {
    const m = frozen(new Recorder(), 'mse', ['mae']) as Recorder;
    const xv = tensor([[1], [-1], [3]]), yv = tensor([[2], [0], [5]]);
    const h = await m.fit(ids(6), tensor(new Array(6).fill([0])), { epochs: 2, batchSize: 6, validationData: [xv, yv], verbose: 0 });
    for (const e of epochsOf(m.train_, 1)) expect(sorted(e)).toEqual(range(6));
    expect(m.eval_).toEqual([[1, -1, 3], [1, -1, 3]]);
    const pred = [2.5, -1.5, 6.5], yt = [2, 0, 5];
    const mse = pred.reduce((s, p, i) => s + (p - yt[i]!) ** 2, 0) / 3; // (0.25 + 2.25 + 2.25) / 3
    const mae = pred.reduce((s, p, i) => s + Math.abs(p - yt[i]!), 0) / 3;
    expect(h.history.val_loss).toEqual([mse, mse]);
    expect(Object.keys(h.history).filter((k) => k.startsWith('val_')).sort()).toEqual(['val_loss', 'val_mae']);
    expect(Math.abs(h.history.val_mae![0]! - mae)).toBeLessThan(1e-12);
    expect((await m.evaluate(xv, yv)).loss).toBe(mse);
  });

  it('a batched source works as validation data too', async () => {
    const m = frozen(new Recorder()) as Recorder;
    const source = { async *[Symbol.asyncIterator]() { yield [tensor([[1], [-1]]), tensor([[2], [0]])] as const; yield [tensor([[3]]), tensor([[5]])] as const; } };
    const h = await m.fit(ids(4), tensor(new Array(4).fill([0])), { epochs: 1, batchSize: 4, validationData: source, verbose: 0 });
    expect(m.eval_).toEqual([[1, -1], [3]]);
    expect(Math.abs(h.history.val_loss![0]! - (0.25 + 2.25 + 2.25) / 3)).toBeLessThan(1e-12); // batch-size weighted mean
  });
});

describe('classWeight', () => {
  // Logits x·K + b of a frozen Dense(2); cross-entropy per sample by hand; Keras weighs each sample's
  // loss by its class weight and divides by the batch size (sum_over_batch_size).
  const K = [[0.5, -1], [1.5, 0.25]], B = [0.125, -0.375];
  const X = [[1, 0], [0, 1], [1, 1], [2, -1]], labels = [0, 1, 1, 0];
  const ce = (row: number[], c: number) => {
    const z = [0, 1].map((j) => row[0]! * K[0]![j]! + row[1]! * K[1]![j]! + B[j]!);
    const m = Math.max(...z);
    return m + Math.log(z.reduce((s, v) => s + Math.exp(v - m), 0)) - z[c]!;
  };
  const model = () => {
    const d = layers.Dense(2, { inputShape: [2] });
    const s = new Sequential([d]);
    noGrad(() => { (d as Dense).kernel.copy_(tensor(K)); (d as Dense).bias!.copy_(tensor(B)); });
    return s;
  };
  const expected = (w: Record<number, number>, bs: number) => {
    let total = 0;
    for (let s = 0; s < X.length; s += bs) {
      const idx = range(Math.min(bs, X.length - s), s);
      total += idx.reduce((a, i) => a + (w[labels[i]!] ?? 1) * ce(X[i]!, labels[i]!), 0); // Σ per batch, /|b| then ×|b| for the epoch mean
    }
    return total / X.length;
  };

  it('integer labels: each sample\'s loss weighted by its class, per batch', async () => {
    for (const bs of [2, 4]) {
      const m = frozen(model(), losses.SparseCategoricalCrossentropy({ fromLogits: true }));
      const h = await m.fit(tensor(X), tensor(labels, undefined, { dtype: 'int32' }), { epochs: 1, batchSize: bs, shuffle: false, classWeight: { 0: 1, 1: 3 }, verbose: 0 });
      expect(Math.abs(h.history.loss![0]! - expected({ 0: 1, 1: 3 }, bs))).toBeLessThan(1e-12);
      expect(Math.abs(h.history.loss![0]! - expected({}, bs))).toBeGreaterThan(0.1); // the weights matter here
    }
  });

  it('one-hot labels: the class is the argmax; classes not listed weigh 1', async () => {
    const m = frozen(model(), losses.CategoricalCrossentropy({ fromLogits: true }));
    const oneHot = labels.map((c) => [c === 0 ? 1 : 0, c === 1 ? 1 : 0]);
    const h = await m.fit(tensor(X), tensor(oneHot), { epochs: 1, batchSize: 4, shuffle: false, classWeight: { 0: 0.25 }, verbose: 0 });
    expect(Math.abs(h.history.loss![0]! - expected({ 0: 0.25 }, 4))).toBeLessThan(1e-12);
  });

  it('the weights shape the update: class 0 weighted 0 leaves only class-1 gradients', async () => {
    const a = frozen(model(), losses.SparseCategoricalCrossentropy({ fromLogits: true }));
    a.compile({ optimizer: optimizers.SGD({ learningRate: 0.1 }), loss: losses.SparseCategoricalCrossentropy({ fromLogits: true }) });
    const b = model();
    b.compile({ optimizer: optimizers.SGD({ learningRate: 0.1 }), loss: losses.SparseCategoricalCrossentropy({ fromLogits: true }) });
    const y = tensor(labels, undefined, { dtype: 'int32' });
    await a.fit(tensor(X), y, { epochs: 1, batchSize: 4, shuffle: false, classWeight: { 0: 0 }, verbose: 0 });
    // The same step by hand: zero weight = those rows contribute nothing, but the divisor stays 4.
    await b.fit(tensor([X[1]!, X[2]!]), tensor([1, 1], undefined, { dtype: 'int32' }), { epochs: 1, batchSize: 2, shuffle: false, verbose: 0 });
    const ka = Array.from(((a as Sequential).layers[0] as Dense).kernel.dataSync());
    const kb = Array.from(((b as Sequential).layers[0] as Dense).kernel.dataSync());
    // b divided by 2 rows instead of 4: its step is twice a's.
    ka.forEach((v, i) => expect(Math.abs(v - K.flat()[i]! - (kb[i]! - K.flat()[i]!) / 2)).toBeLessThan(1e-12));
    expect(ka).not.toEqual(K.flat());
  });
});

describe('initialEpoch', () => {
  it('starts the epoch counter there: History, callbacks and the progress line count from it', async () => {
    const m = frozen(new Recorder());
    const begun: number[] = [];
    const cb: Callback = { onEpochBegin: (e) => void begun.push(e) };
    const write = process.stdout.write;
    const desc = Object.getOwnPropertyDescriptor(process.stdout, 'isTTY');
    const out: string[] = [];
    Object.defineProperty(process.stdout, 'isTTY', { value: false, configurable: true });
    process.stdout.write = ((s: string | Uint8Array) => (out.push(String(s)), true)) as typeof process.stdout.write;
    let h;
    try {
      h = await m.fit(ids(4), tensor(new Array(4).fill([0])), { epochs: 4, initialEpoch: 2, batchSize: 4, verbose: 2, callbacks: [cb] });
    } finally {
      process.stdout.write = write;
      if (desc) Object.defineProperty(process.stdout, 'isTTY', desc);
      else delete (process.stdout as { isTTY?: boolean }).isTTY;
    }
    expect(h.epoch).toEqual([2, 3]);
    expect(begun).toEqual([2, 3]);
    expect(h.history.loss!.length).toBe(2);
    expect(out.join('').split('\n').filter((l) => l.startsWith('Epoch ')).map((l) => l.slice(0, 9))).toEqual(['Epoch 3/4', 'Epoch 4/4']);
  });
});

describe('a source of unbatched samples', () => {
  // A Dataset of single samples (plain arrays, not Tensors) handed to fit straight away: the error must
  // say what the batch held and how to batch it, instead of failing deep inside the step.
  it('is a clear error that names the part and points to DataLoader', async () => {
    const m = new Sequential([layers.Dense(1, { inputShape: [2] })]);
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    const samples = { async *[Symbol.asyncIterator]() { yield [[1, 2], [3]]; yield [[4, 5], [6]]; } };
    await expect(m.fit(samples as never, { epochs: 1, verbose: 0 })).rejects.toThrow(
      "fit: a batch's x is an array of 2, not a Tensor. Batches must be [x, y] or { x, y } of Tensors: wrap a Dataset of samples in a DataLoader",
    );
    const typed = { async *[Symbol.asyncIterator]() { yield { x: tensor([[1, 2]]), y: new Float32Array([3]) }; } };
    await expect(m.fit(typed as never, { epochs: 1, verbose: 0 })).rejects.toThrow("fit: a batch's y is a Float32Array of 1, not a Tensor.");
  });
});

describe('engine by name', () => {
  it("an unknown engine name is a clear error naming it and the known ones", async () => {
    const m = frozen(new Recorder());
    await expect(m.fit(ids(4), ids(4), { verbose: 0, engine: 'tpu' })).rejects.toThrow(/fit: unknown engine "tpu"; expected one of 'auto', 'eager', 'ort'.*or an engine object/);
  });
});
