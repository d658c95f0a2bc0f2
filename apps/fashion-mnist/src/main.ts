/**
 * The main job: the whole course on Fashion-MNIST — stream the data, z-score it, build the model
 * Keras style (or PyTorch style), train with Adam and a schedule, watch the curves, diagnose bias
 * and variance, checkpoint, export to ONNX and serve it with onnxruntime.
 *
 *   npm start -- [--epochs N] [--engine auto|ort|eager|wasm|cpu|node|node-gpu] [--model mlp|cnn] [--style keras|torch] [--out DIR] [--data DIR]
 *   npm start -- --help     (every flag, its default and what it does)
 *
 * By default (`--engine auto`) training steps run compiled in onnxruntime (the ort engine of
 * @nn/onnx: fit's default engine, compileTrainStep in the PyTorch loop); evaluation, the first step
 * and everything else run on tfjs 'auto'. `--engine eager` (or a tfjs engine name) trains eagerly.
 */
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fitKeras, fitTorch, type TrainResult } from './train';
import { locateData, loadSplit, UsageError } from './data';
import { parseOptions, QUICK_LIMITS, USAGE } from './options';
import { useBackend } from '@nn/core';
import { tfjs } from '@nn/backend-tfjs';
import { printVarianceGaps, report } from './report';

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  const t0 = performance.now();
  const compiled = opts.engine === 'auto' || opts.engine === 'ort';
  const e = opts.engine;
  const be = await useBackend(tfjs({ engine: e === 'auto' || e === 'ort' || e === 'eager' ? 'auto' : e }));
  console.log(`Engine: ${compiled ? `training steps compiled in onnxruntime (${opts.engine === 'auto' ? "fit's default engine 'auto'" : 'ort'}), ${be.name} for the rest` : `eager training on ${be.name}`}`);
  const loc = locateData(opts.data);
  console.log(`Data: ${loc.dir} (${loc.source === 'subset' ? 'the small subset shipped in the repo: install dataset-fashion-mnist for the full set' : loc.source === 'debian' ? "Debian's dataset-fashion-mnist" : '--data'})`);
  // --quick: the first QUICK_LIMITS images of each split (all of the shipped subset), so it stays quick on the full set.
  const train = await loadSplit(loc.dir, 'train', opts.quick ? QUICK_LIMITS.train : undefined);
  const test = await loadSplit(loc.dir, 'test', opts.quick ? QUICK_LIMITS.test : undefined);
  if (opts.quick) console.log(`--quick: ${train.n.toLocaleString('en-US')} training and ${test.n.toLocaleString('en-US')} test images (at most ${QUICK_LIMITS.train.toLocaleString('en-US')} / ${QUICK_LIMITS.test.toLocaleString('en-US')}), 2 epochs unless --epochs.`);
  await mkdir(opts.out, { recursive: true });
  const fit = (o: typeof opts) => (o.style === 'keras' ? fitKeras(o, train, test, loc.dir) : fitTorch(o, train, test, loc.dir));
  // --augment: first the same model without augmentation (its files in <out>/plain), for the variance gap beside it.
  let plain: TrainResult | null = null;
  if (opts.comparePlain) {
    console.log('\n== --augment: first the plain run (no augmentation), for comparison ==');
    plain = await fit({ ...opts, augment: false, export: false, out: join(opts.out, 'plain') });
    console.log('\n== The same model with data augmentation ==');
  }
  const result: TrainResult = await fit(opts);
  await report(opts, loc, train.n, test.n, result, (performance.now() - t0) / 1000);
  if (plain) printVarianceGaps(plain, result);
}


main().catch((e: unknown) => {
  if (e instanceof UsageError) {
    if (e.message !== 'help') console.error(`error: ${e.message}`);
    console.error(USAGE);
    process.exit(e.message === 'help' ? 0 : 2);
  }
  const err = e as Error;
  console.error(`error: ${err.name && err.name !== 'Error' ? `${err.name}: ` : ''}${err.message}`);
  if (process.env.NN_DEBUG) console.error(err.stack);
  process.exit(1);
});
