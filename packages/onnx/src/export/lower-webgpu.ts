import type { IrGraph, IrNode } from './ir';
import { lowerForCpu } from './lower-cpu';

// onnxruntime's WebGPU execution provider registers no LogSoftmax kernel (its kernel table in
// onnxruntime/core/providers/webgpu/webgpu_execution_provider.cc, read at commit 003f772, has Softmax,
// ReduceMax, ReduceSum, Sub, Exp, Log … but not LogSoftmax; measured on an H200: LogSoftmax is the one node of the
// FMNIST-MLP step graph that onnxruntime placed on the CPU, with a GPU→CPU→GPU copy around it).
// `target: 'webgpu'` writes it with ops that provider runs.

/**
 * Which execution provider a graph is written for. `'webgpu'` avoids ops the WebGPU provider has no
 * kernel for; `'cpu'` rewrites batch sums and transposed Gemm operands for onnxruntime's CPU kernels
 * (lower-cpu.ts); `'default'` leaves the graph as the exporter wrote it.
 */
export type LoweringTarget = 'default' | 'webgpu' | 'cpu';

/**
 * Replace every `LogSoftmax(x, axis)` by `x − m − log Σ exp(x − m)` with `m = ReduceMax(x, axis)`
 * (ReduceMax, Sub, Exp, ReduceSum, Log, Sub: all run by the WebGPU provider). The same stable
 * formula onnxruntime's own LogSoftmax kernel uses, so results agree to float32 rounding.
 *
 * @param g - The graph, rewritten in place (nodes keep their topological order).
 * @returns How many LogSoftmax nodes were replaced.
 */
export function lowerLogSoftmax(g: IrGraph): number {
  let count = 0;
  const out: IrNode[] = [];
  for (const n of g.nodes) {
    if (n.op !== 'LogSoftmax') {
      out.push(n);
      continue;
    }
    count++;
    const x = n.inputs[0]!;
    const y = n.outputs[0]!;
    const ax = n.attrs.axis;
    let axis = ax && ax.kind === 'int' ? ax.v : -1;
    const rank = g.shapes.get(x)?.length;
    if (axis < 0 && rank !== undefined) axis += rank;
    // A fresh initializer, not g.i64(): its constant cache may name one a simplifier pass has since removed.
    const axes = g.addInit({ name: g.fresh('lsm_axes'), dtype: 'int64', dims: [1], data: BigInt64Array.of(BigInt(axis)) });
    const dt = g.dtypes.get(x) ?? 'float32';
    const v = (p: string) => {
      const name = g.fresh(p);
      g.dtypes.set(name, dt);
      return name;
    };
    const m = v('lsm_max'), d = v('lsm_shift'), e = v('lsm_exp'), s = v('lsm_sum'), l = v('lsm_log');
    const doc = n.doc ?? 'logSoftmax';
    // ReduceMax takes its axes as an input from opset 18, as an attribute before.
    out.push(
      g.opset >= 18
        ? { op: 'ReduceMax', inputs: [x, axes], outputs: [m], attrs: { keepdims: { kind: 'int', v: 1 } }, doc }
        : { op: 'ReduceMax', inputs: [x], outputs: [m], attrs: { axes: { kind: 'ints', v: [axis] }, keepdims: { kind: 'int', v: 1 } }, doc },
      { op: 'Sub', inputs: [x, m], outputs: [d], attrs: {}, doc },
      { op: 'Exp', inputs: [d], outputs: [e], attrs: {}, doc },
      { op: 'ReduceSum', inputs: [e, axes], outputs: [s], attrs: { keepdims: { kind: 'int', v: 1 } }, doc },
      { op: 'Log', inputs: [s], outputs: [l], attrs: {}, doc },
      { op: 'Sub', inputs: [d, l], outputs: [y], attrs: {}, doc },
    );
  }
  g.nodes = out;
  return count;
}

/**
 * Rewrite a graph for a target's execution provider (see {@link LoweringTarget}); `'default'` leaves it as is.
 *
 * @param g - The graph, rewritten in place.
 * @param target - The provider the graph is for. @default 'default'
 * @returns The graph.
 */
export function lowerForTarget(g: IrGraph, target: LoweringTarget = 'default'): IrGraph {
  if (target === 'webgpu') lowerLogSoftmax(g);
  if (target === 'cpu') lowerForCpu(g);
  return g;
}
