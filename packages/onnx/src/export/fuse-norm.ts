import { constValues, index, intsOf, rankOf, soleConsumer, type Index } from './graph-utils';
import type { IrGraph, IrNode } from './ir';

// Core writes batch and layer normalization as arithmetic: (x − μ)·rsqrt(σ² + ε)·γ + β, which
// lowers to Sub, Add, Sqrt, Reciprocal, Mul (and Add). This pass recognises it and writes the ONNX
// operators: BatchNormalization when μ and σ² are initializers (inference with running statistics),
// LayerNormalization (opset ≥ 17) when they are ReduceMeans of x over trailing axes.

interface Core {
  x: string;
  mean: string;
  variance: string;
  eps: number;
}

/** Match Mul(Sub(x, μ), Reciprocal(Sqrt(Add(σ², ε)))). */
function matchCore(g: IrGraph, ix: Index, n: IrNode): Core | undefined {
  if (n.op !== 'Mul' || n.outputs[0]!.endsWith('__dead')) return undefined;
  for (const [i, j] of [[0, 1], [1, 0]] as const) {
    const sub = ix.producer.get(n.inputs[i]!), rec = ix.producer.get(n.inputs[j]!);
    if (sub?.op !== 'Sub' || rec?.op !== 'Reciprocal') continue;
    const sq = ix.producer.get(rec.inputs[0]!);
    const add = sq?.op === 'Sqrt' ? ix.producer.get(sq.inputs[0]!) : undefined;
    if (add?.op !== 'Add') continue;
    for (const k of [0, 1]) {
      const e = constValues(g, add.inputs[k]!);
      if (e?.length === 1 && g.inits.get(add.inputs[k]!)!.dtype === 'float32') return { x: sub.inputs[0]!, mean: sub.inputs[1]!, variance: add.inputs[1 - k]!, eps: e[0]! };
    }
  }
  return undefined;
}

/** Optional ·γ then +β after the core, each with an initializer operand. */
function matchAffine(g: IrGraph, ix: Index, core: IrNode): { last: IrNode; chain: IrNode[]; gamma?: string; beta?: string } {
  let last = core;
  const chain = [core];
  let gamma: string | undefined, beta: string | undefined;
  const other = (n: IrNode, v: string) => (n.inputs[0] === v ? n.inputs[1]! : n.inputs[0]!);
  const c1 = soleConsumer(ix, last.outputs[0]!);
  if (c1?.op === 'Mul' && g.inits.has(other(c1, last.outputs[0]!))) {
    gamma = other(c1, last.outputs[0]!);
    last = c1;
    chain.push(c1);
  }
  const c2 = soleConsumer(ix, last.outputs[0]!);
  if (c2?.op === 'Add' && g.inits.has(other(c2, last.outputs[0]!))) {
    beta = other(c2, last.outputs[0]!);
    last = c2;
    chain.push(c2);
  }
  return { last, chain, ...(gamma ? { gamma } : {}), ...(beta ? { beta } : {}) };
}

const padTo = (dims: readonly number[], r: number) => [...new Array<number>(Math.max(0, r - dims.length)).fill(1), ...dims];

/** An initializer as 1-D [n] (reusing it in place when nothing else reads it), or a filled constant. */
function vector(g: IrGraph, ix: Index, name: string | undefined, n: number, fill: number, dims: number[]): string {
  if (!name) return g.constant('float32', dims, new Array<number>(n).fill(fill));
  const init = g.inits.get(name)!;
  if ((ix.consumers.get(name) ?? []).length === 1) {
    init.dims = [...dims];
    g.shapes.set(name, init.dims);
    return name;
  }
  return g.addInit({ ...init, name: g.fresh(`${name}_${dims.join('x')}`), dims: [...dims] });
}

/** Insert the replacement before the chain's last node and retire the chain (each read only by the next). */
function replaceChain(g: IrGraph, chain: IrNode[], nodes: IrNode[]): void {
  g.nodes.splice(g.nodes.indexOf(chain[chain.length - 1]!), 0, ...nodes);
  for (const c of chain) c.outputs = c.outputs.map((o) => `${o}__dead`);
}

function fuseBatchNorm(g: IrGraph, ix: Index, n: IrNode, c: Core): boolean {
  const M = g.inits.get(c.mean), V = g.inits.get(c.variance), r = rankOf(g, c.x);
  if (!M || !V || r === undefined || r < 2 || M.dtype !== 'float32') return false;
  const md = padTo(M.dims, r), vd = padTo(V.dims, r);
  if (md.length !== r || md.join() !== vd.join()) return false;
  const axes = md.flatMap((d, i) => (d !== 1 ? [i] : []));
  if (axes.length !== 1) return false;
  const a = axes[0]!, C = md[a]!;
  if (!(a === 1 || (a === r - 1 && r >= 3))) return false;
  const { last, chain, gamma, beta } = matchAffine(g, ix, n);
  for (const p of [gamma, beta]) if (p && padTo(g.inits.get(p)!.dims, r).join() !== md.join()) return false;
  const args = [vector(g, ix, gamma, C, 1, [C]), vector(g, ix, beta, C, 0, [C]), vector(g, ix, c.mean, C, 0, [C]), vector(g, ix, c.variance, C, 1, [C])];
  const out = last.outputs[0]!;
  const nodes: IrNode[] = [];
  let x = c.x, y = out;
  if (a !== 1) {
    x = g.fresh('nchw');
    y = g.fresh('batchnorm');
    nodes.push({ op: 'Transpose', inputs: [c.x], outputs: [x], attrs: { perm: { kind: 'ints', v: [0, r - 1, ...Array.from({ length: r - 2 }, (_, i) => i + 1)] } } });
  }
  nodes.push({ op: 'BatchNormalization', inputs: [x, ...args], outputs: [y], attrs: { epsilon: { kind: 'float', v: c.eps } }, ...(last.doc ? { doc: last.doc } : {}) });
  if (a !== 1) nodes.push({ op: 'Transpose', inputs: [y], outputs: [out], attrs: { perm: { kind: 'ints', v: [0, ...Array.from({ length: r - 2 }, (_, i) => i + 2), 1] } } });
  replaceChain(g, chain, nodes);
  return true;
}

function reduceMeanAxes(g: IrGraph, n: IrNode | undefined, r: number): number[] | undefined {
  if (n?.op !== 'ReduceMean') return undefined;
  const keep = n.attrs.keepdims;
  if (!keep || keep.kind !== 'int' || keep.v !== 1) return undefined;
  const axes = n.inputs[1] ? constValues(g, n.inputs[1]) : intsOf(n, 'axes');
  return axes?.map((a) => (a < 0 ? a + r : a)).sort((p, q) => p - q);
}

function fuseLayerNorm(g: IrGraph, ix: Index, n: IrNode, c: Core): boolean {
  if (g.opset < 17) return false;
  const r = rankOf(g, c.x);
  const mu = ix.producer.get(c.mean);
  if (r === undefined || mu?.inputs[0] !== c.x) return false;
  const axes = reduceMeanAxes(g, mu, r);
  if (!axes || axes.length === 0 || axes.some((v, i) => v !== r - axes.length + i)) return false;
  // σ² = ReduceMean((x − μ)², same axes), the square written as Mul(d, d).
  const vn = ix.producer.get(c.variance);
  const sq = vn ? ix.producer.get(vn.inputs[0]!) : undefined;
  const d = sq?.op === 'Mul' && sq.inputs[0] === sq.inputs[1] ? ix.producer.get(sq.inputs[0]!) : undefined;
  if (reduceMeanAxes(g, vn, r)?.join() !== axes.join() || d?.op !== 'Sub' || d.inputs[0] !== c.x || d.inputs[1] !== c.mean) return false;
  const xs = g.shapes.get(c.x) ?? g.inputs.find((i) => i.name === c.x)?.dims;
  const norm = axes.map((a) => xs?.[a]);
  if (norm.some((v) => typeof v !== 'number' || v < 0)) return false;
  const nd = norm as number[];
  const size = nd.reduce((p, v) => p * v, 1);
  const { last, chain, gamma, beta } = matchAffine(g, ix, n);
  for (const p of [gamma, beta]) if (p && padTo(g.inits.get(p)!.dims, r).join() !== padTo(nd, r).join()) return false;
  const out = last.outputs[0]!;
  replaceChain(g, chain, [{
    op: 'LayerNormalization',
    inputs: [c.x, vector(g, ix, gamma, size, 1, nd), vector(g, ix, beta, size, 0, nd)],
    outputs: [out],
    attrs: { axis: { kind: 'int', v: axes[0]! }, epsilon: { kind: 'float', v: c.eps } },
    ...(last.doc ? { doc: last.doc } : {}),
  }]);
  return true;
}

/** The pass: BatchNormalization / LayerNormalization from their arithmetic. */
export function fuseNormalization(g: IrGraph, first: Index): boolean {
  let ix = first, any = false;
  // Each rewrite retires at least one Mul, so this ends; the bound is a backstop.
  for (let guard = 0; guard <= g.nodes.length; guard++) {
    let did = false;
    for (const n of g.nodes) {
      const c = matchCore(g, ix, n);
      if (c && (fuseBatchNorm(g, ix, n, c) || fuseLayerNorm(g, ix, n, c))) {
        did = true;
        break; // the graph changed: re-index before the next match
      }
    }
    if (!did) return any;
    any = true;
    ix = index(g);
  }
  return any;
}
