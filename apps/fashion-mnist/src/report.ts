import { join } from 'node:path';
import { Sequential, layers, losses, optimizers, tensor } from '@nn/core';
import { biasVariance, learningCurve, savePlot, trainingCurves } from '@nn/monitor';
import { InferenceSession, compareWithModel, exportOnnx } from '@nn/onnx';
import type { DataLocation } from './data';
import type { Options } from './options';
import { BAYES_ERROR, evaluateAccuracy, type TrainResult } from './train';
import { errorAnalysis } from './error-analysis';

const pct = (v: number) => `${(v * 100).toFixed(2)}%`;

/** Learning curve: small models trained on growing subsets (a quick, honest look at "more data?"). */
async function learningCurveStage(opts: Options, r: TrainResult) {
  const full = r.nTrain;
  const sizes = opts.quick ? [Math.min(500, full >> 1), full] : [1000, 4000, 16000, full].filter((s) => s <= full);
  if (sizes.length < 2) return null;
  const lc = await learningCurve({
    sizes,
    bayesError: BAYES_ERROR,
    trainAndEvaluate: async (n) => {
      const m = new Sequential([layers.Dense(128, { activation: 'relu', inputShape: [784] }), layers.Dense(10)]);
      m.compile({ optimizer: optimizers.Adam({ learningRate: 2e-3 }), loss: losses.SparseCategoricalCrossentropy({ fromLogits: true }), metrics: ['accuracy'] });
      const x = tensor(r.xTrain.subarray(0, n * 784), [n, 784]), y = tensor(r.yTrain.subarray(0, n), [n], { dtype: 'int32' });
      await m.fit(x, y, { epochs: opts.quick ? 1 : 2, batchSize: 128, verbose: 0, seed: 2 });
      x.dispose();
      y.dispose();
      return { trainError: 1 - evaluateAccuracy(m, r.xTrain.subarray(0, n * 784), r.yTrain.subarray(0, n)), valError: 1 - evaluateAccuracy(m, r.xVal, r.yVal) };
    },
  });
  return lc;
}

/** ONNX export, onnxruntime inference, parity and speed. */
async function onnxStage(opts: Options, r: TrainResult) {
  const path = join(opts.out, `fmnist-${opts.model}.onnx`);
  r.model.eval();
  await exportOnnx(r.model, path, { inputs: { pixels: [null, 784] }, outputs: ['logits'], docString: `Fashion-MNIST ${opts.model.toUpperCase()} trained by nn (inputs z-scored)` });
  const session = await InferenceSession.create(path);
  const n = Math.min(1000, r.yTest.length);
  const xb = tensor(r.xTest.subarray(0, n * 784), [n, 784]);
  const parity = await compareWithModel(r.model, session, xb);
  xb.dispose();
  // Throughput over the test set in batches of 1024, and batch-1 latency.
  const all = r.xTest;
  const t0 = performance.now();
  const out = await session.runBatched({ pixels: { data: all, dims: [r.yTest.length, 784] } }, 1024);
  const secs = (performance.now() - t0) / 1000;
  const logits = out.logits!;
  let maxLogit = 0;
  for (let i = 0; i < n * 10; i++) maxLogit = Math.max(maxLogit, Math.abs(Number(logits.data[i])));
  let correct = 0;
  for (let i = 0; i < r.yTest.length; i++) {
    let best = 0;
    for (let k = 1; k < 10; k++) if (logits.data[i * 10 + k]! > logits.data[i * 10 + best]!) best = k;
    if (best === r.yTest[i]) correct++;
  }
  const one = all.subarray(0, 784);
  const reps = 200;
  const t1 = performance.now();
  for (let i = 0; i < reps; i++) await session.run({ pixels: { data: one, dims: [1, 784] } });
  const latencyMs = (performance.now() - t1) / reps;
  return { path, device: session.device, maxAbsDiff: parity.maxAbsDiff, maxLogit, accuracy: correct / r.yTest.length, throughput: r.yTest.length / secs, latencyMs };
}

export async function report(opts: Options, loc: DataLocation, nTrainAll: number, nTest: number, r: TrainResult, _elapsed: number): Promise<void> {
  console.log('\n== Curves and diagnosis ==');
  const curves = trainingCurves(r.history, { bayesError: BAYES_ERROR });
  console.log(curves.summary);
  // Two different "train error" figures: say which is which.
  console.log(`(The curves' training figures are running averages over each epoch with dropout on, as fit logs them; the bias/variance line below uses the training error evaluated after training with dropout off, on ${Math.min(r.nTrain, 10_000).toLocaleString('en-US')} training images.)`);
  await savePlot(curves.spec, join(opts.out, 'training-curves.svg'));
  await savePlot(curves.spec, join(opts.out, 'training-curves.png'));
  const bv = biasVariance({ trainError: r.trainError, valError: r.valError, bayesError: BAYES_ERROR });
  console.log(`Bias/variance (human-level proxy ${pct(BAYES_ERROR)}): train error ${pct(r.trainError)} (evaluated, dropout off), validation error ${pct(r.valError)} → ${bv.verdict}. ${bv.advice.length ? `Try: ${bv.advice.join('; ')}.` : ''}`);

  let lcText = 'skipped';
  if (opts.export) {
    console.log('\n== Learning curve (a 784-128-10 proxy, 2 epochs per size, on growing subsets) ==');
    const lc = await learningCurveStage(opts, r);
    if (lc) {
      await savePlot(lc.spec, join(opts.out, 'learning-curve.svg'));
      await savePlot(lc.spec, join(opts.out, 'learning-curve.png'));
      lcText = lc.diagnosis;
      console.log(`${lcText} (for the proxy model; plot in learning-curve.png)`);
    }
  }

  let onnx: Awaited<ReturnType<typeof onnxStage>> | null = null;
  if (opts.export) {
    console.log('\n== ONNX export and onnxruntime ==');
    onnx = await onnxStage(opts, r);
    console.log(`Exported ${onnx.path}; onnxruntime on ${onnx.device}: max |Δ| vs nn = ${onnx.maxAbsDiff.toExponential(2)} on logits up to |${onnx.maxLogit.toFixed(1)}| (relative ${(onnx.maxAbsDiff / onnx.maxLogit).toExponential(1)}; float32 ε is 1.2e-7, and the two engines sum in different orders), accuracy ${pct(onnx.accuracy)}, ${Math.round(onnx.throughput).toLocaleString('en-US')} images/s at batch 1024, ${onnx.latencyMs.toFixed(3)} ms at batch 1.`);
  }

  const rows: [string, string][] = [
    ['data', `${loc.source === 'subset' ? 'shipped subset' : loc.dir} (${nTrainAll} train, ${nTest} test)`],
    ['style / engine', `${opts.style} / ${opts.engine}`],
    ['epochs × batch', `${r.history.epoch.length} × ${opts.batchSize}`],
    ['train / val split', `${r.nTrain} / ${r.nVal}`],
    ['training time', `${r.trainSeconds.toFixed(1)} s (${Math.round((r.nTrain * r.history.epoch.length) / r.trainSeconds).toLocaleString('en-US')} samples/s)`],
    ['train error (evaluated) / val error', `${pct(r.trainError)} / ${pct(r.valError)}`],
    ['bias / variance', `${bv.verdict} (avoidable bias ${pct(bv.avoidableBias)}, variance ${pct(bv.variance)})`],
    ['TEST ACCURACY', pct(r.testAccuracy)],
    ...(onnx ? ([['ONNX parity (max |Δ|)', onnx.maxAbsDiff.toExponential(2)], ['ORT speed', `${Math.round(onnx.throughput).toLocaleString('en-US')} img/s, ${onnx.latencyMs.toFixed(3)} ms@1`]] as [string, string][]) : []),
    ['outputs', `${opts.out}/ (training-curves.png, ${lcText === 'skipped' ? '' : 'learning-curve.png, '}tensorboard/, logs/, checkpoint/${onnx ? `, fmnist-${opts.model}.onnx` : ''})`],
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  console.log('\n== Summary ==');
  for (const [k, v] of rows) console.log(`${k.padEnd(w)}  ${v}`);

  await errorAnalysis(opts, r);
}

/** `--augment`: the variance gap (validation − training error, training error evaluated with dropout off) of both runs. */
export function printVarianceGaps(plain: TrainResult, augmented: TrainResult): void {
  console.log('\n== Augmentation and the variance gap (same model, data, epochs and seeds) ==');
  const rows = [['', 'train error (evaluated)', 'val error', 'gap (val − train)', 'test accuracy'], ...([['plain', plain], ['augmented', augmented]] as const).map(([k, r]) => [k, pct(r.trainError), pct(r.valError), pct(r.valError - r.trainError), pct(r.testAccuracy)])];
  const w = rows[0]!.map((_, j) => Math.max(...rows.map((r) => r[j]!.length)));
  for (const r of rows) console.log(r.map((c, j) => c.padStart(w[j]!)).join('  '));
  const g0 = plain.valError - plain.trainError, g1 = augmented.valError - augmented.trainError;
  console.log(`Augmentation ${g1 < g0 ? 'narrowed' : 'did not narrow'} the gap by ${pct(g0 - g1)} (${pct(g0)} → ${pct(g1)}); validation error ${augmented.valError < plain.valError ? 'fell' : 'did not fall'} (${pct(plain.valError)} → ${pct(augmented.valError)}). The plain run's files are in plain/.`);
}
