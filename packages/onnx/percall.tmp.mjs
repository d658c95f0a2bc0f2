import { nn, optim, manualSeed } from '@nn/core';
import { compileTrainStep } from '@nn/onnx';
manualSeed(1);
const B = +(process.env.B ?? 64);
const m = new nn.Sequential(new nn.Linear(784, 256), new nn.ReLU(), new nn.Linear(256, 128), new nn.ReLU(), new nn.Linear(128, 10));
m.train();
const opt = new optim.Adam(m.parameters(), { lr: 1e-3 });
const e = await compileTrainStep(m, { optimizer: opt, loss: (y, p) => nn.functional.crossEntropy(p, y), inputShape: [784], batchSize: B, device: 'cpu', threads: 1 });
const K = 32;
const x = new Float32Array(B * 784 * K).map(() => Math.random()), y = new Int32Array(B * K).map(() => Math.floor(Math.random() * 10));
const xb = x.subarray(0, B * 784), yb = y.subarray(0, B);
for (let i = 0; i < 5; i++) await e.step(xb, yb);
await e.steps(x, y, K);
const time = async (label, f, n) => { const c0 = process.cpuUsage(); const t0 = performance.now(); await f(n); const dt = performance.now() - t0; const c = process.cpuUsage(c0); console.log(label, (dt / n).toFixed(3), 'ms/step wall', ((c.user + c.system) / 1000 / n).toFixed(3), 'ms/step cpu'); };
for (let r = 0; r < 2; r++) {
  await time('step()', async (n) => { for (let i = 0; i < n; i++) await e.step(xb, yb); }, 320);
  await time('steps(32)', async (n) => { for (let i = 0; i < n / K; i++) await e.steps(x, y, K); }, 320);
}
