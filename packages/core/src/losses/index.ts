// Losses. PyTorch door (input, target): the lead wires these under `nn.functional`.
export {
  mseLoss,
  l1Loss,
  huberLoss,
  binaryCrossEntropy,
  binaryCrossEntropyWithLogits,
  bceWithLogits,
  crossEntropy,
  nllLoss,
  type ReductionOptions,
  type BCEOptions,
  type BCEWithLogitsOptions,
  type NLLOptions,
  type CrossEntropyOptions,
} from './pytorch';
// Keras door (yTrue, yPred): per-sample functions, loss objects and the resolver (`keras.losses`).
export {
  meanSquaredError,
  meanSquaredError as mse,
  meanAbsoluteError,
  meanAbsoluteError as mae,
  huber,
  binaryCrossentropy,
  categoricalCrossentropy,
  sparseCategoricalCrossentropy,
  EPSILON,
  type KerasCrossentropyOptions,
} from './keras';
export {
  Loss,
  MeanSquaredError,
  MeanAbsoluteError,
  Huber,
  BinaryCrossentropy,
  CategoricalCrossentropy,
  SparseCategoricalCrossentropy,
  getLoss,
  canonicalLossName,
  type LossFn,
  type KerasLossOptions,
} from './keras-classes';
export { reduce, kerasReduce, type Reduction, type KerasReduction } from './reduction';
export { classWeightToSampleWeight } from './class-weights';
