import { nn, optim, manualSeed } from '@nn/core';
import { compileTrainStep } from '@nn/onnx';
manualSeed(1);
const B = 64;
const m = new nn.Sequential(new nn.Linear(784, 256), new nn.ReLU(), new nn.Linear(256, 128), new nn.ReLU(), new nn.Linear(128, 10));
m.train();
const opt = new optim.Adam(m.parameters(), { lr: 1e-3 });
const e = await compileTrainStep(m, { optimizer: opt, loss: (y, p) => nn.functional.crossEntropy(p, y), inputShape: [784], batchSize: B, device: 'cpu', threads: 1 });
const xb = new Float32Array(B * 784).map(() => Math.random()), yb = new Int32Array(B).map(() => Math.floor(Math.random() * 10));
for (let i = 0; i < 20; i++) await e.step(xb, yb);
const t0 = performance.now();
for (let i = 0; i < 1500; i++) await e.step(xb, yb);
console.log(((performance.now() - t0) / 1500).toFixed(3), 'ms/step');
{ const r0 = process.resourceUsage(); const c0 = process.cpuUsage(); const t0 = performance.now();
for (let i = 0; i < 500; i++) await e.step(xb, yb);
const r1 = process.resourceUsage(); const c = process.cpuUsage(c0);
console.log('faults/step', (r1.minorPageFault - r0.minorPageFault) / 500, 'wall', ((performance.now() - t0) / 500).toFixed(3), 'cpu', ((c.user + c.system) / 500000).toFixed(3), 'sys', (c.system / 500000).toFixed(3)); }
