import { mkdirSync } from 'node:fs';
import { manualSeed, nn, optim, useBackend, type Tensor } from '@nn/core';
import { tfjs } from '@nn/backend-tfjs';
import { compileTrainStep } from '../src/train-engine/compile';
const out = process.argv[2]!; mkdirSync(out, { recursive: true }); process.env.NN_ORT_DUMP = out;
await useBackend(tfjs({ engine: 'wasm' }));
const which = process.argv[3] ?? 'mlp';
for (const batch of [64]) {
  manualSeed(0);
  const m = which === 'mlp' ? new nn.Sequential(new nn.Linear(784, 256), new nn.ReLU(), new nn.Linear(256, 128), new nn.ReLU(), new nn.Linear(128, 10))
    : new nn.Sequential(new nn.Linear(784, 512), new nn.ReLU(), new nn.BatchNorm1d(512), new nn.Dropout(0.2), new nn.Linear(512, 256), new nn.ReLU(), new nn.Dropout(0.2), new nn.Linear(256, 10));
  m.train();
  const opt = new optim.Adam(m.parameters(), { lr: 1e-3, eps: 1e-8 });
  const loss = (y: Tensor, p: Tensor) => nn.functional.crossEntropy(p, y);
  const e = await compileTrainStep(m, { optimizer: opt, loss, inputShape: [784], batchSize: batch, device: 'cpu', threads: 1 });
  const x = Float32Array.from({ length: batch * 784 }, () => Math.random());
  const y = Int32Array.from({ length: batch }, () => Math.floor(Math.random() * 10));
  for (let i = 0; i < 3; i++) await e.step(x, y);
}
