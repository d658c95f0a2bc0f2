/**
 * Structural interfaces for the parts of `@nn/core` this package reads. They are kept small on
 * purpose so that the real core types satisfy them without `@nn/monitor` importing core at run time.
 */

/** Per-step or per-epoch values reported by training, e.g. `{ loss: 0.3, val_loss: 0.4 }`. */
export type Logs = Record<string, number>;

/** A tensor as far as monitoring needs it: a shape and synchronous access to its values. */
export interface TensorLike {
  readonly shape: readonly number[];
  dataSync(): ArrayLike<number>;
}

/** A trainable parameter: a tensor with an optional gradient (set after `backward()`). */
export interface ParameterLike extends TensorLike {
  readonly grad?: TensorLike | null;
}

/** A model that can list its parameters by name, in definition (input-to-output) order. */
export interface ModelLike {
  namedParameters(): Iterable<[string, ParameterLike]>;
}

/** The result of `fit`: one list of values per metric, indexed by epoch. */
export interface HistoryLike {
  history: Record<string, number[]>;
  epoch?: number[];
}

/** The Keras-style callback protocol used by `fit` in `@nn/core`. */
export interface Callback {
  setModel?(model: unknown): void;
  onTrainBegin?(logs?: Logs): void | Promise<void>;
  onTrainEnd?(logs?: Logs): void | Promise<void>;
  onEpochBegin?(epoch: number, logs?: Logs): void | Promise<void>;
  onEpochEnd?(epoch: number, logs?: Logs): void | Promise<void>;
  onBatchBegin?(batch: number, logs?: Logs): void | Promise<void>;
  onBatchEnd?(batch: number, logs?: Logs): void | Promise<void>;
}
