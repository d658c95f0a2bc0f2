import type { BinaryOp, UnaryOp } from '../backend/backend';
import { record } from '../autograd';
import type { DType, Shape } from '../dtype';
import { ValueError } from '../errors';
import { Tensor } from '../tensor';
import { asTensor, broadcastShapes, engine, out, scalar, type Operand } from './util';

function unaryOp(op: UnaryOp, x: Tensor, vjp?: (gy: Tensor, y: Tensor) => Tensor, dtype: DType = x.dtype): Tensor {
  const y = out(engine.backend.unary(op, x.ref(op)), x.shape, dtype);
  return vjp ? record(y, op, [x], (gy) => [vjp(gy, y)], [y]) : y;
}

function binaryOp(op: BinaryOp, a: Operand, b: Operand, vjp?: (gy: Tensor, a: Tensor, b: Tensor, y: Tensor) => [Tensor | null, Tensor | null]): Tensor {
  const ta = a instanceof Tensor ? a : asTensor(a, b as Tensor);
  const tb = b instanceof Tensor ? b : asTensor(b, ta);
  if (!(a instanceof Tensor) && !(b instanceof Tensor)) throw new ValueError(`${op}: at least one operand must be a tensor.`, op);
  const shape = broadcastShapes(op, ta.shape, tb.shape);
  const isCmp = !['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'mod'].includes(op);
  let A = ta, B = tb;
  if (!isCmp && A.dtype !== B.dtype) {
    // Promote int32/bool to float32 like NumPy's int + float.
    if (A.dtype !== 'float32') A = cast(A, 'float32');
    if (B.dtype !== 'float32') B = cast(B, 'float32');
  }
  const dtype: DType = isCmp ? 'bool' : A.dtype === 'bool' ? 'int32' : A.dtype;
  const y = out(engine.backend.binary(op, A.ref(op), B.ref(op), shape), shape, dtype);
  return vjp ? record(y, op, [A, B], (gy) => vjp(gy, A, B, y), [y]) : y;
}

/** Elementwise `a + b` with broadcasting. */
export const add = (a: Operand, b: Operand): Tensor => binaryOp('add', a, b, (g) => [g, g]);
/** Elementwise `a - b` with broadcasting. */
export const sub = (a: Operand, b: Operand): Tensor => binaryOp('sub', a, b, (g) => [g, neg(g)]);
/** Elementwise `a * b` with broadcasting. */
export const mul = (a: Operand, b: Operand): Tensor => binaryOp('mul', a, b, (g, x, z) => [mul(g, z), mul(g, x)]);
/** Elementwise `a / b` with broadcasting (integer division floors for int32). */
export const div = (a: Operand, b: Operand): Tensor =>
  binaryOp('div', a, b, (g, x, z, y) => [div(g, z), neg(div(mul(g, y), z))]);
/** Elementwise `a ** b`. The exponent's gradient uses log(a), defined where a > 0 (0 elsewhere). */
export const pow = (a: Operand, b: Operand): Tensor =>
  binaryOp('pow', a, b, (g, x, z, y) => {
    const gx = mul(g, mul(z, binaryOp('pow', x, sub(z, 1))));
    if (!z.requiresGrad) return [gx, null];
    const safeLog = where(greater(x, 0), log(where(greater(x, 0), x, 1)), 0);
    return [gx, mul(g, mul(y, safeLog))];
  });
/** Elementwise maximum; on ties the gradient goes to `a`. */
export const maximum = (a: Operand, b: Operand): Tensor =>
  binaryOp('maximum', a, b, (g, x, z) => {
    const m = greaterEqual(x, z);
    return [where(m, g, 0), where(m, 0, g)];
  });
/** Elementwise minimum; on ties the gradient goes to `a`. */
export const minimum = (a: Operand, b: Operand): Tensor =>
  binaryOp('minimum', a, b, (g, x, z) => {
    const m = lessEqual(x, z);
    return [where(m, g, 0), where(m, 0, g)];
  });
/**
 * Elementwise floored modulo (Python semantics): `a - b·floor(a / b)`. Gradients as in PyTorch's
 * `remainder`: 1 for `a`, `-floor(a / b)` for `b` (both undefined only at the jumps, where a/b is an integer).
 */
export const mod = (a: Operand, b: Operand): Tensor =>
  binaryOp('mod', a, b, (g, x, z) => [g, z.requiresGrad ? neg(mul(g, floor(div(x, z)))) : null]);

export const equal = (a: Operand, b: Operand): Tensor => binaryOp('equal', a, b);
export const notEqual = (a: Operand, b: Operand): Tensor => binaryOp('notEqual', a, b);
export const less = (a: Operand, b: Operand): Tensor => binaryOp('less', a, b);
export const lessEqual = (a: Operand, b: Operand): Tensor => binaryOp('lessEqual', a, b);
export const greater = (a: Operand, b: Operand): Tensor => binaryOp('greater', a, b);
export const greaterEqual = (a: Operand, b: Operand): Tensor => binaryOp('greaterEqual', a, b);
export const logicalAnd = (a: Tensor, b: Tensor): Tensor => binaryOp('logicalAnd', a, b);
export const logicalOr = (a: Tensor, b: Tensor): Tensor => binaryOp('logicalOr', a, b);
export const logicalNot = (x: Tensor): Tensor => unaryOp('logicalNot', x, undefined, 'bool');

export const neg = (x: Tensor): Tensor => unaryOp('neg', x, (g) => neg(g));
/** |x|; the gradient at 0 is 0 (sign). */
export const abs = (x: Tensor): Tensor => unaryOp('abs', x, (g) => mul(g, sign(x)));
export const sign = (x: Tensor): Tensor => unaryOp('sign', x, (g) => mul(g, 0));
export const exp = (x: Tensor): Tensor => unaryOp('exp', x, (g, y) => mul(g, y));
export const expm1 = (x: Tensor): Tensor => unaryOp('expm1', x, (g, y) => mul(g, add(y, 1)));
export const log = (x: Tensor): Tensor => unaryOp('log', x, (g) => div(g, x));
export const log1p = (x: Tensor): Tensor => unaryOp('log1p', x, (g) => div(g, add(x, 1)));
export const sqrt = (x: Tensor): Tensor => unaryOp('sqrt', x, (g, y) => div(g, mul(y, 2)));
export const rsqrt = (x: Tensor): Tensor => unaryOp('rsqrt', x, (g, y) => mul(g, mul(pow(y, 3), -0.5)));
export const square = (x: Tensor): Tensor => unaryOp('square', x, (g) => mul(g, mul(x, 2)));
export const reciprocal = (x: Tensor): Tensor => unaryOp('reciprocal', x, (g, y) => neg(mul(g, square(y))));
export const sin = (x: Tensor): Tensor => unaryOp('sin', x, (g) => mul(g, cos(x)));
export const cos = (x: Tensor): Tensor => unaryOp('cos', x, (g) => neg(mul(g, sin(x))));
export const floor = (x: Tensor): Tensor => unaryOp('floor', x, (g) => mul(g, 0));
export const ceil = (x: Tensor): Tensor => unaryOp('ceil', x, (g) => mul(g, 0));
export const round = (x: Tensor): Tensor => unaryOp('round', x, (g) => mul(g, 0));
/** Gauss error function. */
export const erf = (x: Tensor): Tensor => unaryOp('erf', x, (g) => mul(g, mul(exp(neg(square(x))), 2 / Math.sqrt(Math.PI))));
export const tanh = (x: Tensor): Tensor => unaryOp('tanh', x, (g, y) => mul(g, sub(1, square(y))));
export const sigmoid = (x: Tensor): Tensor => unaryOp('sigmoid', x, (g, y) => mul(g, mul(y, sub(1, y))));
/** max(x, 0); the gradient at 0 is 0, as in PyTorch and TensorFlow. */
export const relu = (x: Tensor): Tensor => unaryOp('relu', x, (g) => where(greater(x, 0), g, 0));
/** log(1 + e^x), computed stably. */
export const softplus = (x: Tensor): Tensor => unaryOp('softplus', x, (g) => mul(g, sigmoid(x)));

/**
 * `cond ? a : b` elementwise with broadcasting. `cond` is bool (other dtypes are compared to 0).
 */
export function where(cond: Tensor, a: Operand, b: Operand): Tensor {
  const c = cond.dtype === 'bool' ? cond : notEqual(cond, 0);
  const ta = a instanceof Tensor ? a : asTensor(a, b instanceof Tensor ? b : 'float32');
  const tb = b instanceof Tensor ? b : asTensor(b, ta);
  const shape = broadcastShapes('where', broadcastShapes('where', c.shape, ta.shape), tb.shape);
  const y = out(engine.backend.where(c.ref('where'), ta.ref('where'), tb.ref('where'), shape), shape, ta.dtype);
  return record(y, 'where', [ta, tb], (g) => [where(c, g, 0), where(c, 0, g)], [c]);
}

/** Clamp to [min, max]; the gradient passes where min ≤ x ≤ max. */
export function clip(x: Tensor, min: number, max: number): Tensor {
  if (min > max) throw new ValueError(`clip: min (${min}) > max (${max}).`, 'clip');
  return minimum(maximum(x, min), max);
}

/** Change dtype; float gradients pass through a float→float cast only. */
export function cast(x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype) return x;
  const y = out(engine.backend.cast(x.ref('cast'), dtype), x.shape, dtype);
  return dtype === 'float32' ? record(y, 'cast', [x], (g) => [g]) : y;
}

/** A copy; with `trackGrad` the copy stays on the tape (identity gradient). */
export function identity(x: Tensor, trackGrad = true): Tensor {
  const h = engine.backend.reshape(x.ref('identity'), x.shape);
  const y = out(h, x.shape, x.dtype);
  return trackGrad ? record(y, 'identity', [x], (g) => [g]) : y;
}

/** A tensor of `shape` filled with `value`. */
export function full(shape: Shape, value: number, dtype: DType = 'float32'): Tensor {
  return out(engine.backend.fill(shape, value, dtype), shape, dtype);
}

export { scalar };
