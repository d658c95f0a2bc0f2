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

/** A serialized regularizer (Keras `{class_name, config}`). */
export interface RegularizerConfig {
  className: 'L1L2';
  config: { l1: number; l2: number };
}

/** The saved form of a regularizer. */
export function serializeRegularizer(r: Regularizer, where: string): RegularizerConfig {
  if (!r.config) throw new ValueError(`${where}: a custom regularizer function cannot be saved in a config. Use regularizers.L1 / L2 / L1L2.`, where);
  return { className: 'L1L2', config: { l1: r.config.l1, l2: r.config.l2 } };
}

/** Rebuild a regularizer from a function or its saved form (`{className: 'L1' | 'L2' | 'L1L2', config}`). */
export function getRegularizer(spec: Regularizer | RegularizerConfig | { className: string; config: { l1?: number; l2?: number } }): Regularizer {
  if (typeof spec === 'function') return spec;
  const { className, config } = spec;
  if (!['L1', 'L2', 'L1L2', 'l1', 'l2', 'l1l2', 'l1_l2'].includes(className)) {
    throw new ValueError(`Unknown regularizer "${className}". Known: L1, L2, L1L2.`, 'regularizer');
  }
  return make(config.l1 ?? 0, config.l2 ?? 0, className);
}
