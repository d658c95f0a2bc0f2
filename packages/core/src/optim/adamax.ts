import { abs, add, div, maximum, mul, sub } from '../ops';
import type { Tensor } from '../tensor';
import { check, InvalidHyperparameterError } from './errors';
import { uploader } from './host';
import { KerasOptimizer, type KerasHyper, type KerasOptimizerOptions } from './keras-optimizer';
import { BaseOptimizer, type BaseHyper, type ParamGroup, type ParamState, type ParamsInput } from './optimizer';

/** Hyperparameters of PyTorch-door {@link Adamax}. */
export interface AdamaxOptions {
  /** @default 2e-3 */
  lr?: number;
  /** (β₁, β₂), each in [0, 1). @default [0.9, 0.999] */
  betas?: readonly [number, number];
  /** Added to |g| inside the maximum. @default 1e-8 */
  eps?: number;
  /** L2 penalty added to the gradient (g + λw). @default 0 */
  weightDecay?: number;
}

type AdamaxHyper = BaseHyper & { betas: readonly [number, number]; eps: number; weightDecay: number };

/**
 * Adamax, PyTorch door (`torch.optim.Adamax`, torch 1.13 `torch/optim/adamax.py`; Kingma & Ba,
 * Adam with the infinity norm):
 *
 * g ← g + λw; m ← β₁m + (1 − β₁)g; u ← max(β₂u, |g| + ε); w ← w − lr/(1 − β₁ᵗ) · m/u.
 *
 * @param params - Tensors or parameter groups.
 * @param options - See {@link AdamaxOptions}.
 * @example
 * ```ts
 * const opt = new optim.Adamax(net.parameters(), { lr: 2e-3 });
 * ```
 */
export class Adamax extends BaseOptimizer<AdamaxHyper> {
  constructor(params: ParamsInput<AdamaxHyper>, options: AdamaxOptions = {}) {
    super('Adamax', 'pytorch', { lr: options.lr ?? 2e-3, betas: options.betas ?? [0.9, 0.999], eps: options.eps ?? 1e-8, weightDecay: options.weightDecay ?? 0 });
    this.validate(this.defaults);
    this.addParams(params);
  }
  protected validate(h: AdamaxHyper): void {
    check.nonNeg(this.name, 'lr', h.lr);
    check.nonNeg(this.name, 'eps', h.eps);
    if (!Array.isArray(h.betas) || h.betas.length !== 2) throw new InvalidHyperparameterError(this.name, 'betas', h.betas, 'a pair [beta1, beta2]', 'beta parameters');
    check.range(this.name, 'betas[0]', h.betas[0], 0, 1);
    check.range(this.name, 'betas[1]', h.betas[1], 0, 1);
    check.nonNeg(this.name, 'weightDecay', h.weightDecay);
  }
  /** Every host scalar of one update at step `t`, in upload order. */
  private constants(s: ParamState, h: ParamGroup<AdamaxHyper>, t: number): number[] {
    const [b1, b2] = h.betas;
    return [
      ...(h.weightDecay === 0 ? [] : [h.weightDecay]),
      ...(s.buffers.expAvg ? [b1] : []), 1 - b1,
      h.eps, ...(s.buffers.expInf ? [b2] : []),
      h.lr / (1 - b1 ** t),
    ];
  }
  protected update(p: Tensor, g: Tensor, s: ParamState, h: ParamGroup<AdamaxHyper>): void {
    s.step++;
    const next = uploader(this.constants(s, h, s.step));
    const grad = h.weightDecay === 0 ? g : add(g, mul(p, next()));
    const m0 = s.buffers.expAvg, u0 = s.buffers.expInf;
    const m = this.setBuffer(s, 'expAvg', m0 ? add(mul(m0, next()), mul(grad, next())) : mul(grad, next()));
    const gAbs = add(abs(grad), next());
    const u = this.setBuffer(s, 'expInf', u0 ? maximum(mul(u0, next()), gAbs) : gAbs);
    this.setParam(p, sub(p, mul(div(m, u), next())));
  }
  /** @internal */
  protected override updateScalars(_p: Tensor, s: ParamState, h: ParamGroup<AdamaxHyper>): number[] {
    return this.constants(s, h, s.step + 1);
  }
}

/** Options of Keras-door {@link KerasAdamax}. */
export interface KerasAdamaxOptions extends KerasOptimizerOptions {
  /** @default 1e-3 */
  learningRate?: KerasOptimizerOptions['learningRate'];
  /** @default 0.9 */
  beta1?: number;
  /** @default 0.999 */
  beta2?: number;
  /** Added to u (outside the maximum). @default 1e-7 */
  epsilon?: number;
}

type KerasAdamaxHyper = KerasHyper & { beta1: number; beta2: number; eps: number };

/**
 * Adamax, Keras door (`keras.optimizers.Adamax`, Keras 3 `keras/src/optimizers/adamax.py`): with
 * t = iterations + 1, m ← m + (g − m)(1 − β₁); u ← max(β₂u, |g|); w ← w − lr·m/((1 − β₁ᵗ)(u + ε)).
 * PyTorch adds ε to |g| inside the maximum instead.
 */
export class KerasAdamax extends KerasOptimizer<KerasAdamaxHyper> {
  constructor(o: KerasAdamaxOptions = {}) {
    super('Adamax', { lr: 1e-3, weightDecay: 0, beta1: o.beta1 ?? 0.9, beta2: o.beta2 ?? 0.999, eps: o.epsilon ?? 1e-7 }, o);
  }
  protected validate(h: KerasAdamaxHyper): void {
    this.validateCommon(h);
    check.range(this.name, 'beta1', h.beta1, 0, 1);
    check.range(this.name, 'beta2', h.beta2, 0, 1);
    check.nonNeg(this.name, 'epsilon', h.eps);
  }
  /** Every host scalar of one update, in upload order (t = iterations + 1). */
  private constants(s: ParamState, h: ParamGroup<KerasAdamaxHyper>): number[] {
    const t = this.iterations + 1;
    return [...(s.buffers.expAvg ? [h.beta1] : []), 1 - h.beta1, ...(s.buffers.expInf ? [h.beta2] : []), h.lr / (1 - h.beta1 ** t), h.eps];
  }
  protected update(p: Tensor, g: Tensor, s: ParamState, h: ParamGroup<KerasAdamaxHyper>): void {
    s.step++;
    const next = uploader(this.constants(s, h));
    const m0 = s.buffers.expAvg, u0 = s.buffers.expInf;
    const m = this.setBuffer(s, 'expAvg', m0 ? add(mul(m0, next()), mul(g, next())) : mul(g, next()));
    const u = this.setBuffer(s, 'expInf', u0 ? maximum(mul(u0, next()), abs(g)) : abs(g));
    this.setParam(p, sub(p, div(mul(m, next()), add(u, next()))));
  }
  /** @internal */
  protected override updateScalars(_p: Tensor, s: ParamState, h: ParamGroup<KerasAdamaxHyper>): number[] {
    return this.constants(s, h);
  }
}
