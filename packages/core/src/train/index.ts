import { provideTrainingApi, type Module } from '../nn/module';
import { compile, evaluate, fit, predict, type Trainable } from './fit';
import type { ArrayLikeData, BatchSource } from './data';

provideTrainingApi({
  compile: (m, args) => compile(m as Trainable, args),
  fit: (m, x, y, args) => fit(m as Trainable, x as ArrayLikeData | BatchSource, y as ArrayLikeData, args),
  evaluate: (m, x, y, args) => evaluate(m as Trainable, x as ArrayLikeData | BatchSource, y as ArrayLikeData, args),
  predict: (m: Module, x, args) => predict(m, x as ArrayLikeData, args),
});

export { compile, fit, evaluate, predict, History, type CompileArgs, type FitArgs, type Trainable, type Compiled } from './fit';
export {
  EarlyStopping, earlyStopping, TerminateOnNaN, CSVLogger, LearningRateScheduler, ReduceLROnPlateauCallback, lambdaCallback,
  type Callback, type Logs, type EarlyStoppingOptions, type CSVLoggerOptions, type ReduceLROnPlateauCallbackOptions,
} from './callbacks';
export { ModelCheckpoint, type ModelCheckpointOptions } from './model-checkpoint';
export { ProgressReporter, formatLogs, type ProgressReporterOptions } from './progress';
export type { ArrayLikeData, BatchSource, HostBatch, HostBatchPart } from './data';
export { HOST_BATCHES } from './data';
export { registerFitEngine, registeredFitEngines, type FitEngine, type FitEngineCompiled, type FitEngineFactory, type FitEngineName, type FitEngineSample, type FitEngineSession } from './fit-engine';
export type { LossSpec, MetricSpec, MetricLike, OptimizerSpec, TrainLoss } from './resolve';
export { resolveLoss } from './resolve';
export { gradCheck, gradCheckVerdict, type GradCheckOptions, type GradCheckResult, type GradCheckEntry, type GradCheckVerdict } from './grad-check';
export { ewa, ExponentiallyWeightedAverage, type EwaOptions } from './ewa';
