import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { IrGraph } from '../export/ir';
import { serializeModel } from '../export/serialize';
import { MOMENT_OFFSET, restate, scaleAdamMoments } from './adam-scale';

// One Adam update as core's lowering writes it (optim/adam.ts), for a [3, 4] weight:
//   m' = m·β₁ + g·(1−β₁); v' = v·β₂ + (g·g)·(1−β₂)
//   PyTorch form: w' = w − (m' / (√v' / s₂ + ε)) · s₁      Keras form: w' = w − (m'·α) / (√v' + ε)
// with s₁, s₂, α per-step scalar inputs.
const SHAPE = [3, 4];
const B1 = 0.9, B2 = 0.999, EPS = 1e-3;

// gradFrom 'gemm': the gradient is Gemm(a, b) of two inputs a [3, 5], b [5, 4] (as a Dense weight's is).
function adamGraph(form: 'pytorch' | 'keras', extraReader = false, gradFrom: 'input' | 'gemm' = 'input'): IrGraph {
  const g = new IrGraph();
  const f = (v: number) => g.scalar('float32', v);
  g.inputs = [
    ...['w', 'optim.0.expAvg', 'optim.0.expAvgSq'].map((name) => ({ name, dtype: 'float32' as const, dims: SHAPE })),
    ...(gradFrom === 'input' ? [{ name: 'g', dtype: 'float32' as const, dims: SHAPE }] : [{ name: 'a', dtype: 'float32' as const, dims: [3, 5] }, { name: 'b', dtype: 'float32' as const, dims: [5, 4] }]),
    ...['s1', 's2'].map((name) => ({ name, dtype: 'float32' as const, dims: [] })),
  ];
  const node = (op: string, inputs: string[], out?: string) => {
    const o = out ?? g.fresh(op.toLowerCase());
    g.nodes.push({ op, inputs, outputs: [o], attrs: {} });
    return o;
  };
  if (gradFrom === 'gemm') node('Gemm', ['a', 'b'], 'g');
  node('Add', [node('Mul', ['optim.0.expAvg', f(B1)]), node('Mul', ['g', f(1 - B1)])], 'optim.0.expAvg:new');
  node('Add', [node('Mul', ['optim.0.expAvgSq', f(B2)]), node('Mul', [node('Mul', ['g', 'g']), f(1 - B2)])], 'optim.0.expAvgSq:new');
  const sq = node('Sqrt', ['optim.0.expAvgSq:new']);
  const step = form === 'pytorch'
    ? node('Mul', [node('Div', ['optim.0.expAvg:new', node('Add', [node('Div', [sq, 's2']), f(EPS)])]), 's1'])
    : node('Div', [node('Mul', ['optim.0.expAvg:new', 's1']), node('Add', [sq, f(EPS)])]);
  node('Sub', ['w', step], 'w:new');
  const outs = ['w:new', 'optim.0.expAvg:new', 'optim.0.expAvgSq:new'];
  if (extraReader) outs.push(node('Neg', ['optim.0.expAvg'], 'peek'));
  g.outputs = outs.map((name) => ({ name, dtype: 'float32' as const, dims: SHAPE }));
  return g;
}

async function run(g: IrGraph, feeds: Record<string, Float32Array | number>): Promise<Record<string, Float32Array>> {
  const s = await ort.InferenceSession.create(serializeModel(g, { opset: 17, producerName: 'test', producerVersion: '0', graphName: 'adam' }));
  const dims = (k: string) => (k === 'a' ? [3, 5] : k === 'b' ? [5, 4] : SHAPE);
  const t = Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, typeof v === 'number' ? new ort.Tensor('float32', Float32Array.of(v), []) : new ort.Tensor('float32', v, dims(k))]));
  const out = await s.run(t);
  await s.release();
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data as Float32Array]));
}

const rand = (seed: number, lo: number, hi: number) => Float32Array.from({ length: 12 }, (_, i) => lo + (hi - lo) * ((Math.sin(seed * 97 + i * 13.7) + 1) / 2));

const M = 'optim.0.expAvg', V = 'optim.0.expAvgSq';
const subnormal = (x: number) => x !== 0 && Math.abs(x) < 2 ** -126;

describe('scaleAdamMoments: Adam with moments carried as m/(1−β₁) + o, v/(1−β₂)', () => {
  for (const form of ['pytorch', 'keras'] as const) {
    it(`${form} form: fewer passes, the same update (float32 rounding), moments stored in the returned forms`, async () => {
      const before = adamGraph(form);
      const after = adamGraph(form);
      const scales = scaleAdamMoments(after, [[M, V]]);
      expect([...scales]).toEqual([[M, { scale: Math.fround(1 - B1), offset: MOMENT_OFFSET }], [V, { scale: Math.fround(1 - B2), offset: 0 }]]);
      // Passes over the weight-sized tensors: 13 → 11 (PyTorch form), 12 → 11 (Keras form), one of
      // them the offset's Add (the gradient is a graph input here: nothing to fold it into); the rest are scalar nodes.
      const big = (g: IrGraph) => g.nodes.filter((n) => !n.outputs.some((o) => /_x_|adam_step/.test(o))).length;
      expect(big(after)).toBe(11);
      expect(after.nodes.filter((n) => n.outputs.some((o) => o.startsWith('adam_g_off'))).length).toBe(1);
      expect(before.nodes.length).toBe(form === 'pytorch' ? 13 : 12);
      const w = rand(1, -1, 1), grad = rand(2, -0.5, 0.5), m = rand(3, -0.1, 0.1), v = rand(4, 1e-4, 1e-2);
      const s = { s1: 0.0123, s2: 0.0547 };
      const want = await run(before, { w, g: grad, [M]: m, [V]: v, ...s });
      const got = await run(after, { w, g: grad, [M]: restate(m, undefined, scales.get(M)), [V]: restate(v, undefined, scales.get(V)), ...s });
      // float32 rounding of differently ordered products (the scaled inputs are rounded too): 1e-5
      // relative; a wrong factor is off by 10× (β₁) or 1000× (β₂), a wrong step size by its own ratio.
      const close = (a: Float32Array, b: Float32Array) => a.forEach((x, i) => expect(Math.abs(x - b[i]!)).toBeLessThanOrEqual(1e-5 * Math.max(1e-6, Math.abs(b[i]!))));
      close(got['w:new']!, want['w:new']!);
      close(restate(got[`${M}:new`]!, scales.get(M), undefined), want[`${M}:new`]!);
      close(restate(got[`${V}:new`]!, scales.get(V), undefined), want[`${V}:new`]!);
      // The update moved the weight by far more than the tolerance: the check is not vacuous.
      expect(Math.max(...Array.from(w, (x, i) => Math.abs(x - want['w:new']![i]!)))).toBeGreaterThan(1e-3);
    });
  }

  it("folds the offset into the gradient's Gemm (its C input): no extra pass, the same update", async () => {
    const before = adamGraph('pytorch', false, 'gemm');
    const after = adamGraph('pytorch', false, 'gemm');
    const scales = scaleAdamMoments(after, [[M, V]]);
    const gemm = after.nodes.find((n) => n.op === 'Gemm')!;
    expect(gemm.inputs).toHaveLength(3);
    expect(after.nodes.some((n) => n.outputs.some((o) => o.startsWith('adam_g_off')))).toBe(false);
    const a = Float32Array.from({ length: 15 }, (_, i) => Math.sin(i + 1)), b = Float32Array.from({ length: 20 }, (_, i) => Math.cos(i * 0.7));
    const w = rand(1, -1, 1), m = rand(3, -0.1, 0.1), v = rand(4, 1e-4, 1e-2), s = { s1: 0.0123, s2: 0.0547 };
    const want = await run(before, { w, a, b, [M]: m, [V]: v, ...s });
    const got = await run(after, { w, a, b, [M]: restate(m, undefined, scales.get(M)), [V]: restate(v, undefined, scales.get(V)), ...s });
    got['w:new']!.forEach((x, i) => expect(Math.abs(x - want['w:new']![i]!)).toBeLessThanOrEqual(1e-5 * Math.abs(want['w:new']![i]!)));
  });

  it('a moment whose gradient stays 0 settles on the offset, never in the subnormals (which the plain update sticks in)', async () => {
    // 1,200 steps of g = 0 from m = 1e-3: the plain update reaches subnormals after ~810 steps
    // (1e-3 · 0.9ⁿ < 2⁻¹²⁶) and 0.9 × the smallest ones rounds back to themselves.
    const steps = 1200;
    const zero = new Float32Array(12), s = { s1: 1e-3, s2: 1 };
    const plain = adamGraph('keras'), offset = adamGraph('keras');
    const scales = scaleAdamMoments(offset, [[M, V]]);
    const open = async (g: IrGraph) => ort.InferenceSession.create(serializeModel(g, { opset: 17, producerName: 'test', producerVersion: '0', graphName: 'adam' }));
    const [sp, so] = [await open(plain), await open(offset)];
    const feeds = (w: Float32Array<ArrayBufferLike>, m: Float32Array<ArrayBufferLike>, v: Float32Array<ArrayBufferLike>) => ({
      w: new ort.Tensor('float32', w, SHAPE), g: new ort.Tensor('float32', zero, SHAPE), [M]: new ort.Tensor('float32', m, SHAPE), [V]: new ort.Tensor('float32', v, SHAPE),
      s1: new ort.Tensor('float32', Float32Array.of(s.s1), []), s2: new ort.Tensor('float32', Float32Array.of(s.s2), []),
    });
    type State = { w: Float32Array<ArrayBufferLike>; m: Float32Array<ArrayBufferLike>; v: Float32Array<ArrayBufferLike> };
    let p: State = { w: rand(1, -1, 1), m: new Float32Array(12).fill(1e-3), v: new Float32Array(12) };
    let o: State = { w: rand(1, -1, 1), m: restate(p.m, undefined, scales.get(M)), v: new Float32Array(12) };
    for (let t = 0; t < steps; t++) {
      const a = await sp.run(feeds(p.w, p.m, p.v)), b = await so.run(feeds(o.w, o.m, o.v));
      p = { w: a['w:new']!.data as Float32Array, m: a[`${M}:new`]!.data as Float32Array, v: a[`${V}:new`]!.data as Float32Array };
      o = { w: b['w:new']!.data as Float32Array, m: b[`${M}:new`]!.data as Float32Array, v: b[`${V}:new`]!.data as Float32Array };
      expect(o.m.some(subnormal)).toBe(false);
    }
    await sp.release();
    await so.release();
    expect(p.m.every(subnormal)).toBe(true);
    // Stored: the offset (to float32 rounding); read back: exactly 0.
    o.m.forEach((x) => expect(Math.abs(x - MOMENT_OFFSET)).toBeLessThanOrEqual(MOMENT_OFFSET * 2 ** -20));
    expect([...restate(o.m, scales.get(M), undefined)]).toEqual(new Array(12).fill(0));
    // The weights moved by the same amount either way (the offset's effect, o·lr/ε ≈ 1e-21, is far below float32's resolution here).
    expect([...o.w]).toEqual([...p.w]);
  });

  it('leaves a pair alone when another node reads a moment (its meaning would change)', () => {
    const g = adamGraph('pytorch', true);
    const n = g.nodes.length;
    expect(scaleAdamMoments(g, [[M, V]]).size).toBe(0);
    expect(g.nodes.length).toBe(n);
  });
});
