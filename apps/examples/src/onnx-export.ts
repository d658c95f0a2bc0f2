/**
 * Ship it: train a PyTorch-style model, export it to ONNX, serve it with onnxruntime-node
 * (CUDA when its provider is installed, else CPU), and check that onnxruntime gives the same
 * outputs as nn. A Keras-style functional model exports the same way.
 *
 *   npx tsx src/onnx-export.ts
 */
import { join } from 'node:path';
import { stat } from 'node:fs/promises';
import { Input, Model, layers, nn, optim, tensor, manualSeed, noGrad, type Tensor } from '@nn/core';
import { exportOnnx, InferenceSession, compareWithModel } from '@nn/onnx';
import { check, makeClassification, runIfMain, setup, tempDir, type ExampleOptions } from './common';

class Net extends nn.Module {
  fc1 = new nn.Linear(4, 16);
  fc2 = new nn.Linear(16, 3);
  override forward(x: Tensor): Tensor {
    return this.fc2(this.fc1(x).relu());
  }
}

export async function main(opts: ExampleOptions = {}): Promise<void> {
  await setup();
  manualSeed(1);
  const dir = await tempDir('onnx');
  const d = makeClassification(96 + 64, 4, 3, 91, 0);
  const x = tensor(d.x.subarray(0, 96 * 4), [96, 4]), y = tensor(d.y.subarray(0, 96), [96], { dtype: 'int32' });
  const testX = tensor(d.x.subarray(96 * 4), [64, 4]);

  // 1. Train, PyTorch style.
  const net = new Net();
  const opt = new optim.SGD(net.parameters(), { lr: 0.2 });
  let loss = NaN;
  for (let step = 0; step < (opts.small ? 60 : 200); step++) {
    opt.zeroGrad();
    const l = nn.functional.crossEntropy(net(x), y);   // x: [96, 4] float32, y: [96] int32
    l.backward();
    opt.step();
    loss = l.item();
    l.dispose();
  }
  net.eval();
  const pred = noGrad(() => net(testX).argmax(-1)).dataSync();
  const acc = Array.from(pred).filter((p, i) => p === d.y[96 + i]).length / 64;
  console.log(`trained: loss ${loss.toFixed(4)}, test accuracy ${acc.toFixed(3)}`);

  // 2. Export: trace the model once (twice for the dynamic batch) and write the .onnx file atomically.
  const file = join(dir, 'net.onnx');
  await exportOnnx(net, file, { inputs: { x: [null, 4] }, outputs: ['logits'], opset: 17 });
  console.log(`exported ${file} (${(await stat(file)).size} bytes)`);

  // 3. Serve with onnxruntime-node.
  const session = await InferenceSession.create(file);          // device 'auto': CUDA if installed, else CPU
  console.log(`session device: ${session.device}${session.fallbackReason ? ` (${session.fallbackReason})` : ''}`);
  const { logits } = await session.run({ x: testX });            // nn Tensor, Float32Array or { data, dims }
  console.log(`onnxruntime logits: dims ${JSON.stringify(logits!.dims)}, first row ${Array.from(logits!.data.slice(0, 3) as Float32Array, (v) => v.toFixed(4)).join(', ')}`);
  const parity = await compareWithModel(net, session, testX);
  console.log(`parity with nn: max |Δ| = ${parity.maxAbsDiff.toExponential(2)}`);
  check(parity.maxAbsDiff <= 1e-5, 'onnxruntime matches nn to 1e-5 (float32)'); // DESIGN.md's export bound
  const t0 = performance.now();
  const reps = 200;
  for (let i = 0; i < reps; i++) await session.run({ x: testX });
  console.log(`onnxruntime: ${(((performance.now() - t0) / reps) * 1000).toFixed(0)} µs per batch of 64`);

  // 4. A Keras-style functional model exports the same way.
  const inputs = Input({ shape: [4] });
  const h = layers.Dense(8, { activation: 'relu' })(inputs);
  const outputs = layers.Dense(3, { activation: 'softmax' })(layers.Concatenate()([h, inputs]));
  const model = Model({ inputs, outputs });
  const kfile = join(dir, 'keras.onnx');
  await exportOnnx(model, kfile, { inputs: { x: [null, 4] } });
  const ks = await InferenceSession.create(kfile);
  const kp = await compareWithModel(model, ks, testX);
  console.log(`Keras functional model → ${kfile}: parity max |Δ| = ${kp.maxAbsDiff.toExponential(2)}`);
  check(kp.maxAbsDiff <= 1e-5, 'the Keras model matches too');
  await session.release?.();
  await ks.release?.();
}

runIfMain(import.meta.url, main);
