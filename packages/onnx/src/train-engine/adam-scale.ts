import { constValues, index, type Index } from '../export/graph-utils';
import type { IrGraph, IrNode } from '../export/ir';

// Adam's moment updates as core writes them (optim/adam.ts, both doors),
//   m' = β₁·m + c₁·g            (c₁ = 1 − β₁)
//   v' = β₂·v + c₂·(g·g)        (c₂ = 1 − β₂)
// cost 7 passes over each weight. Carrying the moments scaled, m̃ = m/c₁ and ṽ = v/c₂, gives
//   m̃' = β₁·m̃ + g,  ṽ' = β₂·ṽ + g·g
// (5 passes: exactly the same algebra), and the update absorbs the factors into its scalars:
//   PyTorch form  w − s₁·m'/(√v'/s₂ + ε)      →  w − ((s₁s₂c₁/√c₂)·m̃')/(√ṽ' + ε·s₂/√c₂)
//   Keras form    w − (α·m')/(√v' + ε)        →  w − ((αc₁/√c₂)·m̃')/(√ṽ' + ε/√c₂)
// Scalar factors cost a scalar node each; two passes over every weight are gone (three in the
// PyTorch form, whose update takes the Keras form's shape: 6 passes → 5), 10 left in both forms.
// Measured on FMNIST-MLP (A/B, one thread, batch 64): step 1,040 → 905 µs. The engine
// stores the moments scaled and converts when it reads them from, or writes them to, the optimizer.
//
// Denormals. A weight whose gradient is zero step after step (a dead ReLU unit, an input pixel that
// is 0 in every image) has a first moment that decays geometrically, m·β₁ⁿ, into float32's
// subnormal range, and there it sticks: 0.9 × the smallest subnormals rounds back to themselves.
// Every pass that reads such moments is then slow on x86 CPUs that take a microcode assist for each
// subnormal operand: on an Intel Xeon (Emerald Rapids) 170 k of the 200 k first-layer moments of the
// FMNIST MLP stuck there and the whole step cost 3.5× (5.1 vs 1.45 CPU-ms at batch 64). onnxruntime's
// `set_denormal_as_zero` would avoid it but sets FTZ/DAZ for the whole thread, for good (it changes
// every float in the Node process: Number.MIN_VALUE > 0 becomes false). So the engine stores the
// first moment with a constant offset instead, m̂ = m̃ + o (o = 2⁻⁹⁰ ≈ 8e-28):
//   m̂' = β₁·m̂ + (g + o·(1 − β₁))
// whose fixed point with g = 0 is o, a normal float. The `+ o·(1 − β₁)` is free where the gradient
// comes out of a Gemm (its C input; through Add/Reshape/Transpose on the way), else one Add node.
// The update reads m̂ for m̃: off by o·step/(√ṽ + ε), under 1e-22 per step for any lr ≤ 1 — below
// float32's resolution of any weight but an exact 0 (which stays within 1e-15 of 0 over 10⁶ steps).
// The second moment needs nothing: with g = 0 it is exactly 0, and a once-nonzero ṽ takes ~80 k
// steps (β₂ⁿ) to decay from 1e-3 into the subnormals. Where the offset is folded into the Gemm, ṽ
// squares g + o(1 − β₁) instead of g: off by 2g·o(1 − β₁) ≈ 1.6e-28·g (relative to g², 1.6e-28/|g|:
// below float32's resolution for any |g| above 1e-20), and exactly 0 for g = 0 (o² underflows).

/** How one state input is stored: true value = scale · (stored − offset). */
export interface StateForm {
  readonly scale: number;
  readonly offset: number;
}

/** Per state input, how it is stored when not as is (absent: scale 1, offset 0). */
export type StateScales = ReadonlyMap<string, StateForm>;

/** The first moments' offset (see above): 2⁻⁹⁰. */
export const MOMENT_OFFSET = 2 ** -90;

/** Stored values within this fraction of the offset are the offset plus rounding noise: true value 0. */
const OFFSET_NOISE = 2 ** -12;

/**
 * `a` stored as `from`, in a new array stored as `to`. A plain loop: `Float32Array.prototype.map`
 * with a callback measured 13 – 130 ms for the main job's model's two Adam moments (1.07 M values)
 * at each epoch end of `fit`, this loop about 1 ms.
 */
export function restate(a: Float32Array, from: StateForm | undefined, to: StateForm | undefined): Float32Array {
  const fs = from?.scale ?? 1, fo = from?.offset ?? 0, ts = to?.scale ?? 1, to_ = to?.offset ?? 0;
  const f = fs / ts, noise = fo * OFFSET_NOISE;
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - fo;
    out[i] = (d <= noise && d >= -noise ? 0 : d * f) + to_;
  }
  return out;
}

/** Two forms are the same. */
export const sameForm = (a: StateForm | undefined, b: StateForm | undefined): boolean =>
  (a?.scale ?? 1) === (b?.scale ?? 1) && (a?.offset ?? 0) === (b?.offset ?? 0);

const only = (ix: Index, name: string): IrNode | undefined => {
  const c = ix.consumers.get(name);
  return c && c.length === 1 ? c[0] : undefined;
};

/** `Mul(a, b)` with one operand `x`: the other operand. */
const otherOf = (n: IrNode | undefined, op: string, x: string): string | undefined =>
  n && n.op === op && n.inputs.length === 2 ? (n.inputs[0] === x ? n.inputs[1] : n.inputs[1] === x ? n.inputs[0] : undefined) : undefined;

/**
 * Rewrite every Adam moment pair of a lowered training step to carry scaled moments, the first one
 * offset (see above). `moments`: the state inputs `[m, v]` of each Adam-updated parameter (their
 * outputs are `m:new`, `v:new`). A pair whose nodes do not have exactly the expected form is left as
 * it is. Returns the forms of the rewritten inputs.
 */
export function scaleAdamMoments(g: IrGraph, moments: ReadonlyArray<readonly [string, string]>): StateScales {
  const scales = new Map<string, StateForm>();
  const dead = new Set<IrNode>();
  const scalar = (name: string): boolean => {
    const v = constValues(g, name);
    if (v) return v.length === 1;
    const inp = g.inputs.find((i) => i.name === name);
    return !!inp && inp.dims.length === 0 && inp.dtype === 'float32';
  };
  const constOf = (name: string): number | undefined => {
    const v = constValues(g, name);
    return v && v.length === 1 ? v[0] : undefined;
  };
  /** A scalar operand times `k`: a folded constant, or a scalar Mul node in front of its reader. */
  const scaled = (name: string, k: number, before: IrNode): string => {
    const c = constOf(name);
    if (c !== undefined) return g.scalar('float32', c * k);
    const out = g.fresh(`${name.replace(/[^A-Za-z0-9_]/g, '_')}_x`);
    g.nodes.splice(g.nodes.indexOf(before), 0, { op: 'Mul', inputs: [name, g.scalar('float32', k)], outputs: [out], attrs: {} });
    return out;
  };
  /** The product of two scalar operands (folded when both are constants). */
  const times = (a: string, b: string, before: IrNode): string => {
    const ca = constOf(a), cb = constOf(b);
    if (ca !== undefined && cb !== undefined) return g.scalar('float32', ca * cb);
    if (cb !== undefined) return scaled(a, cb, before);
    if (ca !== undefined) return scaled(b, ca, before);
    const out = g.fresh('adam_step');
    g.nodes.splice(g.nodes.indexOf(before), 0, { op: 'Mul', inputs: [a, b], outputs: [out], attrs: {} });
    return out;
  };
  const outputs = new Set(g.outputs.map((o) => o.name));
  /** `Add(name, d)` in front of `before`. */
  const addScalar = (name: string, d: number, before: IrNode): string => {
    const out = g.fresh('adam_g_off');
    g.nodes.splice(g.nodes.indexOf(before), 0, { op: 'Add', inputs: [name, g.scalar('float32', d)], outputs: [out], attrs: {} });
    return out;
  };
  /**
   * Add the scalar `d` to every element of `name` inside its producer, where that is free: a Gemm's
   * C input (C = d/β), reached through ops that a scalar addition commutes with (Reshape, Transpose,
   * …) or one addend of an Add. Every value on the way must have a single reader (the next op on the
   * way). Returns false (and changes nothing) where no such producer is found.
   */
  const foldScalar = (ix: Index, name: string, d: number, depth = 0): boolean => {
    const p = ix.producer.get(name);
    if (!p || depth > 8) return false;
    if (depth > 0 && (outputs.has(name) || (ix.consumers.get(name) ?? []).length !== 1)) return false;
    switch (p.op) {
      case 'Gemm': {
        const beta = p.attrs.beta?.kind === 'float' ? p.attrs.beta.v : 1;
        if (p.inputs.length !== 2 || !(beta > 0)) return false;
        p.inputs = [...p.inputs, g.scalar('float32', d / beta)];
        return true;
      }
      case 'Reshape': case 'Transpose': case 'Identity': case 'Squeeze': case 'Unsqueeze': case 'Flatten':
        return foldScalar(ix, p.inputs[0]!, d, depth + 1);
      case 'Add':
        return p.inputs[0] !== p.inputs[1] && (foldScalar(ix, p.inputs[0]!, d, depth + 1) || foldScalar(ix, p.inputs[1]!, d, depth + 1));
      case 'Sub':
        return p.inputs[0] !== p.inputs[1] && foldScalar(ix, p.inputs[0]!, d, depth + 1);
      default:
        return false;
    }
  };
  for (const [m, v] of moments) {
    const ix = index(g);
    const prod = (name: string) => ix.producer.get(name);
    // m' = Add(Mul(m, β₁), Mul(g, c₁))
    const addM = prod(`${m}:new`), addV = prod(`${v}:new`);
    if (!addM || addM.op !== 'Add' || !addV || addV.op !== 'Add') continue;
    const [mA, mB] = addM.inputs.map(prod);
    const [vA, vB] = addV.inputs.map(prod);
    if (mA?.op !== 'Mul' || mB?.op !== 'Mul' || vA?.op !== 'Mul' || vB?.op !== 'Mul') continue;
    const b1 = otherOf(mA, 'Mul', m), b2 = otherOf(vA, 'Mul', v);
    const grad = mB.inputs[0]!, c1n = mB.inputs[1]!;
    const sq = prod(vB.inputs[0]!), c2n = vB.inputs[1]!;
    const c1 = constOf(c1n), c2 = constOf(c2n);
    if (!b1 || !b2 || constOf(b1) === undefined || constOf(b2) === undefined || c1 === undefined || c2 === undefined || !(c1 > 0) || !(c2 > 0)) continue;
    if (!sq || sq.op !== 'Mul' || sq.inputs[0] !== grad || sq.inputs[1] !== grad) continue;
    // Every value whose meaning changes (the moments in and out, the denominators) has no other reader.
    if (only(ix, m) !== mA || only(ix, v) !== vA) continue;
    if (only(ix, mA.outputs[0]!) !== addM || only(ix, mB.outputs[0]!) !== addM || only(ix, vA.outputs[0]!) !== addV || only(ix, vB.outputs[0]!) !== addV || only(ix, sq.outputs[0]!) !== vB) continue;
    // The update: the sole reader of √v' and of m' (besides the graph outputs).
    const readers = (name: string) => (ix.consumers.get(name) ?? []);
    const [sqrt] = readers(`${v}:new`), [mUse] = readers(`${m}:new`);
    if (readers(`${v}:new`).length !== 1 || readers(`${m}:new`).length !== 1 || sqrt?.op !== 'Sqrt' || !mUse) continue;
    const k = Math.sqrt(c2);
    let apply: (() => void) | undefined;
    const afterSqrt = only(ix, sqrt.outputs[0]!);
    if (afterSqrt?.op === 'Div' && afterSqrt.inputs[0] === sqrt.outputs[0] && mUse.op === 'Div' && mUse.inputs[0] === `${m}:new`) {
      // PyTorch form: Mul(Div(m', Add(Div(√v', s₂), ε)), s₁) → Div(Mul(m̃', s₁s₂c₁/√c₂), Add(√ṽ', ε·s₂/√c₂)):
      // the keras form's 5 passes instead of 6.
      const s2 = afterSqrt.inputs[1]!, addEps = only(ix, afterSqrt.outputs[0]!), eps = otherOf(addEps, 'Add', afterSqrt.outputs[0]!);
      const mulS1 = only(ix, mUse.outputs[0]!), s1 = otherOf(mulS1, 'Mul', mUse.outputs[0]!);
      if (!scalar(s2) || !s1 || !scalar(s1) || !eps || constOf(eps) === undefined || mUse.inputs[1] !== addEps!.outputs[0] || only(ix, addEps!.outputs[0]!) !== mUse) continue;
      apply = () => {
        afterSqrt.op = 'Add';
        afterSqrt.inputs = [sqrt.outputs[0]!, scaled(s2, constOf(eps)! / k, afterSqrt)];
        const step = scaled(times(s1, s2, mUse), c1 / k, mUse), num = g.fresh('adam_num');
        g.nodes.splice(g.nodes.indexOf(mUse), 0, { op: 'Mul', inputs: [`${m}:new`, step], outputs: [num], attrs: {} });
        mUse.inputs = [num, afterSqrt.outputs[0]!];
        for (const n of ix.consumers.get(mulS1!.outputs[0]!) ?? []) n.inputs = n.inputs.map((x) => (x === mulS1!.outputs[0] ? mUse.outputs[0]! : x));
        dead.add(addEps!).add(mulS1!);
      };
    } else if (mUse.op === 'Mul') {
      // Keras form: Div(Mul(m', α), Add(√v', ε))
      const alpha = otherOf(mUse, 'Mul', `${m}:new`), addEps = afterSqrt, eps = otherOf(addEps, 'Add', sqrt.outputs[0]!);
      const div = only(ix, mUse.outputs[0]!);
      if (!alpha || !scalar(alpha) || !eps || constOf(eps) === undefined || addEps?.op !== 'Add' || div?.op !== 'Div' || div.inputs[0] !== mUse.outputs[0] || div.inputs[1] !== addEps.outputs[0] || only(ix, addEps.outputs[0]!) !== div) continue;
      apply = () => {
        addEps.inputs = addEps.inputs.map((x) => (x === eps ? g.scalar('float32', constOf(eps)! / k) : x));
        mUse.inputs = mUse.inputs.map((x) => (x === alpha ? scaled(alpha, c1 / k, mUse) : x));
      };
    }
    if (!apply) continue;
    apply();
    // m̂' = β₁·m̂ + (g + o·(1 − β₁)): folded into the gradient's producer when only these two updates read the gradient.
    const d = MOMENT_OFFSET * (1 - constOf(b1)!);
    const gradReaders = readers(grad);
    const own = !outputs.has(grad) && gradReaders.every((n) => n === mB || n === sq);
    addM.inputs = [mA.outputs[0]!, own && foldScalar(ix, grad, d) ? grad : addScalar(grad, d, addM)];
    addV.inputs = [vA.outputs[0]!, sq.outputs[0]!];
    dead.add(mB).add(vB);
    scales.set(m, { scale: c1, offset: MOMENT_OFFSET }).set(v, { scale: c2, offset: 0 });
  }
  g.nodes = g.nodes.filter((n) => !dead.has(n));
  for (const name of [...g.inits.keys()]) if (!g.nodes.some((n) => n.inputs.includes(name))) g.inits.delete(name);
  return scales;
}
