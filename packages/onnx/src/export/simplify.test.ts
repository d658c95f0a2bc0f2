import { describe, expect, it } from 'vitest';
import { IrGraph } from './ir';
import { simplify } from './simplify';

/** x [4, 3] · Wᵀ, W [5, 3], plus a bias that is a graph input (as in a compiled training step). */
function gemmPlusInputBias(biasDims: number[], dtype: 'float32' | 'int32' = 'float32') {
  const g = new IrGraph();
  g.inputs = [
    { name: 'x', dtype: 'float32', dims: [4, 3] },
    { name: 'W', dtype: 'float32', dims: [5, 3] },
    { name: 'b', dtype, dims: biasDims },
  ];
  const y = g.add1('Gemm', ['x', 'W'], { transB: { kind: 'int', v: 1 } });
  g.nodes.push({ op: 'Add', inputs: [y, 'b'], outputs: ['out'], attrs: {} });
  g.outputs = [{ name: 'out', dtype: 'float32', dims: [4, 5] }];
  return simplify(g);
}

describe('simplify: Gemm + Add(bias) → Gemm with C', () => {
  it('fuses a 1-D float32 bias that is a graph input, keeping the output name', () => {
    const g = gemmPlusInputBias([5]);
    expect(g.nodes.map((n) => n.op)).toEqual(['Gemm']);
    expect(g.nodes[0]!.inputs).toEqual(['x', 'W', 'b']);
    expect(g.nodes[0]!.outputs).toEqual(['out']);
  });

  it('leaves a 2-D or non-float bias alone', () => {
    expect(gemmPlusInputBias([4, 5]).nodes.map((n) => n.op)).toEqual(['Gemm', 'Add']);
    expect(gemmPlusInputBias([5], 'int32').nodes.map((n) => n.op)).toEqual(['Gemm', 'Add']);
  });
});

/** Conv(x, W) + Reshape(b, `to`) with W and b graph inputs, then Relu and its gradient's mask Greater(pre, 0). */
function convBiasRelu(to: number[], biasDims = [4]) {
  const g = new IrGraph();
  g.inputs = [
    { name: 'x', dtype: 'float32', dims: [2, 3, 6, 6] },
    { name: 'W', dtype: 'float32', dims: [4, 3, 3, 3] },
    { name: 'b', dtype: 'float32', dims: biasDims },
  ];
  const y = g.add1('Conv', ['x', 'W'], { kernel_shape: { kind: 'ints', v: [3, 3] } });
  const pre = g.add1('Add', [y, g.add1('Reshape', ['b', g.i64(to)])]);
  g.nodes.push({ op: 'Relu', inputs: [pre], outputs: ['out'], attrs: {} });
  g.nodes.push({ op: 'Greater', inputs: [pre, g.scalar('float32', 0)], outputs: ['mask'], attrs: {} });
  g.outputs = [{ name: 'out', dtype: 'float32', dims: [2, 4, 4, 4] }, { name: 'mask', dtype: 'bool', dims: [2, 4, 4, 4] }];
  return simplify(g);
}

describe('simplify: a compiled step’s Conv bias and ReLU mask', () => {
  it('fuses Add(Reshape(b, [C, 1, 1] or [1, C, 1, 1])) of a [C] graph input into Conv, and the mask reads Relu’s output', () => {
    for (const to of [[4, 1, 1], [1, 4, 1, 1]]) {
      const g = convBiasRelu(to);
      expect(g.nodes.map((n) => n.op)).toEqual(['Conv', 'Relu', 'Greater']);
      expect(g.nodes[0]!.inputs).toEqual(['x', 'W', 'b']);
      // Relu is the Conv output's only reader (onnxruntime can fuse them); the mask is taken after it.
      expect(g.nodes[2]!.inputs[0]).toBe('out');
    }
  });

  it('leaves a bias reshaped on another axis or of the wrong length alone', () => {
    expect(convBiasRelu([1, 1, 4]).nodes.map((n) => n.op)).toContain('Add');
    expect(convBiasRelu([1, 4, 1, 1], [5]).nodes.map((n) => n.op)).toContain('Add');
  });
});

/** Expand(a [1, 3] → [4, 3]) read by `op`(expanded, b), with b of shape `bDims`; `extra` adds a second reader. */
function expandInto(op: string, bDims: number[], extra?: (g: IrGraph, e: string) => void) {
  const g = new IrGraph();
  g.inputs = [
    { name: 'a', dtype: 'float32', dims: [1, 3] },
    { name: 'b', dtype: 'float32', dims: bDims },
  ];
  const e = g.add1('Expand', ['a', g.i64([4, 3])]);
  g.shapes.set(e, [4, 3]);
  g.nodes.push({ op, inputs: ['b', e], outputs: ['out'], attrs: {} });
  g.outputs = [{ name: 'out', dtype: 'float32', dims: [4, 3] }];
  extra?.(g, e);
  return simplify(g);
}

describe('simplify: Expand read only by broadcasting binary ops', () => {
  it('goes when every reader broadcasts it against an operand of the expanded shape (same values and shape)', () => {
    for (const op of ['Add', 'Sub', 'Mul', 'Div']) {
      const g = expandInto(op, [4, 3]);
      expect(g.nodes.map((n) => n.op), op).toEqual([op]);
      expect(g.nodes[0]!.inputs).toEqual(['b', 'a']);
    }
  });

  it('stays when a reader’s other operand is smaller (the output would shrink), a reader does not broadcast, or it is a graph output', () => {
    expect(expandInto('Mul', [1, 3]).nodes.map((n) => n.op)).toEqual(['Expand', 'Mul']);
    expect(expandInto('Mul', [4, 3], (g, e) => {
      g.nodes.push({ op: 'Neg', inputs: [e], outputs: ['neg'], attrs: {} });
      g.outputs.push({ name: 'neg', dtype: 'float32', dims: [4, 3] });
    }).nodes.map((n) => n.op)).toEqual(['Expand', 'Mul', 'Neg']);
    expect(expandInto('Mul', [4, 3], (g, e) => g.outputs.push({ name: e, dtype: 'float32', dims: [4, 3] })).nodes.map((n) => n.op)).toEqual(['Expand', 'Mul']);
  });

  it('stays when it is both operands of a reader (Mul(e, e) would shrink)', () => {
    const g = new IrGraph();
    g.inputs = [{ name: 'a', dtype: 'float32', dims: [1, 3] }];
    const e = g.add1('Expand', ['a', g.i64([4, 3])]);
    g.shapes.set(e, [4, 3]);
    g.nodes.push({ op: 'Mul', inputs: [e, e], outputs: ['out'], attrs: {} });
    g.outputs = [{ name: 'out', dtype: 'float32', dims: [4, 3] }];
    expect(simplify(g).nodes.map((n) => n.op)).toEqual(['Expand', 'Mul']);
  });
});
