/**
 * The main job: the whole course on Fashion-MNIST — stream the data, z-score it, build the model
 * Keras style (or PyTorch style), train with Adam and a schedule, watch the curves, diagnose bias
 * and variance, checkpoint, export to ONNX and serve it with onnxruntime.
 *
 *   npm start -- [--epochs N] [--engine auto|wasm|cpu|node|node-gpu] [--style keras|torch] [--out DIR] [--data DIR]
 */
import { parseArgs } from 'node:util';
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fitKeras, fitTorch, type TrainResult } from './train';
import { locateData, loadSplit, UsageError } from './data';
import { useBackend } from '@nn/core';
import { tfjs } from '@nn/backend-tfjs';
import { report } from './report';

const USAGE = `usage: npm start -- [--epochs N] [--engine auto|wasm|cpu|node|node-gpu] [--style keras|torch]
                    [--out DIR] [--data DIR] [--batch-size N] [--no-export] [--quick]`;

export interface Options {
  epochs: number;
  engine: 'auto' | 'wasm' | 'cpu' | 'node' | 'node-gpu';
  style: 'keras' | 'torch';
  out: string;
  data?: string;
  batchSize: number;
  export: boolean;
  quick: boolean;
}

export function parseOptions(argv: string[]): Options {
  let v;
  try {
    v = parseArgs({
      args: argv,
      options: {
        epochs: { type: 'string' },
        engine: { type: 'string', default: 'auto' },
        style: { type: 'string', default: 'keras' },
        out: { type: 'string', default: 'runs' },
        data: { type: 'string' },
        'batch-size': { type: 'string', default: '128' },
        'no-export': { type: 'boolean', default: false },
        quick: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (e) {
    throw new UsageError((e as Error).message.split('\n')[0]!);
  }
  if (v.help) throw new UsageError('help');
  const quick = v.quick!;
  const epochs = Number(v.epochs ?? (quick ? 2 : 12));
  if (!Number.isInteger(epochs) || epochs <= 0) throw new UsageError(`--epochs must be a positive integer, got "${v.epochs}".`);
  const batchSize = Number(v['batch-size']);
  if (!Number.isInteger(batchSize) || batchSize <= 0) throw new UsageError(`--batch-size must be a positive integer, got "${v['batch-size']}".`);
  if (!['auto', 'wasm', 'cpu', 'node', 'node-gpu'].includes(v.engine!)) throw new UsageError(`--engine must be one of auto, wasm, cpu, node, node-gpu; got "${v.engine}".`);
  if (!['keras', 'torch'].includes(v.style!)) throw new UsageError(`--style must be keras or torch; got "${v.style}".`);
  return { epochs, engine: v.engine as Options['engine'], style: v.style as Options['style'], out: resolve(v.out!), ...(v.data ? { data: v.data } : {}), batchSize, export: !v['no-export'], quick };
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  const t0 = performance.now();
  const be = await useBackend(tfjs({ engine: opts.engine }));
  console.log(`Engine: ${be.name}`);
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
