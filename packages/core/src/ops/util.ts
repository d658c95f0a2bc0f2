import type { TensorRef } from '../backend/backend';
import { fmtShape, type DType, type Shape } from '../dtype';
import { engine } from '../engine';
import { DTypeError, ShapeError, ValueError } from '../errors';
import { fromHandle, Tensor, upload } from '../tensor';

export { engine };

/** A scalar or tensor operand: numbers become scalar tensors of the other operand's dtype. */
export type Operand = Tensor | number;

export function asTensor(x: Operand, like: Tensor | DType): Tensor {
  if (x instanceof Tensor) return x;
  const dtype = typeof like === 'string' ? like : like.dtype === 'bool' ? 'float32' : like.dtype;
  return scalar(x, dtype);
}

/** A rank-0 tensor. */
export function scalar(v: number, dtype: DType = 'float32'): Tensor {
  // On the float64 reference backend a constant keeps full precision (so it stays an exact oracle);
  // every other backend gets float32, as it stores.
  const f64 = dtype === 'float32' && engine.backend.name === 'reference';
  const arr = f64 ? new Float64Array([v]) : dtype === 'float32' ? new Float32Array([v]) : dtype === 'int32' ? new Int32Array([v]) : new Uint8Array([v ? 1 : 0]);
  return upload(arr, [], dtype);
}

/** NumPy broadcasting of two shapes; throws naming the op and both shapes. */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const r = Math.max(a.length, b.length);
  const out = new Array<number>(r);
  for (let i = 0; i < r; i++) {
    const da = a[a.length - r + i] ?? 1, db = b[b.length - r + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(op, `shapes cannot be broadcast together: axis ${i - r} has ${da} vs ${db}`, [a, b]);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Normalise a possibly negative axis for a rank; throws naming the op. */
export function normAxis(op: string, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= Math.max(rank, 1)) {
    throw new ValueError(`${op}: axis ${axis} is out of range for a tensor of rank ${rank}.`, op);
  }
  return a;
}

/** Normalised, sorted, unique axes (all axes when undefined). */
export function normAxes(op: string, axis: number | readonly number[] | undefined, rank: number): number[] {
  if (axis === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = typeof axis === 'number' ? [axis] : axis;
  return [...new Set(list.map((a) => normAxis(op, a, rank)))].sort((x, y) => x - y);
}

export function requireFloat(op: string, t: Tensor): void {
  if (t.dtype !== 'float32') throw new DTypeError(op, 'float32', t.dtype);
}

export function requireDType(op: string, t: Tensor, ...allowed: DType[]): void {
  if (!allowed.includes(t.dtype)) throw new DTypeError(op, allowed.join(' or '), t.dtype);
}

/** Make an output tensor from a kernel result. */
export function out(handle: unknown, shape: Shape, dtype: DType): Tensor {
  return fromHandle(handle, shape, dtype);
}

export function ref(t: Tensor, op: string): TensorRef {
  return t.ref(op);
}

export function shapeStr(s: Shape): string {
  return fmtShape(s);
}
