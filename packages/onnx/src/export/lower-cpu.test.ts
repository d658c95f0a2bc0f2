import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { fromBinary } from '@bufbuild/protobuf';
import { manualSeed, nn, optim, randint, randn, type Tensor } from '@nn/core';
import { IrGraph } from './ir';
import { batchSumsAsMatMul, transposeGemmA } from './lower-cpu';
import { serializeModel } from './serialize';
import { ModelProtoSchema } from '../gen/onnx_pb';
import { tmp } from '../test-helpers';
import { compileTrainStep } from '../train-engine/compile';

const run = async (bytes: Uint8Array, feeds: Record<string, ort.Tensor>): Promise<Record<string, Float32Array>> => {
  const s = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], graphOptimizationLevel: 'all' });
  const out = await s.run(feeds);
  await s.release();
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data as Float32Array]));
};
const rand = (n: number) => {
  manualSeed(n);
  return Float32Array.from(randn([n]).dataSync() as ArrayLike<number>);
};
// Sums of ≤ 64 products of N(0, 1) values in another order: float32 rounding, well under 1e-5 relative to the largest.
const close = (a: Float32Array, b: Float32Array) => {
  expect(a.length).toBe(b.length);
  const scale = Math.max(1, ...Array.from(a, Math.abs));
  a.forEach((v, i) => expect(Math.abs(v - b[i]!)).toBeLessThanOrEqual(1e-5 * scale));
};

describe('lowerForCpu: batch sums as MatMul', () => {
  const build = (keepdims: number, axes: number[], dims: number[], lower: boolean) => {
    const g = new IrGraph();
    g.inputs = [{ name: 'x', dtype: 'float32', dims }];
    g.nodes.push({ op: 'ReduceSum', inputs: ['x', g.i64(axes)], outputs: ['y'], attrs: { keepdims: { kind: 'int', v: keepdims } } });
    const out = dims.map((d, i) => (axes.includes(i) || axes.includes(i - dims.length) ? 1 : d)).filter((d, i) => keepdims || !(axes.includes(i) || axes.includes(i - dims.length)));
    g.outputs = [{ name: 'y', dtype: 'float32', dims: out }];
    const count = lower ? batchSumsAsMatMul(g) : 0;
    return { bytes: serializeModel(g, { opset: 17, producerName: 'nn', producerVersion: '0', graphName: 'g' }), count, ops: g.nodes.map((n) => n.op) };
  };

  it('rewrites ReduceSum over axis 0 of a [b, n] tensor (keepdims 1 and 0) and gives the same sums', async () => {
    const x = new ort.Tensor('float32', rand(64 * 9), [64, 9]);
    for (const keep of [1, 0]) {
      for (const axes of [[0], [-2]]) {
        const lowered = build(keep, axes, [64, 9], true);
        expect(lowered.count).toBe(1);
        expect(lowered.ops).toEqual(['MatMul']);
        const [a, b] = [await run(build(keep, axes, [64, 9], false).bytes, { x }), await run(lowered.bytes, { x })];
        expect(b.y!.length).toBe(9);
        close(a.y!, b.y!);
      }
    }
  });

  it('leaves other reductions alone: axis 1, rank 3, a batch of one', () => {
    expect(build(1, [1], [64, 9], true).count).toBe(0);
    expect(build(1, [0], [4, 3, 2], true).count).toBe(0);
    expect(build(1, [0], [1, 9], true).count).toBe(0);
  });
});

describe('lowerForCpu: a transposed Gemm operand', () => {
  const build = (lower: boolean, withC: boolean) => {
    const g = new IrGraph();
    g.inputs = [
      { name: 'dy', dtype: 'float32', dims: [32, 6] },
      { name: 'x', dtype: 'float32', dims: [32, 5] },
      ...(withC ? [{ name: 'm', dtype: 'float32' as const, dims: [6, 5] }] : []),
    ];
    g.nodes.push({ op: 'Gemm', inputs: ['dy', 'x', ...(withC ? ['m'] : [])], outputs: ['y'], attrs: { transA: { kind: 'int', v: 1 }, alpha: { kind: 'float', v: 0.5 }, ...(withC ? { beta: { kind: 'float', v: 0.9 } } : {}) } });
    g.outputs = [{ name: 'y', dtype: 'float32', dims: [6, 5] }];
    const count = lower ? transposeGemmA(g) : 0;
    const gemm = g.nodes.find((n) => n.op === 'Gemm')!;
    return { bytes: serializeModel(g, { opset: 17, producerName: 'nn', producerVersion: '0', graphName: 'g' }), count, ops: g.nodes.map((n) => n.op), gemm };
  };

  it('transposes dy once (Reshape → Transpose → Reshape) and keeps alpha, beta and C', async () => {
    const feeds = { dy: new ort.Tensor('float32', rand(32 * 6), [32, 6]), x: new ort.Tensor('float32', rand(32 * 5), [32, 5]), m: new ort.Tensor('float32', rand(30), [6, 5]) };
    for (const withC of [false, true]) {
      const lowered = build(true, withC);
      expect(lowered.count).toBe(1);
      expect(lowered.ops).toEqual(['Reshape', 'Transpose', 'Reshape', 'Gemm']);
      expect(lowered.gemm.attrs.transA).toBeUndefined();
      expect(lowered.gemm.attrs.alpha).toEqual({ kind: 'float', v: 0.5 });
      const f = withC ? feeds : { dy: feeds.dy, x: feeds.x };
      close((await run(build(false, withC).bytes, f)).y!, (await run(lowered.bytes, f)).y!);
    }
  });
});

describe('lowerForCpu in a compiled step', () => {
  it("a CPU step (target 'cpu', the default on CPU) uses both rewrites and trains as 'default' does (loss rel ≤ 1e-5 over 5 steps)", async () => {
    const make = () => {
      manualSeed(4);
      return new nn.Sequential(new nn.Linear(12, 16), new nn.ReLU(), new nn.Linear(16, 3));
    };
    const loss = (y: Tensor, p: Tensor) => nn.functional.crossEntropy(p, y);
    manualSeed(9);
    const xd = Float32Array.from(randn([5 * 24, 12]).dataSync() as ArrayLike<number>), yd = randint(0, 3, [5 * 24]).dataSync() as Int32Array;
    const losses: number[][] = [], graphs: string[][] = [];
    for (const target of [undefined, 'default'] as const) {
      const m = make();
      const dir = tmp();
      process.env.NN_ORT_DUMP = dir;
      try {
        const e = await compileTrainStep(m, { optimizer: new optim.Adam(m.parameters(), { lr: 1e-2 }), loss, inputShape: [12], device: 'cpu', threads: 1, ...(target ? { target } : {}) });
        const ls: number[] = [];
        for (let i = 0; i < 5; i++) ls.push(await e.step(xd.subarray(i * 24 * 12, (i + 1) * 24 * 12), yd.subarray(i * 24, (i + 1) * 24)));
        expect(e.counts).toEqual({ ort: 4, eager: 1 });
        await e.dispose();
        losses.push(ls);
        graphs.push(fromBinary(ModelProtoSchema, readFileSync(join(dir, 'train-step-b24.onnx'))).graph!.node.map((n) => `${n.opType}${n.attribute.some((a) => a.name === 'transA' && a.i === 1n) ? '(transA)' : ''}`));
      } finally {
        delete process.env.NN_ORT_DUMP;
      }
    }
    // CPU: the two bias sums of the backward pass are MatMuls, and no Gemm transposes its first operand.
    expect(graphs[0]!.filter((o) => o === 'MatMul')).toHaveLength(2);
    expect(graphs[0]!.filter((o) => o === 'Gemm(transA)')).toHaveLength(0);
    expect(graphs[1]!.filter((o) => o === 'Gemm(transA)')).toHaveLength(2);
    // Step 1 runs eagerly (Adam's state is created by it); steps 2–5 run the two graphs.
    losses[0]!.forEach((l, i) => expect(Math.abs(l - losses[1]![i]!)).toBeLessThanOrEqual(1e-5 * Math.abs(losses[1]![i]!)));
  });
});
