import type { FitEngine, FitEngineCompiled, FitEngineSample, Trainable } from '@nn/core';
import type { Device } from '../runtime/open-session';
import { compileTrainStep, type CompiledTrainStep, type LossArg } from './compile';

/** @deprecated Use core's `FitEngineCompiled`. */
export type TrainEngineCompiled = FitEngineCompiled;
/** @deprecated Use core's `FitEngineSample`. */
export type TrainEngineSample = FitEngineSample;
/** @deprecated Use core's `FitEngine` (what `fit(x, y, { engine })` takes). */
export type TrainEngine = FitEngine;

/** Options of {@link ortEngine}. */
export interface OrtEngineOptions {
  /**
   * Where onnxruntime runs: `'auto'` (CUDA when its provider is installed, else CPU), `'cpu'`,
   * `'cuda'` or `'webgpu'` (opt-in; k steps per call are unrolled there, the state stays on the GPU
   * during a call and is read back after it, since core `fit`'s `sync()` cannot wait). @default 'auto'
   */
  device?: Device;
  /** onnxruntime intra-op threads (0: onnxruntime's choice). @default 0 */
  threads?: number;
  /**
   * Batches per onnxruntime call (an ONNX Loop, see `CompiledTrainStep.steps`): weights cross into JS
   * once per call. fit uses 1 when a callback has batch hooks.
   * @default {@link autoStepsPerCall}: 32 up to batch 512, fewer for larger batches
   */
  stepsPerCall?: number | ((batchSize: number) => number);
  /** ONNX opset of the compiled graphs (16 – 18). @default 17 */
  opset?: number;
  /** Called once per reason when steps run eagerly instead. @default console.warn */
  onFallback?: (reason: string) => void;
}

/**
 * The default batches per onnxruntime call: 32, or fewer when batches are large — about 16k samples
 * per call at most (`⌊16384 / batchSize⌋`, at least 1). Each call has a fixed cost (onnxruntime's run,
 * the whole state crossing into JS) that more steps per call divide: measured on FMNIST-MLP Adam,
 * batch 64, one thread, 32 steps per call train ≈ 10% faster than 8; the stacked input of a call stays
 * ≤ 16k samples.
 */
export const autoStepsPerCall = (batchSize: number): number => Math.max(1, Math.min(32, Math.floor(16384 / batchSize)));

/** The ort engine as core `fit` sees it; `compile` gives the {@link CompiledTrainStep} itself. */
export interface OrtEngine extends FitEngine {
  readonly name: 'ort';
  readonly stepsPerCall: number | ((batchSize: number) => number);
  compile(model: Trainable, compiled: FitEngineCompiled, sample: FitEngineSample): Promise<CompiledTrainStep>;
}

/**
 * The ort training engine as a `fit` plug-in: `model.fit(x, y, { epochs, engine: ortEngine() })`.
 * Each training step (forward, loss, backward, optimizer update) runs as one compiled ONNX graph in
 * onnxruntime-node (CUDA when its provider is installed, else CPU), `stepsPerCall` batches per call;
 * core `fit` keeps the epochs, shuffling, callbacks, metrics, validation and History. Same batches
 * and updates as eager `fit` (losses within 1e-5 relative over 50 steps, see the parity tests);
 * what cannot be compiled runs eagerly, with the reason passed to `onFallback`.
 *
 * @param opts - Device, onnxruntime threads, batches per call, opset, fallback hook.
 * @returns A core `FitEngine`.
 * @example
 * ```ts
 * import { ortEngine } from '@nn/onnx';
 * model.compile({ optimizer: optimizers.Adam(), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
 * const history = await model.fit(xTrain, yTrain, { epochs: 5, batchSize: 64, engine: ortEngine() });
 * ```
 */
export function ortEngine(opts: OrtEngineOptions = {}): OrtEngine {
  const { stepsPerCall = autoStepsPerCall, ...compileOpts } = opts;
  return {
    name: 'ort',
    stepsPerCall,
    compile: (model, compiled, sample) =>
      compileTrainStep(model, {
        optimizer: compiled.optimizer,
        loss: compiled.losses[0] as LossArg,
        inputShape: sample.x,
        targetShape: sample.y,
        targetDtype: sample.yDtype,
        // core fit's sync() is synchronous: GPU-resident state (webgpu) comes back after each call.
        readbackEachCall: true,
        ...compileOpts,
      }),
  };
}
