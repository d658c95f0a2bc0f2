/**
 * Data pipelines for data that does not fit in RAM: a CSV streamed row by row (a generated temp
 * file), streaming z-score statistics, shuffle, a 98/1/1 split, batch, prefetch, and a DataLoader
 * with worker threads — consumed by Keras `fit` and by a PyTorch-style loop.
 *
 *   npx tsx src/data-pipeline.ts
 */
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { Sequential, layers, losses, nn, optim, optimizers, manualSeed, scope } from '@nn/core';
import { Dataset, DataLoader, splits, computeStats, zscore } from '@nn/data';
import { check, fmt, printTable, randnHost, runIfMain, setup, tempDir, type ExampleOptions } from './common';

const FEATURES = ['age', 'income', 'visits', 'score', 'ratio', 'noise'];
const SCALES = [15, 20_000, 3, 100, 0.01, 1]; // very different scales: why z-score matters

/** Write `rows` rows of a synthetic CSV (label y = 1 when a hidden linear rule is positive). */
async function writeCsv(file: string, rows: number): Promise<void> {
  const g = randnHost(7);
  const out = createWriteStream(file);
  out.write(`${FEATURES.join(',')},y\n`);
  for (let i = 0; i < rows; i++) {
    const z = FEATURES.map(() => g());
    const y = z[0]! - 2 * z[1]! + z[2]! * z[3]! + 0.5 * z[4]! + 0.3 * g() > 0 ? 1 : 0;
    const line = `${z.map((v, j) => (40 * (j === 0 ? 1 : 0) + v * SCALES[j]!).toFixed(4)).join(',')},${y}\n`;
    if (!out.write(line)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  out.end();
  await finished(out);
}

const key = (x: ArrayLike<number>) => Array.from(x, (v) => v.toFixed(3)).join(',');

export async function main(opts: ExampleOptions = {}): Promise<void> {
  await setup();
  manualSeed(1);
  const rows = opts.small ? 5_000 : 20_000;
  const dir = await tempDir('data');
  const file = join(dir, 'big.csv');
  await writeCsv(file, rows);
  console.log(`wrote ${rows.toLocaleString('en-US')} rows to ${file}`);

  // Statistics in one streaming pass (Welford): nothing is loaded.
  const raw = Dataset.fromCsv(file, { label: 'y' });
  const stats = await computeStats(raw);
  printTable(FEATURES.map((f, j) => ({ feature: f, mean: stats.mean[j]!, std: stats.std[j]! })));

  // The pipeline of packages/data/README.md: stream → z-score → shuffle (buffer) → 98/1/1 split, all lazy.
  const ds = Dataset.fromCsv(file, { label: 'y' }).map(zscore(stats)).shuffle({ buffer: 10_000, seed: 1 });
  const [train, val, test] = splits(ds, [0.98, 0.01, 0.01], { seed: 1, total: rows });   // 980k/10k/10k style
  const count = async (d: Dataset<unknown>) => { let n = 0; for await (const _ of d) n++; return n; };
  const sizes = [await count(train!), await count(val!), await count(test!)];
  console.log(`split sizes: train ${sizes[0]}, val ${sizes[1]}, test ${sizes[2]} (exact, O(1) memory)`);
  check(sizes[0]! + sizes[1]! + sizes[2]! === rows, 'the parts cover the file');
  // The parts are disjoint and the same on every pass (the split does not move with the shuffle).
  const valKeys = new Set<string>();
  for await (const s of val!) valKeys.add(key(s.x));
  let again = 0, overlap = 0;
  for await (const s of val!) if (valKeys.has(key(s.x))) again++;
  for await (const s of test!) if (valKeys.has(key(s.x))) overlap++;
  console.log(`val rows seen again on a second pass: ${again}/${valKeys.size}; val rows in test: ${overlap}`);
  check(again === valKeys.size && overlap === 0, 'splits are stable and disjoint');

  // tf.data style: batch and prefetch on the Dataset itself (arrays of samples).
  const batches = train!.batch(256).prefetch(4);
  let nb = 0, first = 0;
  for await (const b of batches) { if (nb++ === 0) first = b.length; }
  console.log(`train.batch(256).prefetch(4): ${nb} batches, the first of ${first} samples`);

  // PyTorch style: a DataLoader yields [x, y] tensors; workers stack batches in threads.
  const loader = new DataLoader(train!, { batchSize: 64, shuffle: true, prefetch: 4, workers: 2, seed: 1 });
  const valLoader = new DataLoader(val!.cache(), { batchSize: 256 });
  for await (const [x, y] of loader) {
    console.log(`DataLoader batch: x ${x.dtype} ${JSON.stringify(x.shape)}, y ${y!.dtype} ${JSON.stringify(y!.shape)}`);
    x.dispose(); y!.dispose();
    break;   // breaking early stops the workers and leaks nothing
  }

  const epochs = opts.small ? 2 : 4;
  // Keras door: fit consumes the loader directly.
  const model = new Sequential([layers.Dense(16, { inputShape: [FEATURES.length], activation: 'relu' }), layers.Dense(2)]);
  model.compile({ optimizer: optimizers.Adam({ learningRate: 1e-2 }), loss: losses.SparseCategoricalCrossentropy({ fromLogits: true }), metrics: ['accuracy'] });
  const t0 = performance.now();
  const h = await model.fit(loader, { epochs, validationData: valLoader, verbose: 0 });
  const kerasAcc = h.history.val_accuracy!.at(-1)!;
  console.log(`Keras fit on the stream: ${epochs} epochs in ${((performance.now() - t0) / 1000).toFixed(1)} s, val_accuracy ${kerasAcc.toFixed(3)}`);

  // PyTorch door: the same loader in a manual loop.
  const net = new nn.Sequential(new nn.Linear(FEATURES.length, 16), new nn.ReLU(), new nn.Linear(16, 2));
  const opt = new optim.Adam(net.parameters(), { lr: 1e-2 });
  const perEpoch: Record<string, number | string>[] = [];
  for (let epoch = 0; epoch < epochs; epoch++) {
    let sum = 0, n = 0;
    for await (const [x, y] of loader) {
      sum += scope(() => {
        opt.zeroGrad();
        const loss = nn.functional.crossEntropy(net(x), y!);
        loss.backward();
        opt.step();
        return loss.item() * x.shape[0]!;
      });
      n += x.shape[0]!;
      x.dispose(); y!.dispose();
    }
    perEpoch.push({ epoch: epoch + 1, 'train loss': fmt(sum / n) });
  }
  net.eval();
  let correct = 0, total = 0;
  for await (const [x, y] of valLoader) {
    const pred = scope(() => net(x).argmax(-1).dataSync());
    const yy = y!.dataSync();
    for (let i = 0; i < yy.length; i++) if (pred[i] === yy[i]) correct++;
    total += yy.length;
    x.dispose(); y!.dispose();
  }
  printTable(perEpoch);
  console.log(`PyTorch loop on the same loader: val accuracy ${(correct / total).toFixed(3)}`);
  check(kerasAcc > 0.75 && correct / total > 0.75, 'both doors learn the rule from the stream'); // chance is ~0.5
  await rm(dir, { recursive: true, force: true });
}

runIfMain(import.meta.url, main);
