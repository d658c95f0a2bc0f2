// @nn/core/testing: the op-spec table, finite-difference gradient checks and the backend conformance suite.
export { opSpecs, type OpSpec, type InputSpec, type Fill } from './op-specs';
export { gradCheck, runConformance, runSpec, sampleValues, type ConformanceResult, type SpecRun } from './harness';
export { specialValueSpecs, runSpecialValues, type SpecialValueSpec } from './special-values';
export { bernoulliKernelLoaded } from './kernels';
