import { describe, expect, it } from 'vitest';
import {
  Module, NNError, Sequential, ValueError, gradCheck, gradCheckVerdict, layers, losses, manualSeed, nn, noGrad, randn, record, regularizers,
  getBackend, sigmoid, tensor, useBackend, type Tensor,
} from '../index';

// The course's thresholds: a correct model's difference is < 1e-7; a planted bug gives ≥ 1e-3.
// Measured here in float64 with the course's ε = 1e-7: 7.8e-9 (Keras model) and 5.6e-9 (PyTorch
// module), limited by J's rounding (~1e-16·|J|/ε per entry; ε = 1e-5 gives 9.6e-11); the planted bug 0.075.
const labels = tensor([0, 2, 1, 1, 0, 2], [6], { dtype: 'int32' });

function kerasModel(): Sequential {
  manualSeed(4);
  const model = new Sequential([
    layers.Dense(5, { inputShape: [4], activation: 'tanh', kernelRegularizer: regularizers.l2(0.01) }),
    layers.BatchNormalization(),
    layers.Dropout(0.5),
    layers.Dense(3),
  ]);
  return model;
}

/** x·σ(x) whose declared gradient forgets the x·σ(x)(1 − σ(x)) term: the planted bug. */
class BuggySwish extends Module {
  override forward(x: Tensor): Tensor {
    const out = noGrad(() => x.mul(sigmoid(x)));
    return record(out, 'buggySwish', [x], (g) => [g.mul(sigmoid(x))]);
  }
}
/** The same, with the right gradient σ(x) + x·σ(x)(1 − σ(x)). */
class Swish extends Module {
  override forward(x: Tensor): Tensor {
    const out = noGrad(() => x.mul(sigmoid(x)));
    return record(out, 'swish', [x], (g) => {
      const s = sigmoid(x);
      return [g.mul(s.add(x.mul(s).mul(s.neg().add(1))))];
    });
  }
}

describe('gradCheck (the course: whole model, two-sided, float64)', () => {
  it('a correct Keras model (L2, BatchNorm, Dropout) is great: < 1e-7', () => {
    const model = kerasModel();
    const x = randn([6, 4]);
    const r = gradCheck(model, x, labels, { loss: losses.SparseCategoricalCrossentropy({ fromLogits: true }) });
    expect(r.difference).toBeLessThan(1e-7);
    expect(r.verdict).toBe('great');
    expect(r.checked).toBe(4 * 5 + 5 + 5 + 5 + 5 * 3 + 3); // dense kernel+bias, BN gamma+beta, dense_1 kernel+bias
    expect(r.perParameter.map((p) => p.parameter)).toHaveLength(6);
  });

  it('a correct PyTorch module with a custom op of the right gradient is great; the compiled loss is used', () => {
    manualSeed(5);
    const net = new nn.Sequential(new nn.Linear(4, 5), new Swish(), new nn.Dropout(0.5), new nn.Linear(5, 3));
    net.compile({ optimizer: 'sgd', loss: 'crossentropy' });
    const r = gradCheck(net, randn([6, 4]), labels);
    expect(r.difference).toBeLessThan(1e-7);
    expect(net.training).toBe(true); // the module's mode is restored
  });

  it('a planted bug (a custom op with a wrong gradient) is wrong: ≥ 1e-3, and the worst entries point before it', () => {
    manualSeed(5);
    const net = new nn.Sequential(new nn.Linear(4, 5), new BuggySwish(), new nn.Linear(5, 3));
    const r = gradCheck(net, randn([6, 4]), labels, { loss: 'crossentropy' });
    expect(r.difference).toBeGreaterThan(1e-3);
    expect(r.verdict).toBe('wrong');
    const by = Object.fromEntries(r.perParameter.map((p) => [p.parameter, p.difference]));
    expect(by['2.weight']).toBeLessThan(1e-7); // after the bad op: right
    expect(by['0.weight']).toBeGreaterThan(1e-3); // before it: wrong
    expect(r.worst[0]!.parameter.startsWith('0.')).toBe(true);
    expect(Math.abs(r.worst[0]!.analytic - r.worst[0]!.numeric)).toBeGreaterThan(0);
  });

  it('leaves parameters, gradients and modes exactly as they were', () => {
    const model = kerasModel();
    const x = randn([6, 4]);
    model(x); // build
    const before = model.parameters().map((p) => Array.from(p.dataSync()));
    const g = model.parameters()[0]!;
    g.grad = tensor(new Array(20).fill(7), [4, 5]).keep();
    gradCheck(model, x, labels, { loss: losses.SparseCategoricalCrossentropy({ fromLogits: true }), maxPerParameter: 3 });
    expect(model.parameters().map((p) => Array.from(p.dataSync()))).toEqual(before);
    expect(Array.from(g.grad!.dataSync())).toEqual(new Array(20).fill(7));
  });

  it('maxPerParameter samples evenly; worst lists at most `worst` entries, largest error first', () => {
    manualSeed(5);
    const net = new nn.Sequential(new nn.Linear(4, 5), new BuggySwish(), new nn.Linear(5, 3));
    const r = gradCheck(net, randn([6, 4]), labels, { loss: 'crossentropy', maxPerParameter: 2, worst: 3 });
    expect(r.checked).toBe(2 * 4);
    expect(r.worst).toHaveLength(3);
    const errs = r.worst.map((e) => Math.abs(e.analytic - e.numeric));
    expect([...errs].sort((a, b) => b - a)).toEqual(errs);
  });

  it("the course's thresholds", () => {
    expect([1e-9, 1e-6, 1e-4, 1e-3, 0.5, NaN].map(gradCheckVerdict)).toEqual(['great', 'ok, look closer', 'suspicious', 'wrong', 'wrong', 'wrong']);
  });

  it('clear errors: no loss, bad eps, another backend', async () => {
    const net = new nn.Linear(4, 3);
    expect(() => gradCheck(net, randn([2, 4]), labels)).toThrow(/no loss: the model is not compiled/);
    expect(() => gradCheck(net, randn([2, 4]), labels, { loss: 'mse', eps: 0 })).toThrow(ValueError);
    const prev = getBackend();
    await useBackend({ ...prev, name: 'other' });
    try {
      expect(() => gradCheck(net, tensor([1]), labels, { loss: 'mse' })).toThrow(NNError);
      expect(() => gradCheck(net, tensor([1]), labels, { loss: 'mse' })).toThrow(/runs on the float64 reference backend/);
    } finally {
      await useBackend(prev);
    }
  });
});

describe('gradCheck on a model that builds on its first call', () => {
  it('builds it (no input shape given) and checks every weight', () => {
    manualSeed(6);
    const model = new Sequential([layers.Dense(3, { activation: 'tanh' }), layers.Dense(2)]);
    expect(model.parameters()).toHaveLength(0);
    const r = gradCheck(model, randn([5, 4]), tensor([0, 1, 1, 0, 1], [5], { dtype: 'int32' }), { loss: losses.SparseCategoricalCrossentropy({ fromLogits: true }) });
    expect(r.checked).toBe(4 * 3 + 3 + 3 * 2 + 2);
    expect(r.verdict).toBe('great');
  });
});
