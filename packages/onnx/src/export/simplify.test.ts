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
