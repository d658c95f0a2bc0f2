import { nn, optim, manualSeed } from '@nn/core';
import { compileTrainStep } from '@nn/onnx';
for (const B of [64, 256]) {
manualSeed(1);
const m = new nn.Sequential(new nn.Conv2d(1, 16, 3), new nn.ReLU(), new nn.MaxPool2d(2), new nn.Conv2d(16, 32, 3), new nn.ReLU(), new nn.MaxPool2d(2), new nn.Flatten(), new nn.Linear(32 * 5 * 5, 10));
m.train();
const opt = new optim.Adam(m.parameters(), { lr: 1e-3 });
const e = await compileTrainStep(m, { optimizer: opt, loss: (y, p) => nn.functional.crossEntropy(p, y), inputShape: [1, 28, 28], batchSize: B, device: 'cpu', threads: 1 });
const K = B === 64 ? 8 : 4;
const x = new Float32Array(B * 784 * K).map(() => Math.random()), y = new Int32Array(B * K).map(() => Math.floor(Math.random() * 10));
const xb = x.subarray(0, B * 784), yb = y.subarray(0, B);
for (let i = 0; i < 3; i++) await e.step(xb, yb);
await e.steps(x, y, K);
const time = async (label, f, n) => { const c0 = process.cpuUsage(); const t0 = performance.now(); await f(n); const dt = performance.now() - t0; const c = process.cpuUsage(c0); console.log(B, label, (dt / n).toFixed(3), 'ms/step wall', ((c.user + c.system) / 1000 / n).toFixed(3), 'ms/step cpu'); };
const n = B === 64 ? 160 : 40;
for (let r = 0; r < 2; r++) {
  await time('step()', async (n) => { for (let i = 0; i < n; i++) await e.step(xb, yb); }, n);
  await time(`steps(${K})`, async (n) => { for (let i = 0; i < n / K; i++) await e.steps(x, y, K); }, n);
}
}
