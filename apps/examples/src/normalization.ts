/**
 * Normalizing inputs (z-score) and batch normalization. Features on wildly different scales make
 * the loss surface a long narrow valley: gradient descent needs a tiny learning rate and crawls.
 * Z-scoring the inputs (Keras `Normalization.adapt`, or @nn/data `computeStats` + `zscore`) makes
 * it round. Batch normalization does the same for hidden layers, batch by batch, with running
 * statistics for inference (Keras `BatchNormalization`, PyTorch `nn.BatchNorm1d`).
 *
 *   npx tsx src/normalization.ts
 */
import { Sequential, layers, losses, nn, optim, optimizers, tensor, manualSeed, noGrad, scope, type Tensor } from '@nn/core';
import { Dataset, computeStats, zscore } from '@nn/data';
import { check, fmt, makeClassification, printTable, runIfMain, setup, type ExampleOptions } from './common';

const SCALES = [1000, 0.001, 1, 50, 0.1, 5000, 1, 0.01];

/** Condition number of XᵀX/n (largest over smallest eigenvalue), with cyclic Jacobi rotations. */
function conditionNumber(x: Float32Array, n: number, f: number): number {
  const a = new Float64Array(f * f);
  for (let i = 0; i < n; i++) for (let p = 0; p < f; p++) for (let q = 0; q < f; q++) a[p * f + q]! += (x[i * f + p]! * x[i * f + q]!) / n;
  for (let sweep = 0; sweep < 50; sweep++) {
    for (let p = 0; p < f; p++) for (let q = p + 1; q < f; q++) {
      const apq = a[p * f + q]!;
      if (Math.abs(apq) < 1e-300) continue;
      const theta = (a[q * f + q]! - a[p * f + p]!) / (2 * apq);
      const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
      const c = 1 / Math.sqrt(t * t + 1), s = t * c;
      for (let k = 0; k < f; k++) { // rotate columns p, q then rows p, q
        const akp = a[k * f + p]!, akq = a[k * f + q]!;
        a[k * f + p] = c * akp - s * akq; a[k * f + q] = s * akp + c * akq;
      }
      for (let k = 0; k < f; k++) {
        const apk = a[p * f + k]!, aqk = a[q * f + k]!;
        a[p * f + k] = c * apk - s * aqk; a[q * f + k] = s * apk + c * aqk;
      }
    }
  }
  const eig = Array.from({ length: f }, (_, i) => a[i * f + i]!);
  return Math.max(...eig) / Math.min(...eig);
}

export async function main(opts: ExampleOptions = {}): Promise<void> {
  await setup();
  const n = 512, f = SCALES.length, epochs = opts.small ? 10 : 20;
  const d = makeClassification(n, f, 2, 81, 0);
  const raw = d.x.map((v, i) => v * SCALES[i % f]! + (i % f === 0 ? 3000 : 0));
  const xRaw = tensor(raw, [n, f]), y = tensor(d.y, [n], { dtype: 'int32' });

  // ---- Z-score, PyTorch door: statistics in one streaming pass with @nn/data ----
  const samples = Array.from({ length: n }, (_, i) => ({ x: raw.subarray(i * f, (i + 1) * f), y: d.y[i]! }));
  const stats = await computeStats(Dataset.fromItems(samples));
  const zs = zscore(stats);
  const zData = new Float32Array(n * f);
  samples.forEach((s, i) => zData.set(zs(s).x, i * f));
  printTable(Array.from(SCALES, (_, j) => ({ feature: j, 'raw mean': stats.mean[j]!, 'raw std': stats.std[j]! })).slice(0, 4));
  console.log(`… condition number of XᵀX/n: raw ${fmt(conditionNumber(raw, n, f))}, z-scored ${fmt(conditionNumber(zData, n, f))}`);

  const trainTorch = (x: Tensor, lr: number) => {
    manualSeed(1);
    const lin = new nn.Linear(f, 2);
    const opt = new optim.SGD(lin.parameters(), { lr, momentum: 0.9 });
    const out: number[] = [];
    for (let e = 0; e < epochs; e++) {
      for (let s = 0; s < n; s += 32) scope(() => { opt.zeroGrad(); nn.functional.crossEntropy(lin(x.slice([s, 0], [32, f])), y.slice([s], [32])).backward(); opt.step(); });
      out.push(noGrad(() => scope(() => nn.functional.crossEntropy(lin(x), y).item())));
    }
    return out;
  };
  const xZ = tensor(zData, [n, f]);
  const rows: Record<string, string | number>[] = [];
  for (const lr of [1e-1, 1e-7]) rows.push({ inputs: 'raw', lr, 'loss per epoch': compact(trainTorch(xRaw, lr)) });
  const zLoss = trainTorch(xZ, 1e-1);
  rows.push({ inputs: 'z-scored', lr: 1e-1, 'loss per epoch': compact(zLoss) });
  console.log('\nPyTorch door: logistic regression (nn.Linear), SGD momentum 0.9, batch 32');
  printTable(rows);
  console.log('Raw inputs: a learning rate that suits the large features makes the loss blow up; one small enough to be stable barely moves the small features.');
  check(zLoss.at(-1)! < 0.35, 'z-scored inputs train well at lr 0.1'); // a linear teacher: the loss falls well below ln 2 ≈ 0.69

  // ---- Z-score, Keras door: a Normalization layer adapted to the data, inside the model ----
  manualSeed(1);
  const norm = layers.Normalization();
  await norm.adapt(xRaw);
  const model = new Sequential([norm, layers.Dense(2)]);
  model.compile({ optimizer: optimizers.SGD({ learningRate: 0.1, momentum: 0.9 }), loss: losses.SparseCategoricalCrossentropy({ fromLogits: true }), metrics: ['accuracy'] });
  const h = await model.fit(xRaw, y, { epochs, batchSize: 32, verbose: 0 });
  const m = (norm(xRaw) as Tensor);
  console.log(`\nKeras door: Normalization().adapt(x) → normalized feature 0: mean ${fmt(m.mean(0).dataSync()[0]!)}, std ${fmt(m.std(0).dataSync()[0]!)}; ` +
    `fit on raw inputs: loss ${compact(h.history.loss!)}, accuracy ${fmt(h.history.accuracy!.at(-1)!)}`);
  check(h.history.loss!.at(-1)! < 0.35, 'a model with a Normalization layer trains on raw inputs');

  // ---- The slide's σ² = Σ(x − μ)²/(n − 1): ddof 1 in both doors (Keras's default divides by n) ----
  const norm1 = layers.Normalization({ ddof: 1 });
  await norm1.adapt(xRaw);
  const stats1 = await computeStats(Dataset.fromItems(samples), { ddof: 1 });
  const layerRatio = norm1.varianceW!.dataSync()[0]! / norm.varianceW!.dataSync()[0]!;
  const dataRatio = stats1.variance[0]! / stats.variance[0]!;
  console.log(`ddof: layers.Normalization({ ddof: 1 }) and computeStats(ds, { ddof: 1 }) divide by n − 1 = ${n - 1}: variance ratio to the default (n) ${fmt(layerRatio)} and ${dataRatio.toFixed(6)} = n/(n − 1) = ${(n / (n - 1)).toFixed(6)}`);
  check(Math.abs(dataRatio - n / (n - 1)) < 1e-12, 'computeStats ddof 1 = n/(n − 1) × ddof 0'); // float64 statistics
  check(Math.abs(layerRatio - n / (n - 1)) < 1e-6, 'Normalization ddof 1 = n/(n − 1) × ddof 0'); // float32 weights: ~1e-7 each

  // ---- Batch normalization: what it does to a batch ----
  const batch = tensor(raw.subarray(0, 64 * f), [64, f]);
  const kbn = layers.BatchNormalization();
  const tbn = new nn.BatchNorm1d(f);
  const kOut = kbn(batch, { training: true }) as Tensor;
  const tOut = tbn(batch); // modules start in training mode
  console.log(`\nBatchNormalization (Keras: momentum ${kbn.momentum}, epsilon ${kbn.epsilon}) in training: per-feature mean ${fmt(kOut.mean(0).abs().max().item())} (max abs), std ${fmt(kOut.std(0).min().item())}…${fmt(kOut.std(0).max().item())}`);
  console.log(`nn.BatchNorm1d (PyTorch: momentum 0.1, eps 1e-5) in training: per-feature mean ${fmt(tOut.mean(0).abs().max().item())}, std ${fmt(tOut.std(0).min().item())}…${fmt(tOut.std(0).max().item())}`);
  console.log('(the smallest std is feature 1, raw std 0.001: a variance of 1e-6 next to epsilon — 1e-3 in Keras, 1e-5 in PyTorch — is not scaled up to 1)');
  console.log(`running mean of feature 0 after one batch: Keras moving_mean ${fmt(kbn.movingMean.dataSync()[0]!)} (0.01 of the batch mean), PyTorch running_mean ${fmt(tbn.runningMean!.dataSync()[0]!)} (0.1 of it)`);
  tbn.eval();
  const evalOut = tbn(batch);
  console.log(`nn.BatchNorm1d after eval(): uses the running statistics, so this batch is NOT normalized yet: feature 0 mean ${fmt(evalOut.mean(0).dataSync()[0]!)}`);
  check(kOut.mean(0).abs().max().item() < 1e-3, 'training-mode BN centres each feature'); // float32 on values up to ~1e4

  // ---- Batch normalization: training a deeper net with and without it ----
  const deep = (bn: boolean) => {
    const mods: nn.Module[] = [];
    for (let i = 0; i < 6; i++) mods.push(new nn.Linear(i === 0 ? f : 64, 64), ...(bn ? [new nn.BatchNorm1d(64)] : []), new nn.Sigmoid());
    return new nn.Sequential(...mods, new nn.Linear(64, 2));
  };
  const bnRows: Record<string, string | number>[] = [];
  const finals: number[] = [];
  for (const bn of [false, true]) {
    manualSeed(1);
    const net = deep(bn);
    const opt = new optim.SGD(net.parameters(), { lr: 0.5 });
    const out: number[] = [];
    for (let e = 0; e < epochs; e++) {
      net.train();
      for (let s = 0; s < n; s += 32) scope(() => { opt.zeroGrad(); nn.functional.crossEntropy(net(xZ.slice([s, 0], [32, f])), y.slice([s], [32])).backward(); opt.step(); });
      net.eval();
      out.push(noGrad(() => scope(() => nn.functional.crossEntropy(net(xZ), y).item())));
    }
    finals.push(out.at(-1)!);
    bnRows.push({ network: `6 × (Linear(64)${bn ? ' + BatchNorm1d' : ''} + sigmoid)`, 'loss per epoch (eval mode)': compact(out) });
  }
  console.log('\nz-scored inputs, SGD lr 0.5, batch 32:');
  printTable(bnRows);
  check(finals[1]! < finals[0]!, 'batch norm trains the deep sigmoid net faster');
}

/** Every other value when the list is long. */
function compact(v: number[]): string {
  const step = v.length > 10 ? Math.ceil(v.length / 10) : 1;
  return v.filter((_, i) => i % step === 0 || i === v.length - 1).map(fmt).join(' → ');
}

runIfMain(import.meta.url, main);
