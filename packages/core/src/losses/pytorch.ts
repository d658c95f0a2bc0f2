import { ShapeError, ValueError } from '../errors';
import { abs, cast, div, exp, log, log1p, maximum, mul, neg, notEqual, oneHot, relu, sub, sum, transpose, where, add, minimum, square } from '../ops';
import type { Tensor } from '../tensor';
import { hostScalar as c } from '../optim/host';
import { reduce, sameShape, type Reduction } from './reduction';

/** Options shared by the PyTorch-door losses. */
export interface ReductionOptions {
  /** @default 'mean' */
  reduction?: Reduction;
}

/**
 * Mean squared error (PyTorch `F.mse_loss`): reduce((input − target)²).
 *
 * @param input - Predictions.
 * @param target - Targets, same shape.
 * @example
 * ```ts
 * const loss = nn.functional.mseLoss(net(x), y);
 * ```
 */
export function mseLoss(input: Tensor, target: Tensor, o: ReductionOptions = {}): Tensor {
  sameShape('mseLoss', input, target, ['input', 'target']);
  return reduce(square(sub(input, target)), o.reduction ?? 'mean', 'mseLoss');
}

/** Mean absolute error (PyTorch `F.l1_loss`): reduce(|input − target|). */
export function l1Loss(input: Tensor, target: Tensor, o: ReductionOptions = {}): Tensor {
  sameShape('l1Loss', input, target, ['input', 'target']);
  return reduce(abs(sub(input, target)), o.reduction ?? 'mean', 'l1Loss');
}

/** Elementwise Huber: ½x² where |x| ≤ δ, else δ(|x| − ½δ). */
export function huberElementwise(diff: Tensor, delta: number): Tensor {
  const a = abs(diff);
  const q = minimum(a, c(delta)); // quadratic part, written without a branch so gradients stay finite
  return add(mul(square(q), 0.5), mul(sub(a, q), c(delta)));
}

/**
 * Huber loss (PyTorch `F.huber_loss`): ½(x)² for |x| ≤ δ, δ(|x| − ½δ) beyond, x = input − target.
 *
 * @param o - `delta` (@default 1) and `reduction`.
 */
export function huberLoss(input: Tensor, target: Tensor, o: ReductionOptions & { delta?: number } = {}): Tensor {
  const delta = o.delta ?? 1;
  if (!(delta > 0)) throw new ValueError(`huberLoss: delta must be > 0, got ${delta}.`, 'huberLoss');
  sameShape('huberLoss', input, target, ['input', 'target']);
  return reduce(huberElementwise(sub(input, target), delta), o.reduction ?? 'mean', 'huberLoss');
}

/** Options of {@link binaryCrossEntropy}. */
export interface BCEOptions extends ReductionOptions {
  /** Rescaling weight, broadcast to the input. */
  weight?: Tensor;
}

/**
 * Binary cross-entropy on probabilities (PyTorch `F.binary_cross_entropy`):
 * −w·(y·log p + (1 − y)·log(1 − p)), each log clamped at −100 as PyTorch does.
 * Prefer {@link binaryCrossEntropyWithLogits} on logits: it is stable.
 */
export function binaryCrossEntropy(input: Tensor, target: Tensor, o: BCEOptions = {}): Tensor {
  sameShape('binaryCrossEntropy', input, target, ['input', 'target']);
  const lp = maximum(log(input), -100);
  const lq = maximum(log(sub(1, input)), -100);
  let l = neg(add(mul(target, lp), mul(sub(1, target), lq)));
  if (o.weight) l = mul(l, o.weight);
  return reduce(l, o.reduction ?? 'mean', 'binaryCrossEntropy');
}

/** Options of {@link binaryCrossEntropyWithLogits}. */
export interface BCEWithLogitsOptions extends BCEOptions {
  /** Weight of positive examples (broadcast over the last axis: one per class). */
  posWeight?: Tensor;
}

/**
 * Binary cross-entropy on logits, computed stably (PyTorch `F.binary_cross_entropy_with_logits`):
 * max(x, 0) − x·y + log(1 + e^−|x|); with `posWeight` p:
 * (1 − y)·x + (1 + (p − 1)·y)·(log(1 + e^−|x|) + max(−x, 0)).
 *
 * @example
 * ```ts
 * const loss = nn.functional.binaryCrossEntropyWithLogits(logits, labels);
 * ```
 */
export function binaryCrossEntropyWithLogits(input: Tensor, target: Tensor, o: BCEWithLogitsOptions = {}): Tensor {
  sameShape('binaryCrossEntropyWithLogits', input, target, ['input', 'target']);
  const soft = log1p(exp(neg(abs(input))));
  let l: Tensor;
  if (o.posWeight) {
    const lw = add(mul(sub(o.posWeight, 1), target), 1);
    l = add(mul(sub(1, target), input), mul(lw, add(soft, relu(neg(input)))));
  } else l = add(sub(relu(input), mul(input, target)), soft);
  if (o.weight) l = mul(l, o.weight);
  return reduce(l, o.reduction ?? 'mean', 'binaryCrossEntropyWithLogits');
}

/** Short alias of {@link binaryCrossEntropyWithLogits}. */
export const bceWithLogits = binaryCrossEntropyWithLogits;

/** Options of {@link nllLoss} and {@link crossEntropy}. */
export interface NLLOptions extends ReductionOptions {
  /** One weight per class (shape [C]). */
  weight?: Tensor;
  /** Target value that contributes nothing (and is left out of the mean). @default -100 */
  ignoreIndex?: number;
}

/** Move the class axis (1) last: (N, C, d…) → (N, d…, C); (C) and (N, C) unchanged. */
function classLast(x: Tensor): Tensor {
  if (x.rank <= 2) return x;
  const perm = [0, ...Array.from({ length: x.rank - 2 }, (_, i) => i + 2), 1];
  return transpose(x, perm);
}

function classTargets(where: string, input: Tensor, target: Tensor): void {
  const expected = input.rank === 1 ? [] : [input.shape[0]!, ...input.shape.slice(2)];
  if (target.rank !== expected.length || target.shape.some((d, i) => d !== expected[i])) {
    throw new ShapeError(where, `class-index targets must have shape [${expected.join(', ')}] for input (N, C, …)`, [input.shape, target.shape], 'Class indices are int32 of shape [N]; probabilities have the input\'s shape.');
  }
  if (target.dtype === 'bool') throw new ValueError(`${where}: targets are bool; expected int32 class indices or float32 probabilities.`, where);
}

/** Per-element −w[y]·logp[y] (zero where ignored) and the per-element weights w[y] (for the mean). */
function pick(logp: Tensor, target: Tensor, o: NLLOptions): [Tensor, Tensor] {
  const C = logp.shape[logp.rank - 1]!;
  const ignore = o.ignoreIndex ?? -100;
  const t = cast(target, 'int32');
  const valid = notEqual(t, ignore);
  const oh = oneHot(where(valid, t, 0), C);
  let w: Tensor = cast(valid, 'float32');
  if (o.weight) w = mul(w, sum(mul(oh, o.weight), -1));
  return [neg(mul(sum(mul(logp, oh), -1), w)), w];
}

function weightedMean(l: Tensor, w: Tensor, reduction: Reduction, where: string): Tensor {
  return reduction === 'mean' ? div(sum(l), sum(w)) : reduce(l, reduction, where);
}

/**
 * Negative log-likelihood (PyTorch `F.nll_loss`) of log-probabilities `input` (N, C, …) at int
 * class `target` (N, …). The mean divides by Σ weight[target] over non-ignored elements.
 */
export function nllLoss(input: Tensor, target: Tensor, o: NLLOptions = {}): Tensor {
  classTargets('nllLoss', input, target);
  const [l, w] = pick(classLast(input), target, o);
  return weightedMean(l, w, o.reduction ?? 'mean', 'nllLoss');
}

/** Options of {@link crossEntropy}. */
export interface CrossEntropyOptions extends NLLOptions {
  /** Mix the target with the uniform distribution: (1 − ε)·target + ε/C. @default 0 */
  labelSmoothing?: number;
}

/**
 * Cross-entropy of logits (PyTorch `F.cross_entropy`): log-softmax over axis 1 (the class axis of
 * (N, C, d…), or 0 for (C)), then NLL. `target` is either int32 class indices (N, d…) or class
 * probabilities of the input's shape. Stable: log-softmax is x − logsumexp(x).
 *
 * @example
 * ```ts
 * const loss = nn.functional.crossEntropy(net(x), labels, { labelSmoothing: 0.1 });
 * ```
 */
export function crossEntropy(input: Tensor, target: Tensor, o: CrossEntropyOptions = {}): Tensor {
  const ls = o.labelSmoothing ?? 0;
  if (!(ls >= 0 && ls <= 1)) throw new ValueError(`crossEntropy: labelSmoothing must be in [0, 1], got ${ls}.`, 'crossEntropy');
  const reduction = o.reduction ?? 'mean';
  const logp = classLast(input).logSoftmax(-1);
  const C = logp.shape[logp.rank - 1]!;
  if (target.dtype === 'float32' && target.rank === input.rank) {
    sameShape('crossEntropy', input, target, ['input', 'probability target']);
    let y = classLast(target);
    if (ls > 0) y = add(mul(y, c(1 - ls)), c(ls / C));
    let prod = mul(logp, y);
    if (o.weight) prod = mul(prod, o.weight);
    const l = neg(sum(prod, -1));
    return reduce(l, reduction, 'crossEntropy');
  }
  classTargets('crossEntropy', input, target);
  const [nll, w] = pick(logp, target, o);
  const nllR = weightedMean(nll, w, reduction, 'crossEntropy');
  if (ls === 0) return nllR;
  // Smoothing term as in ATen cross_entropy_loss_label_smoothing: −Σ_c w_c·logp_c per element,
  // zero where ignored; mean divides by the same Σ weight[target] as the NLL term.
  const valid = cast(notEqual(cast(target, 'int32'), o.ignoreIndex ?? -100), 'float32');
  const smooth = mul(neg(sum(o.weight ? mul(logp, o.weight) : logp, -1)), valid);
  const smoothR = weightedMean(smooth, w, reduction, 'crossEntropy');
  return add(mul(nllR, c(1 - ls)), mul(smoothR, c(ls / C)));
}

