// @nn/core public API.
export type { DType, Shape, TypedArray, NestedArray } from './dtype';
export { sizeOf } from './dtype';
export { NNError, ShapeError, DTypeError, DisposedTensorError, GradError, ValueError } from './errors';
export {
  BACKEND_SPEC_VERSION,
  type Backend,
  type Handle,
  type TensorRef,
  type UnaryOp,
  type BinaryOp,
  type ReduceOp,
  type Conv2dGeometry,
  type Pool2dGeometry,
} from './backend/backend';
export { referenceBackend } from './backend/reference';
export { useBackend, getBackend, scope, tidy, startScope, endScope, keep, memory, noGrad, withGrad, isGradEnabled } from './engine';
export { Tensor, type GradNode } from './tensor';
export { Generator, manualSeed, defaultGenerator } from './random';
export { record, unbroadcast } from './autograd';
export {
  // creation
  tensor, zeros, ones, zerosLike, onesLike, fullLike, full, scalar, arange, linspace, eye,
  randn, rand, randomUniform, randomNormal, truncatedNormal, randint, bernoulli, randomFrom,
  type TensorOptions, type RandomOptions, type RandomFromOptions, type BernoulliOptions,
  // elementwise
  add, sub, mul, div, pow, maximum, minimum, mod, neg, abs, sign, exp, expm1, log, log1p, sqrt, rsqrt,
  square, reciprocal, sin, cos, floor, ceil, round, erf, clip, where, cast, identity,
  equal, notEqual, less, lessEqual, greater, greaterEqual, logicalAnd, logicalOr, logicalNot,
  // activations
  relu, leakyRelu, elu, selu, gelu, sigmoid, tanh, softplus, softmax, logSoftmax,
  // reductions
  sum, mean, max, min, prod, variance, std, logSumExp, argmax, argmin,
  // shape
  reshape, flatten, transpose, squeeze, unsqueeze, broadcastTo, expand, concat, cat, stack, split, slice, pad, gather, oneHot,
  // linear algebra, conv, pooling
  matmul, linear, type MatmulOptions,
  conv2d, maxPool2d, avgPool2d, globalAvgPool2d, resolvePadding,
  type Conv2dOptions, type Pool2dOptions, type Padding2d, type DataFormat,
  dropout,
} from './ops';
export { trace, type TraceResult, type TracedOp, type TraceValue, type TraceOptions } from './backend/tracer';
export type { HostInfo, ScalarHost, RandomHost } from './engine';
export { isModule, isLayer, isBaseOptimizer, isKerasOptimizer } from './brand';
// nn: modules, layers, models, initializers, regularizers
export { Module, Parameter, ModuleList, SequentialModule, StateDictError, LayerInputError, type CallOptions, type ForwardHook } from './nn/module';
export { Layer, resetLayerNames, type LayerArgs, type AddWeightOptions } from './nn/layer';
export { Input, SymbolicTensor, type InputOptions, type SymShape } from './nn/symbolic';
export { Model, FunctionalModel, Sequential, summary, type ModelArgs, type SummaryRow } from './nn/model';
export { initializers, getInitializer, computeFans, varianceScaling, type Initializer, type InitializerName, type KernelLayout } from './nn/initializers';
export { init, calculateGain } from './nn/init';
export { regularizers, type Regularizer } from './nn/regularizers';
export { getActivation, type ActivationName, type ActivationSpec } from './nn/layers/activations';
export { RunningStats, type AdaptData, type NormalizationArgs } from './nn/layers/normalization';
export {
  layers, Activation, Conv2D, Conv2d, Dense, Linear, Dropout, Embedding, BatchNorm1d, BatchNorm2d, BatchNormalization,
  LayerNorm, LayerNormalization, Normalization, AveragePooling2D, AvgPool2d, GlobalAveragePooling2D, MaxPool2d, MaxPooling2D,
  Add, Concatenate, Flatten, Reshape,
} from './nn/index';
export * as nn from './nn/torch';
// training
export {
  compile, fit, evaluate, predict, History, EarlyStopping, earlyStopping, TerminateOnNaN, CSVLogger, LearningRateScheduler,
  ReduceLROnPlateauCallback, lambdaCallback, ModelCheckpoint, ProgressReporter, formatLogs,
  type CompileArgs, type FitArgs, type Trainable, type Compiled, type Callback, type Logs, type EarlyStoppingOptions,
  type CSVLoggerOptions, type ReduceLROnPlateauCallbackOptions, type ModelCheckpointOptions, type ArrayLikeData, type BatchSource,
  HOST_BATCHES, type HostBatch, type HostBatchPart,
  type LossSpec, type MetricSpec, type MetricLike, type OptimizerSpec, type TrainLoss,
  type FitEngine, type FitEngineCompiled, type FitEngineFactory, type FitEngineName, type FitEngineSample, type FitEngineSession,
  registerFitEngine, registeredFitEngines, resolveLoss,
} from './train/index';
export { ewa, ExponentiallyWeightedAverage, type EwaOptions } from './train/index';
export { gradCheck, gradCheckVerdict, type GradCheckOptions, type GradCheckResult, type GradCheckEntry, type GradCheckVerdict } from './train/index';
export { saveCheckpoint, loadCheckpoint, hasCheckpoint, CheckpointError, type CheckpointMeta } from './io/checkpoint';
export {
  saveSafetensors, loadSafetensors, encodeSafetensors, decodeSafetensors, parseSafetensorsHeader, SafetensorsError, SAFETENSORS_DTYPE_BYTES,
  type SafetensorsDType, type SafetensorsEntry,
} from './io/safetensors';
export { writeFileAtomic } from './io/atomic';
export * as optim from './optim/torch-door';
export * as optimizers from './optim/keras-door';
export {
  BaseOptimizer, KerasOptimizer, InvalidHyperparameterError, clipGradNorm_, clipGradValue_,
  type Optimizer, type OptimizerCounters, type OptimizerStateDict, type ParamGroup, type ParamsInput, type BaseHyper,
} from './optim/index';
// losses and metrics: Keras door as namespaces (`losses.SparseCategoricalCrossentropy({ fromLogits: true })`,
// `metrics.Precision()`); the PyTorch losses are in `nn.functional` and as `nn.CrossEntropyLoss` & co.
export * as losses from './losses/index';
export * as metrics from './metrics/index';
export { getLoss, getMetric } from './train/losses-metrics';
export {
  biasVariance, InvalidErrorRateError, HIGH_BIAS_ADVICE, HIGH_VARIANCE_ADVICE,
  type BiasVarianceOptions, type BiasVarianceResult, type BiasVarianceVerdict, type ErrorRates,
} from './train/bias-variance';
// nn: layer configs, registry, model saving (issue 3)
export { registerLayer, getRegisteredLayer, serializeLayer, deserializeLayer, type LayerClass, type LayerConfig } from './nn/registry';
export { saveModel, loadModel } from './nn/saving';
export { SerializationError, type Config } from './nn/config';
export { KerasLeakyReLU } from './nn/index';
export { RandomFlip, RandomTranslation, RandomRotation, RandomZoom, RandomContrast, GaussianNoise } from './nn/index';
export type { AugmentArgs, ResampleArgs, RandomFlipArgs, RandomContrastArgs, FillMode, Interpolation } from './nn/layers/preprocessing';
export { serializeInitializer, type InitializerConfig, type InitializerSpec } from './nn/initializers';
export { getRegularizer, serializeRegularizer, type RegularizerConfig } from './nn/regularizers';
export type { SummaryOptions, SummaryArg } from './nn/summary';
