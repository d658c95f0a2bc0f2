import { add, mul, sub } from '../ops';
import type { Tensor } from '../tensor';
import { check, InvalidHyperparameterError } from './errors';
import { uploader } from './host';
import { KerasOptimizer, type KerasHyper, type KerasOptimizerOptions } from './keras-optimizer';
import { BaseOptimizer, type BaseHyper, type ParamGroup, type ParamState, type ParamsInput } from './optimizer';

/**
 * How momentum accumulates. With gradient g (plus coupled weight decay), momentum μ, rate lr:
 * - `'pytorch'` — heavy ball: v ← μv + (1 − dampening)·g (v₁ = g), w ← w − lr·v;
 * - `'keras'` — v ← μv − lr·g (v₀ = 0), w ← w + v;
 * - `'ema'` — the course's exponential average: v ← μv + (1 − μ)·g (v₀ = 0), w ← w − lr·v.
 *
 * `'pytorch'` and `'keras'` give the same weights while lr is constant (v_keras = −lr·v_pytorch);
 * they differ after an lr change (Keras' velocity remembers old rates). `'ema'` steps are (1 − μ)
 * times smaller: use lr/(1 − μ) to match the others. Nesterov, in each form, looks ahead:
 * `'pytorch'` w ← w − lr·(g + μv); `'keras'` w ← w + μv − lr·g; `'ema'` w ← w − lr·(μv + (1 − μ)g).
 */
export type MomentumForm = 'pytorch' | 'keras' | 'ema';

const FORMS: readonly MomentumForm[] = ['pytorch', 'keras', 'ema'];

interface SgdMath {
  lr: number;
  momentum: number;
  dampening: number;
  nesterov: boolean;
  momentumForm: MomentumForm;
}

/** The SGD update of one parameter, shared by both doors. */
/** The host scalars of one {@link sgdUpdate}, in upload order (see `BaseOptimizer.hostStep`). */
function sgdConstants(h: SgdMath, hasBuffer: boolean): number[] {
  if (h.momentum === 0) return [h.lr];
  if (h.momentumForm === 'pytorch') return [h.lr, h.momentum, ...(hasBuffer ? [1 - h.dampening] : [])];
  if (h.momentumForm === 'keras') return [h.lr, h.momentum, ...(hasBuffer ? [] : [-h.lr])];
  return [h.lr, h.momentum, 1 - h.momentum, ...(h.nesterov ? [1 - h.momentum] : [])];
}

/** One SGD update; `next` uploads {@link sgdConstants} in order. */
function sgdUpdate(opt: { setParam(p: Tensor, v: Tensor): void; setBuffer(s: ParamState, n: string, v: Tensor): Tensor }, p: Tensor, d: Tensor, s: ParamState, h: SgdMath, next: () => Tensor): void {
  const lr = next();
  if (h.momentum === 0) {
    opt.setParam(p, sub(p, mul(d, lr)));
    return;
  }
  const mu = next();
  const v0 = s.buffers.momentumBuffer;
  if (h.momentumForm === 'pytorch') {
    // torch/optim/sgd.py: buf = clone(d) on the first step, then buf·μ + (1 − dampening)·d.
    const v = v0 ? add(mul(v0, mu), mul(d, next())) : d;
    const buf = opt.setBuffer(s, 'momentumBuffer', v);
    const step = h.nesterov ? add(d, mul(buf, mu)) : buf;
    opt.setParam(p, sub(p, mul(step, lr)));
  } else if (h.momentumForm === 'keras') {
    // keras/src/optimizers/sgd.py: m = m·μ − g·lr; w += m (nesterov: w += m·μ − g·lr).
    const v = v0 ? sub(mul(v0, mu), mul(d, lr)) : mul(d, next());
    const buf = opt.setBuffer(s, 'momentumBuffer', v);
    const delta = h.nesterov ? sub(mul(buf, mu), mul(d, lr)) : buf;
    opt.setParam(p, add(p, delta));
  } else {
    const v = v0 ? add(mul(v0, mu), mul(d, next())) : mul(d, next());
    const buf = opt.setBuffer(s, 'momentumBuffer', v);
    const step = h.nesterov ? add(mul(buf, mu), mul(d, next())) : buf;
    opt.setParam(p, sub(p, mul(step, lr)));
  }
}

/** Hyperparameters of PyTorch-door {@link SGD}. */
export interface SGDOptions {
  /** Learning rate (required in PyTorch 1.13; must be ≥ 0). */
  lr: number;
  /** Momentum factor μ. @default 0 */
  momentum?: number;
  /** Dampening of the gradient in the momentum sum (`'pytorch'` form). @default 0 */
  dampening?: number;
  /**
   * L2 penalty coupled into the gradient: g ← g + weightDecay·w. Keras' `L2(λ)` regularizer adds λ‖w‖²
   * to the loss, whose gradient is 2λw: so Keras `L2(λ)` ≡ `weightDecay: 2λ` here.
   * @default 0
   */
  weightDecay?: number;
  /** Nesterov momentum (needs momentum > 0 and dampening 0). @default false */
  nesterov?: boolean;
  /** Which momentum formula (see {@link MomentumForm}). @default 'pytorch' */
  momentumForm?: MomentumForm;
}

type SGDHyper = Required<SGDOptions> & BaseHyper;

/**
 * Stochastic gradient descent, PyTorch door (`torch.optim.SGD`, torch 1.13 `torch/optim/sgd.py`):
 *
 * d = g + λw; with momentum μ: b₁ = d, bₜ = μbₜ₋₁ + (1 − τ)d; d = b (or d + μb with Nesterov);
 * w ← w − lr·d. Other momentum formulas via `momentumForm`.
 *
 * @param params - Tensors (`net.parameters()`) or groups `[{ params, lr, ... }]`.
 * @param options - Hyperparameters; see {@link SGDOptions}.
 * @example
 * ```ts
 * const opt = new optim.SGD(net.parameters(), { lr: 0.1, momentum: 0.9 });
 * opt.zeroGrad(); loss.backward(); opt.step();
 * ```
 */
export class SGD extends BaseOptimizer<SGDHyper> {
  constructor(params: ParamsInput<SGDHyper>, options: SGDOptions) {
    super('SGD', 'pytorch', {
      lr: options?.lr,
      momentum: options.momentum ?? 0,
      dampening: options.dampening ?? 0,
      weightDecay: options.weightDecay ?? 0,
      nesterov: options.nesterov ?? false,
      momentumForm: options.momentumForm ?? 'pytorch',
    });
    this.validate(this.defaults);
    this.addParams(params);
  }
  protected validate(h: SGDHyper): void {
    check.nonNeg('SGD', 'lr', h.lr);
    check.nonNeg('SGD', 'momentum', h.momentum);
    check.nonNeg('SGD', 'weightDecay', h.weightDecay);
    check.range('SGD', 'dampening', h.dampening, 0, 1, true);
    check.oneOf('SGD', 'momentumForm', h.momentumForm, FORMS);
    if (h.momentumForm === 'ema') check.range('SGD', 'momentum', h.momentum, 0, 1);
    if (h.nesterov && (h.momentum <= 0 || h.dampening !== 0)) {
      throw new InvalidHyperparameterError('SGD', 'nesterov', true, 'used with momentum > 0 and dampening 0', 'Nesterov momentum setting');
    }
  }
  protected update(p: Tensor, g: Tensor, s: ParamState, h: ParamGroup<SGDHyper>): void {
    s.step++;
    const next = uploader(this.updateScalars(p, s, h));
    const d = h.weightDecay !== 0 ? add(g, mul(p, next())) : g;
    sgdUpdate(this, p, d, s, h, next);
  }
  /** @internal */
  protected override updateScalars(_p: Tensor, s: ParamState, h: ParamGroup<SGDHyper>): number[] {
    return [...(h.weightDecay !== 0 ? [h.weightDecay] : []), ...sgdConstants(h, !!s.buffers.momentumBuffer)];
  }
}

/** Options of Keras-door {@link KerasSGD}. */
export interface KerasSGDOptions extends KerasOptimizerOptions {
  /** @default 0.01 */
  learningRate?: KerasOptimizerOptions['learningRate'];
  /** Momentum μ in [0, 1]. @default 0 */
  momentum?: number;
  /** @default false */
  nesterov?: boolean;
  /** Which momentum formula (see {@link MomentumForm}). @default 'keras' */
  momentumForm?: MomentumForm;
}

type KerasSGDHyper = KerasHyper & { momentum: number; nesterov: boolean; momentumForm: MomentumForm; dampening: number };

/**
 * SGD, Keras door (`keras.optimizers.SGD`, Keras 3 `keras/src/optimizers/sgd.py`):
 * v ← μv − lr·g, w ← w + v (Nesterov: w ← w + μv − lr·g); without momentum w ← w − lr·g.
 * Create with {@link optimizersSGD} (`optimizers.SGD({...})`).
 */
export class KerasSGD extends KerasOptimizer<KerasSGDHyper> {
  constructor(o: KerasSGDOptions = {}) {
    super('SGD', { lr: 0.01, weightDecay: 0, momentum: o.momentum ?? 0, nesterov: o.nesterov ?? false, momentumForm: o.momentumForm ?? 'keras', dampening: 0 }, o);
  }
  protected validate(h: KerasSGDHyper): void {
    this.validateCommon(h);
    check.range('SGD', 'momentum', h.momentum, 0, 1, true);
    check.oneOf('SGD', 'momentumForm', h.momentumForm, FORMS);
  }
  protected update(p: Tensor, g: Tensor, s: ParamState, h: ParamGroup<KerasSGDHyper>): void {
    s.step++;
    sgdUpdate(this, p, g, s, h, uploader(this.updateScalars(p, s, h)));
  }
  /** @internal */
  protected override updateScalars(_p: Tensor, s: ParamState, h: ParamGroup<KerasSGDHyper>): number[] {
    return sgdConstants(h, !!s.buffers.momentumBuffer);
  }
}
