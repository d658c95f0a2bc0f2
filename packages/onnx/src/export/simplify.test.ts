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
