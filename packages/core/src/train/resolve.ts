import { isLayer, isModule } from '../brand';
import { ValueError } from '../errors';
import type { Module } from '../nn/module';
import { KerasOptimizer } from '../optim/keras-optimizer';
import * as optimizers from '../optim/keras-door';
import type { Optimizer } from '../optim/optimizer';
import { canonicalLossName, crossEntropy, getLoss } from '../losses';
import { getMetric } from '../metrics';
import type { Tensor } from '../tensor';

/** A training loss: `(yTrue, yPred, sampleWeight?) => scalar`. */
export type TrainLoss = (yTrue: Tensor, yPred: Tensor, sampleWeight?: Tensor) => Tensor;
/** A loss by name, function, Keras loss object or PyTorch-door loss module. */
export type LossSpec = string | TrainLoss | import('../losses').Loss;
/** What fit needs from a metric. */
export interface MetricLike {
  readonly name: string;
  update(yTrue: Tensor, yPred: Tensor): void;
  result(): number;
  reset(): void;
}
/** A metric by name or object. */
export type MetricSpec = string | MetricLike;
/** An optimizer object, or a Keras name with Keras defaults. */
export type OptimizerSpec = Optimizer | 'sgd' | 'adam' | 'adamw' | 'rmsprop' | 'adagrad' | 'nadam' | 'adamax';

/** Resolve an optimizer and bind Keras optimizers to the model's trainable weights. */
export function resolveOptimizer(spec: OptimizerSpec, model: Module): Optimizer {
  let opt: Optimizer;
  if (typeof spec === 'string') {
    const make: Record<string, () => Optimizer> = {
      sgd: () => optimizers.SGD(), adam: () => optimizers.Adam(), adamw: () => optimizers.AdamW(),
      rmsprop: () => optimizers.RMSprop(), adagrad: () => optimizers.Adagrad(),
      nadam: () => optimizers.Nadam(), adamax: () => optimizers.Adamax(),
    };
    const f = make[spec.toLowerCase()];
    if (!f) throw new ValueError(`compile: unknown optimizer "${spec}". Known: ${Object.keys(make).join(', ')}.`, 'compile');
    opt = f();
  } else opt = spec;
  // Bind now when the weights exist; otherwise fit binds after the first forward pass builds them.
  if (opt instanceof KerasOptimizer && !opt.isBound && model.parameters().length) opt.bind(model.parameters());
  return opt;
}

/**
 * The loss function `compile` and `fit` train with, from what `compile({ loss })` takes: a function
 * `(yTrue, yPred, sampleWeight?)` (as is), a Keras name or loss object, PyTorch's name
 * `'crossentropy'` (logits and class indices, as `nn.functional.crossEntropy`), or a PyTorch-door
 * loss module (`new nn.CrossEntropyLoss()`, called `(input, target)` as PyTorch does).
 *
 * @example
 * ```ts
 * const f = resolveLoss('crossentropy');
 * const l = f(labels, logits);
 * ```
 */
export function resolveLoss(spec: LossSpec): TrainLoss {
  // A loss module is callable too, but takes (input, target): getLoss swaps the arguments.
  if (typeof spec === 'function' && !(isModule(spec) && !isLayer(spec))) return spec;
  if (typeof spec !== 'string') return getLoss(spec) as TrainLoss;
  // PyTorch's name: logits and class indices, as nn.functional.crossEntropy.
  // Sample weights (fit's sampleWeight/classWeight) weight each sample's loss, averaged over the batch as Keras does.
  if (canonicalLossName(spec) === 'crossentropy') return (yTrue, yPred, sw) => (sw ? crossEntropy(yPred, yTrue, { reduction: 'none' }).mul(sw).mean() : crossEntropy(yPred, yTrue));
  return getLoss(spec) as TrainLoss;
}

/** Fresh metric objects for one run (names resolved against the loss, as Keras does for 'accuracy'). */
export function resolveMetrics(specs: readonly MetricSpec[], lossName: string): MetricLike[] {
  return specs.map((s) => {
    if (typeof s !== 'string') {
      s.reset();
      return s;
    }
    return getMetric(s, lossName) as MetricLike;
  });
}
