/**
 * Parity with PyTorch 1.13: fixtures from fixtures/gen-torch-fixtures.py (float32-exact inputs,
 * float64 maths), compared with the float64 reference backend.
 *
 * Tolerances: TOL = 1e-10 absolute where both sides compute in float64 from identical inputs (the
 * only differences are summation order and libm, ~1e-15 per op on values of order 10). Ops that use
 * a non-representable scalar constant (BN momentum 0.9/0.7, SELU's α and λ, GELU's √2) get
 * TOL_CONST = 5e-7 relative: core uploads number operands as float32 scalars even on the float64
 * reference (unit roundoff 6e-8, a few roundings per output), so parity there is float32-exact.
 */
import { describe, expect, it } from 'vitest';
import * as o from '../ops';
import type { Tensor } from '../tensor';
import parity from './fixtures/torch-parity.json';
import { fromFixture, maxAbsDiff, maxRelDiff, setValues, vals, type FixtureTensor } from './test-utils';
import * as nn from './torch';

const TOL = 1e-10;
const TOL_CONST = 5e-7;
type Conv = (typeof parity.conv2d)[number];

describe('PyTorch parity (float64 reference)', () => {
  it('nn.Linear forward and gradients for fixed weights', () => {
    const f = parity.linear;
    const lin = new nn.Linear(5, 3);
    setValues(lin.weight, f.weight.values);
    setValues(lin.bias!, f.bias.values);
    const x = fromFixture(f.x);
    x.requiresGrad = true;
    const y = lin(x) as Tensor;
    expect(y.shape).toEqual(f.y.shape);
    expect(maxAbsDiff(vals(y), f.y.values)).toBeLessThan(TOL);
    y.backward(fromFixture(f.gy));
    expect(maxAbsDiff(vals(x.grad!), f.gx.values)).toBeLessThan(TOL);
    expect(maxAbsDiff(vals(lin.weight.grad!), f.gweight.values)).toBeLessThan(TOL);
    expect(maxAbsDiff(vals(lin.bias!.grad!), f.gbias.values)).toBeLessThan(TOL);
  });

  it.each(parity.conv2d.map((c, i) => [i, c] as const))('nn.Conv2d case %i (stride, padding, dilation) forward and gradients', (_, c: Conv) => {
    const opts = c.opts as { stride: number | [number, number]; padding: number | [number, number]; dilation?: number };
    const conv = new nn.Conv2d(2, 3, 3, { stride: opts.stride, padding: opts.padding, ...(opts.dilation ? { dilation: opts.dilation } : {}) });
    setValues(conv.weight, c.weight.values);
    setValues(conv.bias!, c.bias.values);
    const x = fromFixture(c.x);
    x.requiresGrad = true;
    const y = conv(x) as Tensor;
    expect(y.shape).toEqual(c.y.shape);
    expect(maxAbsDiff(vals(y), c.y.values)).toBeLessThan(TOL);
    y.backward(fromFixture(c.gy));
    expect(maxAbsDiff(vals(x.grad!), c.gx.values)).toBeLessThan(TOL);
    expect(maxAbsDiff(vals(conv.weight.grad!), c.gweight.values)).toBeLessThan(TOL);
    expect(maxAbsDiff(vals(conv.bias!.grad!), c.gbias.values)).toBeLessThan(TOL);
  });

  it('nn.BatchNorm1d: outputs and running statistics after 3 training batches (2-D and 3-D), then eval', () => {
    const f = parity.batchnorm1d;
    const bn = new nn.BatchNorm1d(3);
    setValues(bn.weight!, f.weight.values);
    setValues(bn.bias!, f.bias.values);
    bn.train();
    for (const s of f.steps) {
      const y = bn(fromFixture(s.x)) as Tensor;
      expect(maxRelDiff(vals(y), s.y.values)).toBeLessThan(TOL_CONST);
      expect(maxRelDiff(vals(bn.runningMean!), s.running_mean)).toBeLessThan(TOL_CONST);
      expect(maxRelDiff(vals(bn.runningVar!), s.running_var)).toBeLessThan(TOL_CONST);
      expect(bn.stateDict()['num_batches_tracked']!.item()).toBe(s.num_batches_tracked);
    }
    bn.eval();
    const ye = bn(fromFixture(f.eval.x)) as Tensor;
    expect(maxRelDiff(vals(ye), f.eval.y.values)).toBeLessThan(TOL_CONST);
    expect(Object.keys(bn.stateDict())).toEqual(['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']);
  });

  it('nn.BatchNorm2d with momentum 0.3 and eps 1e-3: training output, running statistics, eval output', () => {
    const f = parity.batchnorm2d;
    const bn = new nn.BatchNorm2d(2, { momentum: f.momentum, eps: f.eps }).train();
    expect(maxRelDiff(vals(bn(fromFixture(f.x)) as Tensor), f.y.values)).toBeLessThan(TOL_CONST);
    expect(maxRelDiff(vals(bn.runningMean!), f.running_mean)).toBeLessThan(TOL_CONST);
    expect(maxRelDiff(vals(bn.runningVar!), f.running_var)).toBeLessThan(TOL_CONST);
    bn.eval();
    expect(maxRelDiff(vals(bn(fromFixture(f.eval.x)) as Tensor), f.eval.y.values)).toBeLessThan(TOL_CONST);
  });

  it('nn.MaxPool2d / nn.AvgPool2d with padding (count_include_pad both ways)', () => {
    const f = parity.pool;
    const x = fromFixture(f.x);
    const cases: [nn.Module, FixtureTensor][] = [
      [new nn.MaxPool2d(3, { stride: 2, padding: 1 }), f.max_k3_s2_p1],
      [new nn.AvgPool2d(3, { stride: 2, padding: 1 }), f.avg_k3_s2_p1],
      [new nn.AvgPool2d(3, { stride: 2, padding: 1, countIncludePad: false }), f.avg_k3_s2_p1_nopad],
      [new nn.MaxPool2d(2), f.max_k2],
    ];
    for (const [m, want] of cases) {
      const y = m(x) as Tensor;
      expect(y.shape).toEqual(want.shape);
      expect(maxAbsDiff(vals(y), want.values)).toBeLessThan(TOL);
    }
  });

  it('nn.LayerNorm over the last two axes with affine weights', () => {
    const f = parity.layernorm;
    const ln = new nn.LayerNorm([3, 4]);
    setValues(ln.weight!, f.weight.values);
    setValues(ln.bias!, f.bias.values);
    expect(maxAbsDiff(vals(ln(fromFixture(f.x)) as Tensor), f.y.values)).toBeLessThan(TOL);
  });

  it('activation modules match torch.nn.functional', () => {
    const f = parity.activations;
    const x = fromFixture(f.x);
    const x2 = x.reshape([1, 17]);
    const cases: [string, Tensor, FixtureTensor][] = [
      ['ReLU', new nn.ReLU()(x), f.relu], ['Sigmoid', new nn.Sigmoid()(x), f.sigmoid], ['Tanh', new nn.Tanh()(x), f.tanh],
      ['SELU', new nn.SELU()(x), f.selu], ['Softplus', new nn.Softplus()(x), f.softplus], ['LeakyReLU', new nn.LeakyReLU()(x), f.leaky_relu],
      ['ELU', new nn.ELU()(x), f.elu], ['GELU', new nn.GELU()(x), f.gelu], ['GELU(tanh)', new nn.GELU('tanh')(x), f.gelu_tanh],
      ['Softmax', new nn.Softmax(-1)(x2), f.softmax], ['LogSoftmax', new nn.LogSoftmax(-1)(x2), f.log_softmax],
    ];
    for (const [name, y, want] of cases) expect(maxRelDiff(vals(y), want.values), name).toBeLessThan(TOL_CONST);
    expect(vals(o.identity(x))).toEqual(f.x.values);
  });
});
