import { describe, expect, it } from 'vitest';
import { randn, tensor, relu, softmax, manualSeed } from '@nn/core';
import { toOnnxBytes } from './index';
import * as ort from 'onnxruntime-node';
import { writeFileSync } from 'node:fs';

describe('smoke', () => {
  it('mlp', async () => {
    manualSeed(1);
    const w1 = randn([4, 8]), b1 = randn([8]), w2 = randn([8, 3]);
    const f = (x: any) => softmax(relu(x.matmul(w1).add(b1)).matmul(w2));
    const bytes = toOnnxBytes(f, { inputs: { x: [null, 4] }, params: [['fc1.weight', w1], ['fc1.bias', b1], ['fc2.weight', w2]] });
    writeFileSync('/tmp/onnxsmoke/mlp.onnx', bytes);
    const s = await ort.InferenceSession.create(bytes);
    const x = randn([5, 4]);
    const r = await s.run({ x: new ort.Tensor('float32', Float32Array.from(x.dataSync()), [5, 4]) });
    const want = f(x).dataSync();
    const got = r.output!.data as Float32Array;
    let m = 0; for (let i = 0; i < want.length; i++) m = Math.max(m, Math.abs(want[i]! - got[i]!));
    expect(m).toBeLessThan(1e-5);
  });
});
