import { concat, isLayer, noGrad, scope, split, Tensor, trace, withGrad, type DType, type Optimizer, type TraceResult } from '@nn/core';
import { TrainStepCompileError } from './errors';

/** A callable model: a Module or Keras model (`model(x)` or `model(x, { training })`). */
export interface TrainableModel {
  (x: Tensor, opts?: { training?: boolean }): unknown;
  parameters(): Iterable<Tensor>;
  namedParameters(): Iterable<[string, Tensor]>;
  namedBuffers?(): Iterable<[string, Tensor]>;
  namedModules?(): Iterable<[string, unknown]>;
  modules?(): Iterable<unknown>;
  training: boolean;
  train?(mode?: boolean): unknown;
  eval?(): unknown;
}

/** A loss as `fit` takes it: `(yTrue, yPred) => scalar`. */
export type StepLoss = (yTrue: Tensor, yPred: Tensor) => Tensor;

/** Everything one training step depends on. */
export interface StepContext {
  readonly model: TrainableModel;
  readonly optimizer: Optimizer;
  readonly loss: StepLoss;
  /** Parameters, buffers and optimizer state by name: the step's carried state. */
  readonly named: readonly [string, Tensor][];
}

/** The model's forward: Keras layers get the `training` flag explicitly (as `fit` passes it), modules use their own mode. */
export function forward(model: TrainableModel, x: Tensor, training: boolean): Tensor {
  const y = isLayer(model) ? model(x, { training }) : model(x);
  if (y instanceof Tensor) return y;
  throw new TrainStepCompileError('the model output', `forward returned ${Array.isArray(y) ? `${y.length} values` : typeof y}; the ort engine trains single-output models`);
}

/** Data loss plus the regularization penalties of Keras layers, as `fit` adds them. */
export function totalLoss(model: TrainableModel, loss: StepLoss, y: Tensor, pred: Tensor): Tensor {
  let l = loss(y, pred);
  for (const p of penalties(model)) l = l.add(p);
  return l;
}

/** The regularization penalties of the model's Keras layers from its last forward. */
export function penalties(model: TrainableModel): Tensor[] {
  const pens: Tensor[] = [];
  if (isLayer(model)) pens.push(...model.losses);
  else for (const m of model.modules?.() ?? []) if (isLayer(m) && m !== (model as unknown)) pens.push(...m.losses.filter((t) => !t.isDisposed));
  return pens;
}

/** One traced training step. */
export interface TracedStep {
  readonly trace: TraceResult;
  readonly lossId: number;
  readonly predId: number;
  /** Parameters that had a gradient when the optimizer ran. */
  readonly gradParams: readonly Tensor[];
}

/**
 * Trace forward, loss, backward and `optimizer.step()` on symbolic `x` and `y` — once (the forward
 * in `chunks` row chunks when more than one: the same step, in cache-sized pieces). Random draws
 * and the optimizer's per-step scalars are the trace's host values (core records them); parameters'
 * handles and gradients are restored afterwards; the optimizer's counters are not (a traced step
 * counts as a step: the caller puts them back).
 */
export function traceStep(ctx: StepContext, x: { shape: number[]; dtype: DType }, y: { shape: number[]; dtype: DType }, training: boolean, chunks = 1): TracedStep {
  let gradParams: Tensor[] = [];
  const params = [...ctx.model.parameters()];
  const t = scope(() =>
    withGrad(true, () =>
      trace(
        (xs, ys) => {
          // Row chunks (see ./chunks.ts): the forward (and so the backward) runs chunk by chunk; the
          // loss sees all rows at once.
          const pred = chunks > 1 ? concat(split(xs!, chunks, 0).map((c) => forward(ctx.model, c, training)), 0) : forward(ctx.model, xs!, training);
          const loss = totalLoss(ctx.model, ctx.loss, ys!, pred);
          if (loss.size !== 1) throw new TrainStepCompileError('the loss', `it has shape [${loss.shape.join(', ')}], expected a scalar`);
          loss.backward();
          gradParams = params.filter((p) => p.grad);
          ctx.optimizer.step();
          return [loss, pred];
        },
        [
          { name: 'x', shape: x.shape, dtype: x.dtype },
          { name: 'y', shape: y.shape, dtype: y.dtype },
        ],
        { params: ctx.named, ...(ctx.model.namedModules ? { modules: ctx.model.namedModules() as Iterable<[string, object]> } : {}) },
      ),
    ),
  );
  return { trace: t, lossId: t.outputs[0]!, predId: t.outputs[1]!, gradParams };
}

/**
 * Trace the model's forward in inference mode on a symbolic `x` (Keras layers get `training: false`;
 * the caller puts PyTorch-door modules in eval mode): the predictions of an inference graph whose
 * parameters and buffers are inputs, fed from the engine's newest state.
 */
export function traceForward(ctx: StepContext, x: { shape: number[]; dtype: DType }): { trace: TraceResult; predId: number } {
  const t = scope(() =>
    noGrad(() =>
      trace((xs) => [forward(ctx.model, xs!, false)], [{ name: 'x', shape: x.shape, dtype: x.dtype }], {
        params: ctx.named,
        ...(ctx.model.namedModules ? { modules: ctx.model.namedModules() as Iterable<[string, object]> } : {}),
      }),
    ),
  );
  return { trace: t, predId: t.outputs[0]! };
}
