// Optimizers, schedules and gradient clipping, both doors. The lead re-exports these from core:
//   export * as optim from './optim/torch-door';  export * as optimizers from './optim/keras-door';
export { BaseOptimizer, type Optimizer, type OptimizerCounters, type OptimizerStateDict, type ParamGroup, type ParamGroupInput, type ParamsInput, type ParamState, type StateBuffer, type HyperValue, type BaseHyper } from './optimizer';
export { InvalidHyperparameterError } from './errors';
export { SGD, KerasSGD, type SGDOptions, type KerasSGDOptions, type MomentumForm } from './sgd';
export { Adam, AdamW, KerasAdam, KerasAdamW, type AdamOptions, type KerasAdamOptions, type EpsilonForm } from './adam';
export { RMSprop, KerasRMSprop, type RMSpropOptions, type KerasRMSpropOptions, type RMSpropForm } from './rmsprop';
export { Adagrad, KerasAdagrad, type AdagradOptions, type KerasAdagradOptions } from './adagrad';
export { KerasOptimizer, type KerasOptimizerOptions, type KerasHyper } from './keras-optimizer';
export { clipGradNorm_, clipGradValue_, clipByNorm, clipByGlobalNorm, type ClipGradNormOptions } from './clip';
export {
  LRScheduler,
  StepLR,
  ExponentialLR,
  CosineAnnealingLR,
  LinearWarmup,
  ReduceLROnPlateau,
  type HasParamGroups,
  type LinearWarmupOptions,
  type ReduceLROnPlateauOptions,
} from './lr-scheduler';
export {
  ExponentialDecay,
  CosineDecay,
  PiecewiseConstantDecay,
  evalLearningRate,
  type LearningRateSchedule,
  type LearningRateLike,
  type ExponentialDecayOptions,
  type CosineDecayOptions,
  type PiecewiseConstantDecayOptions,
} from './schedules';
export { LambdaLR, MultiStepLR, PolynomialLR, CosineAnnealingWarmRestarts, OneCycleLR, type OneCycleLROptions } from './lr-scheduler';
export {
  InverseTimeDecay,
  InverseSqrtDecay,
  PolynomialDecay,
  CosineDecayRestarts,
  type InverseTimeDecayOptions,
  type InverseSqrtDecayOptions,
  type PolynomialDecayOptions,
  type CosineDecayRestartsOptions,
} from './schedules';
export { NAdam, KerasNadam, type NAdamOptions, type KerasNadamOptions } from './nadam';
export { Adamax, KerasAdamax, type AdamaxOptions, type KerasAdamaxOptions } from './adamax';
