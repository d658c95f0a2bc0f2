// The analysis lives in @nn/core (so that `fit({ bayesError })` can report it); re-exported here.
export {
  biasVariance,
  HIGH_BIAS_ADVICE,
  HIGH_VARIANCE_ADVICE,
  type BiasVarianceOptions,
  type BiasVarianceResult,
  type BiasVarianceVerdict,
  type ErrorRates,
} from '@nn/core';
