/**
 * Issue 4: ONE `fit` epoch of FMNIST-MLP with @nn/core on the default engine, against the same model
 * in raw tfjs-layers (`tf.sequential` + `model.fit`) on the same tfjs engine, in one process, timed
 * in alternating order; and against PyTorch on this machine (best thread count) where
 * /usr/bin/python3 has torch.
 *
 * Model: x/255; 784 → Dense 256 relu → Dropout .2 → BatchNorm → Dense 128 relu → Dropout .2 → Dense 10;
 * Glorot-uniform; Adam 1e-3 (eps 1e-7); batch 64; shuffled.
 */
import { fileURLToPath } from 'node:url';
import { Sequential, layers, losses, manualSeed, optimizers, tensor, useBackend } from '@nn/core';
import { tfjs } from '@nn/backend-tfjs';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
// tfjs-core in Node registers no gradients; tfjs-layers' fit needs them (the backend-tfjs bench's helper).
import { registerTfjsGradients } from '../../../../packages/backend-tfjs/bench/tfjs-gradients';
import { loadFmnist, fmnistDir } from '../fmnist';
import { blasNote, peerBlas, torchAvailable, runPython } from '../python';
import { fmt, fmtSummary, median, spread, summarize, table } from '../stats';
import type { Bench, BenchOptions, BenchResult, Headline } from '../types';

const PEER = fileURLToPath(new URL('../../peers/fmnist_epoch_torch.py', import.meta.url));

interface TorchEpoch {
  torch: string;
  rows: number;
  default_threads: number;
  probe: Record<string, number>;
  threads: number;
  seconds: number[];
  blas_info: string | null;
  blas_libs: string[];
  mkldnn: boolean;
  /** torch.set_flush_denormal(True) took effect (FTZ/DAZ on this CPU). */
  flush_denormal: boolean;
}

function oursModel() {
  manualSeed(0);
  const model = new Sequential([
    layers.Dense(256, { activation: 'relu', inputShape: [784] }),
    layers.Dropout(0.2),
    layers.BatchNormalization(),
    layers.Dense(128, { activation: 'relu' }),
    layers.Dropout(0.2),
    layers.Dense(10),
  ]);
  model.compile({
    optimizer: optimizers.Adam({ learningRate: 1e-3, epsilon: 1e-7 }),
    loss: losses.SparseCategoricalCrossentropy({ fromLogits: true }),
    metrics: ['accuracy'],
  });
  return model;
}

function rawModel(): tfl.Sequential {
  const model = tfl.sequential({
    layers: [
      tfl.layers.dense({ units: 256, activation: 'relu', inputShape: [784], kernelInitializer: 'glorotUniform' }),
      tfl.layers.dropout({ rate: 0.2 }),
      tfl.layers.batchNormalization(),
      tfl.layers.dense({ units: 128, activation: 'relu', kernelInitializer: 'glorotUniform' }),
      tfl.layers.dropout({ rate: 0.2 }),
      // tfjs-layers has no from-logits option for its string losses: softmax + sparse CE is the idiomatic form.
      tfl.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: 'glorotUniform' }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(1e-3, 0.9, 0.999, 1e-7), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}

export async function run(opts: BenchOptions): Promise<BenchResult> {
  const notes: string[] = [];
  const headlines: Headline[] = [];
  const tables: string[] = [];
  const rows = opts.quick ? 6400 : Infinity;
  const data = loadFmnist('train', rows);
  notes.push(`Data: ${data.source}; one epoch = ${Math.ceil(data.n / 64)} steps of batch 64.`);

  const backend = await useBackend(tfjs());
  const info = (backend as { engineInfo?: { name?: string; reason?: string } }).engineInfo;
  await registerTfjsGradients();
  const engine = tf.getBackend();
  notes.push(`Engine: nn default \`useBackend(tfjs())\` → ${backend.name}${info?.reason ? ` (${info.reason})` : ''}; raw tfjs-layers ${tfl.version_layers} runs on tfjs backend "${engine}" in the same process.`);

  // Inputs on both sides, built once.
  const x = tensor(data.x, [data.n, 784]);
  const y = tensor(data.y, [data.n], { dtype: 'int32' });
  const tx = tf.tensor2d(data.x, [data.n, 784]);
  const ty = tf.tensor2d(Float32Array.from(data.y), [data.n, 1]);

  const ours = oursModel();
  const raw = rawModel();
  // Warm-up: JIT, kernel caches, the first allocation of every shape (32 steps each).
  const wx = tensor(data.x.subarray(0, 2048 * 784), [2048, 784]), wy = tensor(data.y.subarray(0, 2048), [2048], { dtype: 'int32' });
  await ours.fit(wx, wy, { epochs: 1, batchSize: 64, verbose: 0, seed: 1 });
  wx.dispose();
  wy.dispose();
  await tf.tidy(() => tf.zeros([1])).data();
  await raw.fit(tf.slice(tx, 0, 2048), tf.slice(ty, 0, 2048), { epochs: 1, batchSize: 64, verbose: 0 });

  const secs: Record<'ours' | 'raw', number[]> = { ours: [], raw: [] };
  const finalLoss: Record<'ours' | 'raw', number> = { ours: NaN, raw: NaN };
  const tensorsBefore = tf.memory().numTensors;
  const sides = {
    ours: async () => {
      const h = await ours.fit(x, y, { epochs: 1, batchSize: 64, verbose: 0, seed: 2 });
      finalLoss.ours = h.history.loss!.at(-1)!;
    },
    raw: async () => {
      const h = await raw.fit(tx, ty, { epochs: 1, batchSize: 64, verbose: 0, shuffle: true });
      finalLoss.raw = h.history.loss!.at(-1) as number;
    },
  };
  for (let r = 0; r < opts.reps; r++) {
    for (const k of r % 2 ? (['raw', 'ours'] as const) : (['ours', 'raw'] as const)) {
      const t0 = performance.now();
      await sides[k]();
      secs[k].push((performance.now() - t0) / 1000);
    }
  }
  const leaked = tf.memory().numTensors - tensorsBefore;
  const ratios = secs.ours.map((s, i) => s / secs.raw[i]!);
  const o = summarize(secs.ours), w = summarize(secs.raw);
  headlines.push({
    measure: `fit, 1 epoch FMNIST-MLP (${data.n} rows, batch 64), time`,
    ours: `nn fit: ${fmt(o.median)} s`,
    peer: `tfjs-layers fit: ${fmt(w.median)} s`,
    ratio: median(ratios),
    spread: spread(ratios),
    target: '≤ 1.0',
    met: median(ratios) <= 1.0,
  });
  const sampleRate = (s: number) => fmt(data.n / s);
  const detail: string[][] = [
    [`nn \`model.fit\` (${backend.name})`, fmtSummary(o, ' s'), sampleRate(o.median), fmt(finalLoss.ours, 4), '1.00'],
    [`tfjs-layers \`model.fit\` (${engine})`, fmtSummary(w, ' s'), sampleRate(w.median), fmt(finalLoss.raw, 4), fmt(w.median / o.median)],
  ];
  notes.push(`Each side ran ${opts.reps} timed epochs in alternating order after a 32-step warm-up; the ratio is per pair (ours/tfjs-layers), median and min–max. Tensors left after the timed epochs: ${leaked}.`);

  // PyTorch peer.
  const torch = torchAvailable();
  if (!torch.ok) notes.push(`PyTorch peer skipped: ${torch.reason}.`);
  else {
    try {
      const p = runPython<TorchEpoch>(PEER, [fmnistDir().dir, String(data.n), String(opts.reps), '1,2']);
      const t = summarize(p.seconds);
      detail.push([`PyTorch ${p.torch} (${p.threads} thread${p.threads > 1 ? 's' : ''})`, fmtSummary(t, ' s'), sampleRate(t.median), '', fmt(t.median / o.median)]);
      // Not a headline: this peer is not timed by the fair method (interleaved cells, the same
      // threads, per CPU-second); train-mlp and train-fmnist are (issue 20).
      const probes = Object.entries(p.probe).map(([k, v]) => `${k} thread${k === '1' ? '' : 's'} ${fmt(v)} s`).join(', ');
      notes.push(
        `PyTorch ${p.torch} (/usr/bin/python3, ${blasNote(peerBlas())}, flush denormals ${p.flush_denormal}): BLAS_INFO=${p.blas_info}, BLAS libraries mapped: ${p.blas_libs.map((l) => l.split('/').slice(-2).join('/')).join(', ') || 'none'}; MKL-DNN available: ${p.mkldnn}. ` +
          `"At its best": probe of 2,048 rows per thread count (${probes}); timed with ${p.threads}. Its default is ${p.default_threads} thread(s). This row is context, not a comparison claim: it is not interleaved with ours and picks its threads from one probe; the fair nn-vs-PyTorch training numbers are \`train-mlp\` and \`train-fmnist\` (issue 20).`,
      );
    } catch (e) {
      notes.push(`PyTorch peer failed: ${(e as Error).message}`);
    }
  }
  tables.push(table(['side', 'epoch time, median (min–max)', 'samples/s', 'last-batch loss', 'time ÷ nn'], detail));
  for (const t of [x, y]) t.dispose();
  tx.dispose();
  ty.dispose();
  return { name: 'fit-epoch', title: bench.title, issues: bench.issues, status: 'ok', headlines, tables, notes };
}

export const bench: Bench = { name: 'fit-epoch', title: 'FMNIST-MLP: one `fit` epoch (nn vs tfjs-layers vs PyTorch)', issues: [4], run };
