import { describe, expect, it } from 'vitest';
import { memory, nn, optim, referenceBackend, useBackend, getBackend, Tensor } from '@nn/core';
import { DataLoader } from './data-loader.js';
import { Dataset } from './dataset.js';

describe('DataLoader autoScope', () => {
  it('a plain PyTorch-style loop (no scopes, no dispose) keeps the live tensor count flat', async () => {
    const prev = getBackend();
    await useBackend(referenceBackend());
    const rows = Array.from({ length: 64 }, (_, i) => ({ x: Float32Array.from({ length: 4 }, (_, k) => (i * k) % 3), y: i % 2 }));
    const loader = new DataLoader(Dataset.fromItems(rows), { batchSize: 8, shuffle: true, seed: 1 });
    const net = new nn.Linear(4, 2);
    const opt = new optim.Adam(net.parameters(), { lr: 0.01 });
    const counts: number[] = [];
    for (let epoch = 0; epoch < 4; epoch++) {
      for await (const [x, y] of loader) {
        opt.zeroGrad();
        const loss = nn.functional.crossEntropy(net(x as Tensor), y as Tensor);
        loss.backward();
        opt.step();
      }
      counts.push(memory().numTensors);
    }
    // After the first epoch (optimizer state created) the count is the same at every epoch end.
    expect(counts[1]).toBe(counts[3]);
    expect(counts[2]).toBe(counts[3]);
    await useBackend(prev);
  });
  it('can be turned off: then the batch tensors stay alive', async () => {
    const loader = new DataLoader(Dataset.fromItems([{ x: Float32Array.of(1), y: 0 }]), { batchSize: 1, autoScope: false });
    let kept: Tensor | null = null;
    for await (const [x] of loader) kept = x as Tensor;
    expect(kept!.isDisposed).toBe(false);
  });
});
