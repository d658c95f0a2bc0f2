import { add, div, mul, sqrt, square, sub } from '../ops';
import type { Tensor } from '../tensor';
import { check } from './errors';
import { uploader } from './host';
import { KerasOptimizer, type KerasHyper, type KerasOptimizerOptions } from './keras-optimizer';
import { BaseOptimizer, type BaseHyper, type ParamGroup, type ParamState, type ParamsInput } from './optimizer';

/**
 * Which RMSprop formula. With decay ρ (PyTorch `alpha`), S ← ρS + (1 − ρ)g²:
 * - `'pytorch'` (torch/optim/rmsprop.py, and the course): ε outside the root,
 *   w ← w − lr·g/(√S + ε); momentum b ← μb + g/(√S + ε), w ← w − lr·b;
 * - `'keras'` (keras/src/optimizers/rmsprop.py): ε inside the root,
 *   w ← w − lr·g/√(S + ε); momentum m ← μm + lr·g/√(S + ε), w ← w − m.
 * Centered: S is replaced by S − ḡ² with ḡ ← ρḡ + (1 − ρ)g.
 */
export type RMSpropForm = 'pytorch' | 'keras';

interface RmsMath {
  lr: number;
  rho: number;
  eps: number;
  momentum: number;
  centered: boolean;
  epsilonForm: RMSpropForm;
}

/** The host scalars of one {@link rmsUpdate}, in upload order (see `BaseOptimizer.hostStep`). */
function rmsConstants(h: RmsMath, s: ParamState): number[] {
  const mom = h.momentum > 0 && s.buffers.momentumBuffer ? [h.momentum] : [];
  return h.epsilonForm === 'pytorch' ? [h.rho, 1 - h.rho, h.eps, ...mom, h.lr] : [h.rho, 1 - h.rho, h.eps, h.lr, ...mom];
}

/** One RMSprop update; `next` uploads {@link rmsConstants} in order. */
function rmsUpdate(opt: BaseOptimizer<BaseHyper>, p: Tensor, g: Tensor, s: ParamState, h: RmsMath, next: () => Tensor): void {
  const rho = next(), one = next();
  const S0 = s.buffers.squareAvg;
  const S = opt.setBuffer(s, 'squareAvg', S0 ? add(mul(S0, rho), mul(square(g), one)) : mul(square(g), one));
  let v: Tensor = S;
  if (h.centered) {
    const a0 = s.buffers.gradAvg;
    const a = opt.setBuffer(s, 'gradAvg', a0 ? add(mul(a0, rho), mul(g, one)) : mul(g, one));
    v = sub(S, square(a));
  }
  const eps = next();
  if (h.epsilonForm === 'pytorch') {
    const q = div(g, add(sqrt(v), eps));
    if (h.momentum > 0) {
      const b0 = s.buffers.momentumBuffer;
      const b = opt.setBuffer(s, 'momentumBuffer', b0 ? add(mul(b0, next()), q) : q);
      opt.setParam(p, sub(p, mul(b, next())));
    } else opt.setParam(p, sub(p, mul(q, next())));
  } else {
    const inc = div(mul(g, next()), sqrt(add(v, eps)));
    if (h.momentum > 0) {
      const m0 = s.buffers.momentumBuffer;
      const m = opt.setBuffer(s, 'momentumBuffer', m0 ? add(mul(m0, next()), inc) : inc);
      opt.setParam(p, sub(p, m));
    } else opt.setParam(p, sub(p, inc));
  }
}

/** Hyperparameters of PyTorch-door {@link RMSprop}. */
export interface RMSpropOptions {
  /** @default 1e-2 */
  lr?: number;
  /** Smoothing constant ρ of the squared-gradient average. @default 0.99 */
  alpha?: number;
  /** Added to √S (outside the root, see {@link RMSpropForm}). @default 1e-8 */
  eps?: number;
  /** L2 penalty added to the gradient. @default 0 */
  weightDecay?: number;
  /** @default 0 */
  momentum?: number;
  /** Normalise by the estimated variance instead of the second moment. @default false */
  centered?: boolean;
  /** @default 'pytorch' */
  epsilonForm?: RMSpropForm;
}

type RMSpropHyper = BaseHyper & Required<Omit<RMSpropOptions, 'lr'>>;

/**
 * RMSprop, PyTorch door (`torch.optim.RMSprop`, torch 1.13 `torch/optim/rmsprop.py`):
 * g ← g + λw; S ← αS + (1 − α)g²; w ← w − lr·g/(√S + ε) (momentum and centered variants in
 * {@link RMSpropForm}).
 *
 * @example
 * ```ts
 * const opt = new optim.RMSprop(net.parameters(), { lr: 1e-2, alpha: 0.99 });
 * ```
 */
export class RMSprop extends BaseOptimizer<RMSpropHyper> {
  constructor(params: ParamsInput<RMSpropHyper>, o: RMSpropOptions = {}) {
    super('RMSprop', 'pytorch', { lr: o.lr ?? 1e-2, alpha: o.alpha ?? 0.99, eps: o.eps ?? 1e-8, weightDecay: o.weightDecay ?? 0, momentum: o.momentum ?? 0, centered: o.centered ?? false, epsilonForm: o.epsilonForm ?? 'pytorch' });
    this.validate(this.defaults);
    this.addParams(params);
  }
  protected validate(h: RMSpropHyper): void {
    check.nonNeg('RMSprop', 'lr', h.lr);
    check.nonNeg('RMSprop', 'eps', h.eps);
    check.nonNeg('RMSprop', 'momentum', h.momentum);
    check.nonNeg('RMSprop', 'weightDecay', h.weightDecay);
    check.range('RMSprop', 'alpha', h.alpha, 0, 1, true);
    check.oneOf('RMSprop', 'epsilonForm', h.epsilonForm, ['pytorch', 'keras']);
  }
  protected update(p: Tensor, g: Tensor, s: ParamState, h: ParamGroup<RMSpropHyper>): void {
    s.step++;
    const next = uploader(this.updateScalars(p, s, h));
    const grad = h.weightDecay !== 0 ? add(g, mul(p, next())) : g;
    rmsUpdate(this, p, grad, s, { ...h, rho: h.alpha }, next);
  }
  /** @internal */
  protected override updateScalars(_p: Tensor, s: ParamState, h: ParamGroup<RMSpropHyper>): number[] {
    return [...(h.weightDecay !== 0 ? [h.weightDecay] : []), ...rmsConstants({ ...h, rho: h.alpha }, s)];
  }
}

/** Options of Keras-door {@link KerasRMSprop}. */
export interface KerasRMSpropOptions extends KerasOptimizerOptions {
  /** @default 1e-3 */
  learningRate?: KerasOptimizerOptions['learningRate'];
  /** Discounting factor of the squared-gradient average. @default 0.9 */
  rho?: number;
  /** @default 0 */
  momentum?: number;
  /** Inside the root (see {@link RMSpropForm}). @default 1e-7 */
  epsilon?: number;
  /** @default false */
  centered?: boolean;
  /** @default 'keras' */
  epsilonForm?: RMSpropForm;
}

type KerasRMSpropHyper = KerasHyper & { rho: number; momentum: number; eps: number; centered: boolean; epsilonForm: RMSpropForm };

/**
 * RMSprop, Keras door (`keras.optimizers.RMSprop`, Keras 3 `keras/src/optimizers/rmsprop.py`):
 * S ← ρS + (1 − ρ)g²; inc = lr·g/√(S + ε); w ← w − inc (momentum: m ← μm + inc, w ← w − m).
 */
export class KerasRMSprop extends KerasOptimizer<KerasRMSpropHyper> {
  constructor(o: KerasRMSpropOptions = {}) {
    super('RMSprop', { lr: 1e-3, weightDecay: 0, rho: o.rho ?? 0.9, momentum: o.momentum ?? 0, eps: o.epsilon ?? 1e-7, centered: o.centered ?? false, epsilonForm: o.epsilonForm ?? 'keras' }, o);
  }
  protected validate(h: KerasRMSpropHyper): void {
    this.validateCommon(h);
    check.range('RMSprop', 'rho', h.rho, 0, 1, true);
    check.nonNeg('RMSprop', 'momentum', h.momentum);
    check.nonNeg('RMSprop', 'epsilon', h.eps);
    check.oneOf('RMSprop', 'epsilonForm', h.epsilonForm, ['pytorch', 'keras']);
  }
  protected update(p: Tensor, g: Tensor, s: ParamState, h: ParamGroup<KerasRMSpropHyper>): void {
    s.step++;
    rmsUpdate(this, p, g, s, h, uploader(this.updateScalars(p, s, h)));
  }
  /** @internal */
  protected override updateScalars(_p: Tensor, s: ParamState, h: ParamGroup<KerasRMSpropHyper>): number[] {
    return rmsConstants(h, s);
  }
}
