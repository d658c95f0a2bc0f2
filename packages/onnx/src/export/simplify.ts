import { constValues, index, intsOf, isConstFilled, replaceUses, shapeOf, soleConsumer, type Index } from './graph-utils';
import { fuseNormalization } from './fuse-norm';
import { makeArray, type Initializer, type IrArray, type IrGraph, type IrNode } from './ir';

// Cheap peephole passes over the lowered graph. Each pass returns true when it changed something;
// they run to a fixed point. Graph outputs are never renamed or removed.

function transposeData(init: Initializer, perm: readonly number[], name: string): Initializer {
  const dims = init.dims, r = dims.length;
  const outDims = perm.map((p) => dims[p]!);
  const inStrides = new Array<number>(r);
  for (let i = r - 1, s = 1; i >= 0; i--) (inStrides[i] = s), (s *= dims[i]!);
  const n = init.data.length;
  const out = makeArray(init.dtype, []) as IrArray;
  const dst = new (out.constructor as new (n: number) => IrArray)(n);
  const idx = new Array<number>(r).fill(0);
  for (let k = 0; k < n; k++) {
    let src = 0;
    for (let i = 0; i < r; i++) src += idx[i]! * inStrides[perm[i]!]!;
    (dst as unknown as number[])[k] = (init.data as unknown as number[])[src]!;
    for (let i = r - 1; i >= 0; i--) {
      if (++idx[i]! < outDims[i]!) break;
      idx[i] = 0;
    }
  }
  return { name, dtype: init.dtype, dims: outDims, data: dst };
}

/** Transpose / Reshape / Unsqueeze of an initializer → a new initializer. */
function foldConstants(g: IrGraph, ix: Index, folded: Map<string, string>): boolean {
  let changed = false;
  for (const n of g.nodes) {
    const src = g.inits.get(n.inputs[0] ?? '');
    if (!src || ix.outputs.has(n.outputs[0]!)) continue;
    let res: Initializer | undefined;
    const name = g.fresh(`${src.name}_${n.op.toLowerCase()}`);
    if (n.op === 'Transpose') {
      res = transposeData(src, intsOf(n, 'perm') ?? src.dims.map((_, i) => src.dims.length - 1 - i), name);
    } else if (n.op === 'Reshape' || n.op === 'Unsqueeze') {
      const arg = constValues(g, n.inputs[1] ?? '');
      if (!arg) continue;
      let dims: number[];
      if (n.op === 'Unsqueeze') {
        dims = [...src.dims];
        const r = src.dims.length + arg.length;
        for (const a of arg.map((x) => (x < 0 ? x + r : x)).sort((x, y) => x - y)) dims.splice(a, 0, 1);
      } else {
        const size = src.data.length, known = arg.reduce((p, d, i) => p * (d === -1 ? 1 : d === 0 ? src.dims[i]! : d), 1);
        dims = arg.map((d, i) => (d === -1 ? size / known : d === 0 ? src.dims[i]! : d));
      }
      res = { name, dtype: src.dtype, dims, data: src.data };
    }
    if (!res) continue;
    g.addInit(res);
    if (folded.has(src.name)) folded.set(name, folded.get(src.name)!);
    else folded.set(name, src.name);
    replaceUses(g, ix, n.outputs[0]!, name);
    n.outputs = [`${n.outputs[0]}__dead`];
    changed = true;
  }
  return changed;
}

function foldTransposes(g: IrGraph, ix: Index): boolean {
  let changed = false;
  for (const n of g.nodes) {
    if (n.op !== 'Transpose') continue;
    const p2 = intsOf(n, 'perm');
    const prev = ix.producer.get(n.inputs[0]!);
    if (p2 && p2.every((p, i) => p === i) && replaceUses(g, ix, n.outputs[0]!, n.inputs[0]!)) {
      changed = true;
      continue;
    }
    if (!p2 || !prev || prev.op !== 'Transpose') continue;
    const p1 = intsOf(prev, 'perm');
    if (!p1) continue;
    const p = p2.map((i) => p1[i]!);
    if (p.every((v, i) => v === i)) {
      if (replaceUses(g, ix, n.outputs[0]!, prev.inputs[0]!)) changed = true;
    } else {
      n.inputs = [prev.inputs[0]!];
      n.attrs = { perm: { kind: 'ints', v: p } };
      changed = true;
    }
  }
  return changed;
}

function foldReshapes(g: IrGraph, ix: Index): boolean {
  let changed = false;
  for (const n of g.nodes) {
    if (n.op !== 'Reshape') continue;
    const prev = ix.producer.get(n.inputs[0]!);
    const target = constValues(g, n.inputs[1]!);
    if (prev?.op === 'Reshape' && target && !target.includes(0)) {
      n.inputs = [prev.inputs[0]!, n.inputs[1]!];
      changed = true;
    }
    // Identity reshape: the input shape already equals the target (-1 marks the one batch-dependent dim).
    const s = g.shapes.get(n.inputs[0]!);
    if (s && target && s.filter((d) => d === -1).length <= 1 && s.length === target.length && s.every((d, i) => d === target[i])) {
      if (replaceUses(g, ix, n.outputs[0]!, n.inputs[0]!)) changed = true;
    }
  }
  return changed;
}

/** Gemm(a, b) followed by Add of a [N] bias → Gemm(a, b, bias): one pass fewer over the product. */
function fuseGemmBias(g: IrGraph, ix: Index): boolean {
  let changed = false;
  for (const n of g.nodes) {
    if (n.op !== 'Gemm' || n.inputs.length !== 2 || ix.outputs.has(n.outputs[0]!)) continue;
    const users = ix.consumers.get(n.outputs[0]!) ?? [];
    const add = users[0];
    if (users.length !== 1 || add!.op !== 'Add') continue;
    const bias = add!.inputs[0] === n.outputs[0] ? add!.inputs[1]! : add!.inputs[0]!;
    // A 1-D float32 initializer (exported model) or graph input (a bias in a compiled training step).
    // The Add was valid, so its length is N or 1 for the [M, N] product: exactly what Gemm's C broadcasts.
    const init = g.inits.get(bias), input = g.inputs.find((i) => i.name === bias);
    const dims = init?.dims ?? input?.dims, dtype = init?.dtype ?? input?.dtype;
    if (!dims || dims.length !== 1 || dtype !== 'float32') continue;
    n.inputs = [...n.inputs, bias];
    n.outputs = [add!.outputs[0]!];
    add!.outputs = [`${add!.outputs[0]}__dead`];
    add!.inputs = [];
    changed = true;
  }
  return changed;
}

/**
 * Conv(x, W) followed by Add of a [1, C, 1, 1] (or [C, 1, 1]) initializer → Conv(x, W, B). Also
 * Add of Reshape(b, [1, C, 1, 1] or [C, 1, 1]) with b a [C] graph input (a bias in a compiled training step):
 * onnxruntime then runs one kernel instead of two and can fuse a following Relu into the Conv.
 */
function fuseConvBias(g: IrGraph, ix: Index): boolean {
  let changed = false;
  for (const n of g.nodes) {
    if (n.op !== 'Conv' || n.inputs.length !== 2) continue;
    const add = soleConsumer(ix, n.outputs[0]!);
    if (add?.op !== 'Add') continue;
    const bias = add.inputs[0] === n.outputs[0] ? add.inputs[1]! : add.inputs[0]!;
    let name: string | undefined;
    const b = g.inits.get(bias);
    const w = g.inits.get(n.inputs[1]!);
    const channels = w?.dims[0] ?? g.inputs.find((i) => i.name === n.inputs[1])?.dims[0];
    if (b && b.dtype === 'float32' && w) {
      const d = [...new Array<number>(Math.max(0, 4 - b.dims.length)).fill(1), ...b.dims];
      if (d.length !== 4 || d[0] !== 1 || d[2] !== 1 || d[3] !== 1 || d[1] !== w.dims[0]) continue;
      name = bias;
      if ((ix.consumers.get(bias) ?? []).length === 1) b.dims = [d[1]!];
      else name = g.addInit({ ...b, name: g.fresh(`${bias}_1d`), dims: [d[1]!] });
    } else {
      const r = ix.producer.get(bias);
      const src = r?.op === 'Reshape' ? g.inputs.find((i) => i.name === r.inputs[0]) : undefined;
      const to = r ? constValues(g, r.inputs[1] ?? '') : undefined;
      if (!src || src.dtype !== 'float32' || src.dims.length !== 1 || typeof channels !== 'number' || src.dims[0] !== channels || !to) continue;
      const d = [...new Array<number>(Math.max(0, 4 - to.length)).fill(1), ...to];
      if (d.length !== 4 || d[0] !== 1 || d[1] !== channels || d[2] !== 1 || d[3] !== 1) continue;
      name = src.name;
    }
    n.inputs = [...n.inputs, name];
    n.outputs = [add.outputs[0]!];
    add.outputs = [`${add.outputs[0]}__dead`];
    add.inputs = [];
    changed = true;
  }
  return changed;
}

/**
 * Greater(a, 0) where Relu(a) is also computed → Greater(Relu(a), 0): the same mask (a > 0 exactly
 * where relu(a) > 0, NaN included), and Relu becomes a's only reader, so onnxruntime can fuse it
 * into the Conv or Gemm that makes a. This is the ReLU gradient's mask in a training step.
 */
function maskFromRelu(g: IrGraph, ix: Index): boolean {
  let changed = false;
  for (const n of g.nodes) {
    if (n.op !== 'Greater' || !isConstFilled(g, n.inputs[1]!, 0)) continue;
    const relu = (ix.consumers.get(n.inputs[0]!) ?? []).find((c) => c.op === 'Relu');
    if (!relu) continue;
    n.inputs = [relu.outputs[0]!, n.inputs[1]!];
    changed = true;
  }
  return changed;
}

/**
 * Where(Greater(x, 0), v, 0) with v a tiled max-pool gradient routed into x (IrGraph.poolGrads):
 * v is nonzero only on window maxima, where x > 0 exactly when the window's maximum y > 0. So the
 * mask moves onto dy at the pooled size (kh·kw times fewer elements) and the full-size one goes:
 * the ReLU gradient of a ReLU → MaxPool pair. Only where the mask is v's sole reader.
 */
function foldReluMaskIntoPoolGrad(g: IrGraph, ix: Index): boolean {
  const folds: [IrNode, string, string, IrNode][] = [];
  for (const n of g.nodes) {
    if (n.op !== 'Where' || n.inputs.length !== 3 || !isConstFilled(g, n.inputs[2]!, 0)) continue;
    const [cond, v] = n.inputs as [string, string, string];
    const gt = ix.producer.get(cond), pg = g.poolGrads.get(v);
    const pooled = pg ? maxPoolInput(g, ix, pg.y) : undefined;
    // Masking dy changes v for every reader: the mask must be v's only one.
    if (!pg || soleConsumer(ix, v) !== n || gt?.op !== 'Greater' || !isConstFilled(g, gt.inputs[1]!, 0) || pooled === undefined) continue;
    // The pooled x: the MaxPool's input, or (NHWC) what its NHWC → NCHW Transpose reads.
    const t = pg.nhwc ? ix.producer.get(pooled) : undefined;
    const x = pg.nhwc ? (t?.op === 'Transpose' && intsOf(t, 'perm')?.join() === '0,3,1,2' ? t.inputs[0] : undefined) : pooled;
    if (x === undefined || x !== gt.inputs[0]) continue;
    const up = ix.producer.get(pg.dyUp);
    if (up && !ix.outputs.has(n.outputs[0]!) && !folds.some((f) => f[3] === up)) folds.push([n, v, pg.y, up]);
  }
  for (const [n, v, y, up] of folds) {
    replaceUses(g, ix, n.outputs[0]!, v);
    n.outputs = [`${n.outputs[0]}__dead`];
    // Both names of this gradient (NCHW and NHWC) are done: dy is masked once.
    for (const [k, p] of g.poolGrads) if (p.dyUp === up.outputs[0]) g.poolGrads.delete(k);
    const zero = g.scalar('float32', 0), mask = g.fresh('greater'), masked = g.fresh('where');
    g.nodes.splice(g.nodes.indexOf(up), 0,
      { op: 'Greater', inputs: [y, zero], outputs: [mask], attrs: {} },
      { op: 'Where', inputs: [mask, up.inputs[0]!, zero], outputs: [masked], attrs: {} });
    up.inputs = [masked, ...up.inputs.slice(1)];
  }
  return folds.length > 0;
}

/** The chain SpaceToDepth (of a crop Slice, or not) → Split behind a registered window split. */
function windowChain(g: IrGraph, ix: Index, part0: string): { base: string; nodes: IrNode[] } | undefined {
  const w = g.poolWindows.get(part0);
  const split = ix.producer.get(part0);
  const s2d = split?.op === 'Split' ? ix.producer.get(split.inputs[0]!) : undefined;
  if (!w || !split || s2d?.op !== 'SpaceToDepth') return undefined;
  if (!w.cropped) return { base: s2d.inputs[0]!, nodes: [s2d, split] };
  const crop = ix.producer.get(s2d.inputs[0]!);
  return crop?.op === 'Slice' ? { base: crop.inputs[0]!, nodes: [crop, s2d, split] } : undefined;
}

/** The input a max pool reads: a MaxPool's, or that of a Max over a registered window split. */
function maxPoolInput(g: IrGraph, ix: Index, y: string): string | undefined {
  const p = ix.producer.get(y);
  if (p?.op === 'MaxPool') return p.inputs[0];
  if (p?.op === 'Max' && p.inputs.length > 1) return windowChain(g, ix, p.inputs[0]!)?.base;
  return undefined;
}

/**
 * MaxPool(x) with square windows that tile x, where the graph also cuts those windows apart with
 * SpaceToDepth → Split (a tiled max-pool gradient does): the elementwise Max of the Split's parts.
 * The same values (a maximum is exact), without onnxruntime's blocked-layout MaxPool and the two
 * full-size layout reorders it brings: about a tenth of a small CNN's step at batch 256.
 */
function maxPoolFromWindows(g: IrGraph, ix: Index): boolean {
  let changed = false;
  for (const part0 of g.poolWindows.keys()) {
    const chain = windowChain(g, ix, part0);
    if (!chain) continue;
    const k = g.poolWindows.get(part0)!.k;
    const split = chain.nodes[chain.nodes.length - 1]!;
    for (const m of g.nodes) {
      if (m.op !== 'MaxPool' || m.outputs.length !== 1 || !plainTiledPool(m, k) || !sameValue(ix, m.inputs[0]!, chain.base)) continue;
      // The chain must run before the pool's readers: it reads the pool's own input (the same
      // value, perhaps another Transpose node's name) and moves to just before the pool.
      const at = g.nodes.indexOf(m);
      if (chain.nodes.some((c) => g.nodes.indexOf(c) > at)) {
        chain.nodes[0]!.inputs = [m.inputs[0]!, ...chain.nodes[0]!.inputs.slice(1)];
        chain.base = m.inputs[0]!;
        g.nodes = g.nodes.filter((c) => !chain.nodes.includes(c));
        g.nodes.splice(g.nodes.indexOf(m), 0, ...chain.nodes);
      }
      m.op = 'Max';
      m.inputs = [...split.outputs];
      m.attrs = {};
      changed = true;
    }
  }
  return changed;
}

/** a and b are one value: the same name, or the same Transpose of the same value. */
function sameValue(ix: Index, a: string, b: string): boolean {
  if (a === b) return true;
  const pa = ix.producer.get(a), pb = ix.producer.get(b);
  return pa?.op === 'Transpose' && pb?.op === 'Transpose' && pa.inputs[0] === pb.inputs[0] && intsOf(pa, 'perm')?.join() === intsOf(pb, 'perm')?.join();
}

/** A MaxPool with k×k windows, strides k, and no padding, dilation or ceil mode. */
function plainTiledPool(m: IrNode, k: number): boolean {
  const ks = intsOf(m, 'kernel_shape'), st = intsOf(m, 'strides');
  if (ks?.length !== 2 || ks[0] !== k || ks[1] !== k || st?.length !== 2 || st[0] !== k || st[1] !== k) return false;
  const pads = intsOf(m, 'pads'), dil = intsOf(m, 'dilations');
  const other = Object.keys(m.attrs).filter((a) => !['kernel_shape', 'strides', 'pads', 'dilations', 'auto_pad', 'ceil_mode', 'storage_order'].includes(a));
  const autoPad = m.attrs.auto_pad as { v?: unknown } | undefined;
  const ceil = m.attrs.ceil_mode as { v?: unknown } | undefined;
  return other.length === 0 && (!pads || pads.every((p) => p === 0)) && (!dil || dil.every((d) => d === 1)) && (autoPad === undefined || autoPad.v === 'NOTSET') && (ceil === undefined || ceil.v === 0);
}

/** Max(x, 0) → Relu; Where(Greater(x, 0), x, Mul(x, a)) → LeakyRelu(a). */
function recogniseActivations(g: IrGraph, ix: Index): boolean {
  let changed = false;
  for (const n of g.nodes) {
    if (n.op === 'Max' && n.inputs.length === 2 && g.dtypes.get(n.outputs[0]!) === 'float32') {
      const [a, b] = n.inputs as [string, string];
      const zeroB = isConstFilled(g, b, 0) && (g.inits.get(b)!.data.length === 1);
      if (zeroB) {
        n.op = 'Relu';
        n.inputs = [a];
        changed = true;
      }
    }
    if (n.op === 'Where') {
      const [c, x, m] = n.inputs as [string, string, string];
      const cmp = ix.producer.get(c), mul = ix.producer.get(m);
      if (cmp?.op !== 'Greater' || mul?.op !== 'Mul' || cmp.inputs[0] !== x || !isConstFilled(g, cmp.inputs[1]!, 0)) continue;
      const alphaName = mul.inputs[0] === x ? mul.inputs[1]! : mul.inputs[1] === x ? mul.inputs[0]! : undefined;
      const alpha = alphaName ? constValues(g, alphaName) : undefined;
      if (!alpha || alpha.length !== 1) continue;
      n.op = 'LeakyRelu';
      n.inputs = [x];
      n.attrs = { alpha: { kind: 'float', v: alpha[0]! } };
      changed = true;
    }
  }
  return changed;
}

/** The single axis of a Reduce* node with keepdims=1, or undefined. */
function reduceAxis(g: IrGraph, n: IrNode | undefined, op: string): number | undefined {
  if (!n || n.op !== op) return undefined;
  const keep = n.attrs.keepdims;
  if (!keep || keep.kind !== 'int' || keep.v !== 1) return undefined;
  const axes = n.inputs[1] ? constValues(g, n.inputs[1]) : intsOf(n, 'axes');
  return axes && axes.length === 1 ? axes[0] : undefined;
}

/**
 * Core's softmax is exp(x − max) / Σ and its logSoftmax is x − (log Σ exp(x − m') + m') with
 * m' = max where finite: recognise both and write Softmax / LogSoftmax (one fused kernel each).
 */
function recogniseSoftmax(g: IrGraph, ix: Index): boolean {
  let changed = false;
  const P = (s: string | undefined) => (s === undefined ? undefined : ix.producer.get(s));
  for (const n of g.nodes) {
    if (n.op === 'Div') {
      const e = P(n.inputs[0]), s = P(n.inputs[1]);
      if (e?.op !== 'Exp' || s?.inputs[0] !== e.outputs[0]) continue;
      const ax = reduceAxis(g, s, 'ReduceSum');
      const d = P(e.inputs[0]);
      if (ax === undefined || d?.op !== 'Sub') continue;
      const m = P(d.inputs[1]);
      if (reduceAxis(g, m, 'ReduceMax') !== ax || m!.inputs[0] !== d.inputs[0]) continue;
      n.op = 'Softmax';
      n.inputs = [d.inputs[0]!];
      n.attrs = { axis: { kind: 'int', v: ax } };
      changed = true;
    } else if (n.op === 'Sub') {
      const x = n.inputs[0]!;
      const r = P(n.inputs[1]);
      if (r?.op !== 'Add') continue;
      const l = P(r.inputs[0]), fm = r.inputs[1]!;
      const s = P(l?.op === 'Log' ? l.inputs[0] : undefined);
      const ax = reduceAxis(g, s, 'ReduceSum');
      const e = P(s?.inputs[0]);
      const d = P(e?.op === 'Exp' ? e.inputs[0] : undefined);
      const w = P(fm);
      if (ax === undefined || d?.op !== 'Sub' || d.inputs[0] !== x || d.inputs[1] !== fm || w?.op !== 'Where') continue;
      const m = P(w.inputs[1]);
      if (reduceAxis(g, m, 'ReduceMax') !== ax || m!.inputs[0] !== x) continue;
      n.op = 'LogSoftmax';
      n.inputs = [x];
      n.attrs = { axis: { kind: 'int', v: ax } };
      changed = true;
    }
  }
  return changed;
}

/**
 * Pad(NHWC) → Transpose(to NCHW) → Conv / MaxPool / AveragePool: move spatial padding into the op's
 * `pads` (core pads explicitly with 0 for conv and average pooling, −∞ for max pooling).
 */
function foldPadIntoConv(g: IrGraph, ix: Index): boolean {
  let changed = false;
  const fill: Record<string, number> = { Conv: 0, AveragePool: 0, MaxPool: -Infinity };
  for (const op of g.nodes) {
    if (!(op.op in fill) || op.attrs.pads || op.outputs.length !== 1) continue;
    const tr = ix.producer.get(op.inputs[0]!);
    const perm = tr?.op === 'Transpose' ? intsOf(tr, 'perm') : undefined;
    if (!tr || perm?.join() !== '0,3,1,2' || (ix.consumers.get(tr.outputs[0]!) ?? []).length !== 1) continue;
    const pad = ix.producer.get(tr.inputs[0]!);
    if (pad?.op !== 'Pad' || (ix.consumers.get(pad.outputs[0]!) ?? []).length !== 1 || ix.outputs.has(pad.outputs[0]!)) continue;
    const pads = constValues(g, pad.inputs[1]!);
    const value = pad.inputs[2] ? constValues(g, pad.inputs[2]) : [0];
    if (!pads || pads.length !== 8 || !value || value[0] !== fill[op.op]) continue;
    const [b0, b1, b2, b3, a0, a1, a2, a3] = pads as [number, number, number, number, number, number, number, number];
    if (b0 || b3 || a0 || a3) continue;
    tr.inputs = [pad.inputs[0]!];
    op.attrs = { ...op.attrs, pads: { kind: 'ints', v: [b1, b2, a1, a2] } };
    if (op.op === 'AveragePool') op.attrs.count_include_pad = { kind: 'int', v: 1 };
    changed = true;
  }
  return changed;
}

function dropIdentities(g: IrGraph, ix: Index): boolean {
  let changed = false;
  for (const n of g.nodes) if (n.op === 'Identity' && replaceUses(g, ix, n.outputs[0]!, n.inputs[0]!)) changed = true;
  return changed;
}

/** Elementwise binary ops that broadcast both operands (numpy rules). */
const BROADCASTING = new Set(['Add', 'Sub', 'Mul', 'Div']);

const sameDims = (a: readonly number[] | undefined, b: readonly number[]) => !!a && a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * Expand(x, shape) read only by broadcasting binary ops whose other operand already has the expanded
 * shape: they broadcast x themselves (the same values, the same output shape), so the materialized
 * copy goes. Autograd writes these for the [1, C] terms of a BatchNorm gradient (an [N, C] pass each).
 */
function dropBroadcastExpands(g: IrGraph, ix: Index): boolean {
  let changed = false;
  for (const n of g.nodes) {
    if (n.op !== 'Expand') continue;
    const x = n.inputs[0]!, y = n.outputs[0]!;
    const ys = shapeOf(g, y), xs = shapeOf(g, x);
    if (!ys || !xs || xs.length > ys.length || ix.outputs.has(y)) continue;
    const users = ix.consumers.get(y) ?? [];
    const other = (u: IrNode) => (u.inputs[0] === y ? u.inputs[1]! : u.inputs[0]!);
    if (!users.length || !users.every((u) => BROADCASTING.has(u.op) && u.inputs.length === 2 && u.inputs[0] !== u.inputs[1] && sameDims(shapeOf(g, other(u)), ys))) continue;
    for (const u of users) u.inputs = u.inputs.map((s) => (s === y ? x : s));
    changed = true;
  }
  return changed;
}

/** Remove nodes and initializers nothing reads; give folded initializers their source's name back. */
function deadCode(g: IrGraph, folded: Map<string, string>): void {
  const live = new Set(g.outputs.map((o) => o.name));
  const keep: IrNode[] = [];
  for (let i = g.nodes.length - 1; i >= 0; i--) {
    const n = g.nodes[i]!;
    if (!n.outputs.some((o) => live.has(o))) continue;
    keep.push(n);
    for (const x of n.inputs) if (x) live.add(x);
  }
  g.nodes = keep.reverse();
  for (const name of [...g.inits.keys()]) if (!live.has(name)) g.inits.delete(name);
  // A parameter folded into another layout (an OIHW conv weight) keeps the parameter's name.
  for (const [name, src] of folded) {
    if (!g.inits.has(name) || g.inits.has(src) || live.has(src)) continue;
    const init = g.inits.get(name)!;
    g.inits.delete(name);
    g.inits.set(src, { ...init, name: src });
    for (const n of g.nodes) n.inputs = n.inputs.map((s) => (s === name ? src : s));
    live.add(src);
  }
}

/** Run the peephole passes to a fixed point, then remove dead code. */
export function simplify(g: IrGraph): IrGraph {
  const folded = new Map<string, string>();
  const passes = [foldConstants, foldTransposes, foldReshapes, fuseGemmBias, fuseConvBias, maskFromRelu, foldReluMaskIntoPoolGrad, maxPoolFromWindows, recogniseActivations, recogniseSoftmax, fuseNormalization, foldPadIntoConv, dropIdentities, dropBroadcastExpands];
  for (let round = 0; round < 8; round++) {
    let changed = false;
    for (const p of passes) {
      const ix = index(g);
      if (p === foldConstants ? foldConstants(g, ix, folded) : (p as (g: IrGraph, ix: Index) => boolean)(g, ix)) changed = true;
    }
    deadCode(g, folded);
    if (!changed) break;
  }
  return g;
}
