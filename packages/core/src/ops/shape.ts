import { record } from '../autograd';
import { shapesEqual, sizeOf, type Shape } from '../dtype';
import { ShapeError, ValueError } from '../errors';
import type { Tensor } from '../tensor';
import { sum } from './reduce';
import { engine, normAxis, out, requireDType } from './util';

/** Resolve one -1 in a requested shape; throws naming both shapes when sizes differ. */
export function resolveShape(op: string, from: Shape, to: readonly number[]): number[] {
  const n = sizeOf(from);
  const unknown = to.filter((d) => d === -1).length;
  if (unknown > 1) throw new ShapeError(op, 'only one dimension can be -1', [from, to]);
  const known = to.reduce((p, d) => (d === -1 ? p : p * d), 1);
  const res = to.map((d) => (d === -1 ? n / known : d));
  if (res.some((d) => !Number.isInteger(d) || d < 0) || sizeOf(res) !== n) {
    throw new ShapeError(op, `cannot reshape ${n} elements`, [from, to]);
  }
  return res;
}

/** Same values, new shape (one entry may be -1). */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const s = resolveShape('reshape', x.shape, shape);
  if (shapesEqual(s, x.shape)) return x;
  const y = out(engine.backend.reshape(x.ref('reshape'), s), s, x.dtype);
  return record(y, 'reshape', [x], (g) => [reshape(g, x.shape)]);
}

/** Flatten axes startDim..endDim into one. @default startDim 0, endDim -1 */
export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  if (x.rank === 0) return reshape(x, [1]);
  const s = normAxis('flatten', startDim, x.rank), e = normAxis('flatten', endDim, x.rank);
  const mid = x.shape.slice(s, e + 1).reduce((p, d) => p * d, 1);
  return reshape(x, [...x.shape.slice(0, s), mid, ...x.shape.slice(e + 1)]);
}

/** Permute axes (reverse them when `perm` is omitted). */
export function transpose(x: Tensor, perm?: readonly number[]): Tensor {
  const p = perm ? perm.map((a) => normAxis('transpose', a, x.rank)) : x.shape.map((_, i) => x.rank - 1 - i);
  if (p.length !== x.rank || new Set(p).size !== x.rank) {
    throw new ShapeError('transpose', `perm [${perm?.join(', ')}] is not a permutation of the axes`, [x.shape]);
  }
  if (p.every((a, i) => a === i)) return x;
  const s = p.map((a) => x.shape[a]!);
  const y = out(engine.backend.transpose(x.ref('transpose'), p), s, x.dtype);
  const inv = new Array<number>(p.length);
  p.forEach((a, i) => (inv[a] = i));
  return record(y, 'transpose', [x], (g) => [transpose(g, inv)]);
}

/** Remove size-1 axes (all, or those named). */
export function squeeze(x: Tensor, axis?: number | readonly number[]): Tensor {
  const axes = axis === undefined ? x.shape.flatMap((d, i) => (d === 1 ? [i] : [])) : (typeof axis === 'number' ? [axis] : axis).map((a) => normAxis('squeeze', a, x.rank));
  for (const a of axes) if (x.shape[a] !== 1) throw new ShapeError('squeeze', `axis ${a} has size ${x.shape[a]}, not 1`, [x.shape]);
  return reshape(x, x.shape.filter((_, i) => !axes.includes(i)));
}

/** Insert a size-1 axis at `axis`. */
export function unsqueeze(x: Tensor, axis: number): Tensor {
  const a = normAxis('unsqueeze', axis, x.rank + 1);
  const s = x.shape.slice();
  s.splice(a, 0, 1);
  return reshape(x, s);
}

/** Broadcast to `shape` (NumPy rules). */
export function broadcastTo(x: Tensor, shape: Shape): Tensor {
  if (shapesEqual(x.shape, shape)) return x;
  const r = shape.length;
  if (x.rank > r || x.shape.some((d, i) => d !== 1 && d !== shape[r - x.rank + i])) {
    throw new ShapeError('broadcastTo', 'cannot broadcast', [x.shape, shape]);
  }
  const y = out(engine.backend.broadcastTo(x.ref('broadcastTo'), shape), shape, x.dtype);
  return record(y, 'broadcastTo', [x], (g) => [g]); // the tape un-broadcasts
}

/** PyTorch `expand`: broadcast, where -1 keeps a dimension. */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  const off = shape.length - x.rank;
  return broadcastTo(x, shape.map((d, i) => (d === -1 ? x.shape[i - off]! : d)));
}

/** Join tensors along an existing axis. @default axis 0 */
export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new ValueError('concat: needs at least one tensor.', 'concat');
  const first = xs[0]!;
  const ax = normAxis('concat', axis, first.rank);
  for (const t of xs) {
    if (t.rank !== first.rank || t.shape.some((d, i) => i !== ax && d !== first.shape[i])) {
      throw new ShapeError('concat', `all shapes must match except on axis ${ax}`, xs.map((z) => z.shape));
    }
    if (t.dtype !== first.dtype) throw new ValueError(`concat: dtypes differ (${first.dtype} vs ${t.dtype}).`, 'concat');
  }
  if (xs.length === 1) return first;
  const s = first.shape.slice();
  s[ax] = xs.reduce((p, t) => p + t.shape[ax]!, 0);
  const y = out(engine.backend.concat(xs.map((t) => t.ref('concat')), ax), s, first.dtype);
  return record(y, 'concat', xs, (g) => {
    let off = 0;
    return xs.map((t) => {
      const begin = s.map((_, i) => (i === ax ? off : 0));
      off += t.shape[ax]!;
      return slice(g, begin, t.shape);
    });
  });
}

/** PyTorch's name for {@link concat}. */
export const cat = (xs: readonly Tensor[], dim = 0): Tensor => concat(xs, dim);

/** Stack tensors of one shape along a new axis. @default axis 0 */
export function stack(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new ValueError('stack: needs at least one tensor.', 'stack');
  const a = normAxis('stack', axis, xs[0]!.rank + 1);
  for (const t of xs) if (!shapesEqual(t.shape, xs[0]!.shape)) throw new ShapeError('stack', 'all shapes must be equal', xs.map((z) => z.shape));
  return concat(xs.map((t) => { const s = t.shape.slice(); s.splice(a, 0, 1); return reshape(t, s); }), a);
}

/** Split along `axis` into pieces of the given sizes, or into `n` equal pieces. */
export function split(x: Tensor, sizesOrCount: number | readonly number[], axis = 0): Tensor[] {
  const ax = normAxis('split', axis, x.rank);
  const len = x.shape[ax]!;
  const sizes = typeof sizesOrCount === 'number' ? Array.from({ length: sizesOrCount }, () => len / sizesOrCount) : sizesOrCount;
  if (sizes.some((s) => !Number.isInteger(s) || s < 0) || sizes.reduce((p, s) => p + s, 0) !== len) {
    throw new ShapeError('split', `sizes [${sizes.join(', ')}] do not add up to ${len} on axis ${ax}`, [x.shape]);
  }
  let off = 0;
  return sizes.map((n) => {
    const begin = x.shape.map((_, i) => (i === ax ? off : 0));
    const size = x.shape.map((d, i) => (i === ax ? n : d));
    off += n;
    return slice(x, begin, size);
  });
}

/** A block of `x` starting at `begin` with `size` (-1 = to the end). */
export function slice(x: Tensor, begin: readonly number[], size?: readonly number[]): Tensor {
  if (begin.length !== x.rank) throw new ShapeError('slice', `begin has ${begin.length} entries for a tensor of rank ${x.rank}`, [x.shape]);
  const b = begin.map((v, i) => (v < 0 ? v + x.shape[i]! : v));
  const s = b.map((v, i) => (size === undefined || size[i] === -1 ? x.shape[i]! - v : size[i]!));
  if (b.some((v, i) => v < 0 || v + s[i]! > x.shape[i]! || s[i]! < 0)) {
    throw new ShapeError('slice', `begin [${b.join(', ')}] size [${s.join(', ')}] is out of bounds`, [x.shape]);
  }
  if (shapesEqual(s, x.shape)) return x;
  const y = out(engine.backend.slice(x.ref('slice'), b, s), s, x.dtype);
  return record(y, 'slice', [x], (g) => [pad(g, x.shape.map((d, i) => [b[i]!, d - b[i]! - s[i]!] as const))]);
}

/** Constant padding: `pads[i] = [before, after]` for axis i. @default value 0 */
export function pad(x: Tensor, pads: readonly (readonly [number, number])[], value = 0): Tensor {
  if (pads.length !== x.rank || pads.some(([a, b]) => a < 0 || b < 0 || !Number.isInteger(a) || !Number.isInteger(b))) {
    throw new ShapeError('pad', `needs one non-negative [before, after] pair per axis, got ${JSON.stringify(pads)}`, [x.shape]);
  }
  if (pads.every(([a, b]) => a === 0 && b === 0)) return x;
  const s = x.shape.map((d, i) => d + pads[i]![0] + pads[i]![1]);
  const y = out(engine.backend.pad(x.ref('pad'), pads, value), s, x.dtype);
  return record(y, 'pad', [x], (g) => [slice(g, pads.map((p) => p[0]), x.shape)]);
}

/** Select entries of `x` along `axis` by int32 `indices` (PyTorch `index_select`, tf `gather`). */
export function gather(x: Tensor, indices: Tensor, axis = 0): Tensor {
  requireDType('gather', indices, 'int32');
  const ax = normAxis('gather', axis, x.rank);
  const s = [...x.shape.slice(0, ax), ...indices.shape, ...x.shape.slice(ax + 1)];
  const y = out(engine.backend.gather(x.ref('gather'), indices.ref('gather'), ax), s, x.dtype);
  return record(y, 'gather', [x], (g) => {
    const flatIdx = reshape(indices, [indices.size]);
    const g2 = reshape(g, [...x.shape.slice(0, ax), indices.size, ...x.shape.slice(ax + 1)]);
    return [out(engine.backend.scatterAdd(g2.ref('scatterAdd'), flatIdx.ref('scatterAdd'), ax, x.shape), x.shape, x.dtype)];
  }, [indices]);
}

/** One-hot encoding over a new last axis (float32). */
export function oneHot(indices: Tensor, depth: number): Tensor {
  requireDType('oneHot', indices, 'int32');
  if (!Number.isInteger(depth) || depth <= 0) throw new ValueError(`oneHot: depth must be a positive integer, got ${depth}.`, 'oneHot');
  return out(engine.backend.oneHot(indices.ref('oneHot'), depth), [...indices.shape, depth], 'float32');
}

export { sum };
