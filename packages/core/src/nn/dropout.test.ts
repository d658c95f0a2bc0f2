/**
 * Dropout in both doors: dropped fraction ≈ p, kept units scaled by exactly 1/(1 − p), identity in
 * inference, seedable, and the gradient is the same mask.
 *
 * Tolerance on the dropped fraction: 4 binomial standard errors √(p(1 − p)/n) (n = 100,000, fixed
 * seeds). The scale 1/(1 − p) is a float32 scalar in core, so kept values are compared with
 * 1/(1 − p) exactly (constants are float64 on the reference backend).
 */
import { describe, expect, it } from 'vitest';
import * as o from '../ops';
import type { Tensor } from '../tensor';
import { Dropout, TorchDropout } from './index';
import { vals } from './test-utils';

const N = [200, 500];
function check(y: number[], x: number[], p: number) {
  const dropped = y.filter((v) => v === 0).length / y.length;
  expect(Math.abs(dropped - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / y.length));
  const scale = 1 / (1 - p);
  // every kept unit is x/(1-p); x is never 0 here, so a zero means dropped
  y.forEach((v, i) => {
    if (v !== 0 && v !== x[i]! * scale) throw new Error(`unit ${i}: ${v} is neither 0 nor ${x[i]}·${scale}`);
  });
}

describe('Dropout (Keras) and nn.Dropout (PyTorch)', () => {
  it.each([0.1, 0.3, 0.5, 0.9])('rate %f: dropped fraction ≈ rate, kept scaled by 1/(1 − rate)', (p) => {
    const x = o.add(o.rand(N), 0.5);
    const xv = vals(x);
    check(vals(new Dropout(p, { seed: 1 })(x, { training: true }) as Tensor), xv, p);
    check(vals(new TorchDropout(p, { seed: 2 })(x) as Tensor), xv, p); // modules start in train mode
  });
  it('identity in inference: Keras by default (and training: false), PyTorch after eval()', () => {
    const x = o.randn([4, 5]);
    const d = new Dropout(0.5);
    expect(vals(d(x) as Tensor)).toEqual(vals(x));
    d.train();
    expect(vals(d(x, { training: false }) as Tensor)).toEqual(vals(x));
    expect(vals(d(x) as Tensor)).not.toEqual(vals(x)); // train() turns it on (what fit does)
    const t = new TorchDropout(0.5).eval();
    expect(vals(t(x) as Tensor)).toEqual(vals(x));
    expect(vals(new Dropout(0)(x, { training: true }) as Tensor)).toEqual(vals(x));
  });
  it('seeded layers repeat their masks; different seeds differ', () => {
    const x = o.ones([1000]);
    const m = (seed: number) => vals(new Dropout(0.5, { seed })(x, { training: true }) as Tensor);
    expect(m(42)).toEqual(m(42));
    expect(m(42)).not.toEqual(m(43));
    const a = new TorchDropout(0.5, { seed: 9 }), b = new TorchDropout(0.5, { seed: 9 });
    expect(vals(a(x) as Tensor)).toEqual(vals(b(x) as Tensor));
  });
  it('the gradient is the same scaled mask', () => {
    const x = o.randn([50, 20], { requiresGrad: true });
    const y = new Dropout(0.4, { seed: 3 })(x, { training: true }) as Tensor;
    y.sum().backward();
    const g = vals(x.grad!), yv = vals(y), xv = vals(x), s = 1 / 0.6;
    g.forEach((gi, i) => expect(gi).toBe(yv[i] === 0 ? 0 : s));
    expect(xv.length).toBe(1000);
  });
  it('rates outside [0, 1) are rejected with the layer named', () => {
    expect(() => new Dropout(1, { name: 'drop' })).toThrow(/Dropout: rate must be in \[0, 1\), got 1/);
    expect(() => new TorchDropout(-0.1)).toThrow(/nn\.Dropout: p must be in \[0, 1\), got -0\.1/);
  });
});
