import { record } from '../autograd';
import { ShapeError } from '../errors';
import type { Tensor } from '../tensor';
import { reshape, unsqueeze, squeeze } from './shape';
import { broadcastShapes, engine, out, requireFloat } from './util';

/** Options of {@link matmul}. */
export interface MatmulOptions {
  /** Use aᵀ (last two axes swapped). @default false */
  transposeA?: boolean;
  /** Use bᵀ (last two axes swapped). @default false */
  transposeB?: boolean;
}

/**
 * Matrix product over the last two axes; leading (batch) axes broadcast. 1-D operands are treated
 * as in NumPy/PyTorch (a vector on the left is a row, on the right a column; the axis is dropped).
 *
 * @example
 * ```ts
 * matmul(randn([64, 784]), randn([784, 256]));   // [64, 256]
 * ```
 */
export function matmul(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  requireFloat('matmul', a);
  requireFloat('matmul', b);
  if (a.rank === 0 || b.rank === 0) throw new ShapeError('matmul', 'both operands need at least one axis', [a.shape, b.shape]);
  if (a.rank === 1) return squeeze(matmul(unsqueeze(a, 0), b, opts), -2);
  if (b.rank === 1) return squeeze(matmul(a, unsqueeze(b, 1), opts), -1);
  const ta = !!opts.transposeA, tb = !!opts.transposeB;
  const M = a.shape[a.rank - (ta ? 1 : 2)]!, Ka = a.shape[a.rank - (ta ? 2 : 1)]!;
  const Kb = b.shape[b.rank - (tb ? 1 : 2)]!, N = b.shape[b.rank - (tb ? 2 : 1)]!;
  if (Ka !== Kb) {
    throw new ShapeError('matmul', `inner dimensions differ: ${Ka} (a${ta ? 'ᵀ' : ''}) vs ${Kb} (b${tb ? 'ᵀ' : ''})`, [a.shape, b.shape]);
  }
  const batch = broadcastShapes('matmul', a.shape.slice(0, -2), b.shape.slice(0, -2));
  const shape = [...batch, M, N];
  const y = out(engine.backend.matmul(a.ref('matmul'), b.ref('matmul'), ta, tb, shape), shape, 'float32');
  return record(y, 'matmul', [a, b], (g) => [
    a.requiresGrad ? (ta ? matmul(b, g, { transposeA: tb, transposeB: true }) : matmul(g, b, { transposeB: !tb })) : null,
    b.requiresGrad ? (tb ? matmul(g, a, { transposeA: true, transposeB: ta }) : matmul(a, g, { transposeA: !ta })) : null,
  ]);
}

/** Batched outer-shape helper: x @ w + b with x of any rank ≥ 2 (used by Dense/Linear). */
export function linear(x: Tensor, w: Tensor, transposeW = false): Tensor {
  if (x.rank <= 2) return matmul(x, w, { transposeB: transposeW });
  const lead = x.shape.slice(0, -1);
  const y = matmul(reshape(x, [-1, x.shape[x.rank - 1]!]), w, { transposeB: transposeW });
  return reshape(y, [...lead, y.shape[1]!]);
}
export type LinearInput = import('../tensor').Tensor;
