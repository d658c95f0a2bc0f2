// The Keras door: `import * as optimizers from './keras-door'` gives `optimizers.Adam({ learningRate })`.
import { ValueError } from '../errors';
import { KerasAdagrad, type KerasAdagradOptions } from './adagrad';
import { KerasAdam, KerasAdamW, type KerasAdamOptions } from './adam';
import { KerasAdamax, type KerasAdamaxOptions } from './adamax';
import { KerasNadam, type KerasNadamOptions } from './nadam';
import type { KerasOptimizer, KerasHyper } from './keras-optimizer';
import { KerasRMSprop, type KerasRMSpropOptions } from './rmsprop';
import { CosineDecay, CosineDecayRestarts, ExponentialDecay, InverseSqrtDecay, InverseTimeDecay, PiecewiseConstantDecay, PolynomialDecay } from './schedules';
import { KerasSGD, type KerasSGDOptions } from './sgd';

/**
 * Keras SGD (learningRate 0.01, momentum 0): v ← μv − lr·g, w ← w + v.
 * @example
 * ```ts
 * model.compile({ optimizer: optimizers.SGD({ learningRate: 0.01, momentum: 0.9 }), loss: 'mse' });
 * ```
 */
export function SGD(options: KerasSGDOptions = {}): KerasSGD {
  return new KerasSGD(options);
}
/**
 * Keras Adam (learningRate 1e-3, beta1 0.9, beta2 0.999, epsilon 1e-7, "epsilon hat" form).
 * @example
 * ```ts
 * const opt = optimizers.Adam({ learningRate: 1e-3, epsilon: 1e-7 });
 * ```
 */
export function Adam(options: KerasAdamOptions = {}): KerasAdam {
  return new KerasAdam(options);
}
/** Keras AdamW: Adam plus decoupled weight decay (default 0.004). */
export function AdamW(options: KerasAdamOptions = {}): KerasAdamW {
  return new KerasAdamW(options);
}
/** Keras RMSprop (learningRate 1e-3, rho 0.9, epsilon 1e-7 inside the root). */
export function RMSprop(options: KerasRMSpropOptions = {}): KerasRMSprop {
  return new KerasRMSprop(options);
}
/** Keras Adagrad (learningRate 1e-3, initialAccumulatorValue 0.1, epsilon 1e-7). */
export function Adagrad(options: KerasAdagradOptions = {}): KerasAdagrad {
  return new KerasAdagrad(options);
}

/**
 * Keras Nadam (learningRate 1e-3, beta1 0.9, beta2 0.999, epsilon 1e-7): Adam with Nesterov momentum,
 * momentum schedule β₁(1 − ½·0.96ᵗ).
 * @example
 * ```ts
 * model.compile({ optimizer: optimizers.Nadam({ learningRate: 1e-3 }), loss: 'mse' });
 * ```
 */
export function Nadam(options: KerasNadamOptions = {}): KerasNadam {
  return new KerasNadam(options);
}
/**
 * Keras Adamax (learningRate 1e-3, beta1 0.9, beta2 0.999, epsilon 1e-7): Adam with the infinity norm.
 * @example
 * ```ts
 * model.compile({ optimizer: optimizers.Adamax({ learningRate: 1e-3 }), loss: 'mse' });
 * ```
 */
export function Adamax(options: KerasAdamaxOptions = {}): KerasAdamax {
  return new KerasAdamax(options);
}

const BY_NAME: Record<string, () => KerasOptimizer<KerasHyper>> = {
  sgd: () => SGD(),
  adam: () => Adam(),
  adamw: () => AdamW(),
  rmsprop: () => RMSprop(),
  adagrad: () => Adagrad(),
  nadam: () => Nadam(),
  adamax: () => Adamax(),
};

/**
 * Resolve `compile({ optimizer })`: a Keras-door optimizer passes through; a name (`'adam'`,
 * `'SGD'`, `'rmsprop'` …, case-insensitive) makes one with Keras defaults (Keras `optimizers.get`).
 */
export function get<O extends object>(identifier: string | O): O | KerasOptimizer<KerasHyper> {
  if (typeof identifier !== 'string') return identifier;
  const make = BY_NAME[identifier.toLowerCase().replace(/[_-]/g, '')];
  if (!make) throw new ValueError(`Unknown optimizer "${identifier}".`, 'optimizers.get', `Known: ${Object.keys(BY_NAME).join(', ')}.`);
  return make();
}

/** Keras `optimizers.schedules`. */
export const schedules = { ExponentialDecay, CosineDecay, PiecewiseConstantDecay, InverseTimeDecay, PolynomialDecay, CosineDecayRestarts, InverseSqrtDecay };

export { KerasSGD, KerasAdam, KerasAdamW, KerasRMSprop, KerasAdagrad };
export type { KerasSGDOptions, KerasAdamOptions, KerasRMSpropOptions, KerasAdagradOptions };
export { ExponentialDecay, CosineDecay, PiecewiseConstantDecay, type LearningRateSchedule, type LearningRateLike } from './schedules';
export type { KerasOptimizer, KerasOptimizerOptions } from './keras-optimizer';
export { InverseTimeDecay, InverseSqrtDecay, PolynomialDecay, CosineDecayRestarts } from './schedules';
export { KerasNadam, KerasAdamax, type KerasNadamOptions, type KerasAdamaxOptions };
