import { constValues, intsOf, shapeOf } from './graph-utils';
import type { IrGraph, IrNode } from './ir';

// Two rewrites that make onnxruntime's CPU provider run a training step's backward pass faster;
// both compute the same values (float32 sums in another order).
//
// 1. A batch sum, ReduceSum(x[b, n], axes=[0]) (a bias's gradient), is a strided reduction in
//    onnxruntime's Eigen kernel; MatMul(ones[1, b], x) runs it in MLAS's vectorized GEMM.
// 2. A weight gradient Gemm(dy[b, m], x[b, n], transA=1) makes MLAS transpose dy again for every
//    column block of the product; transposing it once first is cheaper. onnxruntime's own
//    optimizer folds a plain Transpose back into Gemm's transA (GemmTransposeFusion), so the
//    transpose is written as Reshape [1, b, m] → Transpose [0, 2, 1] → Reshape [m, b], which no
//    fusion matches.
//
// Measured with packages/onnx/bench/cnn-step.ts ab --profile (one thread, step graphs of
// 784-1024-1024-10 at batch 256, Adam): kernel time 22.4 → 20.1 ms per step; 784-256-128-10 at
// batch 256, 2.65 → 2.47 ms per run (wall, whole step).

/** Batch sums of a rank-2 float tensor → MatMul(ones, x). Returns how many were rewritten. */
export function batchSumsAsMatMul(g: IrGraph): number {
  let count = 0;
  const out: IrNode[] = [];
  const axesInputs = new Set<string>();
  for (const n of g.nodes) {
    const x = n.inputs[0]!;
    const s = shapeOf(g, x);
    const axes = n.op === 'ReduceSum' ? (n.inputs[1] ? constValues(g, n.inputs[1]) : intsOf(n, 'axes')) : undefined;
    const keep = n.attrs.keepdims?.kind === 'int' ? n.attrs.keepdims.v : 1;
    if (!axes || axes.length !== 1 || (axes[0] !== 0 && axes[0] !== -2) || !s || s.length !== 2 || !(s[0]! > 1) || (g.dtypes.get(x) ?? 'float32') !== 'float32') {
      out.push(n);
      continue;
    }
    // ones[1, b] · x[b, n] = [1, n] (keepdims); ones[b] · x = [n] (a 1-D left operand drops its axis).
    const ones = g.addInit({ name: g.fresh('batch_ones'), dtype: 'float32', dims: keep ? [1, s[0]!] : [s[0]!], data: new Float32Array(s[0]!).fill(1) });
    out.push({ op: 'MatMul', inputs: [ones, x], outputs: [...n.outputs], attrs: {}, ...(n.doc ? { doc: n.doc } : {}) });
    if (n.inputs[1]) axesInputs.add(n.inputs[1]);
    count++;
  }
  g.nodes = out;
  // An axes constant no other node reads goes too (onnxruntime warns about unused initializers).
  const read = new Set(out.flatMap((n) => n.inputs));
  for (const a of axesInputs) if (!read.has(a) && !g.outputs.some((o) => o.name === a)) g.dropInit(a);
  return count;
}

/** Gemm with transA=1 on a [k, m] operand → a transposed copy fed to Gemm with transA=0. Returns how many were rewritten. */
export function transposeGemmA(g: IrGraph): number {
  let count = 0;
  const out: IrNode[] = [];
  for (const n of g.nodes) {
    const ta = n.attrs.transA;
    const a = n.inputs[0]!;
    const s = shapeOf(g, a);
    if (n.op !== 'Gemm' || ta?.kind !== 'int' || ta.v !== 1 || !s || s.length !== 2 || !s.every((d) => d > 0)) {
      out.push(n);
      continue;
    }
    const [k, m] = s as [number, number];
    const dt = g.dtypes.get(a) ?? 'float32';
    const v = (p: string, dims: number[]) => {
      const name = g.fresh(p);
      g.dtypes.set(name, dt);
      g.shapes.set(name, dims);
      return name;
    };
    // Fresh initializers, not g.i64(): its constant cache may name one a simplifier pass has since removed.
    const s3 = g.addInit({ name: g.fresh('gemm_a_3d'), dtype: 'int64', dims: [3], data: BigInt64Array.of(1n, BigInt(k), BigInt(m)) });
    const s2 = g.addInit({ name: g.fresh('gemm_a_t'), dtype: 'int64', dims: [2], data: BigInt64Array.of(BigInt(m), BigInt(k)) });
    const a3 = v('gemm_a3', [1, k, m]), t3 = v('gemm_at3', [1, m, k]), at = v('gemm_at', [m, k]);
    const doc = n.doc ? { doc: n.doc } : {};
    const { transA: _drop, ...attrs } = n.attrs;
    out.push(
      { op: 'Reshape', inputs: [a, s3], outputs: [a3], attrs: {}, ...doc },
      { op: 'Transpose', inputs: [a3], outputs: [t3], attrs: { perm: { kind: 'ints', v: [0, 2, 1] } }, ...doc },
      { op: 'Reshape', inputs: [t3, s2], outputs: [at], attrs: {}, ...doc },
      { ...n, inputs: [at, ...n.inputs.slice(1)], attrs },
    );
    count++;
  }
  g.nodes = out;
  return count;
}

/** Both CPU rewrites (see above). */
export function lowerForCpu(g: IrGraph): IrGraph {
  batchSumsAsMatMul(g);
  transposeGemmA(g);
  return g;
}
