import { add, div, mul, sqrt, square, sub, fullLike } from '../ops';
import type { Tensor } from '../tensor';
import { check } from './errors';
import { hostScalar as c, uploader } from './host';
import { KerasOptimizer, type KerasHyper, type KerasOptimizerOptions } from './keras-optimizer';
import { BaseOptimizer, type BaseHyper, type ParamGroup, type ParamState, type ParamsInput } from './optimizer';

/** Hyperparameters of PyTorch-door {@link Adagrad}. */
export interface AdagradOptions {
  /** @default 1e-2 */
  lr?: number;
  /** lr at step t is lr / (1 + (t − 1)·lrDecay). @default 0 */
  lrDecay?: number;
  /** L2 penalty added to the gradient. @default 0 */
  weightDecay?: number;
  /** Starting value of the squared-gradient sum. @default 0 */
  initialAccumulatorValue?: number;
  /** Added to √sum (outside the root). @default 1e-10 */
  eps?: number;
}

type AdagradHyper = BaseHyper & Required<Omit<AdagradOptions, 'lr'>>;

/** A kept accumulator filled with `v` (Adagrad's initial value). */
function acc(opt: BaseOptimizer<BaseHyper>, s: ParamState, p: Tensor, v: number): Tensor {
  return s.buffers.sum ?? opt.setBuffer(s, 'sum', fullLike(p, 0).add(c(v)));
}

/**
 * Adagrad, PyTorch door (`torch.optim.Adagrad`, torch 1.13 `torch/optim/adagrad.py`):
 * g ← g + λw; clr = lr/(1 + (t − 1)·lrDecay); G ← G + g²; w ← w − clr·g/(√G + ε).
 *
 * @example
 * ```ts
 * const opt = new optim.Adagrad(net.parameters(), { lr: 0.01 });
 * ```
 */
export class Adagrad extends BaseOptimizer<AdagradHyper> {
  constructor(params: ParamsInput<AdagradHyper>, o: AdagradOptions = {}) {
    super('Adagrad', 'pytorch', { lr: o.lr ?? 1e-2, lrDecay: o.lrDecay ?? 0, weightDecay: o.weightDecay ?? 0, initialAccumulatorValue: o.initialAccumulatorValue ?? 0, eps: o.eps ?? 1e-10 });
    this.validate(this.defaults);
    this.addParams(params);
  }
  protected validate(h: AdagradHyper): void {
    check.nonNeg('Adagrad', 'lr', h.lr);
    check.nonNeg('Adagrad', 'lrDecay', h.lrDecay);
    check.nonNeg('Adagrad', 'weightDecay', h.weightDecay);
    check.nonNeg('Adagrad', 'initialAccumulatorValue', h.initialAccumulatorValue);
    check.nonNeg('Adagrad', 'eps', h.eps);
  }
  /** The host scalars of an update at step `t` once the accumulator exists, in upload order. */
  private constants(h: ParamGroup<AdagradHyper>, t: number): number[] {
    return [...(h.weightDecay !== 0 ? [h.weightDecay] : []), h.eps, h.lr / (1 + (t - 1) * h.lrDecay)];
  }
  protected update(p: Tensor, g: Tensor, s: ParamState, h: ParamGroup<AdagradHyper>): void {
    s.step++;
    const next = uploader(this.constants(h, s.step));
    const grad = h.weightDecay !== 0 ? add(g, mul(p, next())) : g;
    const G = this.setBuffer(s, 'sum', add(acc(this, s, p, h.initialAccumulatorValue), square(grad)));
    this.setParam(p, sub(p, mul(div(grad, add(sqrt(G), next())), next())));
  }
  /** @internal */
  protected override updateScalars(_p: Tensor, s: ParamState, h: ParamGroup<AdagradHyper>): number[] | undefined {
    return s.buffers.sum ? this.constants(h, s.step + 1) : undefined;
  }
}

/** Options of Keras-door {@link KerasAdagrad}. */
export interface KerasAdagradOptions extends KerasOptimizerOptions {
  /** @default 1e-3 */
  learningRate?: KerasOptimizerOptions['learningRate'];
  /** Starting value of the accumulator. @default 0.1 */
  initialAccumulatorValue?: number;
  /** Inside the root. @default 1e-7 */
  epsilon?: number;
}

type KerasAdagradHyper = KerasHyper & { initialAccumulatorValue: number; eps: number };

/** The host scalars of a Keras Adagrad update after the accumulator's creation, in upload order. */
const kerasAdagradConstants = (h: KerasAdagradHyper): number[] => [h.lr, h.eps];

/**
 * Adagrad, Keras door (`keras.optimizers.Adagrad`, Keras 3 `keras/src/optimizers/adagrad.py`):
 * G ← G + g² (G₀ = 0.1); w ← w − lr·g/√(G + ε).
 */
export class KerasAdagrad extends KerasOptimizer<KerasAdagradHyper> {
  constructor(o: KerasAdagradOptions = {}) {
    super('Adagrad', { lr: 1e-3, weightDecay: 0, initialAccumulatorValue: o.initialAccumulatorValue ?? 0.1, eps: o.epsilon ?? 1e-7 }, o);
  }
  protected validate(h: KerasAdagradHyper): void {
    this.validateCommon(h);
    check.nonNeg('Adagrad', 'initialAccumulatorValue', h.initialAccumulatorValue);
    check.nonNeg('Adagrad', 'epsilon', h.eps);
  }
  protected update(p: Tensor, g: Tensor, s: ParamState, h: ParamGroup<KerasAdagradHyper>): void {
    s.step++;
    const G = this.setBuffer(s, 'sum', add(acc(this, s, p, h.initialAccumulatorValue), square(g)));
    const next = uploader(kerasAdagradConstants(h));
    this.setParam(p, sub(p, div(mul(g, next()), sqrt(add(G, next())))));
  }
  /** @internal The scalars of an update once the accumulator exists (its first update also uploads the initial value). */
  protected override updateScalars(_p: Tensor, s: ParamState, h: ParamGroup<KerasAdagradHyper>): number[] | undefined {
    return s.buffers.sum ? kerasAdagradConstants(h) : undefined;
  }
}
