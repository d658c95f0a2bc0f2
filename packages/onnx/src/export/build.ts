import { getBackend, type TracedOp, type TraceResult, type TraceValue } from '@nn/core';
import { ExportOptionsError, UnsupportedOpError } from '../errors';
import type { LowerCtx } from './context';
import type { DimSpec } from './dims';
import type { Dims } from './dynamic';
import { IrGraph, makeArray, type IrDType, type IrValueInfo } from './ir';
import { lowerOp } from './lower';
import type { LoweringTarget } from './lower-webgpu';

/** A graph input as the exporter sees it: `null` marks the (dynamic) batch dimension. */
export interface GraphInput {
  name: string;
  dtype: 'float32' | 'int32' | 'bool';
  shape: readonly (number | null)[];
}

/** What {@link buildGraph} needs. */
export interface BuildSpec {
  trace: TraceResult;
  dims: Dims;
  opset: number;
  inputs: readonly GraphInput[];
  outputNames: readonly string[];
  /** Name used for the symbolic batch dimension. @default 'batch' */
  batchDim?: string;
  /** The layer path that recorded each op, where known (the trace's `TracedOp.scope`). */
  layers?: ReadonlyMap<TracedOp, string>;
  /** The execution provider the graph is for: kernels pick ops it runs well. @default 'default' */
  target?: LoweringTarget;
}

function hostData(v: TraceValue): ArrayLike<number> {
  if (v.data) return v.data as ArrayLike<number>;
  const ext = v.external!;
  return (ext.tensor ? ext.tensor.dataSync() : getBackend().readSync({ handle: ext.handle, shape: v.shape, dtype: v.dtype })) as ArrayLike<number>;
}

const layerOf = (op: TracedOp, known?: ReadonlyMap<TracedOp, string>): string | undefined => {
  const l = known?.get(op) ?? (op as { layer?: unknown }).layer ?? op.attrs.layer;
  return typeof l === 'string' ? l : undefined;
};

/** Lower a trace into an ONNX graph (before peephole simplification). */
export function buildGraph(spec: BuildSpec): IrGraph {
  const { trace: t, dims } = spec;
  const g = new IrGraph();
  g.opset = spec.opset;
  const batchDim = spec.batchDim ?? 'batch';
  const names = new Map<number, string>();
  const taken = new Set<string>();

  t.inputs.forEach((id, i) => {
    const inp = spec.inputs[i]!;
    names.set(id, inp.name);
    taken.add(inp.name);
    g.inputs.push({ name: inp.name, dtype: inp.dtype, dims: inp.shape.map((d) => (d === null ? batchDim : d)) });
  });
  const batchInput = spec.inputs.find((i) => i.shape[0] === null);
  let batchName: string | undefined;
  const batch = () => {
    if (!batchInput) throw new ExportOptionsError('exportOnnx: a batch-dependent shape was found but no input has a dynamic (null) batch dimension.');
    batchName ??= g.add1('Gather', [g.add1('Shape', [batchInput.name]), g.i64([0])], { axis: { kind: 'int', v: 0 } });
    return batchName;
  };

  const nameOf = (id: number): string => {
    const hit = names.get(id);
    if (hit) return hit;
    const v = t.values.get(id)!;
    if (v.kind === 'host' && v.host?.role === 'random') {
      throw new ExportOptionsError(`exportOnnx: the model draws random numbers (${v.host.dist}${v.scope ? ` in ${v.scope}` : ''}) in the traced mode; an exported graph would repeat one draw forever. Export in inference mode (training: false), where dropout and augmentation layers are off.`);
    }
    if (v.kind !== 'const' && v.kind !== 'external' && !(v.kind === 'host' && v.data)) throw new ExportOptionsError(`exportOnnx: internal error, value #${id} (${v.kind}) is used before it is computed.`);
    const lin = v.kind === 'const' ? dims.constant(id) : undefined;
    if (lin) {
      // A batch-dependent scalar: a·B + c computed from the input's batch size, as the constant's dtype.
      let s = batch();
      if (lin.a !== 1) s = g.add1('Mul', [s, g.i64([lin.a])]);
      if (lin.c !== 0) s = g.add1('Add', [s, g.i64([lin.c])]);
      s = g.add1('Reshape', [s, g.i64(v.shape.map(() => 1))]);
      s = g.add1('Cast', [s], { to: { kind: 'int', v: v.dtype === 'float32' ? 1 : 6 } });
      names.set(id, s);
      return s;
    }
    let name = v.kind === 'external' && v.name ? v.name : `${v.kind}_${id}`;
    while (taken.has(name) || g.inits.has(name)) name = `${name}_`;
    taken.add(name);
    g.addInit({ name, dtype: v.dtype as IrDType, dims: [...v.shape], data: makeArray(v.dtype as IrDType, hostData(v)) });
    names.set(id, name);
    return name;
  };

  t.ops.forEach((op, index) => {
    const layer = layerOf(op, spec.layers);
    const c: LowerCtx = {
      g, opset: spec.opset, target: spec.target ?? 'default', trace: t, op, index, ins: op.inputs.map(nameOf),
      attrDims: (key) => dims.attr(index, key),
      valueDims: (id) => dims.value(id),
      batch,
      ...(layer ? { layer } : {}),
    };
    const before = g.nodes.length;
    let outName: string;
    try {
      outName = lowerOp(c);
    } catch (e) {
      if (e instanceof UnsupportedOpError || !(e instanceof Error) || e.name !== 'Error') throw e;
      throw new UnsupportedOpError(op.kernel, e.message, layer);
    }
    for (let k = before; k < g.nodes.length; k++) g.nodes[k]!.doc ??= layer ? `${layer}: ${op.kernel}` : op.kernel;
    names.set(op.output, outName);
    const v = t.values.get(op.output)!;
    g.dtypes.set(outName, v.dtype as IrDType);
    g.shapes.set(outName, dims.value(op.output).map((d) => (typeof d === 'number' ? d : -1)));
  });

  const used = new Set<string>();
  t.outputs.forEach((id, i) => {
    const want = spec.outputNames[i]!;
    const have = nameOf(id);
    const v = t.values.get(id)!;
    const produced = g.nodes.find((n) => n.outputs.includes(have));
    if (produced && !used.has(have) && !taken.has(want)) {
      for (const n of g.nodes) {
        n.inputs = n.inputs.map((s) => (s === have ? want : s));
        n.outputs = n.outputs.map((s) => (s === have ? want : s));
      }
      names.set(id, want);
    } else {
      g.nodes.push({ op: 'Identity', inputs: [have], outputs: [want], attrs: {} });
    }
    used.add(want);
    taken.add(want);
    const d: (number | string | null)[] = dims.value(id).map((x: DimSpec) => (typeof x === 'number' ? x : x.a === 1 && x.c === 0 ? batchDim : null));
    const info: IrValueInfo = { name: want, dtype: v.dtype as IrDType, dims: d };
    g.outputs.push(info);
  });
  return g;
}
