import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { UsageError } from './data';

/** Rows of training / test data `--quick` keeps when the data set is larger (the full 60,000 / 10,000). */
export const QUICK_LIMITS = { train: 5000, test: 1000 } as const;

/** Default epochs of `--model cnn`. */
export const CNN_EPOCHS = 15;

/** Every flag: its value, its default and what it does — the source of `--help`. */
export const FLAGS: readonly { flag: string; value?: string; default: string; help: string }[] = [
  { flag: '--epochs', value: 'N', default: '12 (mlp) or 15 (cnn); 2 with --quick', help: 'training epochs' },
  { flag: '--engine', value: 'auto|ort|eager|wasm|cpu|node|node-gpu', default: 'auto', help: "auto: training steps compiled for onnxruntime when @nn/onnx loads (fit's default engine; compileTrainStep in the PyTorch loop), the rest on tfjs auto (tfjs-node-gpu > tfjs-node > wasm > cpu); ort: the same, required; eager: eager training on tfjs auto; a tfjs engine name: eager training on it" },
  { flag: '--model', value: 'mlp|cnn', default: 'mlp', help: 'mlp: 784-512-BN-dropout-256-dropout-10; cnn: a small conv net (conv32-BN-pool-conv64-BN-pool-dense128-dropout-10) trained with augmentation on (random flip and shifts of one whole pixel at most, Keras layers or @nn/data transforms)' },
  { flag: '--style', value: 'keras|torch', default: 'keras', help: 'Keras door (Model, compile/fit, callbacks) or PyTorch door (nn.Module, DataLoader, optim.Adam, a manual loop)' },
  { flag: '--out', value: 'DIR', default: 'runs', help: 'where plots, logs, the checkpoint and the ONNX file go' },
  { flag: '--data', value: 'DIR', default: "Debian's /usr/share/datasets/fashion-mnist, else the subset in apps/fashion-mnist/data", help: 'a folder with the four Fashion-MNIST IDX files (.gz or not)' },
  { flag: '--batch-size', value: 'N', default: '128', help: 'mini-batch size' },
  { flag: '--no-export', default: 'off', help: 'skip the learning curve, the ONNX export and onnxruntime' },
  { flag: '--quick', default: 'off', help: `a smoke run: 2 epochs, the first ${QUICK_LIMITS.train.toLocaleString('en-US')} training and ${QUICK_LIMITS.test.toLocaleString('en-US')} test images, a smaller learning curve` },
  { flag: '--augment', default: 'off', help: 'train with data augmentation (random flip, shifts up to 10%; Keras layers or @nn/data transforms in 2 worker threads) and, for comparison, the same model without; prints both variance gaps (validation − training error)' },
  { flag: '--help, -h', default: '', help: 'this list' },
];

export const USAGE = `usage: npm start -- [--epochs N] [--engine auto|ort|eager|wasm|cpu|node|node-gpu] [--model mlp|cnn] [--style keras|torch]
                    [--out DIR] [--data DIR] [--batch-size N] [--no-export] [--quick] [--augment]

${FLAGS.map((f) => {
  const head = `  ${f.flag}${f.value ? ` ${f.value}` : ''}`;
  return `${head}\n      ${f.help}${f.default ? ` (default: ${f.default})` : ''}`;
}).join('\n')}`;

export interface Options {
  epochs: number;
  /**
   * 'auto' (default): training steps compiled for onnxruntime when @nn/onnx loads (fit's default engine;
   * compileTrainStep in the PyTorch loop), the rest on tfjs 'auto'; 'ort': the same, required; 'eager':
   * eager training on tfjs 'auto'; a tfjs engine name: eager training on that engine.
   */
  engine: 'auto' | 'ort' | 'eager' | 'wasm' | 'cpu' | 'node' | 'node-gpu';
  style: 'keras' | 'torch';
  /** 'mlp' (default) or 'cnn' (a small conv net, always trained with augmentation). */
  model: 'mlp' | 'cnn';
  out: string;
  data?: string;
  batchSize: number;
  export: boolean;
  quick: boolean;
  /** Train with data augmentation (`--augment`, or always with `--model cnn`). */
  augment: boolean;
  /** `--augment` given: first a plain run of the same model (no augmentation), for the variance gap beside it. */
  comparePlain: boolean;
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
        model: { type: 'string', default: 'mlp' },
        out: { type: 'string', default: 'runs' },
        data: { type: 'string' },
        'batch-size': { type: 'string', default: '128' },
        'no-export': { type: 'boolean', default: false },
        quick: { type: 'boolean', default: false },
        augment: { type: 'boolean', default: false },
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
  if (!['mlp', 'cnn'].includes(v.model!)) throw new UsageError(`--model must be mlp or cnn; got "${v.model}".`);
  const epochs = Number(v.epochs ?? (quick ? 2 : v.model === 'cnn' ? CNN_EPOCHS : 12));
  if (!Number.isInteger(epochs) || epochs <= 0) throw new UsageError(`--epochs must be a positive integer, got "${v.epochs}".`);
  const batchSize = Number(v['batch-size']);
  if (!Number.isInteger(batchSize) || batchSize <= 0) throw new UsageError(`--batch-size must be a positive integer, got "${v['batch-size']}".`);
  if (!['auto', 'ort', 'eager', 'wasm', 'cpu', 'node', 'node-gpu'].includes(v.engine!)) throw new UsageError(`--engine must be one of auto, ort, eager, wasm, cpu, node, node-gpu; got "${v.engine}".`);
  if (!['keras', 'torch'].includes(v.style!)) throw new UsageError(`--style must be keras or torch; got "${v.style}".`);
  return { epochs, engine: v.engine as Options['engine'], style: v.style as Options['style'], model: v.model as Options['model'], out: resolve(v.out!), ...(v.data ? { data: v.data } : {}), batchSize, export: !v['no-export'], quick, augment: v.augment! || v.model === 'cnn', comparePlain: v.augment! };
}

