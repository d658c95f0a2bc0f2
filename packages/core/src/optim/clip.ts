import { noGrad, scope } from '../engine';
import { ValueError } from '../errors';
import { abs, clip, maximum, minimum, sqrt, sum, max as maxOf, stack, add, div, mul, square } from '../ops';
import type { Tensor } from '../tensor';
import { hostScalar } from './host';

/** Options of {@link clipGradNorm_}. */
export interface ClipGradNormOptions {
  /** Norm order: 2 (Euclidean) or `Infinity` (largest absolute value). @default 2 */
  normType?: 2 | number;
  /**
   * `'global'`: one norm over all gradients, scaled together (PyTorch `clip_grad_norm_`, Keras
   * `global_clipnorm`). `'perTensor'`: each gradient clipped to its own norm (Keras `clipnorm`).
   * @default 'global'
   */
  mode?: 'global' | 'perTensor';
  /** Throw when the total norm is NaN or infinite (PyTorch `error_if_nonfinite`). @default false */
  errorIfNonfinite?: boolean;
}

function grads(params: Iterable<Tensor>): Tensor[] {
  const out: Tensor[] = [];
  for (const p of params) if (p.grad) out.push(p.grad);
  return out;
}

/** The p-norm of one tensor (p = 2 or Infinity). */
function normOf(g: Tensor, p: number): Tensor {
  if (p === Infinity) return maxOf(abs(g));
  if (p === 2) return sqrt(sum(square(g)));
  return sum(abs(g).pow(p)).pow(1 / p);
}

/**
 * Clip every gradient's values to [−clipValue, clipValue], in place (PyTorch
 * `torch.nn.utils.clip_grad_value_`; Keras optimizers' `clipvalue`).
 *
 * @param params - Tensors whose `.grad` is clipped (those without a gradient are skipped).
 * @param clipValue - Largest absolute value kept; must be > 0.
 * @example
 * ```ts
 * loss.backward(); clipGradValue_(net.parameters(), 0.5); opt.step();
 * ```
 */
export function clipGradValue_(params: Iterable<Tensor>, clipValue: number): void {
  if (!(clipValue > 0)) throw new ValueError(`clipGradValue_: clipValue must be > 0, got ${clipValue}.`, 'clipGradValue_');
  noGrad(() => scope(() => {
    for (const g of grads(params)) g.assign_(clip(g, -clipValue, clipValue));
  }));
}

/**
 * Rescale gradients in place so that their norm is at most `maxNorm`, and return the norm before
 * clipping (PyTorch `torch.nn.utils.clip_grad_norm_`).
 *
 * Global mode follows PyTorch 1.13: `coef = min(maxNorm / (total + 1e-6), 1)`, every gradient
 * multiplied by `coef`. Per-tensor mode clips each gradient by its own norm the way Keras'
 * `clipnorm` does: `g · maxNorm / max(‖g‖, maxNorm)`.
 *
 * Reading the norm back to the host costs one device sync per call.
 *
 * @param params - Tensors whose `.grad` is clipped.
 * @param maxNorm - Largest norm allowed; must be > 0.
 * @returns The total (global) norm before clipping; in per-tensor mode the largest per-tensor norm.
 * @example
 * ```ts
 * loss.backward();
 * const norm = clipGradNorm_(net.parameters(), 1.0);
 * opt.step();
 * ```
 */
export function clipGradNorm_(params: Iterable<Tensor>, maxNorm: number, options: ClipGradNormOptions = {}): number {
  const { normType = 2, mode = 'global', errorIfNonfinite = false } = options;
  if (!(maxNorm > 0)) throw new ValueError(`clipGradNorm_: maxNorm must be > 0, got ${maxNorm}.`, 'clipGradNorm_');
  if (!(normType > 0)) throw new ValueError(`clipGradNorm_: normType must be > 0 or Infinity, got ${normType}.`, 'clipGradNorm_');
  const gs = grads(params);
  if (gs.length === 0) return 0;
  return noGrad(() => scope(() => {
    if (mode === 'perTensor') {
      let largest = 0;
      for (const g of gs) {
        const n = normOf(g, normType);
        largest = Math.max(largest, n.item());
        g.assign_(clipByNorm(g, n, maxNorm));
      }
      return largest;
    }
    const norms = gs.map((g) => normOf(g, normType));
    const total = normType === Infinity ? maxOf(stack(norms)) : normOf(stack(norms), normType);
    const value = total.item();
    if (errorIfNonfinite && !Number.isFinite(value)) {
      throw new ValueError(`clipGradNorm_: the total norm of order ${normType} of the gradients is ${value}.`, 'clipGradNorm_', 'Set errorIfNonfinite: false to clip anyway.');
    }
    const coef = minimum(div(hostScalar(maxNorm), add(total, hostScalar(1e-6))), 1);
    for (const g of gs) g.assign_(mul(g, coef));
    return value;
  }));
}

/** Keras `clip_by_norm`: `g · c / max(‖g‖, c)` (no epsilon; a zero gradient stays zero). */
export function clipByNorm(g: Tensor, norm: Tensor, c: number): Tensor {
  const cc = hostScalar(c);
  return div(mul(g, cc), maximum(norm, cc));
}

/** Keras `clip_by_global_norm`: every gradient times `c / max(globalNorm, c)`. New tensors. */
export function clipByGlobalNorm(gs: readonly Tensor[], c: number): Tensor[] {
  if (gs.length === 0) return [];
  const total = sqrt(gs.map((g) => sum(square(g))).reduce((a, b) => add(a, b)));
  const cc = hostScalar(c);
  const scale = div(cc, maximum(total, cc));
  return gs.map((g) => mul(g, scale));
}
