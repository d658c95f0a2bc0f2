/**
 * Choose a backend, make tensors, differentiate (the root README's Quick start and packages/core/README.md).
 *
 *   npx tsx src/tensors.ts
 */
import { useBackend, getBackend, tensor, randn, matmul, cat, scope, memory, type Tensor } from '@nn/core';
import { tfjs, installedEngines } from '@nn/backend-tfjs';
import { check, runIfMain, setup, type ExampleOptions } from './common';

export async function main(_opts: ExampleOptions = {}): Promise<void> {
  // auto: tfjs-node-gpu > tfjs-node > wasm > cpu (setup() is `useBackend(tfjs())`, once per process)
  const backend = await setup();
  console.log(`backend: ${backend.name}; installed engines: ${installedEngines().join(', ')}`);

  // Naming an engine: one that is not installed is a clear error naming the package to install.
  for (const engine of ['wasm', 'node-gpu', 'node'] as const) {
    try {
      await useBackend(tfjs({ engine }));
      console.log(`engine '${engine}' is installed (${getBackend().name})`);
    } catch (e) {
      console.log(`tfjs({ engine: '${engine}' }) -> ${(e as Error).name}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  await useBackend(backend); // back to the engine the other examples use

  // Tensors: nested arrays, or a flat array with a shape and dtype.
  const x = tensor([[1, 2], [3, 4]]);
  const x2 = tensor([1, 2, 3, 4], [2, 2], { dtype: 'float32' });
  const w = randn([2, 3], { requiresGrad: true });
  const y = x.matmul(w).relu().sum(); // fluent methods; free functions too (matmul, cat …)
  y.backward();
  console.log('x =', await x.array(), ' same as', await x2.array());
  console.log('y = sum(relu(x @ w)) =', y.item(), '(also', (await y.data())[0], y.dataSync()[0], await y.array(), ')');
  console.log('dy/dw =', await w.grad!.array());

  // The gradient by hand: d/dw sum(relu(x w)) = xᵀ · 1[x w > 0].
  const mask = x.matmul(w).gt(0).cast('float32');
  const manual = x.transpose().matmul(mask);
  const diff = manual.sub(w.grad!).abs().max().item();
  console.log(`max |autograd − xᵀ·1[xw>0]| = ${diff.toExponential(1)}`);
  check(diff < 1e-5, 'autograd matches the hand-derived gradient'); // float32 round-off only

  const both = cat([matmul(x, w), x], 1);
  console.log('cat([x @ w, x], 1).shape =', both.shape);

  // Scopes free intermediates: the live tensor count is where it started.
  const before = memory().numTensors;
  const s = scope(() => randn([100, 100]).matmul(randn([100, 100])).mean().item());
  console.log(`scope(): mean of a 100×100 product ${s.toFixed(3)}, live tensors before ${before}, after ${memory().numTensors}`);
  check(memory().numTensors === before, 'scope() leaves no tensors behind');
  for (const t of [x, x2, w, y, mask, manual, both] as Tensor[]) t.dispose();
}

runIfMain(import.meta.url, main);
