import type { Bench } from './types';

/** Every benchmark, in the order the suite runs them; each module exports `bench`. */
export const BENCHES: Record<string, { title: string; issues: number[]; load: () => Promise<{ bench: Bench }> }> = {
  'tfjs-step': { title: 'MLP training step vs raw tfjs-core', issues: [2], load: () => import('./benches/tfjs-step') },
  'fit-epoch': { title: 'FMNIST-MLP: one `fit` epoch', issues: [4], load: () => import('./benches/fit-epoch') },
  'onnx-infer': { title: 'FMNIST-MLP inference', issues: [6], load: () => import('./benches/onnx-infer') },
  'fmnist-infer': { title: 'FMNIST-MLP inference (Dropout + BatchNorm)', issues: [6], load: () => import('./benches/fmnist-infer') },
  'ort-train': { title: 'Compiled ort training', issues: [7], load: () => import('./benches/ort-train') },
  'train-mlp': { title: 'Training, fair method: plain MLP vs PyTorch', issues: [20, 15], load: () => import('./benches/fair-train').then((m) => ({ bench: m.trainMlp })) },
  'train-fmnist': { title: "Training, fair method: the main job's model vs PyTorch", issues: [20, 15], load: () => import('./benches/fair-train').then((m) => ({ bench: m.trainFmnist })) },
  'train-cnn': { title: 'Training, fair method: small CNN vs PyTorch', issues: [20, 15], load: () => import('./benches/fair-train').then((m) => ({ bench: m.trainCnn })) },
  'scaling': { title: 'Training scaling: MLP widths × batch sizes vs PyTorch', issues: [20], load: () => import('./benches/fair-train').then((m) => ({ bench: m.scalingBench })) },
  'csv-stream': { title: 'CSV streaming (2 GB)', issues: [5], load: () => import('./benches/csv-stream') },
  'prefetch-workers': { title: 'Workers + prefetch', issues: [5], load: () => import('./benches/prefetch-workers') },
  'tpe': { title: 'TPE vs Optuna TPE', issues: [9, 19], load: () => import('./benches/tpe') },
  'fmnist-tune': { title: 'Tuning FMNIST-MLP vs its default', issues: [9], load: () => import('./benches/fmnist-tune') },
  'gpu': { title: 'GPU: webgpu / cuda vs cpu vs PyTorch CUDA', issues: [16], load: () => import('./benches/gpu') },
};

export async function loadBench(name: string): Promise<Bench> {
  const entry = BENCHES[name];
  if (!entry) throw new Error(`unknown benchmark "${name}"; known: ${Object.keys(BENCHES).join(', ')}`);
  return (await entry.load()).bench;
}
