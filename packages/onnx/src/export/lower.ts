import type { BinaryOp, ReduceOp, UnaryOp } from '@nn/core';
import { UnsupportedOpError } from '../errors';
import { cast, inDType, inShape, outDType, reduceNode, shapeOf, transpose, unsqueeze, type LowerCtx } from './context';
import { dimAdd, dimEq, isStatic, type DimSpec } from './dims';
import { int, tensorAttr, type IrDType } from './ir';
import { lowerConvKernel } from './lower-conv';

const UNARY: Partial<Record<UnaryOp, string>> = {
  neg: 'Neg', abs: 'Abs', sign: 'Sign', exp: 'Exp', log: 'Log', sqrt: 'Sqrt', reciprocal: 'Reciprocal',
  sin: 'Sin', cos: 'Cos', tanh: 'Tanh', sigmoid: 'Sigmoid', relu: 'Relu', softplus: 'Softplus', erf: 'Erf',
  floor: 'Floor', ceil: 'Ceil', round: 'Round', logicalNot: 'Not',
};

const BINARY: Partial<Record<BinaryOp, string>> = {
  add: 'Add', sub: 'Sub', mul: 'Mul', div: 'Div', pow: 'Pow', maximum: 'Max', minimum: 'Min',
  equal: 'Equal', less: 'Less', greater: 'Greater', lessEqual: 'LessOrEqual', greaterEqual: 'GreaterOrEqual',
  logicalAnd: 'And', logicalOr: 'Or',
};

const REDUCE: Record<ReduceOp, string> = { sum: 'ReduceSum', mean: 'ReduceMean', max: 'ReduceMax', min: 'ReduceMin', prod: 'ReduceProd' };

function lowerUnary(c: LowerCtx): string {
  const op = c.op.attrs.op as UnaryOp;
  const g = c.g, [x] = c.ins as [string];
  const dt = inDType(c, 0) as IrDType;
  const one = () => g.scalar(dt, 1);
  switch (op) {
    case 'expm1': return g.add1('Sub', [g.add1('Exp', [x]), one()]);
    case 'log1p': return g.add1('Log', [g.add1('Add', [x, one()])]);
    case 'rsqrt': return g.add1('Reciprocal', [g.add1('Sqrt', [x])]);
    case 'square': return g.add1('Mul', [x, x]);
    default: {
      const name = UNARY[op];
      if (!name) throw new UnsupportedOpError(`unary:${op}`, 'no ONNX operator is mapped to it', c.layer);
      return g.add1(name, [x]);
    }
  }
}

function lowerBinary(c: LowerCtx): string {
  const op = c.op.attrs.op as BinaryOp;
  const g = c.g;
  let [a, b] = c.ins as [string, string];
  const dt = inDType(c, 0);
  const arithmetic = ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'mod'].includes(op);
  const ordered = ['less', 'greater', 'lessEqual', 'greaterEqual'].includes(op);
  // ONNX arithmetic and ordering have no bool variants: core computes those on 0/1 as int32.
  if (dt === 'bool' && (arithmetic || ordered)) [a, b] = [cast(c, a, 'int32'), cast(c, b, 'int32')];
  if (op === 'notEqual') return g.add1('Not', [g.add1('Equal', [a, b])]);
  if (op === 'mod') {
    // Floored (Python) modulo: ONNX Mod with fmod=0 for integers; floats need fmod=1, so compose.
    if (dt !== 'float32') return g.add1('Mod', [a, b], { fmod: int(0) });
    return g.add1('Sub', [a, g.add1('Mul', [g.add1('Floor', [g.add1('Div', [a, b])]), b])]);
  }
  if (op === 'div' && dt !== 'float32') {
    // Core floors integer division; ONNX Div truncates. a - pymod(a, b) is an exact multiple of b.
    return g.add1('Div', [g.add1('Sub', [a, g.add1('Mod', [a, b], { fmod: int(0) })]), b]);
  }
  const name = BINARY[op];
  if (!name) throw new UnsupportedOpError(`binary:${op}`, 'no ONNX operator is mapped to it', c.layer);
  return g.add1(name, [a, b]);
}

function lowerMatmul(c: LowerCtx): string {
  const [a, b] = c.ins as [string, string];
  const ta = !!c.op.attrs.transposeA, tb = !!c.op.attrs.transposeB;
  const ra = inShape(c, 0).length, rb = inShape(c, 1).length;
  if (ra === 2 && rb === 2) {
    const attrs = { ...(ta ? { transA: int(1) } : {}), ...(tb ? { transB: int(1) } : {}) };
    return c.g.add1('Gemm', [a, b], attrs);
  }
  const swap = (r: number) => [...Array.from({ length: r - 2 }, (_, i) => i), r - 1, r - 2];
  return c.g.add1('MatMul', [ta ? transpose(c, a, swap(ra)) : a, tb ? transpose(c, b, swap(rb)) : b]);
}

function lowerReduce(c: LowerCtx): string {
  const axes = c.op.attrs.axes as number[];
  let x = c.ins[0]!;
  if (inDType(c, 0) === 'bool') x = cast(c, x, 'int32');
  if (axes.length === 0) return c.g.add1('Identity', [x]);
  return reduceNode(c, REDUCE[c.op.attrs.op as ReduceOp], x, axes, !!c.op.attrs.keepDims);
}

function lowerReshape(c: LowerCtx): string {
  const dims = c.attrDims('shape');
  const dyn = dims.filter((d) => !isStatic(d)).length;
  // One batch-dependent entry becomes -1; more need a computed shape.
  const target = dyn === 1 ? c.g.i64(dims.map((d) => (isStatic(d) ? d : -1))) : shapeOf(c, dims);
  return c.g.add1('Reshape', [c.ins[0]!, target]);
}

function lowerSlice(c: LowerCtx): string {
  const begin = c.attrDims('begin'), size = c.attrDims('size'), xs = inShape(c, 0);
  const axes: number[] = [], starts: DimSpec[] = [], ends: DimSpec[] = [];
  begin.forEach((b, i) => {
    const e = dimAdd(b, size[i]!);
    if (dimEq(b, 0) && dimEq(e, xs[i]!)) return;
    axes.push(i);
    starts.push(b);
    // "To the end" is written as a large number so it stays right for any batch size.
    ends.push(dimEq(e, xs[i]!) ? 2 ** 62 : e);
  });
  if (axes.length === 0) return c.g.add1('Identity', [c.ins[0]!]);
  return c.g.add1('Slice', [c.ins[0]!, shapeOf(c, starts), shapeOf(c, ends), c.g.i64(axes)]);
}

function lowerPad(c: LowerCtx): string {
  const pads = c.op.attrs.pads as [number, number][];
  const dt = inDType(c, 0) as IrDType;
  const value = c.op.attrs.value as number;
  const p = c.g.i64([...pads.map((q) => q[0]), ...pads.map((q) => q[1])]);
  return c.g.add1('Pad', [c.ins[0]!, p, c.g.scalar(dt, value)], { mode: { kind: 'string', v: 'constant' } });
}

function lowerFill(c: LowerCtx): string {
  const dims = c.attrDims('shape');
  const dt = c.op.attrs.dtype as IrDType;
  const value = c.op.attrs.value as number;
  const static_ = dims.every(isStatic);
  const n = static_ ? (dims as number[]).reduce((p, d) => p * d, 1) : Infinity;
  if (n <= 16) return c.g.constant(dt, dims as number[], new Array<number>(n).fill(value));
  const v = { name: 'value', dtype: dt, dims: [1], data: dt === 'float32' ? Float32Array.of(value) : dt === 'int32' ? Int32Array.of(value) : Uint8Array.of(value ? 1 : 0) };
  return c.g.add1('ConstantOfShape', [shapeOf(c, dims)], { value: tensorAttr(v) });
}

function lowerScatterAdd(c: LowerCtx): string {
  if (c.opset < 16) {
    throw new UnsupportedOpError('scatterAdd', `ScatterElements with reduction "add" needs opset 16 or newer, the export asked for ${c.opset}`, c.layer, 'Export with opset ≥ 16.');
  }
  const g = c.g, [u, idx] = c.ins as [string, string];
  const axis = c.op.attrs.axis as number;
  const rank = inShape(c, 0).length;
  const zeros = g.add1('ConstantOfShape', [shapeOf(c, c.attrDims('outShape'))], {
    value: tensorAttr({ name: 'value', dtype: 'float32', dims: [1], data: Float32Array.of(0) }),
  });
  const z = outDType(c) === 'float32' ? zeros : cast(c, zeros, outDType(c) as IrDType);
  // ScatterElements wants indices shaped like the updates: put the 1-D indices on `axis` and expand.
  const col = g.add1('Reshape', [idx, g.i64(Array.from({ length: rank }, (_, i) => (i === axis ? -1 : 1)))]);
  const full = g.add1('Expand', [col, g.add1('Shape', [u])]);
  return g.add1('ScatterElements', [z, full, u], { axis: int(axis), reduction: { kind: 'string', v: 'add' } });
}

function lowerOneHot(c: LowerCtx): string {
  // Equal(idx[..., None], arange(depth)) matches core exactly: out-of-range (and negative) indices
  // give all zeros, where ONNX OneHot would wrap negative ones.
  const depth = c.op.attrs.depth as number;
  const range = c.g.constant('int32', [depth], Array.from({ length: depth }, (_, i) => i));
  const eq = c.g.add1('Equal', [unsqueeze(c, c.ins[0]!, [-1]), range]);
  return cast(c, eq, 'float32');
}

/** Lower the current op; returns the ONNX name of its output. */
export function lowerOp(c: LowerCtx): string {
  const g = c.g, ins = c.ins;
  switch (c.op.kernel) {
    case 'unary': return lowerUnary(c);
    case 'binary': return lowerBinary(c);
    case 'where': return g.add1('Where', [...ins]);
    case 'cast': return cast(c, ins[0]!, c.op.attrs.dtype as IrDType);
    case 'fill': return lowerFill(c);
    case 'matmul': return lowerMatmul(c);
    case 'reduce': return lowerReduce(c);
    case 'argReduce': {
      const name = c.op.attrs.op === 'argmax' ? 'ArgMax' : 'ArgMin';
      return cast(c, g.add1(name, [ins[0]!], { axis: int(c.op.attrs.axis as number), keepdims: int(0) }), 'int32');
    }
    case 'reshape': return lowerReshape(c);
    case 'transpose': return transpose(c, ins[0]!, c.op.attrs.perm as number[]);
    case 'broadcastTo': return g.add1('Expand', [ins[0]!, shapeOf(c, c.attrDims('shape'))]);
    case 'concat': return g.add1('Concat', [...ins], { axis: int(c.op.attrs.axis as number) });
    case 'slice': return lowerSlice(c);
    case 'pad': return lowerPad(c);
    case 'gather': return g.add1('Gather', [...ins], { axis: int(c.op.attrs.axis as number) });
    case 'scatterAdd': return lowerScatterAdd(c);
    case 'oneHot': return lowerOneHot(c);
    default: {
      const r = lowerConvKernel(c);
      if (r !== undefined) return r;
      throw new UnsupportedOpError(c.op.kernel, 'the exporter has no lowering for this kernel', c.layer, 'Report it, or rewrite the layer with supported ops.');
    }
  }
}

