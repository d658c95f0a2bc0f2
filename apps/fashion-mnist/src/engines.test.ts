import { describe, expect, it } from 'vitest';
import { Sequential, layers, losses, manualSeed, optimizers, referenceBackend, tensor, useBackend, type Backend } from '@nn/core';
import { tfjs } from '@nn/backend-tfjs';
import { loadSplit, SUBSET_DIR } from './data';
import { evaluateAccuracy } from './train';

/**
 * Issue 2's "must show": a small MLP trained on real data (the Fashion-MNIST subset shipped in the
 * repo, so this runs anywhere) with plain SGD reaches a sensible accuracy on every engine.
 * "Sensible": far above chance (10%); 784-64-10 with SGD on 2,000 images typically reaches ~75%.
 */
async function trainOn(backend: Backend, nTrain: number, epochs: number): Promise<number> {
  await useBackend(backend);
  manualSeed(0);
  const train = await loadSplit(SUBSET_DIR, 'train');
  const test = await loadSplit(SUBSET_DIR, 'test');
  const x = tensor(train.x.subarray(0, nTrain * 784), [nTrain, 784]);
  const y = tensor(train.y.subarray(0, nTrain), [nTrain], { dtype: 'int32' });
  const model = new Sequential([layers.Dense(64, { activation: 'relu', inputShape: [784] }), layers.Dense(10)]);
  model.compile({ optimizer: optimizers.SGD({ learningRate: 0.1 }), loss: losses.SparseCategoricalCrossentropy({ fromLogits: true }), metrics: ['accuracy'] });
  await model.fit(x, y, { epochs, batchSize: 32, verbose: 0, seed: 1 });
  return evaluateAccuracy(model, test.x, test.y, 250);
}

describe('an MLP on real Fashion-MNIST images trains with plain SGD on every engine', () => {
  it('tfjs cpu (pure JS)', async () => {
    expect(await trainOn(tfjs({ engine: 'cpu' }), 2000, 3)).toBeGreaterThan(0.65);
  });
  it('tfjs wasm', async () => {
    expect(await trainOn(tfjs({ engine: 'wasm' }), 2000, 3)).toBeGreaterThan(0.65);
  });
  it('reference (float64, tiny slice)', async () => {
    // 300 images, 2 epochs: the float64 reference is slow by design.
    expect(await trainOn(referenceBackend(), 300, 2)).toBeGreaterThan(0.4);
  });
});
