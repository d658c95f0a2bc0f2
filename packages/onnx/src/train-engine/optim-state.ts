import { BaseOptimizer, KerasOptimizer, type Optimizer, type Tensor } from '@nn/core';
import { TrainStepCompileError } from './errors';

// What the engine needs from an optimizer beyond the public `Optimizer` interface: its per-parameter
// state (buffers are graph inputs and outputs; step counters stay in JS) and its counters, which a
// trace advances and the engine must put back. core's BaseOptimizer keeps them in `state` and
// KerasOptimizer in `iterations`; a proposal for a public accessor is in the README.

interface ParamState {
  step: number;
  buffers: Record<string, Tensor>;
}

interface Internals {
  readonly state: Map<Tensor, ParamState>;
  iterations?: number;
}

/** The step counters of an optimizer: per-parameter `step` and the Keras door's `iterations`. */
export interface Counters {
  readonly steps: Map<Tensor, number>;
  readonly iterations: number | undefined;
}

function internals(opt: Optimizer): Internals {
  if (!(opt instanceof BaseOptimizer)) {
    throw new TrainStepCompileError(`the optimizer "${opt.name}"`, 'it is not a core BaseOptimizer, so its state cannot be read', 'Use an optimizer from optim.* or optimizers.*.');
  }
  return opt as unknown as Internals;
}

/** Bind a Keras-door optimizer that was created without parameters (as `compile` does). */
export function bindIfNeeded(opt: Optimizer, params: Iterable<Tensor>): void {
  if (opt instanceof KerasOptimizer && !opt.isBound) opt.bind(params);
}

/** True when every parameter that the optimizer updates already has its state (buffers are made lazily on the first step). */
export function hasState(opt: Optimizer, params: readonly Tensor[]): boolean {
  const st = internals(opt).state;
  return params.every((p) => st.has(p));
}

export function readCounters(opt: Optimizer): Counters {
  const i = internals(opt);
  return { steps: new Map([...i.state].map(([p, s]) => [p, s.step])), iterations: i.iterations };
}

export function writeCounters(opt: Optimizer, c: Counters): void {
  const i = internals(opt);
  for (const [p, s] of i.state) {
    const v = c.steps.get(p);
    if (v !== undefined) s.step = v;
  }
  if (c.iterations !== undefined) i.iterations = c.iterations;
}

/** How much one step advanced each counter: `after − before`. */
export function counterDelta(before: Counters, after: Counters): Counters {
  const steps = new Map<Tensor, number>();
  for (const [p, v] of after.steps) steps.set(p, v - (before.steps.get(p) ?? 0));
  return { steps, iterations: after.iterations !== undefined ? after.iterations - (before.iterations ?? 0) : undefined };
}

/** Apply a {@link counterDelta} (a compiled step that needs no probe still counts as a step). */
export function advanceCounters(opt: Optimizer, d: Counters): void {
  const i = internals(opt);
  for (const [p, s] of i.state) s.step += d.steps.get(p) ?? 0;
  if (d.iterations !== undefined && i.iterations !== undefined) i.iterations += d.iterations;
}

/** The optimizer's state tensors, named `optim.<param index>.<buffer>` (the names of `exportState`). */
export function namedState(opt: Optimizer): [string, Tensor][] {
  internals(opt);
  return Object.entries(opt.exportState().tensors).map(([k, t]) => [`optim.${k.replace(/^state\./, '')}`, t]);
}

/** Learning rates of every group (a change makes lr-dependent constants stale). */
export const groupLrs = (opt: Optimizer): number[] => opt.paramGroups.map((g) => g.lr);

/** True for a Keras-door optimizer with a learning-rate schedule (its lr changes with `iterations`). */
export const hasSchedule = (opt: Optimizer): boolean => opt instanceof KerasOptimizer && opt.schedule !== null;

/** Every hyperparameter but the learning rates, as a string: a change means the compiled constants are stale. */
export const hyperKey = (opt: Optimizer): string =>
  JSON.stringify(opt.paramGroups.map((g) => Object.entries(g).filter(([k]) => k !== 'params' && k !== 'lr')));
