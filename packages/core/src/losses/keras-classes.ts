import { ValueError } from '../errors';
import { isTracked } from '../engine';
import { isLayer, isModule } from '../brand';
import type { Tensor } from '../tensor';
import {
  binaryCrossentropy,
  categoricalCrossentropy,
  huber,
  meanAbsoluteError,
  meanSquaredError,
  sparseCategoricalCrossentropy,
  type KerasCrossentropyOptions,
} from './keras';
import { kerasReduce, type KerasReduction } from './reduction';

/** A resolved loss: `(yTrue, yPred, sampleWeight?) → scalar` (Keras order), with its name. */
export type LossFn = ((yTrue: Tensor, yPred: Tensor, sampleWeight?: Tensor) => Tensor) & { readonly lossName: string };

/** Options every Keras loss object takes. */
export interface KerasLossOptions {
  /** @default 'sum_over_batch_size' */
  reduction?: KerasReduction;
  /** Name used in logs. */
  name?: string;
}

/**
 * A Keras-style loss object (`keras.losses.Loss`): per-sample losses, times optional sample
 * weights, reduced. Call it with {@link Loss.call} or turn it into a function with {@link Loss.fn}.
 *
 * @example
 * ```ts
 * const loss = losses.SparseCategoricalCrossentropy({ fromLogits: true });
 * const value = loss.call(labels, logits);
 * ```
 */
export class Loss {
  readonly reduction: KerasReduction;
  constructor(
    /** Snake-case Keras name, e.g. `sparse_categorical_crossentropy`. */
    readonly name: string,
    /** Per-sample losses. */
    readonly perSample: (yTrue: Tensor, yPred: Tensor) => Tensor,
    o: KerasLossOptions = {},
  ) {
    this.reduction = o.reduction ?? 'sum_over_batch_size';
    if (o.name) this.name = o.name;
  }
  /** The reduced (weighted) loss. */
  call(yTrue: Tensor, yPred: Tensor, sampleWeight?: Tensor): Tensor {
    return kerasReduce(this.perSample(yTrue, yPred), sampleWeight, this.reduction, this.name);
  }
  /** This loss as a plain function (what {@link getLoss} returns). */
  get fn(): LossFn {
    const f = (yTrue: Tensor, yPred: Tensor, sw?: Tensor) => this.call(yTrue, yPred, sw);
    return Object.assign(f, { lossName: this.name });
  }
}

/** Keras `MeanSquaredError` loss object. */
export const MeanSquaredError = (o: KerasLossOptions = {}) => new Loss('mean_squared_error', meanSquaredError, o);
/** Keras `MeanAbsoluteError` loss object. */
export const MeanAbsoluteError = (o: KerasLossOptions = {}) => new Loss('mean_absolute_error', meanAbsoluteError, o);
/** Keras `Huber` loss object. @default delta 1 */
export const Huber = (o: KerasLossOptions & { delta?: number } = {}) => new Loss('huber', (t, p) => huber(t, p, o.delta ?? 1), o);
/** Keras `BinaryCrossentropy` loss object. */
export const BinaryCrossentropy = (o: KerasLossOptions & KerasCrossentropyOptions = {}) => new Loss('binary_crossentropy', (t, p) => binaryCrossentropy(t, p, o), o);
/** Keras `CategoricalCrossentropy` loss object. */
export const CategoricalCrossentropy = (o: KerasLossOptions & KerasCrossentropyOptions = {}) => new Loss('categorical_crossentropy', (t, p) => categoricalCrossentropy(t, p, o), o);
/** Keras `SparseCategoricalCrossentropy` loss object. */
export const SparseCategoricalCrossentropy = (o: KerasLossOptions & { fromLogits?: boolean } = {}) =>
  new Loss('sparse_categorical_crossentropy', (t, p) => sparseCategoricalCrossentropy(t, p, o), o);

const MAKERS: Record<string, () => Loss> = {
  meansquarederror: MeanSquaredError,
  mse: MeanSquaredError,
  meanabsoluteerror: MeanAbsoluteError,
  mae: MeanAbsoluteError,
  huber: Huber,
  huberloss: Huber,
  binarycrossentropy: BinaryCrossentropy,
  bce: BinaryCrossentropy,
  categoricalcrossentropy: CategoricalCrossentropy,
  sparsecategoricalcrossentropy: SparseCategoricalCrossentropy,
};

/** Normalise a loss name: case, `_` and `-` do not matter (`'sparse_categorical_crossentropy'` ≡ `'sparseCategoricalCrossentropy'`). */
export function canonicalLossName(name: string): string {
  return name.toLowerCase().replace(/[_\-\s]/g, '');
}

/**
 * Resolve `compile({ loss })`: a name (`'mse'`, `'sparseCategoricalCrossentropy'`,
 * `'sparse_categorical_crossentropy'`, `'MeanSquaredError'` …), a {@link Loss} object, a function
 * `(yTrue, yPred) → per-sample or scalar loss` (reduced with `sum_over_batch_size`), or a
 * PyTorch-door loss module (`new nn.CrossEntropyLoss()`), which is called in PyTorch's order
 * `(input, target)`.
 *
 * @example
 * ```ts
 * const loss = getLoss('sparse_categorical_crossentropy');
 * const value = loss(labels, probs);
 * ```
 */
export function getLoss(id: string | Loss | ((yTrue: Tensor, yPred: Tensor) => Tensor)): LossFn {
  if (id instanceof Loss) return id.fn;
  if (isModule(id as unknown) && !isLayer(id as unknown)) {
    // A PyTorch-door loss module (`new nn.CrossEntropyLoss()`) is called (input, target), PyTorch's order.
    const m = id as unknown as (yPred: Tensor, yTrue: Tensor) => Tensor;
    return new Loss((id as { constructor: { name: string } }).constructor.name || 'module_loss', (t, p) => m(p, t)).fn;
  }
  if (typeof id === 'function') {
    if ('lossName' in id) return id as LossFn;
    return new Loss(id.name || 'custom_loss', (t, p) => {
      const r = id(t, p);
      if (!isTracked(r)) throw new ValueError(`custom loss "${id.name || 'anonymous'}" returned ${typeof r}, expected a Tensor.`, 'getLoss');
      return r;
    }).fn;
  }
  const make = MAKERS[canonicalLossName(id)];
  if (!make) {
    throw new ValueError(`Unknown loss "${id}".`, 'getLoss', `Known: mse, mae, huber, binary_crossentropy, categorical_crossentropy, sparse_categorical_crossentropy (any case, with or without underscores).`);
  }
  return make().fn;
}
