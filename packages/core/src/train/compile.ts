import { ValueError, NNError } from '../errors';
import type { Module } from '../nn/module';
import type { Optimizer } from '../optim';
import { resolveLoss, resolveOptimizer, type LossSpec, type MetricSpec, type OptimizerSpec, type TrainLoss } from './resolve';

/** Options of {@link compile}. */
export interface CompileArgs {
  /** An optimizer object of either door, or a Keras name ('adam', 'sgd', 'rmsprop', 'adagrad') with Keras defaults. */
  optimizer: OptimizerSpec;
  /**
   * Loss name ('sparseCategoricalCrossentropy', 'mse' …) or function `(yTrue, yPred) => scalar`; one per
   * output for several. With several outputs, the logs hold the weighted total as `loss` and each
   * output's own unweighted loss as `<name>_loss` (name: the key of a dict of outputs, else the layer
   * that produced it, else `output_<i>`), as Keras logs them.
   */
  loss: LossSpec | LossSpec[];
  /**
   * Metric names ('accuracy', 'mae' …) or metric objects. With several outputs, as in Keras 2, a metric
   * named by a string is computed for every output and logged as `<output>_<metric>`; a metric object
   * (one instance, one state) for the first output only.
   */
  metrics?: MetricSpec[];
  /** Weights of the per-output losses. @default all 1 */
  lossWeights?: number[];
}

/** Training state attached to a compiled model. */
export interface Compiled {
  optimizer: Optimizer;
  losses: TrainLoss[];
  lossWeights: number[];
  metricSpecs: MetricSpec[];
  lossNames: string[];
  lossSpecs: LossSpec[];
}

/** A module with training state (every Module can be compiled and fitted). */
export interface Trainable extends Module {
  compiled?: Compiled;
  optimizer?: Optimizer;
  stopTraining?: boolean;
}

/**
 * Configure a model for training (Keras `compile`): binds a Keras optimizer to the trainable weights.
 */
export function compile(model: Trainable, args: CompileArgs): void {
  if (!args || !args.loss) throw new ValueError('compile: a loss is required, e.g. { loss: "sparseCategoricalCrossentropy" }.', 'compile');
  const optimizer = resolveOptimizer(args.optimizer, model);
  const specs = Array.isArray(args.loss) ? args.loss : [args.loss];
  const losses = specs.map((s) => resolveLoss(s));
  const lossWeights = args.lossWeights ?? losses.map(() => 1);
  if (lossWeights.length !== losses.length) throw new ValueError(`compile: ${lossWeights.length} lossWeights for ${losses.length} losses.`, 'compile');
  model.compiled = { optimizer, losses, lossWeights, lossSpecs: specs, metricSpecs: args.metrics ?? [], lossNames: specs.map((s) => (typeof s === 'string' ? s : typeof s === 'function' ? 'custom' : (s as { name: string }).name)) };
  model.optimizer = optimizer;
}

export function requireCompiled(model: Trainable, what: string): Compiled {
  if (!model.compiled) throw new NNError(`${what}: the model is not compiled.`, what, 'Call model.compile({ optimizer, loss, metrics }) first.');
  return model.compiled;
}

