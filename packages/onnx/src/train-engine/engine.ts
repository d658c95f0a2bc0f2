import type { Optimizer, Tensor } from '@nn/core';
import type { Device } from '../serve/session';
import { compileTrainStep, type CompiledTrainStep, type LossArg } from './compile';
import type { TrainableModel } from './step-trace';

/** What core's `fit` would hand a training engine (see the README's integration proposal). */
export interface TrainEngineCompiled {
  optimizer: Optimizer;
  losses: ReadonlyArray<(yTrue: Tensor, yPred: Tensor) => Tensor>;
}

/** The shapes of one sample and its target. */
export interface TrainEngineSample {
  x: readonly number[];
  y: readonly number[];
  yDtype: 'int32' | 'float32';
}

/** A pluggable training engine for core `fit` (proposed `FitArgs.engine`). */
export interface TrainEngine {
  readonly name: string;
  compile(model: TrainableModel, compiled: TrainEngineCompiled, sample: TrainEngineSample): Promise<CompiledTrainStep>;
}

/**
 * The ort engine as a `fit` plug-in: `fit(model, x, y, { engine: ortEngine() })` once core accepts
 * engines. Until then use {@link fitOrt} or {@link compileTrainStep} directly.
 *
 * @param opts - Device (`'auto'`), onnxruntime threads (0 = its choice).
 * @example
 * ```ts
 * const step = await ortEngine().compile(model, model.compiled, { x: [784], y: [], yDtype: 'int32' });
 * await step.step(xBatch, yBatch);
 * ```
 */
export function ortEngine(opts: { device?: Device; threads?: number } = {}): TrainEngine {
  return {
    name: 'ort',
    compile: (model, compiled, sample) =>
      compileTrainStep(model, {
        optimizer: compiled.optimizer,
        loss: compiled.losses[0] as LossArg,
        inputShape: sample.x,
        targetShape: sample.y,
        targetDtype: sample.yDtype,
        ...opts,
      }),
  };
}
