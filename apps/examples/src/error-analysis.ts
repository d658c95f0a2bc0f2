/**
 * Error analysis, the course's "look at the mistakes": train a small classifier on the Fashion-MNIST
 * subset shipped in the repo, then the confusion matrix (counts and normalised), per-class
 * precision/recall/F1, ROC-AUC and PR-AUC (one-vs-rest, exact as scikit-learn), top-k accuracy as a
 * compile metric, and plots (heatmap, per-class table, the most confidently misclassified images) —
 * Keras style (compile metrics, `predict`) and PyTorch style (a loop, then the same functions).
 *
 *   npx tsx src/error-analysis.ts
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Sequential, layers, losses, manualSeed, metrics, nn, noGrad, optim, optimizers, tensor, type Tensor } from '@nn/core';
import { Dataset, FASHION_MNIST_CLASSES } from '@nn/data';
import { classReportPlot, confusionMatrixPlot, misclassifiedGridPng, mostConfidentErrors, savePlot, writeFileAtomic } from '@nn/monitor';
import { check, runIfMain, setup, tempDir, type ExampleOptions } from './common';

const SUBSET = fileURLToPath(new URL('../../fashion-mnist/data', import.meta.url));
const names = [...FASHION_MNIST_CLASSES];

async function load(split: 'train' | 'test', n: number) {
  const x = new Float32Array(n * 784), y = new Int32Array(n);
  let i = 0;
  for await (const s of Dataset.fromFashionMnist(SUBSET, { split }).take(n)) (x.set(s.x as Float32Array, i * 784), (y[i++] = s.y as number));
  return { x, y, n };
}

export async function main(opts: ExampleOptions = {}): Promise<void> {
  await setup();
  const tr = await load('train', opts.small ? 1000 : 2000), te = await load('test', 500);
  const X = tensor(tr.x, [tr.n, 784]), Y = tensor(tr.y, [tr.n], { dtype: 'int32' });
  const Xt = tensor(te.x, [te.n, 784]), Yt = tensor(te.y, [te.n], { dtype: 'int32' });
  const out = await tempDir('error-analysis');

  // ---- Keras door: AUC and top-k as compile metrics, then predict() and the reports ----
  manualSeed(3);
  const model = new Sequential([layers.Dense(128, { activation: 'relu', inputShape: [784] }), layers.Dense(10, { activation: 'softmax' })]);
  model.compile({ optimizer: optimizers.Adam({ learningRate: 1e-3 }), loss: losses.SparseCategoricalCrossentropy(), metrics: ['accuracy', 'auc', new metrics.SparseTopKCategoricalAccuracy({ k: 2, name: 'top2' })] });
  await model.fit(X, Y, { epochs: opts.small ? 3 : 5, batchSize: 64, verbose: 0, seed: 1 });
  const ev = await model.evaluate(Xt, Yt);
  console.log(`Keras door, test set: accuracy ${ev.accuracy!.toFixed(4)}, auc ${ev.auc!.toFixed(4)} (one-vs-rest macro, exact), top2 ${ev.top2!.toFixed(4)}`);
  const probs = (await model.predict(Xt)) as Tensor;
  const p = probs.dataSync() as Float32Array;
  const rows = Array.from({ length: te.n }, (_, i) => p.subarray(i * 10, i * 10 + 10));
  const cm = metrics.confusionMatrix(te.y, rows, { numClasses: 10 });
  const rep = metrics.classificationReport(te.y, rows, { classNames: names });
  console.log(metrics.formatClassificationReport(rep));
  const auc = metrics.rocAucScore(te.y, rows) as number, ap = metrics.averagePrecisionScore(te.y, rows) as number;
  console.log(`ROC-AUC ${auc.toFixed(4)}, PR-AUC (average precision) ${ap.toFixed(4)} — one-vs-rest, macro; Keras' AUC would interpolate over 200 thresholds instead.`);
  check(Math.abs(auc - ev.auc!) < 1e-6, 'the compile metric and rocAucScore agree'); // same scores; only float32 vs float64 reading differs
  check(Math.abs(rep.accuracy - ev.accuracy!) < 1e-9, 'the report accuracy is the evaluated accuracy');
  check(cm.every((row, i) => row.reduce((a, b) => a + b, 0) === rep.perClass[i]!.support), 'each confusion-matrix row sums to its class support');
  const recallRow = metrics.confusionMatrix(te.y, rows, { numClasses: 10, normalize: 'true' });
  check(recallRow.every((row, i) => Math.abs(row[i]! - rep.perClass[i]!.recall) < 1e-12), "the normalize:'true' diagonal is per-class recall");
  await savePlot(confusionMatrixPlot(cm, { classNames: names }), join(out, 'confusion-matrix.png'));
  await savePlot(classReportPlot(rep), join(out, 'per-class.svg'));
  const worst = mostConfidentErrors(te.y, p, 10, { count: 16, probabilities: true });
  await writeFileAtomic(join(out, 'misclassified.png'), misclassifiedGridPng(te.x, worst, { classNames: names }));
  check(worst.every((w) => w.predLabel !== w.trueLabel), 'the grid shows only mistakes');
  console.log(`Plots: ${out}/confusion-matrix.png, per-class.svg, misclassified.png (surest mistake: ${names[worst[0]!.trueLabel]} → ${names[worst[0]!.predLabel]}, p = ${worst[0]!.confidence.toFixed(3)})`);

  // ---- PyTorch door: a loop, then the same functions on the logits ----
  manualSeed(3);
  const net = new nn.Sequential(new nn.Linear(784, 128), new nn.ReLU(), new nn.Linear(128, 10));
  const opt = new optim.Adam(net.parameters(), { lr: 1e-3 });
  for (let epoch = 0; epoch < (opts.small ? 3 : 5); epoch++) for (let s = 0; s < tr.n; s += 64) {
    const b = Math.min(64, tr.n - s);
    opt.zeroGrad();
    const loss = nn.functional.crossEntropy(net(tensor(tr.x.subarray(s * 784, (s + b) * 784), [b, 784])), tensor(tr.y.subarray(s, s + b), [b], { dtype: 'int32' }));
    loss.backward();
    opt.step();
  }
  net.eval();
  const logits = noGrad(() => net(Xt)) as Tensor;
  const r2 = metrics.classificationReport(te.y, logits, { classNames: names });
  console.log(`PyTorch door, test set: accuracy ${r2.accuracy.toFixed(4)}, macro F1 ${r2.macro.f1.toFixed(4)}, ROC-AUC ${(metrics.rocAucScore(te.y, logits) as number).toFixed(4)} (logits work: only the order of scores matters)`);
  check(r2.accuracy > 0.6, 'the PyTorch-style model learned (chance is 0.1)');
}

runIfMain(import.meta.url, main);
