/**
 * Data augmentation, the course's first remedy for high variance: Keras preprocessing layers in the
 * model (active only in training) and torchvision-style transforms in a DataLoader's worker
 * threads, on the Fashion-MNIST subset shipped in the repo; the train/validation gap of the same
 * network trained with and without augmentation.
 *
 *   npx tsx src/augmentation.ts
 */
import { fileURLToPath } from 'node:url';
import { Sequential, layers, losses, manualSeed, nn, noGrad, optim, optimizers, tensor, type Tensor } from '@nn/core';
import { Compose, DataLoader, Dataset, RandomAffine, RandomCrop } from '@nn/data';
import { check, printTable, runIfMain, setup, type ExampleOptions } from './common';

const SUBSET = fileURLToPath(new URL('../../fashion-mnist/data', import.meta.url));

async function load(split: 'train' | 'test', n: number) {
  const x = new Float32Array(n * 784), y = new Int32Array(n);
  let i = 0;
  for await (const s of Dataset.fromFashionMnist(SUBSET, { split }).take(n)) (x.set(s.x as Float32Array, i * 784), (y[i++] = s.y as number));
  return { x, y, n };
}

function errorOf(logits: Tensor, y: Int32Array): number {
  const p = logits.argmax(-1).dataSync();
  let wrong = 0;
  for (let i = 0; i < y.length; i++) wrong += +(p[i] !== y[i]);
  return wrong / y.length;
}

export async function main(opts: ExampleOptions = {}): Promise<void> {
  await setup();
  const tr = await load('train', opts.small ? 500 : 1000), va = await load('test', 500);
  const epochs = opts.small ? 8 : 20;

  // ---- Keras door: augmentation layers in front of the model; fit turns them on, predict leaves them off ----
  const aug = layers.RandomTranslation(0.1, 0.1, { fillMode: 'constant', seed: 1 });
  const img = tensor(tr.x.subarray(0, 784), [1, 28, 28, 1]);
  check(aug(img) === img, 'inference: the layer is the identity');
  const shifted = aug(img, { training: true }) as Tensor;
  console.log(`RandomTranslation(0.1, 0.1) in training moved the image: mean |Δ| ${shifted.sub(img).abs().mean().item().toFixed(3)} (inference: identity)`);
  const rows: Record<string, string | number>[] = [];
  const X = tensor(tr.x, [tr.n, 28, 28, 1]), Y = tensor(tr.y, [tr.n], { dtype: 'int32' }), Xv = tensor(va.x, [va.n, 28, 28, 1]);
  for (const augment of [false, true]) {
    manualSeed(2);
    const m = new Sequential([
      ...(augment ? [layers.RandomTranslation(0.08, 0.08, { fillMode: 'constant', seed: 3, inputShape: [28, 28, 1] }), layers.RandomZoom(0.08, null, { fillMode: 'constant', seed: 4 })] : []),
      layers.Flatten(augment ? {} : { inputShape: [28, 28, 1] }), layers.Dense(256, { activation: 'relu' }), layers.Dense(10),
    ]);
    m.compile({ optimizer: optimizers.Adam({ learningRate: 1e-3 }), loss: losses.SparseCategoricalCrossentropy({ fromLogits: true }) });
    await m.fit(X, Y, { epochs, batchSize: 64, verbose: 0, seed: 5 });
    const trainErr = errorOf((await m.predict(X)) as Tensor, tr.y), valErr = errorOf((await m.predict(Xv)) as Tensor, va.y);
    rows.push({ door: 'Keras', augmentation: augment ? 'RandomTranslation + RandomZoom' : 'none', 'train error': trainErr, 'val error': valErr, 'gap (val − train)': valErr - trainErr });
  }

  // ---- PyTorch door: Compose in the DataLoader, run in 2 worker threads ----
  const compose = Compose([RandomCrop({ size: 28, padding: 2 }), RandomAffine({ degrees: 8, scale: [0.92, 1.08] })], { shape: [1, 28, 28], seed: 6 });
  const items = Array.from({ length: tr.n }, (_, i) => ({ x: tr.x.slice(i * 784, i * 784 + 784), y: tr.y[i]! }));
  for (const augment of [false, true]) {
    manualSeed(2);
    const net = new nn.Sequential(new nn.Linear(784, 256), new nn.ReLU(), new nn.Linear(256, 10));
    const opt = new optim.Adam(net.parameters(), { lr: 1e-3 });
    const loader = new DataLoader(Dataset.fromItems(items), { batchSize: 64, shuffle: true, seed: 5, ...(augment ? { numWorkers: 2, ...compose.loaderOptions() } : {}) });
    for (let e = 0; e < epochs; e++) for await (const [xb, yb] of loader) {
      opt.zeroGrad();
      const loss = nn.functional.crossEntropy(net(xb), yb!);
      loss.backward();
      opt.step();
    }
    net.eval();
    const trainErr = errorOf(noGrad(() => net(tensor(tr.x, [tr.n, 784]))) as Tensor, tr.y), valErr = errorOf(noGrad(() => net(tensor(va.x, [va.n, 784]))) as Tensor, va.y);
    rows.push({ door: 'PyTorch', augmentation: augment ? 'RandomCrop(pad 2) + RandomAffine, 2 workers' : 'none', 'train error': trainErr, 'val error': valErr, 'gap (val − train)': valErr - trainErr });
  }
  console.log(`\nDense(256) on ${tr.n} Fashion-MNIST images, ${epochs} epochs; errors evaluated without augmentation on the training images and on 500 test images:`);
  printTable(rows);
  for (const door of ['Keras', 'PyTorch']) {
    const [plain, augd] = rows.filter((r) => r.door === door);
    const g0 = Number(plain!['gap (val − train)']), g1 = Number(augd!['gap (val − train)']);
    const v0 = Number(plain!['val error']), v1 = Number(augd!['val error']);
    check(g1 < g0, `${door}: augmentation narrows the train/validation gap`);
    console.log(`${door}: gap ${(g0 * 100).toFixed(1)} → ${(g1 * 100).toFixed(1)} points; validation error ${(v0 * 100).toFixed(1)}% → ${(v1 * 100).toFixed(1)}% (${v1 < v0 ? 'better' : 'not better'}).`);
  }
  console.log('Augmentation makes the training set harder to memorise: the gap (variance) shrinks. Whether validation error also falls depends on\n' +
    'the model and the budget: a dense net on pixels is not shift-invariant and needs more epochs for the harder task.');
}

runIfMain(import.meta.url, main);
