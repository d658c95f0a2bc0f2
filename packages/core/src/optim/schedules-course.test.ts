import { describe, expect, it } from 'vitest';
import { Adagrad } from './adagrad';
import { Adam } from './adam';
import { InvalidHyperparameterError } from './errors';
import fixture from './fixtures/scheduler-parity.json';
import * as optimizers from './keras-door';
import { CosineAnnealingWarmRestarts, LambdaLR, LRScheduler, MultiStepLR, OneCycleLR, PolynomialLR } from './lr-scheduler';
import { CosineDecayRestarts, InverseSqrtDecay, InverseTimeDecay, PolynomialDecay } from './schedules';
import { SGD } from './sgd';
import { GRADS, param, setGrad } from './test-helpers';

// Keras schedules: against values worked out by hand from the formulas of Keras 3
// keras/src/optimizers/schedules/learning_rate_schedule.py (quoted in each class's TSDoc). Every
// expected value below is exact arithmetic on short decimals; 1e-15 relative covers float64 rounding.
const near = (a: number, b: number) => expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-15 * Math.max(1, Math.abs(b)));

describe('Keras schedules of the course', () => {
  it('InverseTimeDecay: α₀ / (1 + rate · step / decaySteps), staircase floors', () => {
    const s = new InverseTimeDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5 });
    near(s.call(0), 0.1);
    near(s.call(5), 0.1 / 1.25);
    near(s.call(15), 0.1 / 1.75);
    const st = new InverseTimeDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5, staircase: true });
    near(st.call(9), 0.1);
    near(st.call(15), 0.1 / 1.5);
    near(st.call(20), 0.1 / 2);
  });
  it('InverseSqrtDecay: the course k/√epoch_num · α₀ with epoch_num from 1', () => {
    const s = new InverseSqrtDecay({ initialLearningRate: 0.1, decaySteps: 10, k: 2 });
    near(s.call(0), 0.2);
    near(s.call(9), 0.2);
    near(s.call(15), 0.2 / Math.SQRT2);
    near(s.call(30), 0.1);
    near(new InverseSqrtDecay({ initialLearningRate: 0.1, decaySteps: 10, staircase: false }).call(15), 0.1 / Math.sqrt(2.5));
    expect(() => new InverseSqrtDecay({ initialLearningRate: 0.1, decaySteps: 10, k: 0 })).toThrow(InvalidHyperparameterError);
  });
  it('PolynomialDecay: (α₀ − end)(1 − s/D)^power + end, clamped or cycling', () => {
    const s = new PolynomialDecay({ initialLearningRate: 0.1, decaySteps: 10, endLearningRate: 0.01, power: 2 });
    near(s.call(0), 0.1);
    near(s.call(5), 0.09 * 0.25 + 0.01);
    near(s.call(10), 0.01);
    near(s.call(25), 0.01);
    const c = new PolynomialDecay({ initialLearningRate: 0.1, decaySteps: 10, endLearningRate: 0.01, power: 2, cycle: true });
    near(c.call(0), 0.1);
    near(c.call(15), 0.09 * 0.0625 + 0.01); // D = 20, p = 0.75
    near(c.call(20), 0.01);
    near(new PolynomialDecay({ initialLearningRate: 0.1, decaySteps: 4 }).call(1), 0.0999 * 0.75 + 0.0001); // Keras defaults: end 1e-4, power 1
  });
  it('CosineDecayRestarts: periods grow by tMul, restarts scaled by mMul, floor alpha', () => {
    const s = new CosineDecayRestarts({ initialLearningRate: 1, firstDecaySteps: 10, tMul: 2, mMul: 0.5, alpha: 0.1 });
    near(s.call(0), 1);
    near(s.call(5), 0.9 * 0.5 + 0.1);
    near(s.call(10), 0.9 * 0.5 + 0.1); // restart 1 at 0.5
    near(s.call(20), 0.9 * 0.25 + 0.1); // halfway through the 20-step period
    near(s.call(30), 0.9 * 0.25 + 0.1); // restart 2 at 0.25
    const flat = new CosineDecayRestarts({ initialLearningRate: 1, firstDecaySteps: 10, tMul: 1 });
    near(flat.call(15), 0.5);
    near(flat.call(20), 1);
    near(new CosineDecayRestarts({ initialLearningRate: 1, firstDecaySteps: 4 }).call(2), 0.5); // defaults tMul 2, mMul 1, alpha 0
  });
  it('drive a Keras-door optimizer (the rate follows iterations) and are in optimizers.schedules', () => {
    const p = param();
    const opt = optimizers.SGD({ learningRate: new optimizers.schedules.InverseTimeDecay({ initialLearningRate: 0.2, decaySteps: 1, decayRate: 1 }) }).bind([p]);
    const lrs: number[] = [];
    for (let t = 0; t < 3; t++) {
      lrs.push(opt.lr);
      setGrad(p, GRADS[t]!);
      opt.step();
    }
    expect(lrs).toEqual([0.2, 0.1, 0.2 / 3]);
    expect(Object.keys(optimizers.schedules)).toEqual(expect.arrayContaining(['PolynomialDecay', 'CosineDecayRestarts', 'InverseSqrtDecay']));
  });
});

// PyTorch schedulers: against torch 1.13 (fixtures/gen_schedulers.py), two groups (lr 0.1, 0.02),
// lr and momentum after construction and after each step. torch computes most of them recursively
// (lr ← lr · factor) and we in closed form, so the last bits differ: measured ≤ 6e-16 relative (momenta exact);
// 1e-12 relative (absolute floor 1e-15 for rates that reach 0) is far below any formula slip.
const LAMBDAS: Record<string, (e: number) => number> = { inverse_time: (e) => 1 / (1 + 0.5 * e) };

function makeScheduler(name: string, opt: SGD | Adam, o: Record<string, unknown>): LRScheduler {
  switch (name) {
    case 'LambdaLR': return new LambdaLR(opt, { lrLambda: LAMBDAS[o.lr_lambda as string]! });
    case 'MultiStepLR': return new MultiStepLR(opt, { milestones: o.milestones as number[], gamma: o.gamma as number });
    case 'PolynomialLR': return new PolynomialLR(opt, { totalIters: o.total_iters as number | undefined, power: o.power as number | undefined });
    case 'CosineAnnealingWarmRestarts': return new CosineAnnealingWarmRestarts(opt, { t0: o.T_0 as number, tMult: o.T_mult as number | undefined, etaMin: o.eta_min as number | undefined });
    case 'OneCycleLR':
      return new OneCycleLR(opt, {
        maxLr: o.max_lr as number | number[], totalSteps: o.total_steps as number | undefined, epochs: o.epochs as number | undefined,
        stepsPerEpoch: o.steps_per_epoch as number | undefined, annealStrategy: o.anneal_strategy as 'cos' | 'linear' | undefined,
        pctStart: o.pct_start as number | undefined, threePhase: o.three_phase as boolean | undefined, divFactor: o.div_factor as number | undefined,
        finalDivFactor: o.final_div_factor as number | undefined, cycleMomentum: o.cycle_momentum as boolean | undefined,
      });
    default: throw new Error(name);
  }
}

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-12 * Math.abs(b) + 1e-15;

describe(`PyTorch ${fixture.torch} schedulers of the course (lr and momentum per step)`, () => {
  for (const r of fixture.runs) {
    it(`${r.scheduler} ${JSON.stringify(r.options)} on ${r.optimizer}`, () => {
      const groups = [{ params: [param([0, 0])], lr: 0.1 }, { params: [param([0, 0, 0])], lr: 0.02 }];
      const oo = r.optimizerOptions as { momentum?: number };
      const opt = r.optimizer === 'Adam' ? new Adam(groups, { lr: 0.1 }) : new SGD(groups, { lr: 0.1, momentum: oo.momentum ?? 0 });
      const sched = makeScheduler(r.scheduler, opt, r.options as Record<string, unknown>);
      const momentum = (g: (typeof opt.paramGroups)[number]) => ('betas' in g ? g.betas[0] : g.momentum);
      r.trace.forEach((want, t) => {
        if (t > 0) sched.step();
        opt.paramGroups.forEach((g, i) => {
          expect(close(g.lr, want[i]!.lr), `step ${t} group ${i} lr ${g.lr} vs ${want[i]!.lr}`).toBe(true);
          expect(close(momentum(g), want[i]!.momentum!), `step ${t} group ${i} momentum ${momentum(g)} vs ${want[i]!.momentum}`).toBe(true);
        });
      });
    });
  }
  it('reject bad settings with what was expected', () => {
    const sgd = () => new SGD([param()], { lr: 0.1 });
    expect(() => new OneCycleLR(new Adagrad([param()], { lr: 0.1 }), { maxLr: 1, totalSteps: 10 })).toThrow(/cycle_momentum/);
    expect(() => new OneCycleLR(sgd(), { maxLr: 1 })).toThrow(InvalidHyperparameterError);
    expect(() => new CosineAnnealingWarmRestarts(sgd(), { t0: 2, tMult: 1.5 })).toThrow(/tMult must be a positive integer/);
    expect(() => new MultiStepLR(sgd(), { milestones: [-1] })).toThrow(InvalidHyperparameterError);
    expect(() => new LambdaLR(sgd(), { lrLambda: [(e) => e, (e) => e] })).toThrow(/one per group/);
    const s = new OneCycleLR(sgd(), { maxLr: 1, totalSteps: 2 });
    s.step();
    s.step();
    expect(() => s.step()).toThrow(/tried to step 3 times/);
  });
  it('LambdaLR with one function per group (lr = base · λᵢ(epoch))', () => {
    const opt = new SGD([{ params: [param()], lr: 0.1 }, { params: [param()], lr: 0.02 }], { lr: 0.1 });
    const s = new LambdaLR(opt, { lrLambda: [(e) => 0.5 ** e, (e) => 1 / (e + 1)] });
    s.step();
    s.step();
    expect(opt.paramGroups.map((g) => g.lr)).toEqual([0.1 * 0.25, 0.02 * (1 / 3)]);
  });
  it('OneCycleLR with cycleMomentum off leaves momentum alone; state dict round trip', () => {
    const opt = new SGD([param()], { lr: 0.1, momentum: 0.5 });
    const s = new OneCycleLR(opt, { maxLr: 1, totalSteps: 10, cycleMomentum: false });
    s.step();
    expect(opt.paramGroups[0]!.momentum).toBe(0.5);
    const opt2 = new SGD([param()], { lr: 0.1, momentum: 0.5 });
    const s2 = new OneCycleLR(opt2, { maxLr: 1, totalSteps: 10 });
    s2.loadStateDict(s.stateDict());
    expect(opt2.lr).toBe(opt.lr);
    expect(opt2.paramGroups[0]!.momentum).toBe(s2.momentumAt(1));
  });
});
