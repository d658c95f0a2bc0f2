import { describe, expect, it } from 'vitest';
import { memory, scope } from '../engine';
import { Adagrad } from './adagrad';
import { Adam, AdamW } from './adam';
import { RMSprop } from './rmsprop';
import { SGD } from './sgd';
import * as optimizers from './keras-door';
import { tensor } from '../ops';
import { ExponentialDecay } from './schedules';
import { GRADS, maxRelErr, param, reference, run, setGrad } from './test-helpers';

// Every case below compares 4 update steps with a scalar JS transcription of the documented formula.
// Weights, gradients and hyperparameters are exact in float64 (dyadic weights/gradients; scalars
// uploaded at full precision), so the only differences are float64 rounding in a different order:
// a few ulps per step. 1e-12 relative leaves three orders of magnitude of margin.
const TOL = 1e-12;

/** Per-element state for the JS references. */
const zeros = () => [0, 0, 0, 0];

describe('PyTorch-door SGD', () => {
  it('plain: w -= lr·g', () => {
    const p = param();
    const got = run(new SGD([p], { lr: 0.1 }), p);
    expect(maxRelErr(got, reference((w, g) => w - 0.1 * g))).toBeLessThan(TOL);
  });

  it('heavy ball with dampening and weight decay: b1 = d, b = μb + (1−τ)d, w -= lr·b', () => {
    const p = param();
    const got = run(new SGD([p], { lr: 0.1, momentum: 0.9, dampening: 0.1, weightDecay: 0.01 }), p);
    const b = zeros();
    const want = reference((w, g, i, t) => {
      const d = g + 0.01 * w;
      b[i] = t === 1 ? d : 0.9 * b[i]! + 0.9 * d;
      return w - 0.1 * b[i]!;
    });
    expect(maxRelErr(got, want)).toBeLessThan(TOL);
  });

  it('Nesterov: w -= lr·(d + μb)', () => {
    const p = param();
    const got = run(new SGD([p], { lr: 0.05, momentum: 0.8, nesterov: true }), p);
    const b = zeros();
    const want = reference((w, g, i, t) => {
      b[i] = t === 1 ? g : 0.8 * b[i]! + g;
      return w - 0.05 * (g + 0.8 * b[i]!);
    });
    expect(maxRelErr(got, want)).toBeLessThan(TOL);
  });

  it("momentumForm 'keras': v = μv − lr·g, w += v", () => {
    const p = param();
    const got = run(new SGD([p], { lr: 0.1, momentum: 0.9, momentumForm: 'keras' }), p);
    const v = zeros();
    const want = reference((w, g, i) => {
      v[i] = 0.9 * v[i]! - 0.1 * g;
      return w + v[i]!;
    });
    expect(maxRelErr(got, want)).toBeLessThan(TOL);
  });

  it("momentumForm 'ema' (the course): v = βv + (1−β)g, w -= α·v", () => {
    const p = param();
    const got = run(new SGD([p], { lr: 0.3, momentum: 0.9, momentumForm: 'ema' }), p);
    const v = zeros();
    const want = reference((w, g, i) => {
      v[i] = 0.9 * v[i]! + 0.1 * g;
      return w - 0.3 * v[i]!;
    });
    expect(maxRelErr(got, want)).toBeLessThan(TOL);
  });
});

describe('PyTorch-door Adam / AdamW', () => {
  const adamRef = (lr: number, b1: number, b2: number, eps: number, wd: number, decoupled: boolean, ams = false) => {
    const m = zeros(), v = zeros(), vmax = zeros();
    return reference((w0, g0, i, t) => {
      let w = w0, g = g0;
      if (decoupled) w = w * (1 - lr * wd);
      else g = g + wd * w;
      m[i] = b1 * m[i]! + (1 - b1) * g;
      v[i] = b2 * v[i]! + (1 - b2) * g * g;
      vmax[i] = Math.max(vmax[i]!, v[i]!);
      const vh = (ams ? vmax[i]! : v[i]!) / (1 - b2 ** t);
      const mh = m[i]! / (1 - b1 ** t);
      return w - (lr * mh) / (Math.sqrt(vh) + eps);
    });
  };

  it('defaults (lr 1e-3, betas .9/.999, eps 1e-8): w -= lr·m̂/(√v̂ + ε)', () => {
    const p = param();
    const got = run(new Adam([p]), p);
    expect(maxRelErr(got, adamRef(1e-3, 0.9, 0.999, 1e-8, 0, false))).toBeLessThan(TOL);
  });

  it('large eps, L2 weight decay and AMSGrad', () => {
    const p = param();
    const got = run(new Adam([p], { lr: 0.01, betas: [0.8, 0.9], eps: 0.1, weightDecay: 0.05, amsgrad: true }), p);
    expect(maxRelErr(got, adamRef(0.01, 0.8, 0.9, 0.1, 0.05, false, true))).toBeLessThan(TOL);
  });

  it('AdamW: decoupled decay, default 1e-2', () => {
    const p = param();
    const got = run(new AdamW([p], { lr: 0.1, eps: 0.01 }), p);
    expect(maxRelErr(got, adamRef(0.1, 0.9, 0.999, 0.01, 1e-2, true))).toBeLessThan(TOL);
  });

  it("epsilonForm 'keras' on the PyTorch door: w -= lr·√bc2/bc1 · m/(√v + ε)", () => {
    const p = param();
    const got = run(new Adam([p], { lr: 0.01, eps: 0.1, epsilonForm: 'keras' }), p);
    const m = zeros(), v = zeros();
    const want = reference((w, g, i, t) => {
      m[i] = 0.9 * m[i]! + 0.1 * g;
      v[i] = 0.999 * v[i]! + 0.001 * g * g;
      return w - ((0.01 * Math.sqrt(1 - 0.999 ** t)) / (1 - 0.9 ** t)) * (m[i]! / (Math.sqrt(v[i]!) + 0.1));
    });
    expect(maxRelErr(got, want)).toBeLessThan(TOL);
  });
});

describe('PyTorch-door RMSprop', () => {
  it('defaults (lr 1e-2, alpha .99, eps 1e-8 outside the root)', () => {
    const p = param();
    const got = run(new RMSprop([p]), p);
    const S = zeros();
    const want = reference((w, g, i) => {
      S[i] = 0.99 * S[i]! + 0.01 * g * g;
      return w - (0.01 * g) / (Math.sqrt(S[i]!) + 1e-8);
    });
    expect(maxRelErr(got, want)).toBeLessThan(TOL);
  });

  it('centered with momentum and weight decay', () => {
    const p = param();
    const got = run(new RMSprop([p], { lr: 0.01, alpha: 0.9, eps: 0.1, momentum: 0.5, centered: true, weightDecay: 0.1 }), p);
    const S = zeros(), A = zeros(), B = zeros();
    const want = reference((w, g0, i) => {
      const g = g0 + 0.1 * w;
      S[i] = 0.9 * S[i]! + 0.1 * g * g;
      A[i] = 0.9 * A[i]! + 0.1 * g;
      B[i] = 0.5 * B[i]! + g / (Math.sqrt(S[i]! - A[i]! * A[i]!) + 0.1);
      return w - 0.01 * B[i]!;
    });
    expect(maxRelErr(got, want)).toBeLessThan(TOL);
  });
});

describe('PyTorch-door Adagrad', () => {
  it('lr decay, initial accumulator, eps outside the root', () => {
    const p = param();
    const got = run(new Adagrad([p], { lr: 0.1, lrDecay: 0.5, initialAccumulatorValue: 0.25, eps: 0.01 }), p);
    const G = [0.25, 0.25, 0.25, 0.25];
    const want = reference((w, g, i, t) => {
      G[i] = G[i]! + g * g;
      return w - ((0.1 / (1 + (t - 1) * 0.5)) * g) / (Math.sqrt(G[i]!) + 0.01);
    });
    expect(maxRelErr(got, want)).toBeLessThan(TOL);
  });
});

describe('param groups, zeroGrad, closure, lr', () => {
  it('each group uses its own lr; lr setter sets all', () => {
    const a = param(), b = param();
    const opt = new SGD([{ params: [a] }, { params: [b], lr: 0.5 }], { lr: 0.1 });
    run(opt, a, 1);
    expect(opt.paramGroups.map((g) => g.lr)).toEqual([0.1, 0.5]);
    opt.lr = 0.2;
    expect(opt.paramGroups.map((g) => g.lr)).toEqual([0.2, 0.2]);
  });

  it('zeroGrad disposes gradients and sets them to null; step skips tensors without grad', () => {
    const p = param();
    const opt = new SGD([p], { lr: 1 });
    run(opt, p, 1);
    const g = p.grad!;
    opt.zeroGrad();
    expect(p.grad).toBeNull();
    expect(g.isDisposed).toBe(true);
    const before = Array.from(p.dataSync());
    opt.step();
    expect(Array.from(p.dataSync())).toEqual(before);
  });

  it('step(closure) runs the closure with grad enabled and returns its value', () => {
    const p = param();
    const opt = new SGD([p], { lr: 0.5 });
    const loss = opt.step(() => {
      opt.zeroGrad();
      const l = p.square().sum();
      l.backward();
      return l.item();
    });
    expect(loss).toBe(1 + 0.25 + 0.0625 + 4);
    // w -= 0.5·2w = 0
    expect(Array.from(p.dataSync())).toEqual([0, 0, 0, 0]);
  });

  it('no tensors leak over 200 Adam steps (state and params updated in place)', () => {
    const p = param(), q = param();
    const opt = new Adam([p, q], { amsgrad: true, weightDecay: 0.1 });
    const step = () => {
      opt.zeroGrad();
      scope(() => p.mul(q).sum().backward()); // the forward's intermediates belong to the caller
      opt.step();
    };
    step();
    const n0 = memory().numTensors;
    for (let i = 0; i < 200; i++) step();
    expect(memory().numTensors).toBe(n0);
  });
});

describe('documented equivalences and Keras-door memory', () => {
  it('Keras L2(λ) regulariser ≡ PyTorch SGD weightDecay 2λ', () => {
    const lam = 0.125;
    const a = param(), b = param();
    const viaDecay = new SGD([a], { lr: 0.1, weightDecay: 2 * lam });
    const viaLoss = new SGD([b], { lr: 0.1 });
    for (const g of GRADS) {
      setGrad(a, g);
      viaDecay.step();
      viaLoss.zeroGrad();
      // loss = g·w + λ‖w‖² → gradient g + 2λw
      scope(() => b.mul(tensor(g)).sum().add(b.square().sum().mul(lam)).backward());
      viaLoss.step();
    }
    expect(maxRelErr([Array.from(a.dataSync())], [Array.from(b.dataSync())])).toBeLessThan(TOL);
  });

  it('Keras door with schedule, clipping, weight decay and AMSGrad leaks nothing over 200 steps', () => {
    const p = param(), q = param();
    const opt = optimizers.AdamW({ learningRate: new ExponentialDecay({ initialLearningRate: 0.01, decaySteps: 10, decayRate: 0.9 }), amsgrad: true, globalClipnorm: 1 }).bind([p, q]);
    const step = () => {
      opt.zeroGrad();
      scope(() => p.mul(q).sum().backward());
      opt.step();
    };
    step();
    const n0 = memory().numTensors;
    for (let i = 0; i < 200; i++) step();
    expect(memory().numTensors).toBe(n0);
    expect(opt.iterations).toBe(201);
  });
});
