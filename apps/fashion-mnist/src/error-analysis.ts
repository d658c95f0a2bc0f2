import { join } from 'node:path';
import { metrics, noGrad, scope, tensor, type Tensor } from '@nn/core';
import { FASHION_MNIST_CLASSES } from '@nn/data';
import { classReportPlot, confusionMatrixPlot, misclassifiedGridPng, savePlot, writeErrorAnalysis, writeFileAtomic } from '@nn/monitor';
import type { Options } from './options';
import type { TrainResult } from './train';

/** Test-set logits of the trained model, in eval mode (dropout off, BatchNorm running statistics). */
function testLogits(r: TrainResult, batch = 1000): Float32Array {
  const was = r.model.training;
  r.model.eval();
  const n = r.yTest.length, out = new Float32Array(n * 10);
  for (let s = 0; s < n; s += batch) {
    const b = Math.min(batch, n - s);
    noGrad(() => scope(() => out.set((r.model(tensor(r.xTest.subarray(s * 784, (s + b) * 784), [b, 784])) as Tensor).dataSync() as Float32Array, s * 10)));
  }
  r.model.train(was);
  return out;
}

/**
 * The course's "look at the mistakes" on the test set: the per-class precision/recall/F1 table
 * (printed), one-vs-rest ROC-AUC and top-2 accuracy, `confusion-matrix.png`/`.svg`,
 * `per-class.svg` and `misclassified.png` (the 24 most confident mistakes) in the output folder,
 * and the same analysis as `error-analysis.json` in the run's log folder, for `nn-monitor`.
 */
export async function errorAnalysis(opts: Options, r: TrainResult): Promise<string[]> {
  console.log('\n== Error analysis (test set) ==');
  const logits = testLogits(r);
  const names = [...FASHION_MNIST_CLASSES];
  // One computation (core's metrics, through @nn/monitor): printed here, plotted here, and written to
  // the run's log folder as error-analysis.json for the dashboard (npx nn-monitor <out>/logs).
  const a = await writeErrorAnalysis(r.runDir, { labels: r.yTest, scores: logits, numClasses: 10, classNames: names, images: r.xTest, imageShape: [28, 28], count: 24 });
  const rep: metrics.ClassificationReport = { ...a.report, matrix: a.confusionMatrix };
  console.log(metrics.formatClassificationReport(rep));
  const byRecall = [...rep.perClass].sort((x, y) => x.recall - y.recall);
  const m = rep.matrix;
  let worst = { t: 0, p: 1, n: -1 };
  m.forEach((row, t) => row.forEach((n, p) => { if (t !== p && n > worst.n) worst = { t, p, n }; }));
  console.log(`ROC-AUC (one-vs-rest, macro; exact, as scikit-learn) ${a.rocAuc === null ? `undefined (${a.rocAucError})` : a.rocAuc.toFixed(4)}; top-2 accuracy ${(a.top2Accuracy * 100).toFixed(2)}%.`);
  console.log(`Hardest class: ${byRecall[0]!.name} (recall ${(byRecall[0]!.recall * 100).toFixed(1)}%); most common confusion: ${names[worst.t]} → ${names[worst.p]} (${worst.n} of ${rep.perClass[worst.t]!.support}).`);
  await savePlot(confusionMatrixPlot(m, { classNames: names, title: 'Fashion-MNIST test set: confusion matrix' }), join(opts.out, 'confusion-matrix.png'));
  await savePlot(confusionMatrixPlot(m, { classNames: names, title: 'Fashion-MNIST test set: confusion matrix' }), join(opts.out, 'confusion-matrix.svg'));
  await savePlot(classReportPlot(rep), join(opts.out, 'per-class.svg'));
  await writeFileAtomic(join(opts.out, 'misclassified.png'), misclassifiedGridPng(r.xTest, a.mistakes, { classNames: names, columns: 8 }));
  console.log(`Wrote confusion-matrix.png, per-class.svg and misclassified.png (the ${a.mistakes.length} most confident mistakes) to ${opts.out}/, and ${join(r.runDir, 'error-analysis.json')} (shown by \`npx nn-monitor ${join(opts.out, 'logs')}\`).`);
  return ['confusion-matrix.png', 'per-class.svg', 'misclassified.png'];
}
