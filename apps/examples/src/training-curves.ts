/**
 * Training and validation curves, and a learning curve: what the shapes say about bias and
 * variance, plotted to SVG/PNG in a temp folder with @nn/monitor (Vega-Lite). Keras door (`fit`
 * history) and PyTorch door (a `History` filled by hand).
 *
 *   npx tsx src/training-curves.ts
 */
import { join } from 'node:path';
import { History, Sequential, layers, losses, nn, optim, optimizers, tensor, manualSeed, noGrad, type Tensor } from '@nn/core';
import { trainingCurves, learningCurve, savePlot } from '@nn/monitor';
import { check, makeClassification, runIfMain, setup, tempDir, type ExampleOptions } from './common';

export async function main(opts: ExampleOptions = {}): Promise<void> {
  await setup();
  const out = await tempDir('curves');
  const n = 200, nv = 500;
  const d = makeClassification(n + nv, 10, 4, 31, 0); // a noise-free teacher: Bayes error ≈ 0
  const bayes = { bayesError: 0.005, bayesTolerance: 0.005 };
  const xt = tensor(d.x.subarray(0, n * 10), [n, 10]), yt = tensor(d.y.subarray(0, n), [n], { dtype: 'int32' });
  const xv = tensor(d.x.subarray(n * 10), [nv, 10]), yv = tensor(d.y.subarray(n), [nv], { dtype: 'int32' });
  const epochs = opts.small ? 30 : 60;

  // ---- Keras door: an over-sized model; the validation loss bottoms out, then rises ----
  manualSeed(1);
  const model = new Sequential([layers.Dense(128, { inputShape: [10], activation: 'relu' }), layers.Dense(128, { activation: 'relu' }), layers.Dense(4)]);
  model.compile({ optimizer: optimizers.Adam({ learningRate: 3e-3 }), loss: losses.SparseCategoricalCrossentropy({ fromLogits: true }), metrics: ['accuracy'] });
  const history = await model.fit(xt, yt, { epochs, batchSize: 50, verbose: 0, validationData: [xv, yv] });
  const curves = trainingCurves(history, bayes);
  console.log(`Keras fit, ${epochs} epochs: ${curves.summary}`);
  for (const dg of curves.diagnoses) console.log(`  ${dg.metric}: ${dg.kind}${dg.bestValEpoch !== undefined ? ` (best validation epoch ${dg.bestValEpoch})` : ''}`);
  await savePlot(curves.spec, join(out, 'keras-curves.svg'));
  await savePlot(curves.spec, join(out, 'keras-curves.png'));
  const lossDiag = curves.diagnoses.find((x) => x.metric === 'loss');
  check(lossDiag?.kind.includes('variance') ?? false, 'the over-sized model is diagnosed with high variance from its loss curves');

  // ---- PyTorch door: fill a History by hand, then the same analysis ----
  manualSeed(1);
  const net = new nn.Sequential(new nn.Linear(10, 4)); // a linear model: underfits the non-linear teacher a little
  const opt = new optim.SGD(net.parameters(), { lr: 0.05 });
  const h = new History();
  const lossOf = (x: Tensor, y: Tensor) => noGrad(() => nn.functional.crossEntropy(net(x), y).item());
  for (let epoch = 0; epoch < epochs; epoch++) {
    net.train();
    for (let s = 0; s < n; s += 50) {
      opt.zeroGrad();
      const loss = nn.functional.crossEntropy(net(xt.slice([s, 0], [50, 10])), yt.slice([s], [50]));
      loss.backward();
      opt.step();
      loss.dispose();
    }
    net.eval();
    h.onEpochEnd(epoch, { loss: lossOf(xt, yt), val_loss: lossOf(xv, yv) });
  }
  const torchCurves = trainingCurves(h);
  console.log(`PyTorch loop (a linear model), ${epochs} epochs: ${torchCurves.summary}`);
  await savePlot(torchCurves.spec, join(out, 'torch-curves.svg'));

  // ---- A learning curve: error against training-set size ----
  const sizes = opts.small ? [25, 50, 100, 200] : [25, 50, 100, 200, 400];
  const big = makeClassification(400 + nv, 10, 4, 32, 0);
  const lxv = tensor(big.x.subarray(400 * 10), [nv, 10]), lyv = tensor(big.y.subarray(400), [nv], { dtype: 'int32' });
  const lc = await learningCurve({
    sizes, ...bayes,
    trainAndEvaluate: async (size) => {
      manualSeed(1);
      const m = new Sequential([layers.Dense(64, { inputShape: [10], activation: 'relu' }), layers.Dense(4)]);
      m.compile({ optimizer: optimizers.Adam({ learningRate: 1e-2 }), loss: losses.SparseCategoricalCrossentropy({ fromLogits: true }), metrics: ['accuracy'] });
      const x = tensor(big.x.subarray(0, size * 10), [size, 10]), y = tensor(big.y.subarray(0, size), [size], { dtype: 'int32' });
      await m.fit(x, y, { epochs: opts.small ? 20 : 40, batchSize: 25, verbose: 0 });
      const tr = await m.evaluate(x, y), va = await m.evaluate(lxv, lyv);
      return { trainError: 1 - tr.accuracy!, valError: 1 - va.accuracy! };
    },
    onPoint: (p) => console.log(`  n=${String(p.size).padStart(3)}: train error ${(p.trainError * 100).toFixed(1)}%, val error ${(p.valError * 100).toFixed(1)}%`),
  });
  console.log(`learning curve: ${lc.diagnosis}`);
  await savePlot(lc.spec, join(out, 'learning-curve.svg'));
  check(lc.points.at(-1)!.valError < lc.points[0]!.valError, 'more data lowers the validation error');
  console.log(`plots: ${out}/{keras-curves.svg,keras-curves.png,torch-curves.svg,learning-curve.svg}`);
}

runIfMain(import.meta.url, main);
