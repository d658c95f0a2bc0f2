import { describe, expect, it } from 'vitest';
import * as optimizers from './keras-door';
import { ExponentialDecay } from './schedules';
import { GRADS, maxRelErr, param, reference, run, W0 } from './test-helpers';

// Same set-up as pytorch-door.test.ts: exact inputs, float64 reference backend, so only rounding
// order differs between implementation and JS transcription; 1e-12 relative is ~1000 ulps of margin.
const TOL = 1e-12;
const zeros = () => [0, 0, 0, 0];

describe('Keras-door SGD', () => {
  it('defaults: learningRate 0.01, no momentum', () => {
    const p = param();
    const got = run(optimizers.SGD().bind([p]), p);
    expect(maxRelErr(got, reference((w, g) => w - 0.01 * g))).toBeLessThan(TOL);
  });
  it('momentum: v = μv − lr·g, w += v; Nesterov: w += μv − lr·g', () => {
    for (const nesterov of [false, true]) {
      const p = param();
      const got = run(optimizers.SGD({ learningRate: 0.1, momentum: 0.9, nesterov }).bind([p]), p);
      const v = zeros();
      const want = reference((w, g, i) => {
        v[i] = 0.9 * v[i]! - 0.1 * g;
        return nesterov ? w + 0.9 * v[i]! - 0.1 * g : w + v[i]!;
      });
      expect(maxRelErr(got, want)).toBeLessThan(TOL);
    }
  });
  it("momentumForm 'ema' on the Keras door", () => {
    const p = param();
    const got = run(optimizers.SGD({ learningRate: 0.3, momentum: 0.9, momentumForm: 'ema' }).bind([p]), p);
    const v = zeros();
    expect(maxRelErr(got, reference((w, g, i) => w - 0.3 * (v[i] = 0.9 * v[i]! + 0.1 * g)))).toBeLessThan(TOL);
  });
});

describe('Keras-door Adam / AdamW', () => {
  const kerasAdam = (lr: number, eps: number, wd = 0) => {
    const m = zeros(), v = zeros();
    return reference((w0, g, i, t) => {
      const w = w0 - w0 * wd * lr;
      m[i] = m[i]! + (g - m[i]!) * 0.1;
      v[i] = v[i]! + (g * g - v[i]!) * 0.001;
      const alpha = (lr * Math.sqrt(1 - 0.999 ** t)) / (1 - 0.9 ** t);
      return w - (alpha * m[i]!) / (Math.sqrt(v[i]!) + eps);
    });
  };
  it('epsilon hat: lr_t = lr·√(1−β2ᵗ)/(1−β1ᵗ), w -= lr_t·m/(√v + ε̂)', () => {
    const p = param();
    const got = run(optimizers.Adam({ learningRate: 0.01, epsilon: 0.1 }).bind([p]), p);
    expect(maxRelErr(got, kerasAdam(0.01, 0.1))).toBeLessThan(TOL);
  });
  it('default epsilon is 1e-7', () => {
    const p = param();
    const got = run(optimizers.Adam().bind([p]), p);
    expect(maxRelErr(got, kerasAdam(1e-3, 1e-7))).toBeLessThan(TOL);
  });
  it('AdamW: w -= w·wd·lr first (default wd 0.004)', () => {
    const p = param();
    const got = run(optimizers.AdamW({ learningRate: 0.1, epsilon: 0.1 }).bind([p]), p);
    expect(maxRelErr(got, kerasAdam(0.1, 0.1, 0.004))).toBeLessThan(TOL);
  });
});

describe('Keras-door RMSprop and Adagrad', () => {
  it('RMSprop: ε inside the root, rho 0.9; momentum m = μm + inc, w -= m', () => {
    const p = param();
    const got = run(optimizers.RMSprop({ learningRate: 0.01, epsilon: 0.1, momentum: 0.5 }).bind([p]), p);
    const S = zeros(), M = zeros();
    const want = reference((w, g, i) => {
      S[i] = 0.9 * S[i]! + 0.1 * g * g;
      M[i] = 0.5 * M[i]! + (0.01 * g) / Math.sqrt(S[i]! + 0.1);
      return w - M[i]!;
    });
    expect(maxRelErr(got, want)).toBeLessThan(TOL);
  });
  it('RMSprop centered', () => {
    const p = param();
    const got = run(optimizers.RMSprop({ learningRate: 0.01, rho: 0.8, epsilon: 0.1, centered: true }).bind([p]), p);
    const S = zeros(), A = zeros();
    const want = reference((w, g, i) => {
      S[i] = 0.8 * S[i]! + 0.2 * g * g;
      A[i] = 0.8 * A[i]! + 0.2 * g;
      return w - (0.01 * g) / Math.sqrt(S[i]! - A[i]! * A[i]! + 0.1);
    });
    expect(maxRelErr(got, want)).toBeLessThan(TOL);
  });
  it('Adagrad: accumulator starts at 0.1, w -= lr·g/√(G + ε)', () => {
    const p = param();
    const got = run(optimizers.Adagrad({ learningRate: 0.1, epsilon: 0.01 }).bind([p]), p);
    const G = [0.1, 0.1, 0.1, 0.1];
    expect(maxRelErr(got, reference((w, g, i) => w - (0.1 * g) / Math.sqrt((G[i] = G[i]! + g * g) + 0.01)))).toBeLessThan(TOL);
  });
});

describe('Keras-door options', () => {
  it('a LearningRateSchedule as learningRate is evaluated at iterations (0 first)', () => {
    const p = param();
    const sched = new ExponentialDecay({ initialLearningRate: 0.1, decaySteps: 2, decayRate: 0.5 });
    const opt = optimizers.SGD({ learningRate: sched }).bind([p]);
    const got = run(opt, p);
    expect(maxRelErr(got, reference((w, g, _i, t) => w - 0.1 * 0.5 ** ((t - 1) / 2) * g))).toBeLessThan(TOL);
    expect(opt.iterations).toBe(4);
    expect(opt.lr).toBeCloseTo(0.1 * 0.5 ** 2, 15);
    expect(() => (opt.lr = 0.1)).toThrow(/schedule.*not settable/);
  });

  it('clipvalue, clipnorm (per variable) and globalClipnorm (all together)', () => {
    const g = GRADS[0]!; // [0.5, -1.25, 2, 0]: norm √5.8125
    const n = Math.hypot(...g);
    const cases: Array<[optimizers.KerasSGDOptions, number[]]> = [
      [{ clipvalue: 1 }, g.map((x) => Math.max(-1, Math.min(1, x)))],
      [{ clipnorm: 1 }, g.map((x) => x / n)],
      [{ clipnorm: 10 }, g],
    ];
    for (const [o, clipped] of cases) {
      const p = param();
      const got = run(optimizers.SGD({ learningRate: 1, ...o }).bind([p]), p, 1)[0]!;
      expect(maxRelErr([got], [W0.map((w, i) => w - clipped[i]!)])).toBeLessThan(TOL);
    }
  });

  it('globalClipnorm scales every gradient by c / max(‖g‖global, c)', () => {
    const a = param(), b = param();
    const opt = optimizers.SGD({ learningRate: 1, globalClipnorm: 1 }).bind([a, b]);
    const ga = [3, 0, 0, 0], gb = [0, 4, 0, 0]; // global norm 5
    a.grad = param(ga); b.grad = param(gb);
    opt.step();
    const got = [Array.from(a.dataSync()), Array.from(b.dataSync())];
    expect(maxRelErr(got, [[1 - 0.6, -0.5, 0.25, 2], [1, -0.5 - 0.8, 0.25, 2]])).toBeLessThan(TOL);
    // The user's gradients are not changed (Keras clips copies).
    expect(Array.from(a.grad.dataSync())).toEqual(ga);
  });

  it('step() before bind() says how to bind', () => {
    expect(() => optimizers.Adam().step()).toThrow(/no variables bound.*bind\(params\)/);
    expect(() => optimizers.SGD({ clipnorm: 1, globalClipnorm: 1 })).toThrow(/only one of clipnorm, clipvalue and globalClipnorm/);
  });

  it('get() resolves names with Keras defaults', () => {
    const o = optimizers.get('adam') as optimizers.KerasAdam;
    expect([o.name, o.door, o.lr, o.defaults.eps]).toEqual(['Adam', 'keras', 1e-3, 1e-7]);
    expect(() => optimizers.get('lbfgs')).toThrow(/Unknown optimizer "lbfgs".*Known: sgd, adam/);
  });
});
