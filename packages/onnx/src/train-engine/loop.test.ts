import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromBinary } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { manualSeed, nn, optim, randint, randn, scope, type Tensor } from '@nn/core';
import { onnxCheck, tmp } from '../test-helpers';
import { compileTrainStep } from './compile';
import { ModelProtoSchema } from '../gen/onnx_pb';

const D = 10, C = 4, B = 6, K = 4;
const make = () => {
  manualSeed(8);
  return new nn.Sequential(new nn.Linear(D, 12, { bias: false }), new nn.BatchNorm1d(12), new nn.ReLU(), new nn.Dropout(0.3, { seed: 2 }), new nn.Linear(12, C));
};
const loss = (y: Tensor, p: Tensor) => nn.functional.crossEntropy(p, y);

describe('K steps per onnxruntime call (ONNX Scan)', () => {
  it('gives the same losses, weights and dropout draws as K single steps (Adam, batch norm, dropout)', async () => {
    manualSeed(40);
    const n = 1 + 2 * K;
    const xs = randn([n * B, D]), ys = randint(0, C, [n * B]);
    const xd = xs.dataSync() as Float64Array, yd = ys.dataSync() as Int32Array;
    const m1 = make();
    const o1 = new optim.Adam(m1.parameters(), { lr: 0.02 });
    const want = Array.from({ length: n }, (_, i) =>
      scope(() => {
        const l = loss(ys.slice([i * B], [B]), m1(xs.slice([i * B, 0], [B, D])) as Tensor);
        o1.zeroGrad();
        l.backward();
        o1.step();
        return l.item();
      }),
    );
    const m2 = make();
    const e = await compileTrainStep(m2, { optimizer: new optim.Adam(m2.parameters(), { lr: 0.02 }), loss, inputShape: [D], device: 'cpu' });
    const got = [await e.step(Float32Array.from(xd.subarray(0, B * D)), yd.subarray(0, B))];
    for (let c = 0; c < 2; c++) {
      const s = 1 + c * K;
      got.push(...(await e.steps(Float32Array.from(xd.subarray(s * B * D, (s + K) * B * D)), yd.subarray(s * B, (s + K) * B), K)));
    }
    e.sync();
    expect(e.counts).toEqual({ ort: 2 * K, eager: 1 });
    // float32 graph vs float64 eager, 9 steps: 1e-5 relative (see parity.test.ts).
    got.forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(want[i]!))));
    const gen = (m: ReturnType<typeof make>) => ([...m.modules()].find((x) => x instanceof nn.Dropout) as unknown as { generator: { getState(): number[] } }).generator.getState();
    expect(gen(m2)).toEqual(gen(m1));
    const w = (m: ReturnType<typeof make>) => [...m.namedParameters(), ...m.namedBuffers()].map(([, t]) => Array.from(t.dataSync(), Number));
    const [a, b] = [w(m1), w(m2)];
    a.forEach((arr, i) => expect(Math.max(...arr.map((v, j) => Math.abs(v - b[i]![j]!)))).toBeLessThanOrEqual(1e-5));
    await e.dispose();
  });

  it('writes a Scan graph that passes the ONNX checker (one Scan node, no per-step Gather in its body)', async () => {
    const m = make();
    const dir = tmp();
    process.env.NN_ORT_DUMP = dir;
    try {
      const e = await compileTrainStep(m, { optimizer: new optim.SGD(m.parameters(), { lr: 0.1, momentum: 0.9 }), loss, inputShape: [D], device: 'cpu' });
      manualSeed(41);
      await e.step(randn([B, D]), randint(0, C, [B]));
      await e.steps(randn([3 * B, D]), randint(0, C, [3 * B]), 3);
      await e.dispose();
    } finally {
      delete process.env.NN_ORT_DUMP;
    }
    const files = [join(dir, `train-step-b${B}.onnx`), join(dir, 'train-steps-k3.onnx')];
    expect(onnxCheck(files)).toEqual([]);
    // Scan hands the body views of the stacked inputs: no Gather copying each step's batch.
    const g = fromBinary(ModelProtoSchema, readFileSync(files[1]!)).graph!;
    expect(g.node.map((n) => n.opType)).toEqual(['Scan']);
    const body = g.node[0]!.attribute.find((a) => a.name === 'body')!.g!;
    expect(body.node.filter((n) => n.opType === 'Gather' && n.input.some((i) => i.startsWith('K.')))).toEqual([]);
  });
});
