import { describe, expect, it, vi } from 'vitest';
import { scope } from '../engine';
import type { Tensor } from '../tensor';
import { Adamax, KerasAdamax } from './adamax';
import { InvalidHyperparameterError } from './errors';
import fixture from './fixtures/nadam-adamax-parity.json';
import { hostTensor } from './host';
import * as optimizers from './keras-door';
import { KerasNadam, NAdam } from './nadam';
import type { BaseOptimizer } from './optimizer';
import { GRADS, maxRelErr, param, reference, run, setGrad } from './test-helpers';
import * as optim from './torch-door';

// Record every host scalar an update uploads (through `uploader`), to check it against hostStep.
const uploaded: number[] = [];
vi.mock('./host', async (importOriginal) => {
  const orig = await importOriginal<typeof import('./host')>();
  return {
    ...orig,
    uploader: (k: readonly number[]) => {
      const next = orig.uploader(k);
      let i = 0;
      return () => (uploaded.push(k[i++]!), next());
    },
  };
});

// ---- PyTorch 1.13 parity: fixtures/gen_nadam_adamax.py, the torch-parity.test.ts model for 20
// steps, float64 on both sides. Only rounding order differs (matmul sums, tanh, mu products):
// measured ≤ 9e-15 relative on the weights, ≤ 3e-16 on the losses; 1e-10 relative (absolute floor 1e-12) as in torch-parity.test.ts.
const REL = 1e-10;
const close = (a: number, b: number) => Math.abs(a - b) <= REL * Math.abs(b) + 1e-12;
interface Flat { shape: number[]; values: number[] }
const t = (f: Flat) => hostTensor(f.values, f.shape);

function train(make: (p: Tensor[]) => { zeroGrad(): void; step(): unknown }): { losses: number[]; final: number[][] } {
  const params = fixture.init.map((f) => t(f).requiresGrad_().keep());
  const opt = make(params);
  const [w1, b1, w2, b2] = params as [Tensor, Tensor, Tensor, Tensor];
  const losses = fixture.batches.map((b) => {
    opt.zeroGrad();
    const loss = scope(() => {
      const h = t(b.x).matmul(w1, { transposeB: true }).add(b1).tanh();
      const l = h.matmul(w2, { transposeB: true }).add(b2).sub(t(b.y)).square().mean();
      l.backward();
      return l.item();
    });
    opt.step();
    return loss;
  });
  return { losses, final: params.map((p) => Array.from(p.dataSync())) };
}

type O = { lr?: number; betas?: [number, number]; eps?: number; weight_decay?: number; momentum_decay?: number };
const torchOpts = (o: O) => ({ lr: o.lr, betas: o.betas, eps: o.eps, weightDecay: o.weight_decay, momentumDecay: o.momentum_decay });
const defined = <T extends object>(o: T) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

describe(`NAdam and Adamax: parity with PyTorch ${fixture.torch} (20 steps, float64)`, () => {
  for (const r of fixture.runs.filter((r) => !r.singleTensor)) {
    it(`${r.optimizer} ${JSON.stringify(r.options)}`, () => {
      const o = defined(torchOpts(r.options as O));
      const got = train((p) => (r.optimizer === 'NAdam' ? new optim.NAdam(p, o) : new optim.Adamax(p, o)));
      got.losses.forEach((l, i) => expect(close(l, r.losses[i]!), `loss at step ${i + 1}: ${l} vs ${r.losses[i]}`).toBe(true));
      got.final.forEach((row, k) => row.forEach((v, i) => expect(close(v, r.final[k]![i]!), `param ${k}[${i}]: ${v} vs ${r.final[k]![i]}`).toBe(true)));
    });
  }
  it("differs from torch 1.13's default single-tensor NAdam (μₜ counted twice there), as documented", () => {
    const r = fixture.runs.find((r) => r.singleTensor)!;
    const foreach = fixture.runs.find((q) => q.optimizer === 'NAdam' && !q.singleTensor && q.options.lr === r.options.lr && Object.keys(q.options).length === 1)!;
    const got = train((p) => new optim.NAdam(p, { lr: 0.01 }));
    const rel = maxRelErr(got.final, r.final);
    expect(maxRelErr(got.final, foreach.final)).toBeLessThan(1e-10);
    expect(rel).toBeGreaterThan(1e-4);
  });
});

// ---- Keras 3 formulas, transcribed from keras/src/optimizers/{nadam,adamax}.py and computed by hand
// in JS on exact inputs (test-helpers), float64 backend: 1e-12 relative as in keras-door.test.ts.
const TOL = 1e-12;
const zeros = () => [0, 0, 0, 0];

function kerasNadamRef(lr: number, b1: number, b2: number, eps: number): number[][] {
  const m = zeros(), v = zeros();
  const u = (s: number) => b1 * (1 - 0.5 * 0.96 ** s);
  let prodAt = 0, prod = 1;
  return reference((w, g, i, s) => {
    if (prodAt < s) (prod *= u(s)), (prodAt = s);
    m[i] = m[i]! + (g - m[i]!) * (1 - b1);
    v[i] = v[i]! + (g * g - v[i]!) * (1 - b2);
    const mHat = (u(s + 1) * m[i]!) / (1 - prod * u(s + 1)) + ((1 - u(s)) * g) / (1 - prod);
    const vHat = v[i]! / (1 - b2 ** s);
    return w - (mHat * lr) / (Math.sqrt(vHat) + eps);
  });
}

function kerasAdamaxRef(lr: number, b1: number, b2: number, eps: number): number[][] {
  const m = zeros(), u = zeros();
  return reference((w, g, i, s) => {
    m[i] = m[i]! + (g - m[i]!) * (1 - b1);
    u[i] = Math.max(b2 * u[i]!, Math.abs(g));
    return w - (lr * m[i]!) / ((1 - b1 ** s) * (u[i]! + eps));
  });
}

describe('Keras-door Nadam and Adamax (Keras 3 formulas by hand)', () => {
  it('Nadam defaults: learningRate 1e-3, β 0.9/0.999, ε 1e-7, u_t = β₁(1 − ½·0.96ᵗ)', () => {
    const p = param();
    const got = run(optimizers.Nadam().bind([p]), p);
    expect(maxRelErr(got, kerasNadamRef(1e-3, 0.9, 0.999, 1e-7))).toBeLessThan(TOL);
  });
  it('Nadam with other hyperparameters', () => {
    const p = param();
    const got = run(optimizers.Nadam({ learningRate: 0.05, beta1: 0.8, beta2: 0.95, epsilon: 0.01 }).bind([p]), p);
    expect(maxRelErr(got, kerasNadamRef(0.05, 0.8, 0.95, 0.01))).toBeLessThan(TOL);
  });
  it('Adamax defaults: learningRate 1e-3, β 0.9/0.999, ε 1e-7 outside the maximum', () => {
    const p = param();
    const got = run(optimizers.Adamax().bind([p]), p);
    expect(maxRelErr(got, kerasAdamaxRef(1e-3, 0.9, 0.999, 1e-7))).toBeLessThan(TOL);
  });
  it('Adamax with other hyperparameters', () => {
    const p = param();
    const got = run(optimizers.Adamax({ learningRate: 0.05, beta1: 0.8, beta2: 0.5, epsilon: 0.01 }).bind([p]), p);
    expect(maxRelErr(got, kerasAdamaxRef(0.05, 0.8, 0.5, 0.01))).toBeLessThan(TOL);
  });
  it('by name in optimizers.get, as instances of their classes', () => {
    expect(optimizers.get('nadam')).toBeInstanceOf(KerasNadam);
    expect(optimizers.get('Adamax')).toBeInstanceOf(KerasAdamax);
  });
});

describe('NAdam and Adamax: PyTorch-door defaults and errors', () => {
  it('torch 1.13 defaults: lr 2e-3, betas (0.9, 0.999), eps 1e-8, momentumDecay 4e-3', () => {
    expect(new NAdam([param()]).defaults).toMatchObject({ lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, momentumDecay: 4e-3 });
    expect(new Adamax([param()]).defaults).toMatchObject({ lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0 });
  });
  it('bad hyperparameters are InvalidHyperparameterError naming the option', () => {
    expect(() => new optim.NAdam([param()], { betas: [1, 0.999] })).toThrow(/NAdam betas\[0\] must be in \[0, 1\)/);
    expect(() => new optim.NAdam([param()], { momentumDecay: -1 })).toThrow(InvalidHyperparameterError);
    expect(() => new optim.Adamax([param()], { lr: -1 })).toThrow(/Invalid learning rate: -1 \(Adamax lr must be ≥ 0\)/);
    expect(() => optimizers.Adamax({ beta2: 1 })).toThrow(/Adamax beta2 must be in \[0, 1\)/);
  });
});

describe('NAdam and Adamax list every host scalar of a step before it runs (hostStep, as compiled steps use it)', () => {
  const cases: [string, (p: Tensor) => BaseOptimizer<{ lr: number }>][] = [
    ['optim.NAdam', (p) => new NAdam([p], { lr: 0.01, weightDecay: 0.1 })],
    ['optim.Adamax', (p) => new Adamax([p], { lr: 0.01, weightDecay: 0.1 })],
    ['optimizers.Nadam', (p) => new KerasNadam({ learningRate: 0.01 }).bind([p])],
    ['optimizers.Adamax', (p) => new KerasAdamax({ learningRate: 0.01 }).bind([p])],
  ];
  for (const [name, make] of cases) {
    it(`${name}: the uploads of steps 2–4 are exactly hostStep's scalars, in order`, () => {
      const p = param();
      const opt = make(p);
      setGrad(p, GRADS[0]!);
      opt.step(); // the first step creates the buffers (hostStep is undefined before it)
      for (let s = 1; s < 4; s++) {
        const c = opt.getCounters();
        const want = opt.hostStep([p])?.get(p);
        opt.setCounters(c);
        setGrad(p, GRADS[s]!);
        uploaded.length = 0;
        opt.step();
        expect(uploaded).toEqual(want);
      }
    });
  }
});

describe("compile({ optimizer: 'nadam' | 'adamax' })", () => {
  it('resolves the names to Keras-door optimizers with Keras defaults, bound to the model', async () => {
    const { resolveOptimizer } = await import('../train/resolve');
    const { Linear } = await import('../nn/torch');
    const net = new Linear(3, 2);
    const a = resolveOptimizer('nadam', net), b = resolveOptimizer('adamax', net);
    expect(a).toBeInstanceOf(KerasNadam);
    expect(b).toBeInstanceOf(KerasAdamax);
    expect((a as KerasNadam).isBound && a.lr === 1e-3).toBe(true);
  });
});
