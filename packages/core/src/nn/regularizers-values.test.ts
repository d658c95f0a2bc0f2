import { describe, expect, it } from 'vitest';
import { Input, Layer, Model, Sequential, getRegularizer, layers, nn, noGrad, optimizers, regularizers, tensor, type Tensor } from '../index';
import type { Dense } from './layers/dense';

// Regularization penalties against hand computation in plain JS, on the float64 reference backend
// (the default). Every weight and input is exact in float32 (tensor() from JS numbers stores float32),
// and the sums have a handful of terms, so 1e-12 absolute is a rounding-level bound.
const close = (a: number, b: number) => expect(Math.abs(a - b), `${a} vs ${b}`).toBeLessThan(1e-12);
const l1 = (v: number[]) => v.reduce((s, x) => s + Math.abs(x), 0);
const l2 = (v: number[]) => v.reduce((s, x) => s + x * x, 0);
const vals = (t: Tensor) => Array.from(t.dataSync());

const K = [[0.5, -1], [1.5, 0.25]];
const B = [0.125, -0.375];
const X = [[1, 0], [0, 1], [1, 1], [2, -1]];
const Y = [[0, 1], [1, 0], [1, 1], [0, 0]];
/** x·K + b for one row. */
const affine = (row: number[]) => [0, 1].map((j) => row[0]! * K[0]![j]! + row[1]! * K[1]![j]! + B[j]!);
const setWeights = (d: Dense) => noGrad(() => {
  d.kernel.copy_(tensor(K));
  d.bias!.copy_(tensor(B));
});

describe('regularizer functions', () => {
  const x = tensor([[1, -2], [3, -0.5]]); // Σ|x| = 6.5, Σx² = 14.25
  it('L1, L2, L1L2 (and the lowercase Keras shortcuts) equal l1·Σ|x| + l2·Σx² with Keras defaults', () => {
    close(regularizers.L1({ l1: 0.1 })(x).item(), 0.65);
    close(regularizers.L2({ l2: 0.2 })(x).item(), 2.85);
    close(regularizers.L1L2({ l1: 0.1, l2: 0.2 })(x).item(), 3.5);
    close(regularizers.L1()(x).item(), 0.065); // keras.regularizers.L1() : l1 = 0.01
    close(regularizers.L2()(x).item(), 0.1425); // keras.regularizers.L2() : l2 = 0.01
    close(regularizers.L1L2()(x).item(), 0); // keras.regularizers.L1L2() : both 0
    close(regularizers.l1l2()(x).item(), 0.2075); // keras.regularizers.l1_l2() : both 0.01
    close(getRegularizer({ className: 'L1L2', config: { l1: 0.1 } })(x).item(), 0.65);
    expect(() => regularizers.L2({ l2: -1 })).toThrow(/l2 must be a finite number ≥ 0, got -1/);
  });
});

describe('weight and activity penalties of a Dense layer', () => {
  it('kernel and bias penalties equal the hand sums, and their gradients are l1·sign(w) and 2·l2·w', () => {
    const d = layers.Dense(2, { inputDim: 2, kernelRegularizer: regularizers.L1({ l1: 0.1 }), biasRegularizer: regularizers.L2({ l2: 0.2 }) });
    setWeights(d);
    const pens = d.losses;
    expect(pens.length).toBe(2);
    close(pens[0]!.item(), 0.1 * l1(K.flat()));
    close(pens[1]!.item(), 0.2 * l2(B));
    pens[0]!.add(pens[1]!).backward();
    vals(d.kernel.grad!).forEach((g, i) => close(g, 0.1 * Math.sign(K.flat()[i]!)));
    vals(d.bias!.grad!).forEach((g, i) => close(g, 0.4 * B[i]!));
  });

  it('the activity penalty is taken on the output and divided by the batch size (Keras), from the last call only', () => {
    const d = layers.Dense(2, { inputDim: 2, activation: 'relu', activityRegularizer: regularizers.L1L2({ l1: 0.3, l2: 10 }) });
    setWeights(d);
    const want = (rows: number[][]) => {
      const out = rows.flatMap((r) => affine(r).map((v) => Math.max(v, 0)));
      return (0.3 * l1(out) + 10 * l2(out)) / rows.length;
    };
    d(tensor(X));
    expect(d.losses.length).toBe(1);
    close(d.losses[0]!.item(), want(X));
    d(tensor(X.slice(0, 2)));
    expect(d.losses.length).toBe(1); // replaced, not accumulated
    close(d.losses[0]!.item(), want(X.slice(0, 2)));
    // Not a sum: a batch of 4 and the same rows twice as a batch of 8 give the same penalty.
    d(tensor([...X, ...X]));
    close(d.losses[0]!.item(), want(X));
  });
});

/** Loss fit should report for one epoch over X in batches of `bs` (no shuffle): per-batch MSE plus penalties, batch-size weighted. */
function expectedEpochLoss(bs: number, pen: { kernel: number; bias: number; act: (out: number[]) => number }) {
  let total = 0;
  for (let s = 0; s < X.length; s += bs) {
    const rows = X.slice(s, s + bs), ys = Y.slice(s, s + bs);
    const out = rows.map(affine);
    const mse = out.flat().reduce((a, v, i) => a + (v - ys.flat()[i]!) ** 2, 0) / out.flat().length;
    total += rows.length * (mse + pen.kernel + pen.bias + pen.act(out.flat()) / rows.length);
  }
  return total / X.length;
}

describe("fit's reported loss includes the penalties", () => {
  const regs = () => ({
    kernelRegularizer: regularizers.L2({ l2: 0.5 }),
    biasRegularizer: regularizers.L1({ l1: 0.25 }),
    activityRegularizer: regularizers.L1({ l1: 0.1 }),
  });
  const pen = { kernel: 0.5 * l2(K.flat()), bias: 0.25 * l1(B), act: (out: number[]) => 0.1 * l1(out) };
  const none = { kernel: 0, bias: 0, act: () => 0 };

  it('Sequential, frozen (lr 0): loss = MSE + kernel + bias + activity/batch, per batch; evaluate agrees; no regularizers → MSE only', async () => {
    for (const bs of [2, 4]) {
      const reg = new Sequential([layers.Dense(2, { inputShape: [2], ...regs() })]);
      const plain = new Sequential([layers.Dense(2, { inputShape: [2] })]);
      for (const m of [reg, plain]) {
        setWeights(m.layers[0] as Dense);
        m.compile({ optimizer: optimizers.SGD({ learningRate: 0 }), loss: 'mse' });
      }
      const hr = await reg.fit(tensor(X), tensor(Y), { epochs: 1, batchSize: bs, shuffle: false, verbose: 0 });
      const hp = await plain.fit(tensor(X), tensor(Y), { epochs: 1, batchSize: bs, shuffle: false, verbose: 0 });
      close(hr.history.loss![0]!, expectedEpochLoss(bs, pen));
      close(hp.history.loss![0]!, expectedEpochLoss(bs, none));
      expect(hr.history.loss![0]! - hp.history.loss![0]!).toBeGreaterThan(1); // the penalties are not negligible here
      close((await reg.evaluate(tensor(X), tensor(Y), { batchSize: bs })).loss!, expectedEpochLoss(bs, pen));
    }
  });

  it('functional Model: the same numbers, and the update follows the gradient of loss + penalties', async () => {
    const inputs = Input({ shape: [2] });
    const m = Model({ inputs, outputs: layers.Dense(2, regs())(inputs) });
    setWeights(m.layers[0] as Dense);
    m.compile({ optimizer: optimizers.SGD({ learningRate: 0.1 }), loss: 'mse' });
    // One full batch: the logged loss is the one before the step.
    const h = await m.fit(tensor(X), tensor(Y), { epochs: 1, batchSize: 4, shuffle: false, verbose: 0 });
    close(h.history.loss![0]!, expectedEpochLoss(4, pen));
    // Hand gradient of MSE + 0.5·ΣK² + 0.25·Σ|b| + 0.1·Σ|out|/4 (out = x·K + b, all outputs ≠ 0).
    const n = X.length * 2;
    const gK = [[0, 0], [0, 0]], gB = [0, 0];
    X.forEach((r, i) => {
      const out = affine(r);
      [0, 1].forEach((j) => {
        const go = (2 * (out[j]! - Y[i]![j]!)) / n + (0.1 * Math.sign(out[j]!)) / X.length;
        gK[0]![j]! += r[0]! * go;
        gK[1]![j]! += r[1]! * go;
        gB[j]! += go;
      });
    });
    const d = m.layers[0] as Dense;
    vals(d.kernel).forEach((w, i) => close(w, K.flat()[i]! - 0.1 * (gK.flat()[i]! + 2 * 0.5 * K.flat()[i]!)));
    vals(d.bias!).forEach((w, i) => close(w, B[i]! - 0.1 * (gB[i]! + 0.25 * Math.sign(B[i]!))));
  });

  it('nn.Module holding a Keras layer: penalties counted once', async () => {
    class Net extends nn.Module {
      dense = layers.Dense(2, { inputDim: 2, ...regs() });
      override forward(x: Tensor) { return this.dense(x); }
    }
    const net = new Net();
    setWeights(net.dense);
    net.compile({ optimizer: optimizers.SGD({ learningRate: 0 }), loss: 'mse' });
    const h = await net.fit(tensor(X), tensor(Y), { epochs: 1, batchSize: 2, shuffle: false, verbose: 0 });
    close(h.history.loss![0]!, expectedEpochLoss(2, pen));
  });

  it('nn.Module holding a Keras Sequential of regularized layers: penalties counted once (not once per nesting level)', async () => {
    class Net extends nn.Module {
      body = new Sequential([layers.Dense(2, { inputShape: [2], ...regs() })]);
      override forward(x: Tensor) { return this.body(x); }
    }
    const net = new Net();
    setWeights(net.body.layers[0] as Dense);
    expect((net.body as Layer).losses.length).toBe(2); // kernel and bias (no call yet, so no activity)
    net.compile({ optimizer: optimizers.SGD({ learningRate: 0 }), loss: 'mse' });
    const h = await net.fit(tensor(X), tensor(Y), { epochs: 1, batchSize: 2, shuffle: false, verbose: 0 });
    close(h.history.loss![0]!, expectedEpochLoss(2, pen));
  });
});
