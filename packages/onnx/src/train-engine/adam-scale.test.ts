import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { IrGraph } from '../export/ir';
import { serializeModel } from '../export/serialize';
import { scaleAdamMoments } from './adam-scale';

// One Adam update as core's lowering writes it (optim/adam.ts), for a [3, 4] weight:
//   m' = m·β₁ + g·(1−β₁); v' = v·β₂ + (g·g)·(1−β₂)
//   PyTorch form: w' = w − (m' / (√v' / s₂ + ε)) · s₁      Keras form: w' = w − (m'·α) / (√v' + ε)
// with s₁, s₂, α per-step scalar inputs.
const SHAPE = [3, 4];
const B1 = 0.9, B2 = 0.999, EPS = 1e-3;

function adamGraph(form: 'pytorch' | 'keras', extraReader = false): IrGraph {
  const g = new IrGraph();
  const f = (v: number) => g.scalar('float32', v);
  g.inputs = [
    ...['w', 'g', 'optim.0.expAvg', 'optim.0.expAvgSq'].map((name) => ({ name, dtype: 'float32' as const, dims: SHAPE })),
    ...['s1', 's2'].map((name) => ({ name, dtype: 'float32' as const, dims: [] })),
  ];
  const node = (op: string, inputs: string[], out?: string) => {
    const o = out ?? g.fresh(op.toLowerCase());
    g.nodes.push({ op, inputs, outputs: [o], attrs: {} });
    return o;
  };
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
  const t = Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, typeof v === 'number' ? new ort.Tensor('float32', Float32Array.of(v), []) : new ort.Tensor('float32', v, SHAPE)]));
  const out = await s.run(t);
  await s.release();
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data as Float32Array]));
}

const rand = (seed: number, lo: number, hi: number) => Float32Array.from({ length: 12 }, (_, i) => lo + (hi - lo) * ((Math.sin(seed * 97 + i * 13.7) + 1) / 2));

describe('scaleAdamMoments: Adam with moments carried as m/(1−β₁), v/(1−β₂)', () => {
  for (const form of ['pytorch', 'keras'] as const) {
    it(`${form} form: fewer passes, the same update (float32 rounding), moments scaled by the returned factors`, async () => {
      const before = adamGraph(form);
      const after = adamGraph(form);
      const scales = scaleAdamMoments(after, [['optim.0.expAvg', 'optim.0.expAvgSq']]);
      expect([...scales]).toEqual([['optim.0.expAvg', Math.fround(1 - B1)], ['optim.0.expAvgSq', Math.fround(1 - B2)]]);
      // Passes over the weight-sized tensors: 13 → 10 (PyTorch form), 12 → 10 (Keras form); the rest are scalar nodes.
      const big = (g: IrGraph) => g.nodes.filter((n) => !n.outputs.some((o) => /_x_|adam_step/.test(o))).length;
      expect(big(after)).toBe(10);
      expect(before.nodes.length).toBe(form === 'pytorch' ? 13 : 12);
      const w = rand(1, -1, 1), grad = rand(2, -0.5, 0.5), m = rand(3, -0.1, 0.1), v = rand(4, 1e-4, 1e-2);
      const s = { s1: 0.0123, s2: 0.0547 };
      const want = await run(before, { w, g: grad, 'optim.0.expAvg': m, 'optim.0.expAvgSq': v, ...s });
      const got = await run(after, { w, g: grad, 'optim.0.expAvg': m.map((x) => x / scales.get('optim.0.expAvg')!), 'optim.0.expAvgSq': v.map((x) => x / scales.get('optim.0.expAvgSq')!), ...s });
      // float32 rounding of differently ordered products (the scaled inputs are rounded too): 1e-5
      // relative; a wrong factor is off by 10× (β₁) or 1000× (β₂), a wrong step size by its own ratio.
      const close = (a: Float32Array, b: Float32Array, f = 1) => a.forEach((x, i) => expect(Math.abs(x * f - b[i]!)).toBeLessThanOrEqual(1e-5 * Math.max(1e-6, Math.abs(b[i]!))));
      close(got['w:new']!, want['w:new']!);
      close(got['optim.0.expAvg:new']!, want['optim.0.expAvg:new']!, scales.get('optim.0.expAvg')!);
      close(got['optim.0.expAvgSq:new']!, want['optim.0.expAvgSq:new']!, scales.get('optim.0.expAvgSq')!);
      // The update moved the weight by far more than the tolerance: the check is not vacuous.
      expect(Math.max(...Array.from(w, (x, i) => Math.abs(x - want['w:new']![i]!)))).toBeGreaterThan(1e-3);
    });
  }

  it('leaves a pair alone when another node reads a moment (its meaning would change)', () => {
    const g = adamGraph('pytorch', true);
    const n = g.nodes.length;
    expect(scaleAdamMoments(g, [['optim.0.expAvg', 'optim.0.expAvgSq']]).size).toBe(0);
    expect(g.nodes.length).toBe(n);
  });
});
