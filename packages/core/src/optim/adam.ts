import { add, div, maximum, mul, sqrt, square, sub } from '../ops';
import type { Tensor } from '../tensor';
import { check, InvalidHyperparameterError } from './errors';
import { uploader } from './host';
import { KerasOptimizer, type KerasHyper, type KerasOptimizerOptions } from './keras-optimizer';
import { BaseOptimizer, type BaseHyper, type ParamGroup, type ParamState, type ParamsInput } from './optimizer';

/**
 * Where Adam's ε sits. With m, v the moving averages, bc₁ = 1 − β₁ᵗ, bc₂ = 1 − β₂ᵗ:
 * - `'pytorch'` (torch/optim/adam.py, Kingma & Ba Algorithm 1): w ← w − lr/bc₁ · m / (√v/√bc₂ + ε);
 * - `'keras'` (keras/src/optimizers/adam.py, "epsilon hat"): w ← w − lr·√bc₂/bc₁ · m / (√v + ε).
 *
 * They agree up to ε: the Keras form's ε is effectively ε·√bc₂ in the PyTorch form, so it is
 * smaller early in training.
 */
export type EpsilonForm = 'pytorch' | 'keras';

interface AdamMath {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  amsgrad: boolean;
  epsilonForm: EpsilonForm;
}

/**
 * The host scalars of one Adam update, in the order {@link adamUpdate} uploads them (one list, so
 * that the ort engine can compute a step's constants without running the update: see
 * `BaseOptimizer.hostStep`). `hasM` / `hasV`: the moment buffers exist (not the first update).
 */
function adamConstants(h: AdamMath, t: number, hasM: boolean, hasV: boolean, out: number[] = []): number[] {
  // Pushed one by one into one array: the compiled engine asks for these at every step of every
  // parameter (hostStep), and spreads of temporary arrays were most of its per-step garbage.
  const b1 = h.beta1, b2 = h.beta2;
  if (hasM) out.push(b1);
  out.push(1 - b1);
  if (hasV) out.push(b2);
  out.push(1 - b2);
  const bc1 = 1 - b1 ** t, bc2 = 1 - b2 ** t;
  if (h.epsilonForm === 'pytorch') out.push(Math.sqrt(bc2), h.eps, h.lr / bc1);
  else out.push((h.lr * Math.sqrt(bc2)) / bc1, h.eps);
  return out;
}

/** The PyTorch door's hyperparameters as {@link AdamMath} (betas as a pair there). */
const torchAdamMath = (h: ParamGroup<AdamHyper>): AdamMath => ({ lr: h.lr, beta1: h.betas[0], beta2: h.betas[1], eps: h.eps, amsgrad: h.amsgrad, epsilonForm: h.epsilonForm });

/** One Adam update (moments, optional AMSGrad maximum, step) — shared by both doors. `next` uploads {@link adamConstants} in order. */
function adamUpdate(opt: BaseOptimizer<BaseHyper>, p: Tensor, g: Tensor, s: ParamState, h: AdamMath, next: () => Tensor): void {
  const m0 = s.buffers.expAvg, v0 = s.buffers.expAvgSq;
  const m = opt.setBuffer(s, 'expAvg', m0 ? add(mul(m0, next()), mul(g, next())) : mul(g, next()));
  const v = opt.setBuffer(s, 'expAvgSq', v0 ? add(mul(v0, next()), mul(square(g), next())) : mul(square(g), next()));
  let vUse = v;
  if (h.amsgrad) {
    const vm = s.buffers.maxExpAvgSq;
    vUse = opt.setBuffer(s, 'maxExpAvgSq', vm ? maximum(vm, v) : v);
  }
  if (h.epsilonForm === 'pytorch') {
    const denom = add(div(sqrt(vUse), next()), next());
    opt.setParam(p, sub(p, mul(div(m, denom), next())));
  } else {
    opt.setParam(p, sub(p, div(mul(m, next()), add(sqrt(vUse), next()))));
  }
}

/** Hyperparameters of PyTorch-door {@link Adam} and {@link AdamW}. */
export interface AdamOptions {
  /** @default 1e-3 */
  lr?: number;
  /** Decay rates (β₁, β₂) of the moment estimates, each in [0, 1). @default [0.9, 0.999] */
  betas?: readonly [number, number];
  /** Added to the denominator (see {@link EpsilonForm}). @default 1e-8 */
  eps?: number;
  /** Adam: L2 penalty added to the gradient (g + λw). AdamW: decoupled decay w ← w(1 − lr·λ). @default 0 (AdamW 1e-2) */
  weightDecay?: number;
  /** Use the maximum of past second moments (AMSGrad). @default false */
  amsgrad?: boolean;
  /** @default 'pytorch' */
  epsilonForm?: EpsilonForm;
}

type AdamHyper = BaseHyper & { betas: readonly [number, number]; eps: number; weightDecay: number; amsgrad: boolean; epsilonForm: EpsilonForm };

function validateAdam(name: string, h: AdamHyper): void {
  check.nonNeg(name, 'lr', h.lr);
  check.nonNeg(name, 'eps', h.eps);
  if (!Array.isArray(h.betas) || h.betas.length !== 2) throw new InvalidHyperparameterError(name, 'betas', h.betas, 'a pair [beta1, beta2]', 'beta parameters');
  check.range(name, 'betas[0]', h.betas[0], 0, 1);
  check.range(name, 'betas[1]', h.betas[1], 0, 1);
  check.nonNeg(name, 'weightDecay', h.weightDecay);
  check.oneOf(name, 'epsilonForm', h.epsilonForm, ['pytorch', 'keras']);
}

function adamDefaults(o: AdamOptions, weightDecay: number): AdamHyper {
  return { lr: o.lr ?? 1e-3, betas: o.betas ?? [0.9, 0.999], eps: o.eps ?? 1e-8, weightDecay: o.weightDecay ?? weightDecay, amsgrad: o.amsgrad ?? false, epsilonForm: o.epsilonForm ?? 'pytorch' };
}

/**
 * Adam, PyTorch door (`torch.optim.Adam`, torch 1.13 `torch/optim/adam.py`):
 *
 * g ← g + λw; m ← β₁m + (1 − β₁)g; v ← β₂v + (1 − β₂)g²; (AMSGrad: v̂ ← max(v̂, v));
 * w ← w − lr/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε). `t` counts this parameter's updates.
 *
 * @param params - Tensors or parameter groups.
 * @param options - See {@link AdamOptions}.
 * @example
 * ```ts
 * const opt = new optim.Adam(net.parameters(), { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8 });
 * ```
 */
export class Adam extends BaseOptimizer<AdamHyper> {
  constructor(params: ParamsInput<AdamHyper>, options: AdamOptions = {}, name = 'Adam', decayDefault = 0) {
    super(name, 'pytorch', adamDefaults(options, decayDefault));
    this.validate(this.defaults);
    this.addParams(params);
  }
  protected validate(h: AdamHyper): void {
    validateAdam(this.name, h);
  }
  protected decoupled(): boolean {
    return false;
  }
  /** Every host scalar of one update at step `t`, in upload order. */
  private constants(s: ParamState, h: ParamGroup<AdamHyper>, t: number): number[] {
    const out: number[] = h.weightDecay === 0 ? [] : [this.decoupled() ? 1 - h.lr * h.weightDecay : h.weightDecay];
    return adamConstants(torchAdamMath(h), t, !!s.buffers.expAvg, !!s.buffers.expAvgSq, out);
  }
  protected update(p: Tensor, g: Tensor, s: ParamState, h: ParamGroup<AdamHyper>): void {
    s.step++;
    const next = uploader(this.constants(s, h, s.step));
    let grad = g;
    if (h.weightDecay !== 0) {
      if (this.decoupled()) this.setParam(p, mul(p, next()));
      else grad = add(g, mul(p, next()));
    }
    adamUpdate(this, p, grad, s, torchAdamMath(h), next);
  }
  /** @internal */
  protected override updateScalars(_p: Tensor, s: ParamState, h: ParamGroup<AdamHyper>): number[] {
    return this.constants(s, h, s.step + 1);
  }
}

/**
 * AdamW, PyTorch door (`torch.optim.AdamW`, Loshchilov & Hutter): decoupled weight decay
 * w ← w·(1 − lr·λ) before the Adam step (λ = `weightDecay`, default 1e-2); the gradient is not changed.
 *
 * @example
 * ```ts
 * const opt = new optim.AdamW(net.parameters(), { lr: 1e-3, weightDecay: 0.01 });
 * ```
 */
export class AdamW extends Adam {
  constructor(params: ParamsInput<AdamHyper>, options: AdamOptions = {}) {
    super(params, options, 'AdamW', 1e-2);
  }
  protected override decoupled(): boolean {
    return true;
  }
}

/** Options of Keras-door Adam/AdamW. */
export interface KerasAdamOptions extends KerasOptimizerOptions {
  /** @default 1e-3 */
  learningRate?: KerasOptimizerOptions['learningRate'];
  /** @default 0.9 */
  beta1?: number;
  /** @default 0.999 */
  beta2?: number;
  /** "Epsilon hat" (see {@link EpsilonForm}). @default 1e-7 */
  epsilon?: number;
  /** @default false */
  amsgrad?: boolean;
  /** @default 'keras' */
  epsilonForm?: EpsilonForm;
}

type KerasAdamHyper = KerasHyper & { beta1: number; beta2: number; eps: number; amsgrad: boolean; epsilonForm: EpsilonForm };

/**
 * Adam, Keras door (`keras.optimizers.Adam`, Keras 3 `keras/src/optimizers/adam.py`):
 *
 * t = iterations + 1; α = lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ); m ← m + (g − m)(1 − β₁); v ← v + (g² − v)(1 − β₂);
 * w ← w − α·m/(√v + ε̂). AdamW (`optimizers.AdamW`) is this plus decoupled weight decay
 * (default 0.004), applied by the Keras base as w ← w − w·λ·lr.
 */
export class KerasAdam extends KerasOptimizer<KerasAdamHyper> {
  constructor(o: KerasAdamOptions = {}, name = 'Adam', decayDefault = 0) {
    super(name, { lr: 1e-3, weightDecay: decayDefault, beta1: o.beta1 ?? 0.9, beta2: o.beta2 ?? 0.999, eps: o.epsilon ?? 1e-7, amsgrad: o.amsgrad ?? false, epsilonForm: o.epsilonForm ?? 'keras' }, o);
  }
  protected validate(h: KerasAdamHyper): void {
    this.validateCommon(h);
    check.range(this.name, 'beta1', h.beta1, 0, 1);
    check.range(this.name, 'beta2', h.beta2, 0, 1);
    check.nonNeg(this.name, 'epsilon', h.eps);
    check.oneOf(this.name, 'epsilonForm', h.epsilonForm, ['pytorch', 'keras']);
  }
  protected update(p: Tensor, g: Tensor, s: ParamState, h: ParamGroup<KerasAdamHyper>): void {
    s.step++;
    adamUpdate(this, p, g, s, h, uploader(adamConstants(h, this.iterations + 1, !!s.buffers.expAvg, !!s.buffers.expAvgSq)));
  }
  /** @internal */
  protected override updateScalars(_p: Tensor, s: ParamState, h: ParamGroup<KerasAdamHyper>): number[] {
    return adamConstants(h, this.iterations + 1, !!s.buffers.expAvg, !!s.buffers.expAvgSq);
  }
}

/** AdamW, Keras door: {@link KerasAdam} with `weightDecay` defaulting to 0.004 (Keras 3). */
export class KerasAdamW extends KerasAdam {
  constructor(o: KerasAdamOptions = {}) {
    super(o, 'AdamW', 0.004);
  }
}
