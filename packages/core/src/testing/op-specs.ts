import type { DType, Shape } from '../dtype';
import * as o from '../ops';
import type { Generator } from '../random';
import type { Tensor } from '../tensor';

/** How to fill a sample input. */
/** 'sparse': normal values with about a third exact zeros (for rules that must handle zeros, e.g. prod). */
export type Fill = 'normal' | 'positive' | 'awayFromZero' | 'negative' | 'int' | 'distinct' | 'sparse';

/** A sample input of an op spec. */
export interface InputSpec {
  shape: Shape;
  fill?: Fill;
  dtype?: DType;
  /** For 'int': values in [0, high). */
  high?: number;
  /** Whether gradients are checked for this input. @default true for float32 */
  grad?: boolean;
}

/** One row of the op table: sample inputs, the op, and what to check. */
export interface OpSpec {
  name: string;
  /** Sample inputs; the generator varies shapes between seeds (broadcasting included). */
  inputs: (g: Generator) => InputSpec[];
  run: (...xs: Tensor[]) => Tensor;
  /** Check the VJP by finite differences. @default true */
  differentiable?: boolean;
  /** Extra absolute tolerance for float32 backends (ops with long reductions). */
  f32Tol?: number;
}

const dim = (g: Generator, lo = 1, hi = 4) => lo + g.int(hi - lo + 1);
/** A random shape of rank 1..3 and a shape that broadcasts against it. */
function bcastPair(g: Generator): [number[], number[]] {
  const r = dim(g, 1, 3);
  const a = Array.from({ length: r }, () => dim(g, 2, 4));
  const b = a.slice(g.int(r)).map((d) => (g.next() < 0.4 ? 1 : d));
  return g.next() < 0.5 ? [a, b] : [b, a];
}
const shp = (g: Generator) => Array.from({ length: dim(g, 1, 3) }, () => dim(g, 2, 4));

const unary = (name: string, f: (x: Tensor) => Tensor, fill: Fill = 'normal'): OpSpec => ({
  name,
  inputs: (g) => [{ shape: shp(g), fill }],
  run: f,
});
const binary = (name: string, f: (a: Tensor, b: Tensor) => Tensor, fa: Fill = 'normal', fb: Fill = 'normal'): OpSpec => ({
  name,
  inputs: (g) => {
    const [a, b] = bcastPair(g);
    return [{ shape: a, fill: fa }, { shape: b, fill: fb }];
  },
  run: f,
});

/** Every differentiable op and every kernel, with sample inputs. */
export const opSpecs: OpSpec[] = [
  unary('neg', o.neg),
  unary('abs', o.abs, 'awayFromZero'),
  unary('exp', o.exp),
  unary('expm1', o.expm1),
  unary('log', o.log, 'positive'),
  unary('log1p', o.log1p, 'positive'),
  unary('sqrt', o.sqrt, 'positive'),
  unary('rsqrt', o.rsqrt, 'positive'),
  unary('square', o.square),
  unary('reciprocal', o.reciprocal, 'positive'),
  unary('sin', o.sin),
  unary('cos', o.cos),
  unary('tanh', o.tanh),
  unary('sigmoid', o.sigmoid),
  unary('relu', o.relu, 'awayFromZero'),
  unary('softplus', o.softplus),
  unary('erf', o.erf),
  unary('leakyRelu', (x) => o.leakyRelu(x, 0.2), 'awayFromZero'),
  unary('elu', (x) => o.elu(x), 'awayFromZero'),
  unary('selu', o.selu, 'awayFromZero'),
  unary('gelu', (x) => o.gelu(x)),
  unary('gelu(tanh)', (x) => o.gelu(x, 'tanh')),
  unary('clip', (x) => o.clip(x, -0.5, 0.7), 'awayFromZero'),
  unary('softmax', (x) => o.softmax(x, -1)),
  unary('logSoftmax', (x) => o.logSoftmax(x, 0)),
  unary('logSumExp', (x) => o.logSumExp(x, -1)),
  { ...unary('sign', o.sign, 'awayFromZero'), differentiable: false },
  { ...unary('floor', o.floor, 'awayFromZero'), differentiable: false },
  { ...unary('round', o.round, 'awayFromZero'), differentiable: false },
  { ...unary('ceil', o.ceil, 'awayFromZero'), differentiable: false },
  binary('add', o.add),
  binary('sub', o.sub),
  binary('mul', o.mul),
  binary('div', o.div, 'normal', 'positive'),
  binary('pow', o.pow, 'positive', 'normal'),
  binary('maximum', o.maximum, 'distinct', 'distinct'),
  binary('minimum', o.minimum, 'distinct', 'distinct'),
  { ...binary('greater', (a, b) => o.cast(o.greater(a, b), 'float32'), 'distinct', 'distinct'), differentiable: false },
  { ...binary('equal', (a, b) => o.cast(o.equal(o.round(a), o.round(b)), 'float32')), differentiable: false },
  { ...binary('notEqual', (a, b) => o.cast(o.notEqual(o.round(a), o.round(b)), 'float32')), differentiable: false },
  { ...binary('less', (a, b) => o.cast(o.less(a, b), 'float32'), 'distinct', 'distinct'), differentiable: false },
  // round() makes ties, so the "or equal" half of the comparison is exercised too.
  { ...binary('lessEqual', (a, b) => o.cast(o.lessEqual(o.round(a), o.round(b)), 'float32')), differentiable: false },
  { ...binary('greaterEqual', (a, b) => o.cast(o.greaterEqual(o.round(a), o.round(b)), 'float32')), differentiable: false },
  { ...binary('logicalAnd', (a, b) => o.cast(o.logicalAnd(o.greater(a, 0), o.less(b, 0.3)), 'float32')), differentiable: false },
  { ...binary('logicalOr', (a, b) => o.cast(o.logicalOr(o.greater(a, 0.5), o.less(b, -0.5)), 'float32')), differentiable: false },
  { ...unary('logicalNot', (x) => o.cast(o.logicalNot(o.greater(x, 0)), 'float32')), differentiable: false },
  // Floored modulo; b ≥ 0.2 keeps a/b away from huge quotients. Gradients: 1 for a, -floor(a/b) for b.
  binary('mod', o.mod, 'normal', 'positive'),
  binary('mod(negative divisor)', o.mod, 'normal', 'negative'),
  {
    name: 'where',
    inputs: (g) => {
      const [a, b] = bcastPair(g);
      return [{ shape: a, fill: 'normal', grad: false }, { shape: a }, { shape: b }];
    },
    run: (c, a, b) => o.where(o.greater(c!, 0), a!, b!),
  },
  { name: 'matmul', inputs: (g) => { const m = dim(g), k = dim(g), n = dim(g); return [{ shape: [m, k] }, { shape: [k, n] }]; }, run: (a, b) => o.matmul(a!, b!) },
  { name: 'matmul(transposeA)', inputs: (g) => { const m = dim(g), k = dim(g), n = dim(g); return [{ shape: [k, m] }, { shape: [k, n] }]; }, run: (a, b) => o.matmul(a!, b!, { transposeA: true }) },
  { name: 'matmul(transposeB)', inputs: (g) => { const m = dim(g), k = dim(g), n = dim(g); return [{ shape: [m, k] }, { shape: [n, k] }]; }, run: (a, b) => o.matmul(a!, b!, { transposeB: true }) },
  { name: 'matmul(batched, broadcast)', inputs: (g) => { const m = dim(g), k = dim(g), n = dim(g); return [{ shape: [2, 3, m, k] }, { shape: [3, k, n] }]; }, run: (a, b) => o.matmul(a!, b!) },
  { name: 'matmul(vector)', inputs: (g) => { const k = dim(g), n = dim(g); return [{ shape: [k] }, { shape: [k, n] }]; }, run: (a, b) => o.matmul(a!, b!) },
  { name: 'sum(all)', inputs: (g) => [{ shape: shp(g) }], run: (x) => o.sum(x!) },
  { name: 'sum(axis 0, keepDims)', inputs: (g) => [{ shape: shp(g) }], run: (x) => o.sum(x!, 0, true) },
  { name: 'mean(last axis)', inputs: (g) => [{ shape: shp(g) }], run: (x) => o.mean(x!, -1) },
  { name: 'max(axis)', inputs: (g) => [{ shape: shp(g), fill: 'distinct' }], run: (x) => o.max(x!, -1) },
  { name: 'min(all)', inputs: (g) => [{ shape: shp(g), fill: 'distinct' }], run: (x) => o.min(x!) },
  { name: 'variance', inputs: (g) => [{ shape: [dim(g, 2, 5), dim(g, 2, 4)] }], run: (x) => o.variance(x!, 0) },
  { name: 'std(unbiased)', inputs: (g) => [{ shape: [dim(g, 2, 5), dim(g, 2, 4)] }], run: (x) => o.std(x!, 1, true, 1) },
  { name: 'prod', inputs: (g) => [{ shape: shp(g) }], run: (x) => o.prod(x!, 0) },
  // Exact zeros: slices with none, one and several zeros (the rule must not divide by zero).
  { name: 'prod(with zeros, last axis, keepDims)', inputs: (g) => [{ shape: shp(g), fill: 'sparse' }], run: (x) => o.prod(x!, -1, true) },
  { name: 'prod(all)', inputs: () => [{ shape: [2, 3] }], run: (x) => o.prod(x!) },
  { name: 'argmax', inputs: (g) => [{ shape: shp(g), fill: 'distinct' }], run: (x) => o.cast(o.argmax(x!, -1), 'float32'), differentiable: false },
  { name: 'argmin', inputs: (g) => [{ shape: shp(g), fill: 'distinct' }], run: (x) => o.cast(o.argmin(x!, 0), 'float32'), differentiable: false },
  { name: 'reshape', inputs: () => [{ shape: [2, 3, 4] }], run: (x) => o.reshape(x!, [4, -1]) },
  { name: 'flatten', inputs: () => [{ shape: [2, 3, 4] }], run: (x) => o.flatten(x!, 1) },
  { name: 'transpose', inputs: () => [{ shape: [2, 3, 4] }], run: (x) => o.transpose(x!, [2, 0, 1]) },
  { name: 'unsqueeze/squeeze', inputs: () => [{ shape: [3, 1, 2] }], run: (x) => o.unsqueeze(o.squeeze(x!, 1), 0) },
  { name: 'broadcastTo', inputs: () => [{ shape: [3, 1] }], run: (x) => o.broadcastTo(x!, [2, 3, 4]) },
  { name: 'expand', inputs: () => [{ shape: [1, 3] }], run: (x) => o.expand(x!, [4, -1]) },
  { name: 'concat', inputs: () => [{ shape: [2, 3] }, { shape: [2, 1] }, { shape: [2, 2] }], run: (a, b, c) => o.concat([a!, b!, c!], 1) },
  { name: 'stack', inputs: () => [{ shape: [2, 3] }, { shape: [2, 3] }], run: (a, b) => o.stack([a!, b!], 1) },
  { name: 'split', inputs: () => [{ shape: [5, 2] }], run: (x) => { const [a, b] = o.split(x!, [2, 3], 0); return o.add(o.sum(a!), o.mul(b!, 2)); } },
  { name: 'slice', inputs: () => [{ shape: [4, 5] }], run: (x) => o.slice(x!, [1, 2], [2, -1]) },
  { name: 'pad', inputs: () => [{ shape: [2, 3] }], run: (x) => o.pad(x!, [[1, 0], [2, 1]], 0.5) },
  {
    name: 'gather (duplicate indices)',
    inputs: () => [{ shape: [5, 3] }, { shape: [4], fill: 'int', high: 5, dtype: 'int32' }],
    run: (x, i) => o.gather(x!, o.concat([i!, o.slice(i!, [0], [2])]), 0),
  },
  { name: 'gather(axis 1)', inputs: () => [{ shape: [2, 5, 3] }, { shape: [2, 2], fill: 'int', high: 5, dtype: 'int32' }], run: (x, i) => o.gather(x!, i!, 1) },
  { name: 'oneHot', inputs: () => [{ shape: [6], fill: 'int', high: 4, dtype: 'int32' }], run: (i) => o.oneHot(i!, 4), differentiable: false },
  { name: 'cast', inputs: () => [{ shape: [6], fill: 'int', high: 9, dtype: 'int32' }], run: (i) => o.mul(o.cast(i!, 'float32'), 0.5), differentiable: false },
  {
    name: 'conv2d(NHWC, stride 2, same)',
    inputs: (g) => [{ shape: [2, 5 + g.int(3), 6, 3] }, { shape: [3, 3, 3, 4] }],
    run: (x, w) => o.conv2d(x!, w!, { strides: 2, padding: 'same' }),
    f32Tol: 1e-4,
  },
  {
    name: 'conv2d(NCHW, dilation 2, pad 1)',
    inputs: () => [{ shape: [1, 2, 7, 7] }, { shape: [3, 2, 3, 3] }],
    run: (x, w) => o.conv2d(x!, w!, { dilations: 2, padding: 1, dataFormat: 'NCHW' }),
    f32Tol: 1e-4,
  },
  {
    name: 'conv2d(valid, 1x1)',
    inputs: () => [{ shape: [2, 4, 4, 3] }, { shape: [1, 1, 3, 2] }],
    run: (x, w) => o.conv2d(x!, w!),
  },
  { name: 'maxPool2d', inputs: () => [{ shape: [2, 4, 6, 3], fill: 'distinct' }], run: (x) => o.maxPool2d(x!, { kernelSize: 2 }) },
  // All-negative windows: tfjs-wasm's MaxPoolGrad is wrong here (DESIGN.md); this row exposes it.
  { name: 'maxPool2d(all negative, overlapping, same)', inputs: () => [{ shape: [1, 5, 5, 2], fill: 'negative' }], run: (x) => o.maxPool2d(x!, { kernelSize: 3, strides: 2, padding: 'same' }) },
  { name: 'avgPool2d', inputs: () => [{ shape: [2, 4, 4, 3] }], run: (x) => o.avgPool2d(x!, { kernelSize: 2 }) },
  { name: 'avgPool2d(same, exclude pad)', inputs: () => [{ shape: [1, 5, 5, 2] }], run: (x) => o.avgPool2d(x!, { kernelSize: 3, strides: 2, padding: 'same' }) },
  { name: 'avgPool2d(NCHW, pad 1, include pad)', inputs: () => [{ shape: [1, 2, 4, 4] }], run: (x) => o.avgPool2d(x!, { kernelSize: 3, strides: 1, padding: 1, dataFormat: 'NCHW' }) },
  { name: 'globalAvgPool2d', inputs: () => [{ shape: [2, 3, 3, 4] }], run: (x) => o.globalAvgPool2d(x!) },
  { name: 'mlp block', inputs: () => [{ shape: [4, 6] }, { shape: [6, 5] }, { shape: [5] }], run: (x, w, b) => o.logSoftmax(o.add(o.matmul(x!, w!), b!)), f32Tol: 1e-5 },
];
