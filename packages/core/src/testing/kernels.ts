import { bernoulliKernel } from '../random-kernel';

/**
 * Whether this build's WebAssembly Bernoulli kernel (behind `Generator.fillBernoulli` and dropout
 * masks) instantiates here; where it does not, the same draws come from a JavaScript loop, about 3×
 * slower. For the built package's smoke tests.
 */
export const bernoulliKernelLoaded = (): boolean => bernoulliKernel() !== null;
