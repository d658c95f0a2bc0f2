import { describe, expect, it } from 'vitest';
import { memory } from '../engine';
import { Adam } from './adam';
import { clipGradNorm_, clipGradValue_ } from './clip';
import { InvalidHyperparameterError } from './errors';
import * as optimizers from './keras-door';
import { CosineAnnealingLR, ExponentialLR, LinearWarmup, ReduceLROnPlateau, StepLR } from './lr-scheduler';
import { RMSprop } from './rmsprop';
import { CosineDecay, PiecewiseConstantDecay } from './schedules';
import { SGD } from './sgd';
import { GRADS, maxRelErr, param, run, setGrad } from './test-helpers';

describe('gradient clipping (PyTorch door)', () => {
  it('clipGradValue_ clamps in place', () => {
    const p = param();
    setGrad(p, GRADS[0]!);
    clipGradValue_([p], 1);
    expect(Array.from(p.grad!.dataSync())).toEqual([0.5, -1, 1, 0]);
  });
  it('clipGradNorm_ is global with coef = max/(total + 1e-6), and returns the total norm', () => {
    const a = param(), b = param();
    setGrad(a, [3, 0, 0, 0]);
    setGrad(b, [0, 4, 0, 0]);
    const total = clipGradNorm_([a, b], 1);
    expect(total).toBe(5);
    const coef = 1 / (5 + 1e-6);
    // Exact inputs on the float64 backend: only rounding differs (1e-12 relative).
    expect(maxRelErr([Array.from(a.grad!.dataSync()), Array.from(b.grad!.dataSync())], [[3 * coef, 0, 0, 0], [0, 4 * coef, 0, 0]])).toBeLessThan(1e-12);
  });
  it('clipGradNorm_ leaves small gradients alone; perTensor and inf-norm modes', () => {
    const a = param();
    setGrad(a, [0.5, 0, 0, 0]);
    expect(clipGradNorm_([a], 1)).toBe(0.5);
    expect(Array.from(a.grad!.dataSync())).toEqual([0.5, 0, 0, 0]);
    const b = param(), c = param();
    setGrad(b, [3, 4, 0, 0]);
    setGrad(c, [0.375, 0.5, 0, 0]);
    expect(clipGradNorm_([b, c], 1, { mode: 'perTensor' })).toBe(5);
    expect(maxRelErr([Array.from(b.grad!.dataSync()), Array.from(c.grad!.dataSync())], [[0.6, 0.8, 0, 0], [0.375, 0.5, 0, 0]])).toBeLessThan(1e-12);
    setGrad(b, [3, -8, 0, 0]);
    expect(clipGradNorm_([b], 100, { normType: Infinity })).toBe(8);
  });
  it('errorIfNonfinite and bad arguments', () => {
    const a = param();
    setGrad(a, [NaN, 0, 0, 0]);
    expect(() => clipGradNorm_([a], 1, { errorIfNonfinite: true })).toThrow(/total norm of order 2 of the gradients is NaN/);
    expect(() => clipGradNorm_([a], -1)).toThrow(/maxNorm must be > 0, got -1/);
    expect(() => clipGradValue_([a], 0)).toThrow(/clipValue must be > 0/);
  });
});

describe('PyTorch-style LR schedulers', () => {
  const opt = () => new SGD([param()], { lr: 1 });
  const lrs = (o: { lr: number }, s: { step(): void }, n: number) => {
    const out = [o.lr];
    for (let i = 0; i < n; i++) (s.step(), out.push(o.lr));
    return out;
  };
  it('StepLR, ExponentialLR, CosineAnnealingLR', () => {
    let o = opt();
    expect(lrs(o, new StepLR(o, { stepSize: 2, gamma: 0.5 }), 5)).toEqual([1, 1, 0.5, 0.5, 0.25, 0.25]);
    o = opt();
    expect(lrs(o, new ExponentialLR(o, { gamma: 0.5 }), 3)).toEqual([1, 0.5, 0.25, 0.125]);
    o = opt();
    const cos = lrs(o, new CosineAnnealingLR(o, { tMax: 4, etaMin: 0.2 }), 4);
    // 0.2 + 0.8·(1 + cos(πe/4))/2 for e = 0..4
    expect(maxRelErr([cos], [[1, 0.2 + 0.4 * (1 + Math.SQRT1_2), 0.6, 0.2 + 0.4 * (1 - Math.SQRT1_2), 0.2]])).toBeLessThan(1e-15);
  });
  it('LinearWarmup ramps up, then hands over to the wrapped schedule', () => {
    const o = opt();
    const s = new LinearWarmup(o, { warmupSteps: 4, after: new StepLR(o, { stepSize: 1, gamma: 0.5 }) });
    expect(lrs(o, s, 6)).toEqual([0, 0.25, 0.5, 0.75, 1, 0.5, 0.25]);
  });
  it('ReduceLROnPlateau: patience, threshold, cooldown, minLr (PyTorch semantics)', () => {
    const o = opt();
    const s = new ReduceLROnPlateau(o, { factor: 0.5, patience: 1, cooldown: 1, minLr: 0.2 });
    const seen: number[] = [];
    // 1.0 best; 0.99995 is not better (rel threshold 1e-4); 2 bad epochs > patience 1 → halve.
    for (const m of [1, 0.99995, 1, 1, 1, 1, 1, 1]) (s.step(m), seen.push(o.lr));
    expect(seen).toEqual([1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25]);
    for (let i = 0; i < 6; i++) s.step(1);
    expect(o.lr).toBe(0.2);
    const fresh = new ReduceLROnPlateau(opt());
    expect(JSON.parse(JSON.stringify(fresh.stateDict())).best).toBeNull();
    const resumed = new ReduceLROnPlateau(opt(), { factor: 0.5, patience: 1, cooldown: 1, minLr: 0.2 });
    resumed.loadStateDict(JSON.parse(JSON.stringify(s.stateDict())));
    expect(resumed.stateDict()).toEqual(s.stateDict());
  });
  it('refuses a Keras optimizer that already has a schedule', () => {
    const o = optimizers.SGD({ learningRate: new PiecewiseConstantDecay({ boundaries: [1], values: [1, 0.1] }) }).bind([param()]);
    expect(() => new StepLR(o, { stepSize: 1 })).toThrow(/already follows a Keras learning-rate schedule/);
  });
});

describe('Keras LearningRateSchedules', () => {
  it('PiecewiseConstantDecay boundaries are inclusive on the left piece', () => {
    const s = new PiecewiseConstantDecay({ boundaries: [2, 4], values: [1, 0.5, 0.1] });
    expect([0, 2, 3, 4, 5].map((t) => s.call(t))).toEqual([1, 1, 0.5, 0.5, 0.1]);
    expect(() => new PiecewiseConstantDecay({ boundaries: [2], values: [1] })).toThrow(/one longer than boundaries/);
  });
  it('CosineDecay with alpha and warmup', () => {
    const s = new CosineDecay({ initialLearningRate: 0, decaySteps: 4, alpha: 0.1, warmupTarget: 1, warmupSteps: 2 });
    const got = [0, 1, 2, 4, 6, 10].map((t) => s.call(t));
    // warmup 0 → 1 over 2 steps; then 0.9·½(1 + cos(π·k/4)) + 0.1 with k = t − 2, clamped at 4
    expect(maxRelErr([got], [[0, 0.5, 1, 0.55, 0.1, 0.1]])).toBeLessThan(1e-15);
  });
});

describe('state dicts', () => {
  it('JSON round trip resumes exactly (Adam: continue 2 steps == fresh optimizer loaded after 2)', () => {
    const p = param();
    const a = new Adam([p], { lr: 0.01, amsgrad: true });
    run(a, p, 2);
    const sd = JSON.parse(JSON.stringify(a.stateDict()));
    expect(sd.state['0'].step).toBe(2);
    expect(Object.keys(sd.state['0'].buffers).sort()).toEqual(['expAvg', 'expAvgSq', 'maxExpAvgSq']);
    expect(sd.paramGroups[0]).toMatchObject({ lr: 0.01, betas: [0.9, 0.999], amsgrad: true, params: [0] });
    const q = param(Array.from(p.dataSync()));
    const b = new Adam([q]);
    b.loadStateDict(sd);
    expect(b.lr).toBe(0.01);
    const ga = [GRADS[2]!, GRADS[3]!];
    for (const g of ga) {
      setGrad(p, g); a.step();
      setGrad(q, g); b.step();
    }
    expect(Array.from(q.dataSync())).toEqual(Array.from(p.dataSync()));
  });
  it('exportState gives named tensors for safetensors; loading from them works; Keras iterations kept', () => {
    const p = param();
    const k = optimizers.RMSprop({ momentum: 0.5, centered: true }).bind([p]);
    run(k, p, 3);
    const { meta, tensors } = k.exportState();
    expect(Object.keys(tensors).sort()).toEqual(['state.0.gradAvg', 'state.0.momentumBuffer', 'state.0.squareAvg']);
    expect(meta.iterations).toBe(3);
    expect(meta.state['0']!.buffers.squareAvg!.values).toBeUndefined();
    const k2 = optimizers.RMSprop({ momentum: 0.5, centered: true }).bind([param()]);
    k2.loadStateDict(meta, tensors);
    expect(k2.iterations).toBe(3);
    expect(Array.from(k2.exportState().tensors['state.0.squareAvg']!.dataSync())).toEqual(Array.from(tensors['state.0.squareAvg']!.dataSync()));
  });
  it('mismatches are clear errors and leave the optimizer untouched', () => {
    const p = param();
    const a = new Adam([p]);
    run(a, p, 1);
    const sd = a.stateDict();
    expect(() => new RMSprop([param()]).loadStateDict(sd)).toThrow(/saved by pytorch Adam, cannot load into pytorch RMSprop/);
    expect(() => new Adam([param(), param()]).loadStateDict(sd)).toThrow(/group 0 has 2 parameters, saved state has 1/);
    const n = memory().numTensors;
    const bad = structuredClone(sd);
    bad.state['0']!.buffers.expAvg!.shape = [3];
    expect(() => a.loadStateDict(bad)).toThrow(/buffer expAvg of parameter 0 has shape \[3\], parameter has \[4\]/);
    expect(memory().numTensors).toBe(n);
    expect(a.stateDict()).toEqual(sd);
  });
});

describe('hyperparameter validation', () => {
  const cases: Array<[() => unknown, RegExp]> = [
    [() => new Adam([param()], { lr: -1 }), /^Invalid learning rate: -1 \(Adam lr must be ≥ 0\)\.$/],
    [() => new Adam([param()], { betas: [1, 0.999] }), /Invalid betas\[0\]: 1 \(Adam betas\[0\] must be in \[0, 1\)\)/],
    [() => new SGD([param()], { lr: 0.1, nesterov: true }), /Invalid Nesterov momentum setting: true \(SGD nesterov must be used with momentum > 0 and dampening 0\)/],
    [() => new SGD([param()], { lr: 0.1, momentum: -0.5 }), /Invalid momentum value: -0.5/],
    [() => new RMSprop([param()], { eps: -1 }), /Invalid epsilon value: -1 \(RMSprop eps must be ≥ 0\)/],
    [() => optimizers.Adam({ beta2: 1.5 }), /Adam beta2 must be in \[0, 1\)/],
    [() => optimizers.SGD({ learningRate: NaN }), /Invalid learning rate: NaN \(SGD learningRate must be ≥ 0\)/],
    [() => new SGD([], { lr: 0.1 }), /SGD: got an empty parameter list/],
    [() => { const p = param(); return new SGD([{ params: [p] }, { params: [p] }], { lr: 1 }); }, /appear in more than one parameter group/],
    [() => new StepLR(new SGD([param()], { lr: 1 }), { stepSize: 0 }), /StepLR stepSize must be a positive integer/],
  ];
  it.each(cases.map((c, i) => [i, ...c] as const))('case %i', (_i, fn, re) => {
    expect(fn).toThrow(re);
  });
  it('errors carry fields', () => {
    try {
      new Adam([param()], { lr: -1 });
    } catch (e) {
      expect(e).toBeInstanceOf(InvalidHyperparameterError);
      expect(e).toMatchObject({ owner: 'Adam', option: 'lr', value: -1, expected: '≥ 0' });
    }
    expect.assertions(2);
  });
  it('the lr setter validates too', () => {
    const o = new SGD([param()], { lr: 1 });
    expect(() => (o.lr = -0.1)).toThrow(/Invalid learning rate: -0.1/);
  });
});
