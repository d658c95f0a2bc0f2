import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { manualSeed, nn, optim, randn, scope, tensor, type Tensor } from '@nn/core';
import { compareWithModel, exportOnnx, InferenceSession } from './index';
import { tmp } from './test-helpers';

// The README's end-to-end example: train PyTorch-style, export, serve, check parity.
class Net extends nn.Module {
  fc1 = new nn.Linear(4, 16);
  fc2 = new nn.Linear(16, 3);
  override forward(x: Tensor) {
    return this.fc2((this.fc1(x) as Tensor).relu());
  }
}

/** Three Gaussian blobs in 4-D, one per class. */
function blobs(n: number) {
  const centres = [[2, 0, 0, 0], [0, 2, 0, 0], [0, 0, 2, 2]];
  const labels = Int32Array.from({ length: n }, (_, i) => i % 3);
  const noise = randn([n, 4]).mul(0.5).dataSync();
  const x = Float32Array.from({ length: n * 4 }, (_, k) => centres[labels[Math.floor(k / 4)]!]![k % 4]! + noise[k]!);
  return { x: tensor(x, [n, 4]), y: tensor(labels, [n], { dtype: 'int32' }), labels };
}

describe('train PyTorch-style → exportOnnx → InferenceSession', () => {
  it('serves the trained model with the same outputs and accuracy', async () => {
    manualSeed(0);
    const net = new Net();
    const opt = new optim.SGD(net.parameters(), { lr: 0.2 });
    const train = blobs(96);
    let loss = Infinity;
    for (let step = 0; step < 60; step++) {
      loss = scope(() => {
        opt.zeroGrad();
        const l = nn.functional.crossEntropy(net(train.x) as Tensor, train.y);
        l.backward();
        opt.step();
        return l.item();
      });
    }
    expect(loss).toBeLessThan(0.3);

    const file = join(tmp(), 'net.onnx');
    await exportOnnx(net, file, { inputs: { x: [null, 4] }, outputs: ['logits'], docString: 'blobs classifier' });
    const session = await InferenceSession.create(file);
    const test = blobs(64);
    const { logits } = await session.run({ x: test.x });
    const pred = Array.from({ length: 64 }, (_, i) => {
      const row = Array.from(logits!.data.subarray(i * 3, i * 3 + 3) as Float32Array);
      return row.indexOf(Math.max(...row));
    });
    const acc = pred.filter((p, i) => p === test.labels[i]).length / 64;
    expect(acc).toBeGreaterThan(0.9);
    // float64 nn vs float32 onnxruntime on 4·16 + 16·3 products: ≤ 1e-5.
    const { maxAbsDiff } = await compareWithModel(net, session, test.x);
    expect(maxAbsDiff).toBeLessThan(1e-5);
  });
});
