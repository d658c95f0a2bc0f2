import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { fromBinary } from '@bufbuild/protobuf';
import { manualSeed, nn, optim, randint, randn, type Tensor } from '@nn/core';
import { IrGraph } from '../export/ir';
import { lowerLogSoftmax } from '../export/lower-webgpu';
import { serializeModel } from '../export/serialize';
import { ModelProtoSchema } from '../gen/onnx_pb';
import { onnxCheck, tmp } from '../test-helpers';
import { compileTrainStep, type CompileTrainStepOptions } from './compile';
import { buildReadbackGraph, readbackNames } from './device-state';

const D = 10, C = 4, B = 6, K = 4;
const make = () => {
  manualSeed(8);
  return new nn.Sequential(new nn.Linear(D, 12, { bias: false }), new nn.BatchNorm1d(12), new nn.ReLU(), new nn.Dropout(0.3, { seed: 2 }), new nn.Linear(12, C));
};
const loss = (y: Tensor, p: Tensor) => nn.functional.crossEntropy(p, y);
const relDiff = (a: number, b: number) => Math.abs(a - b) / Math.max(1, Math.abs(b));

/** 1 eager step, then 2 calls of K steps (or 2K single steps); returns the losses, the weights and the engine's diagnostics. */
async function train(opts: Partial<CompileTrainStepOptions>, perCall: number) {
  manualSeed(40);
  const n = 1 + 2 * K;
  const xs = randn([n * B, D]), ys = randint(0, C, [n * B]);
  const xd = Float32Array.from(xs.dataSync() as Float64Array), yd = ys.dataSync() as Int32Array;
  const m = make();
  const dir = tmp();
  process.env.NN_ORT_DUMP = dir;
  try {
    const e = await compileTrainStep(m, { optimizer: new optim.Adam(m.parameters(), { lr: 0.02 }), loss, inputShape: [D], device: 'cpu', ...opts });
    const got = [await e.step(xd.subarray(0, B * D), yd.subarray(0, B))];
    for (let s = 1; s < n; s += perCall) got.push(...(await e.steps(xd.subarray(s * B * D, (s + perCall) * B * D), yd.subarray(s * B, (s + perCall) * B), perCall)));
    await e.dispose();
    const weights = [...m.namedParameters(), ...m.namedBuffers()].map(([, t]) => Array.from(t.dataSync(), Number));
    return { got, weights, counts: e.counts, dir };
  } finally {
    delete process.env.NN_ORT_DUMP;
  }
}

const ops = (file: string) => fromBinary(ModelProtoSchema, readFileSync(file)).graph!.node.map((n) => n.opType);

describe('K steps unrolled into one graph (no ONNX Scan: for webgpu)', () => {
  it('gives the same losses and weights as K single steps and as the Scan graph', async () => {
    const single = await train({}, 1);
    const loop = await train({ multiStep: 'loop' }, K);
    const unrolled = await train({ multiStep: 'unroll' }, K);
    expect(unrolled.counts).toEqual({ ort: 2 * K, eager: 1 });
    // float32 graphs with the same kernels: 1e-5 relative, as parity.test.ts allows over 50 steps (here 9).
    for (const ref of [single, loop]) {
      unrolled.got.forEach((v, i) => expect(relDiff(v, ref.got[i]!)).toBeLessThanOrEqual(1e-5));
      unrolled.weights.forEach((w, i) => w.forEach((v, j) => expect(relDiff(v, ref.weights[i]![j]!)).toBeLessThanOrEqual(1e-5)));
    }
    const file = join(unrolled.dir, `train-steps-k${K}-unrolled.onnx`);
    expect(ops(file)).not.toContain('Scan');
    expect(ops(join(loop.dir, `train-steps-k${K}.onnx`))).toEqual(['Scan']);
    expect(onnxCheck([file])).toEqual([]);
  });

  it("target 'webgpu' writes no LogSoftmax and trains to the same losses (CPU, unrolled, as webgpu runs it)", async () => {
    const ref = await train({}, K);
    const web = await train({ target: 'webgpu', multiStep: 'unroll' }, K);
    expect(ops(join(ref.dir, `train-step-b${B}.onnx`))).toContain('LogSoftmax');
    const step = ops(join(web.dir, `train-step-b${B}.onnx`));
    expect(step).not.toContain('LogSoftmax');
    expect(step).toEqual(expect.arrayContaining(['ReduceMax', 'Exp', 'ReduceSum', 'Log']));
    web.got.forEach((v, i) => expect(relDiff(v, ref.got[i]!)).toBeLessThanOrEqual(1e-5));
    web.weights.forEach((w, i) => w.forEach((v, j) => expect(relDiff(v, ref.weights[i]![j]!)).toBeLessThanOrEqual(1e-5)));
    expect(onnxCheck([join(web.dir, `train-steps-k${K}-unrolled.onnx`)])).toEqual([]);
  });
});

describe('lowerLogSoftmax', () => {
  it('matches onnxruntime LogSoftmax on large, small and equal logits (axis -1 and 0, opsets 17 and 18)', async () => {
    manualSeed(5);
    const x = Float32Array.from(randn([5, 7]).dataSync() as Float64Array, (v, i) => (i < 7 ? v * 80 : i < 14 ? 0 : v));
    for (const opset of [17, 18]) {
      for (const axis of [-1, 0]) {
        const build = (lower: boolean) => {
          const g = new IrGraph();
          g.opset = opset;
          g.inputs = [{ name: 'x', dtype: 'float32', dims: [5, 7] }];
          g.shapes.set('x', [5, 7]);
          g.nodes.push({ op: 'LogSoftmax', inputs: ['x'], outputs: ['y'], attrs: { axis: { kind: 'int', v: axis } } });
          g.outputs = [{ name: 'y', dtype: 'float32', dims: [5, 7] }];
          if (lower) expect(lowerLogSoftmax(g)).toBe(1);
          return serializeModel(g, { opset, producerName: 'nn', producerVersion: '0', graphName: 'g' });
        };
        const run = async (bytes: Uint8Array) => {
          const s = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'] });
          const y = (await s.run({ x: new ort.Tensor('float32', x, [5, 7]) })).y!.data as Float32Array;
          await s.release();
          return y;
        };
        const [a, b] = [await run(build(false)), await run(build(true))];
        // Same stable formula as onnxruntime's kernel: float32 rounding of values up to ~160 in magnitude.
        a.forEach((v, i) => expect(Math.abs(v - b[i]!)).toBeLessThanOrEqual(2e-6 * Math.max(1, Math.abs(v))));
      }
    }
  });
});

describe('GPU-resident state: the CPU path is untouched', () => {
  it('flush() is a no-op on CPU and sync() works as before', async () => {
    const m = make();
    const e = await compileTrainStep(m, { optimizer: new optim.SGD(m.parameters(), { lr: 0.1 }), loss, inputShape: [D], device: 'cpu', stateOnDevice: true });
    manualSeed(3);
    await e.step(randn([B, D]), randint(0, C, [B]));
    await e.steps(randn([2 * B, D]), randint(0, C, [2 * B]), 2);
    await e.flush();
    e.sync();
    expect(e.device).toBe('cpu');
    expect(e.counts).toEqual({ ort: 2, eager: 1 });
    await e.dispose();
  });

  it('the read-back graph (Identity per state tensor) returns its inputs', async () => {
    const specs = [{ name: 'fc.weight', dtype: 'float32', shape: [2, 3] }, { name: 'optim.0.expAvg', dtype: 'float32', shape: [4] }];
    const s = await ort.InferenceSession.create(buildReadbackGraph(specs), { executionProviders: ['cpu'] });
    const a = Float32Array.from([1, 2, 3, 4, 5, 6]), b = Float32Array.from([7, 8, 9, 10]);
    const out = await s.run({ [readbackNames('fc.weight').input]: new ort.Tensor('float32', a, [2, 3]), [readbackNames('optim.0.expAvg').input]: new ort.Tensor('float32', b, [4]) });
    expect(Array.from(out[readbackNames('fc.weight').output]!.data as Float32Array)).toEqual(Array.from(a));
    expect(Array.from(out[readbackNames('optim.0.expAvg').output]!.data as Float32Array)).toEqual(Array.from(b));
    await s.release();
  });
});

describe("exportOnnx({ target: 'webgpu' })", () => {
  it('writes no LogSoftmax and gives the same outputs', async () => {
    const { toOnnxBytes } = await import('../export/export');
    manualSeed(6);
    const net = new nn.Sequential(new nn.Linear(5, 4), new nn.LogSoftmax(-1));
    const plain = toOnnxBytes(net, { inputs: { x: [null, 5] }, outputs: ['y'] });
    const web = toOnnxBytes(net, { inputs: { x: [null, 5] }, outputs: ['y'], target: 'webgpu' });
    const opsOf = (b: Uint8Array) => fromBinary(ModelProtoSchema, b).graph!.node.map((n) => n.opType);
    expect(opsOf(plain)).toContain('LogSoftmax');
    expect(opsOf(web)).not.toContain('LogSoftmax');
    const x = Float32Array.from(randn([3, 5]).dataSync() as Float64Array, (v) => v * 30);
    const run = async (b: Uint8Array) => {
      const s = await ort.InferenceSession.create(b, { executionProviders: ['cpu'] });
      const y = (await s.run({ x: new ort.Tensor('float32', x, [3, 5]) })).y!.data as Float32Array;
      await s.release();
      return y;
    };
    const [a, c] = [await run(plain), await run(web)];
    a.forEach((v, i) => expect(Math.abs(v - c[i]!)).toBeLessThanOrEqual(2e-6 * Math.max(1, Math.abs(v))));
  });
});
