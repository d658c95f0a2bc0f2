import { isBaseOptimizer, isKerasOptimizer, type BaseHyper, type BaseOptimizer, type Optimizer, type Tensor } from '@nn/core';
import { TrainStepCompileError } from './errors';

// What the engine needs from an optimizer beyond the `Optimizer` interface, all public in core's
// BaseOptimizer: its counters (a trace counts a step; the engine puts them back), whether its state
// exists, `hostStep()` (the per-step scalars and counting, without tensors), `perStepScalars()`.

/** The optimizer as a core BaseOptimizer (brand-checked, so another copy of @nn/core works too). */
export function coreOptimizer(opt: Optimizer): BaseOptimizer<BaseHyper> {
  if (!isBaseOptimizer(opt)) {
    throw new TrainStepCompileError(`the optimizer "${opt.name}"`, 'it is not a core optimizer, so its state and per-step scalars cannot be read', 'Use an optimizer from optim.* or optimizers.*.');
  }
  return opt;
}

/** Bind a Keras-door optimizer that was created without parameters (as `compile` does). */
export function bindIfNeeded(opt: Optimizer, params: Iterable<Tensor>): void {
  if (isKerasOptimizer(opt) && !opt.isBound) opt.bind(params);
}

/** The optimizer's state tensors, named `optim.<param index>.<buffer>` (the names of `exportState`). */
export function namedState(opt: Optimizer): [string, Tensor][] {
  coreOptimizer(opt);
  return Object.entries(opt.exportState().tensors).map(([k, t]) => [`optim.${k.replace(/^state\./, '')}`, t]);
}

/** Learning rates of every group (a change makes lr-dependent constants stale). */
export const groupLrs = (opt: Optimizer): number[] => opt.paramGroups.map((g) => g.lr);

/** Every hyperparameter but the learning rates, as a string: a change means the compiled constants are stale. */
export const hyperKey = (opt: Optimizer): string =>
  JSON.stringify(opt.paramGroups.map((g) => Object.entries(g).filter(([k]) => k !== 'params' && k !== 'lr')));
