import { add, div, mul, sqrt, square, sub } from '../ops';
import type { Tensor } from '../tensor';
import { check, InvalidHyperparameterError } from './errors';
import { uploader } from './host';
import { KerasOptimizer, type KerasHyper, type KerasOptimizerOptions } from './keras-optimizer';
import { BaseOptimizer, type BaseHyper, type ParamGroup, type ParamState, type ParamsInput } from './optimizer';

/**
 * The momentum schedule μₜ = β₁(1 − ½·0.96^(t·ψ)) of Nadam (Dozat 2016) and the running product
 * Πᵢ₌₁..ₜ μᵢ, multiplied in step order as PyTorch and Keras accumulate it. Cached per (β₁, ψ) so
 * that step t costs one multiplication after step t − 1. ψ is PyTorch's `momentum_decay` (4e-3);
 * Keras uses ψ = 1.
 */
class MuSchedule {
  private key = '';
  private t = 0;
  private prod = 1;
  static mu(beta1: number, psi: number, t: number): number {
    return beta1 * (1 - 0.5 * 0.96 ** (t * psi));
  }
  /** Πᵢ₌₁..ₜ μᵢ. */
  product(beta1: number, psi: number, t: number): number {
    const key = `${beta1}|${psi}`;
    if (key !== this.key || t < this.t) {
      this.key = key;
      this.t = 0;
      this.prod = 1;
    }
    while (this.t < t) this.prod *= MuSchedule.mu(beta1, psi, ++this.t);
    return this.prod;
  }
}

/** Hyperparameters of PyTorch-door {@link NAdam}. */
export interface NAdamOptions {
  /** @default 2e-3 */
  lr?: number;
  /** (β₁, β₂), each in [0, 1). @default [0.9, 0.999] */
  betas?: readonly [number, number];
  /** Added to √v̂. @default 1e-8 */
  eps?: number;
  /** L2 penalty added to the gradient (g + λw). @default 0 */
  weightDecay?: number;
  /** ψ of the momentum schedule μₜ = β₁(1 − ½·0.96^(tψ)). @default 4e-3 */
  momentumDecay?: number;
}

type NAdamHyper = BaseHyper & { betas: readonly [number, number]; eps: number; weightDecay: number; momentumDecay: number };

/**
 * NAdam, PyTorch door (`torch.optim.NAdam`, torch 1.13 `torch/optim/nadam.py`, Dozat 2016):
 *
 * g ← g + λw; μₜ = β₁(1 − ½·0.96^(tψ)); Πₜ = μ₁⋯μₜ; m ← β₁m + (1 − β₁)g; v ← β₂v + (1 − β₂)g²;
 * d = √(v/(1 − β₂ᵗ)) + ε; w ← w − lr(1 − μₜ)/(1 − Πₜ) · g/d − lr·μₜ₊₁/(1 − Πₜμₜ₊₁) · m/d.
 *
 * This is torch 1.13's `foreach=True` path and torch ≥ 2.0. torch 1.13's default single-tensor path
 * divides the second term by 1 − Πₜμₜμₜ₊₁ (μₜ counted twice; fixed in torch 2.0): on the parity
 * test's model its loss differs from this one by 6e-4 (relative) at step 2 and its weights by up to
 * 7% after 20 steps (tested). Πₜ is computed from the step count
 * with the group's current β₁ and ψ, which is PyTorch's product as long as they stay constant.
 *
 * @param params - Tensors or parameter groups.
 * @param options - See {@link NAdamOptions}.
 * @example
 * ```ts
 * const opt = new optim.NAdam(net.parameters(), { lr: 2e-3, momentumDecay: 4e-3 });
 * ```
 */
export class NAdam extends BaseOptimizer<NAdamHyper> {
  private readonly mus = new MuSchedule();
  constructor(params: ParamsInput<NAdamHyper>, options: NAdamOptions = {}) {
    super('NAdam', 'pytorch', {
      lr: options.lr ?? 2e-3, betas: options.betas ?? [0.9, 0.999], eps: options.eps ?? 1e-8,
      weightDecay: options.weightDecay ?? 0, momentumDecay: options.momentumDecay ?? 4e-3,
    });
    this.validate(this.defaults);
    this.addParams(params);
  }
  protected validate(h: NAdamHyper): void {
    check.nonNeg(this.name, 'lr', h.lr);
    check.nonNeg(this.name, 'eps', h.eps);
    if (!Array.isArray(h.betas) || h.betas.length !== 2) throw new InvalidHyperparameterError(this.name, 'betas', h.betas, 'a pair [beta1, beta2]', 'beta parameters');
    check.range(this.name, 'betas[0]', h.betas[0], 0, 1);
    check.range(this.name, 'betas[1]', h.betas[1], 0, 1);
    check.nonNeg(this.name, 'weightDecay', h.weightDecay);
    check.nonNeg(this.name, 'momentumDecay', h.momentumDecay);
  }
  /** Every host scalar of one update at step `t`, in upload order. */
  private constants(s: ParamState, h: ParamGroup<NAdamHyper>, t: number): number[] {
    const [b1, b2] = h.betas, psi = h.momentumDecay;
    const mu = MuSchedule.mu(b1, psi, t), muNext = MuSchedule.mu(b1, psi, t + 1);
    const prod = this.mus.product(b1, psi, t);
    return [
      ...(h.weightDecay === 0 ? [] : [h.weightDecay]),
      ...(s.buffers.expAvg ? [b1] : []), 1 - b1,
      ...(s.buffers.expAvgSq ? [b2] : []), 1 - b2,
      1 - b2 ** t, h.eps,
      (h.lr * (1 - mu)) / (1 - prod), (h.lr * muNext) / (1 - prod * muNext),
    ];
  }
  protected update(p: Tensor, g: Tensor, s: ParamState, h: ParamGroup<NAdamHyper>): void {
    s.step++;
    const next = uploader(this.constants(s, h, s.step));
    const grad = h.weightDecay === 0 ? g : add(g, mul(p, next()));
    const m0 = s.buffers.expAvg, v0 = s.buffers.expAvgSq;
    const m = this.setBuffer(s, 'expAvg', m0 ? add(mul(m0, next()), mul(grad, next())) : mul(grad, next()));
    const v = this.setBuffer(s, 'expAvgSq', v0 ? add(mul(v0, next()), mul(square(grad), next())) : mul(square(grad), next()));
    const denom = add(sqrt(div(v, next())), next());
    const w = sub(p, mul(div(grad, denom), next()));
    this.setParam(p, sub(w, mul(div(m, denom), next())));
  }
  /** @internal */
  protected override updateScalars(_p: Tensor, s: ParamState, h: ParamGroup<NAdamHyper>): number[] {
    return this.constants(s, h, s.step + 1);
  }
}

/** Options of Keras-door {@link KerasNadam}. */
export interface KerasNadamOptions extends KerasOptimizerOptions {
  /** @default 1e-3 */
  learningRate?: KerasOptimizerOptions['learningRate'];
  /** @default 0.9 */
  beta1?: number;
  /** @default 0.999 */
  beta2?: number;
  /** Added to √v̂ ("epsilon hat"). @default 1e-7 */
  epsilon?: number;
}

type KerasNadamHyper = KerasHyper & { beta1: number; beta2: number; eps: number };

/**
 * Nadam, Keras door (`keras.optimizers.Nadam`, Keras 3 `keras/src/optimizers/nadam.py`): with
 * t = iterations + 1, uₜ = β₁(1 − ½·0.96ᵗ), Uₜ = u₁⋯uₜ (one product for the whole optimizer):
 *
 * m ← m + (g − m)(1 − β₁); v ← v + (g² − v)(1 − β₂);
 * m̂ = uₜ₊₁·m/(1 − Uₜuₜ₊₁) + (1 − uₜ)·g/(1 − Uₜ); v̂ = v/(1 − β₂ᵗ); w ← w − lr·m̂/(√v̂ + ε).
 *
 * Keras's momentum schedule decays as 0.96ᵗ (PyTorch's as 0.96^(0.004·t)), so the doors differ.
 */
export class KerasNadam extends KerasOptimizer<KerasNadamHyper> {
  private readonly mus = new MuSchedule();
  constructor(o: KerasNadamOptions = {}) {
    super('Nadam', { lr: 1e-3, weightDecay: 0, beta1: o.beta1 ?? 0.9, beta2: o.beta2 ?? 0.999, eps: o.epsilon ?? 1e-7 }, o);
  }
  protected validate(h: KerasNadamHyper): void {
    this.validateCommon(h);
    check.range(this.name, 'beta1', h.beta1, 0, 1);
    check.range(this.name, 'beta2', h.beta2, 0, 1);
    check.nonNeg(this.name, 'epsilon', h.eps);
  }
  /** Every host scalar of one update, in upload order (t = iterations + 1). */
  private constants(s: ParamState, h: ParamGroup<KerasNadamHyper>): number[] {
    const t = this.iterations + 1, { beta1: b1, beta2: b2 } = h;
    const u = MuSchedule.mu(b1, 1, t), uNext = MuSchedule.mu(b1, 1, t + 1);
    const prod = this.mus.product(b1, 1, t);
    return [
      ...(s.buffers.expAvg ? [b1] : []), 1 - b1,
      ...(s.buffers.expAvgSq ? [b2] : []), 1 - b2,
      uNext / (1 - prod * uNext), (1 - u) / (1 - prod),
      1 - b2 ** t, h.lr, h.eps,
    ];
  }
  protected update(p: Tensor, g: Tensor, s: ParamState, h: ParamGroup<KerasNadamHyper>): void {
    s.step++;
    const next = uploader(this.constants(s, h));
    const m0 = s.buffers.expAvg, v0 = s.buffers.expAvgSq;
    const m = this.setBuffer(s, 'expAvg', m0 ? add(mul(m0, next()), mul(g, next())) : mul(g, next()));
    const v = this.setBuffer(s, 'expAvgSq', v0 ? add(mul(v0, next()), mul(square(g), next())) : mul(square(g), next()));
    const mHat = add(mul(m, next()), mul(g, next()));
    const vHat = div(v, next());
    this.setParam(p, sub(p, div(mul(mHat, next()), add(sqrt(vHat), next()))));
  }
  /** @internal */
  protected override updateScalars(_p: Tensor, s: ParamState, h: ParamGroup<KerasNadamHyper>): number[] {
    return this.constants(s, h);
  }
}
