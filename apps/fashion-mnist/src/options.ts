import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { UsageError } from './data';

export const USAGE = `usage: npm start -- [--epochs N] [--engine auto|ort|eager|wasm|cpu|node|node-gpu] [--style keras|torch]
                    [--out DIR] [--data DIR] [--batch-size N] [--no-export] [--quick]`;

export interface Options {
  epochs: number;
  /**
   * 'auto' (default): training steps compiled for onnxruntime when @nn/onnx loads (fit's default engine;
   * compileTrainStep in the PyTorch loop), the rest on tfjs 'auto'; 'ort': the same, required; 'eager':
   * eager training on tfjs 'auto'; a tfjs engine name: eager training on that engine.
   */
  engine: 'auto' | 'ort' | 'eager' | 'wasm' | 'cpu' | 'node' | 'node-gpu';
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
  if (!['auto', 'ort', 'eager', 'wasm', 'cpu', 'node', 'node-gpu'].includes(v.engine!)) throw new UsageError(`--engine must be one of auto, ort, eager, wasm, cpu, node, node-gpu; got "${v.engine}".`);
  if (!['keras', 'torch'].includes(v.style!)) throw new UsageError(`--style must be keras or torch; got "${v.style}".`);
  return { epochs, engine: v.engine as Options['engine'], style: v.style as Options['style'], out: resolve(v.out!), ...(v.data ? { data: v.data } : {}), batchSize, export: !v['no-export'], quick };
}

