import { setTrainingHooks } from '../nn/module';
import { compile, evaluate, fit, predict } from './fit';

setTrainingHooks({ compile, fit, evaluate, predict });

export { compile, fit, evaluate, predict, History, type CompileArgs, type FitArgs, type Trainable, type Compiled } from './fit';
export {
  EarlyStopping, earlyStopping, TerminateOnNaN, CSVLogger, LearningRateScheduler, ReduceLROnPlateauCallback, lambdaCallback,
  type Callback, type Logs, type EarlyStoppingOptions, type CSVLoggerOptions, type ReduceLROnPlateauCallbackOptions,
} from './callbacks';
export { ModelCheckpoint, type ModelCheckpointOptions } from './model-checkpoint';
export { ProgressReporter, formatLogs, type ProgressReporterOptions } from './progress';
export type { ArrayLikeData, BatchSource } from './data';
export type { FitEngine, FitEngineCompiled, FitEngineName, FitEngineSample, FitEngineSession } from './fit-engine';
export type { LossSpec, MetricSpec, MetricLike, OptimizerSpec, TrainLoss } from './resolve';
export { gradCheck, gradCheckVerdict, type GradCheckOptions, type GradCheckResult, type GradCheckEntry, type GradCheckVerdict } from './grad-check';
export { ewa, ExponentiallyWeightedAverage, type EwaOptions } from './ewa';
