// The PyTorch door: `import * as optim from './torch-door'` gives `new optim.Adam(params, {...})`.
export { SGD, type SGDOptions, type MomentumForm } from './sgd';
export { Adam, AdamW, type AdamOptions, type EpsilonForm } from './adam';
export { RMSprop, type RMSpropOptions, type RMSpropForm } from './rmsprop';
export { Adagrad, type AdagradOptions } from './adagrad';
export { clipGradNorm_, clipGradValue_, type ClipGradNormOptions } from './clip';
export {
  LRScheduler,
  StepLR,
  ExponentialLR,
  CosineAnnealingLR,
  LinearWarmup,
  ReduceLROnPlateau,
  type LinearWarmupOptions,
  type ReduceLROnPlateauOptions,
} from './lr-scheduler';
export type { Optimizer, OptimizerStateDict, ParamGroup, ParamGroupInput, ParamsInput } from './optimizer';
export { LambdaLR, MultiStepLR, PolynomialLR, CosineAnnealingWarmRestarts, OneCycleLR, type OneCycleLROptions } from './lr-scheduler';
export { NAdam, type NAdamOptions } from './nadam';
export { Adamax, type AdamaxOptions } from './adamax';
