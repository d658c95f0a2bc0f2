/**
 * Exponentially weighted averages, as the course writes them: vₜ = βvₜ₋₁ + (1 − β)θₜ averages over
 * about 1/(1 − β) values, and vₜ/(1 − βᵗ) corrects the start's pull towards v₀ = 0. Then the same
 * helper smoothing a noisy per-batch loss: in the progress display (PyTorch loop) and in the
 * training-curves plot (Keras `fit`).
 *
 *   npx tsx src/ewa.ts
 */
import { join } from 'node:path';
import {
  ExponentiallyWeightedAverage, ProgressReporter, Sequential, ewa, lambdaCallback, layers, losses, manualSeed, nn, optim, optimizers, scope, tensor,
} from '@nn/core';
import { savePlot, trainingCurves, type VegaLiteSpec } from '@nn/monitor';
import { check, fmt, makeClassification, printTable, randnHost, runIfMain, setup, tempDir, type ExampleOptions } from './common';

export async function main(opts: ExampleOptions = {}): Promise<void> {
  await setup();
  const dir = await tempDir('ewa');

  // ---- The course's temperatures: a noisy seasonal series over a year ----
  const g = randnHost(11);
  const days = 365;
  const temps = Array.from({ length: days }, (_, d) => 12 + 10 * Math.sin((2 * Math.PI * (d - 100)) / 365) + 4 * g());
  const series: Record<string, number[]> = {
    'β = 0.5 (≈2 days)': ewa(temps, 0.5),
    'β = 0.9 (≈10 days)': ewa(temps, 0.9),
    'β = 0.98 (≈50 days)': ewa(temps, 0.98),
    'β = 0.98, no bias correction': ewa(temps, 0.98, { biasCorrection: false }),
  };
  printTable(Object.entries(series).map(([name, v]) => ({ average: name, 'day 1': fmt(v[0]!), 'day 5': fmt(v[4]!), 'day 30': fmt(v[29]!), 'day 200': fmt(v[199]!) })));
  console.log(`raw: day 1 ${fmt(temps[0]!)}, day 5 ${fmt(temps[4]!)}. Without the correction the average starts at (1 − β)·θ₁ = ${fmt(0.02 * temps[0]!)}.`);
  check(series['β = 0.98 (≈50 days)']![0] === temps[0], 'bias-corrected: the first average is θ₁ itself');
  check(Math.abs(series['β = 0.98, no bias correction']![0]! - 0.02 * temps[0]!) < 1e-12, 'uncorrected: v₁ = (1 − β)θ₁');
  const late = (k: string) => series[k]![days - 1]!;
  check(Math.abs(late('β = 0.98 (≈50 days)') - late('β = 0.98, no bias correction')) < 1e-3 * Math.abs(late('β = 0.98 (≈50 days)')), 'the correction fades (β^365 = 6e-4)');
  const rough = (v: number[]) => v.slice(1).reduce((s, x, i) => s + Math.abs(x - v[i]!), 0);
  check(rough(series['β = 0.98 (≈50 days)']!) < rough(series['β = 0.9 (≈10 days)']!) && rough(series['β = 0.9 (≈10 days)']!) < rough(temps), 'larger β: smoother');

  const values = [
    ...temps.map((t, d) => ({ day: d + 1, series: 'raw θ', t })),
    ...Object.entries(series).flatMap(([name, v]) => v.map((t, d) => ({ day: d + 1, series: name, t }))),
  ];
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'Exponentially weighted averages of a noisy series',
    width: 640, height: 300, data: { values },
    layer: [
      { transform: [{ filter: "datum.series === 'raw θ'" }], mark: { type: 'point', size: 8, opacity: 0.4, color: 'grey' }, encoding: { x: { field: 'day', type: 'quantitative' }, y: { field: 't', type: 'quantitative', title: 'temperature' } } },
      { transform: [{ filter: "datum.series !== 'raw θ'" }], mark: 'line', encoding: { x: { field: 'day', type: 'quantitative' }, y: { field: 't', type: 'quantitative' }, color: { field: 'series', type: 'nominal', legend: { labelLimit: 260 } } } },
    ],
  } as VegaLiteSpec;
  await savePlot(spec, join(dir, 'ewa.png'));
  console.log(`plot: ${join(dir, 'ewa.png')}`);

  // ---- PyTorch door: the progress display smooths the per-batch loss ----
  const n = opts.small ? 256 : 1024, batch = 16, epochs = 3;
  const d = makeClassification(n, 10, 3, 5);
  const x = tensor(d.x, [n, 10]), y = tensor(d.y, [n], { dtype: 'int32' });
  manualSeed(1);
  const net = new nn.Sequential(new nn.Linear(10, 32), new nn.ReLU(), new nn.Linear(32, 3));
  const opt = new optim.SGD(net.parameters(), { lr: 0.05 });
  const progress = new ProgressReporter(2, epochs, process.stdout, { smoothing: 0.9 });
  const mine = new ExponentiallyWeightedAverage(0.9);
  for (let e = 0; e < epochs; e++) {
    progress.epochBegin(e, Math.ceil(n / batch));
    let sum = 0, seen = 0;
    for (let s = 0; s < n; s += batch) {
      const l = scope(() => {
        opt.zeroGrad();
        const loss = nn.functional.crossEntropy(net(x.slice([s, 0], [batch, 10])), y.slice([s], [batch]));
        loss.backward();
        opt.step();
        return loss.item();
      });
      sum += l * batch, seen += batch;
      mine.update(l);
      progress.batchEnd(s / batch, { loss: sum / seen }, { loss: l });
    }
    progress.epochEnd(e, { loss: sum / seen });
  }
  check(Math.abs(progress.smoothedLogs().loss_ewa! - mine.value) < 1e-12, 'loss_ewa is the streaming average of the batch losses');

  // ---- Keras door: per-batch losses from fit, smoothed in the training-curves plot ----
  manualSeed(1);
  const model = new Sequential([layers.Dense(32, { inputShape: [10], activation: 'relu' }), layers.Dense(3)]);
  model.compile({ optimizer: optimizers.SGD({ learningRate: 0.05 }), loss: losses.SparseCategoricalCrossentropy({ fromLogits: true }) });
  const batchLoss: number[] = [];
  await model.fit(x, y, { epochs, batchSize: batch, shuffle: false, verbose: 0, callbacks: [lambdaCallback({ onBatchEnd: (_s, logs) => void batchLoss.push(logs!.loss!) })] });
  const curves = trainingCurves({ history: { loss: batchLoss } }, { smoothing: 0.95 });
  await savePlot(curves.spec, join(dir, 'batch-loss-smoothed.png'));
  console.log(`Keras fit: ${batchLoss.length} batch losses, first ${fmt(batchLoss[0]!)}, last ${fmt(batchLoss.at(-1)!)}, smoothed last ${fmt(ewa(batchLoss, 0.95).at(-1)!)}; plot: ${join(dir, 'batch-loss-smoothed.png')}`);
  check(ewa(batchLoss, 0.95).at(-1)! < batchLoss[0]!, 'the smoothed loss went down');
}

runIfMain(import.meta.url, main);
