/**
 * The main job: the whole course on Fashion-MNIST — stream the data, z-score it, build the model
 * Keras style (or PyTorch style), train with Adam and a schedule, watch the curves, diagnose bias
 * and variance, checkpoint, export to ONNX and serve it with onnxruntime.
 *
 *   npm start -- [--epochs N] [--engine auto|ort|eager|wasm|cpu|node|node-gpu] [--style keras|torch] [--out DIR] [--data DIR]
 *
 * By default (`--engine auto`) training steps run compiled in onnxruntime (the ort engine of
 * @nn/onnx: fit's default engine, compileTrainStep in the PyTorch loop); evaluation, the first step
 * and everything else run on tfjs 'auto'. `--engine eager` (or a tfjs engine name) trains eagerly.
 */
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fitKeras, fitTorch, type TrainResult } from './train';
import { locateData, loadSplit, UsageError } from './data';
import { parseOptions, USAGE } from './options';
import { useBackend } from '@nn/core';
import { tfjs } from '@nn/backend-tfjs';
import { report } from './report';

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  const t0 = performance.now();
  const compiled = opts.engine === 'auto' || opts.engine === 'ort';
  const e = opts.engine;
  const be = await useBackend(tfjs({ engine: e === 'auto' || e === 'ort' || e === 'eager' ? 'auto' : e }));
  console.log(`Engine: ${compiled ? `training steps compiled in onnxruntime (${opts.engine === 'auto' ? "fit's default engine 'auto'" : 'ort'}), ${be.name} for the rest` : `eager training on ${be.name}`}`);
  const loc = locateData(opts.data);
  console.log(`Data: ${loc.dir} (${loc.source === 'subset' ? 'the small subset shipped in the repo: install dataset-fashion-mnist for the full set' : loc.source === 'debian' ? "Debian's dataset-fashion-mnist" : '--data'})`);
  const train = await loadSplit(loc.dir, 'train');
  const test = await loadSplit(loc.dir, 'test');
  await mkdir(opts.out, { recursive: true });
  const result: TrainResult = opts.style === 'keras' ? await fitKeras(opts, train, test, loc.dir) : await fitTorch(opts, train, test, loc.dir);
  await report(opts, loc, train.n, test.n, result, (performance.now() - t0) / 1000);
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
