import { ValueError } from '../errors';
import type { Tensor } from '../tensor';

/** A penalty on a weight or an activation, added to the loss. */
export type Regularizer = ((x: Tensor) => Tensor) & { readonly config: { l1: number; l2: number } };

function make(l1: number, l2: number, who: string): Regularizer {
  for (const [k, v] of [['l1', l1], ['l2', l2]] as const) {
    if (!(v >= 0) || !Number.isFinite(v)) throw new ValueError(`${who}: ${k} must be a finite number ≥ 0, got ${v}.`, who);
  }
  const f = ((x: Tensor) => {
    let p: Tensor | null = null;
    if (l1) p = x.abs().sum().mul(l1);
    if (l2) {
      const q = x.square().sum().mul(l2);
      p = p ? p.add(q) : q;
    }
    return p ?? x.sum().mul(0);
  }) as Regularizer;
  Object.defineProperty(f, 'config', { value: { l1, l2 } });
  return f;
}

/**
 * Keras regularizers: penalty = l1·Σ|x| + l2·Σx². Note Keras L2(λ) adds λ·Σw², whose gradient is
 * 2λw: PyTorch `weight_decay` 2λ with plain SGD gives the same update.
 */
export const regularizers = {
  /** l1·Σ|x|. @default l1 0.01 */
  L1: ({ l1 = 0.01 }: { l1?: number } = {}): Regularizer => make(l1, 0, 'L1'),
  /** l2·Σx². @default l2 0.01 */
  L2: ({ l2 = 0.01 }: { l2?: number } = {}): Regularizer => make(0, l2, 'L2'),
  /** l1·Σ|x| + l2·Σx². @default l1 0, l2 0 */
  L1L2: ({ l1 = 0, l2 = 0 }: { l1?: number; l2?: number } = {}): Regularizer => make(l1, l2, 'L1L2'),
  l1: (l1 = 0.01) => make(l1, 0, 'l1'),
  l2: (l2 = 0.01) => make(0, l2, 'l2'),
  l1l2: (l1 = 0.01, l2 = 0.01) => make(l1, l2, 'l1l2'),
};
