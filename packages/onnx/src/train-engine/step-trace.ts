import { getBackend, Layer, scope, Tensor, trace, withGrad, type DType, type Optimizer, type TraceResult, type TypedArray } from '@nn/core';
import { TrainStepCompileError } from './errors';
import { RandomRecorder, type RandomConst } from './random';

/** A callable model: a Module or Keras model (`model(x)` or `model(x, { training })`). */
export interface TrainableModel {
  (...args: never[]): unknown;
  parameters(): Iterable<Tensor>;
  namedParameters(): Iterable<[string, Tensor]>;
  namedBuffers?(): Iterable<[string, Tensor]>;
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
  const y = model instanceof Layer ? (model as unknown as (x: Tensor, o: { training: boolean }) => unknown)(x, { training }) : (model as unknown as (x: Tensor) => unknown)(x);
  if (y instanceof Tensor) return y;
  throw new TrainStepCompileError('the model output', `forward returned ${Array.isArray(y) ? `${y.length} values` : typeof y}; the ort engine trains single-output models`);
}

/** Data loss plus the regularization penalties of Keras layers, as `fit` adds them. */
export function totalLoss(model: TrainableModel, loss: StepLoss, y: Tensor, pred: Tensor): Tensor {
  let l = loss(y, pred);
  const pens: Tensor[] = [];
  if (model instanceof Layer) pens.push(...model.losses);
  else for (const m of model.modules?.() ?? []) if (m instanceof Layer && m !== (model as unknown)) pens.push(...m.losses.filter((t) => !t.isDisposed));
  for (const p of pens) l = l.add(p);
  return l;
}

/** The tracer backend as seen from inside a trace (its `upload` is wrapped to spot constants). */
interface TracerLike {
  upload(v: TypedArray, s: readonly number[], d: DType): { __trace: number };
}

/** One traced training step. */
export interface TracedStep {
  readonly trace: TraceResult;
  readonly lossId: number;
  readonly predId: number;
  readonly random: readonly RandomConst[];
  /** Constants created by `optimizer.step()`, in creation order. */
  readonly optConsts: readonly number[];
  /** The parameter whose update created each of {@link optConsts} (null: outside any parameter's update). */
  readonly optOwners: readonly (Tensor | null)[];
  /** Parameters that had a gradient when the optimizer ran. */
  readonly gradParams: readonly Tensor[];
}

/** Record every upload made by `fn` inside a trace (constant ids and values, in order). */
export function watchUploads(onUpload: (id: number, data: TypedArray) => void): void {
  const tb = getBackend() as unknown as TracerLike;
  const up = tb.upload.bind(tb);
  tb.upload = (v, s, d) => {
    const h = up(v, s, d);
    onUpload(h.__trace, v);
    return h;
  };
}

/**
 * Trace forward, loss, backward and `optimizer.step()` on symbolic `x` and `y`. Generators and the
 * parameters' handles and gradients are restored afterwards; the optimizer's counters are not (the
 * caller puts them back).
 */
export function traceStep(ctx: StepContext, x: { shape: number[]; dtype: DType }, y: { shape: number[]; dtype: DType }, training: boolean): TracedStep {
  const rec = new RandomRecorder();
  const optConsts: number[] = [];
  const optOwners: (Tensor | null)[] = [];
  const owner = trackOwner(ctx.optimizer);
  let gradParams: Tensor[] = [];
  let inOpt = false;
  const params = [...ctx.model.parameters()];
  let lossT: Tensor | undefined, predT: Tensor | undefined;
  rec.install();
  let t: TraceResult;
  try {
    t = scope(() =>
      withGrad(true, () =>
        trace(
          (xs, ys) => {
            watchUploads((id, data) => {
              rec.onUpload(id, data as ArrayLike<number>);
              if (inOpt) {
                optConsts.push(id);
                optOwners.push(owner.current);
              }
            });
            predT = forward(ctx.model, xs!, training);
            lossT = totalLoss(ctx.model, ctx.loss, ys!, predT);
            if (lossT.size !== 1) throw new TrainStepCompileError('the loss', `it has shape [${lossT.shape.join(', ')}], expected a scalar`);
            lossT.backward();
            gradParams = params.filter((p) => p.grad);
            inOpt = true;
            ctx.optimizer.step();
            inOpt = false;
            return [lossT, predT];
          },
          [
            { name: 'x', shape: x.shape, dtype: x.dtype },
            { name: 'y', shape: y.shape, dtype: y.dtype },
          ],
          { params: ctx.named },
        ),
      ),
    );
  } finally {
    rec.uninstall();
    owner.restore();
  }
  return { trace: t, lossId: t.outputs[0]!, predId: t.outputs[1]!, random: rec.consts, optConsts, optOwners, gradParams };
}

/** Follows which parameter the optimizer is updating (its `updateOne`), so each constant has an owner. */
function trackOwner(opt: Optimizer): { current: Tensor | null; restore(): void } {
  const o = opt as unknown as { updateOne?: (p: Tensor, ...rest: unknown[]) => unknown };
  const orig = o.updateOne;
  const own = Object.prototype.hasOwnProperty.call(o, 'updateOne');
  const t = {
    current: null as Tensor | null,
    restore: () => {
      if (own) o.updateOne = orig;
      else delete o.updateOne;
    },
  };
  if (typeof orig === 'function') {
    o.updateOne = function (this: unknown, p: Tensor, ...rest: unknown[]) {
      const prev = t.current;
      t.current = p;
      try {
        return orig.call(this, p, ...rest);
      } finally {
        t.current = prev;
      }
    };
  }
  return t;
}

/** Constants made by one `optimizer.step()`, in creation order, with the parameter whose update made each (null: outside any). */
export interface ProbeResult {
  readonly consts: TypedArray[];
  readonly owners: (Tensor | null)[];
}

/**
 * Trace `optimizer.step()` alone, with each parameter standing in as its own gradient (the values do
 * not matter, only the host-computed constants do), and return those constants in creation order.
 * This is how the per-step scalars (bias corrections, a changed learning rate) are recomputed:
 * running it advances the optimizer's counters exactly as an eager step would. With `only`, each
 * parameter group is cut down to those parameters for the duration (a cheaper probe when every
 * parameter of a group gets the same scalars).
 */
export function probeOptimizer(ctx: StepContext, gradParams: readonly Tensor[], only?: ReadonlySet<Tensor>): ProbeResult {
  const consts: TypedArray[] = [];
  const owners: (Tensor | null)[] = [];
  const opt = ctx.optimizer;
  const saved = only ? opt.paramGroups.map((g) => g.params) : [];
  if (only) for (const g of opt.paramGroups) g.params = g.params.filter((p) => only.has(p));
  const grads = only ? gradParams.filter((p) => only.has(p)) : gradParams;
  for (const p of grads) p.grad = p;
  const owner = trackOwner(opt);
  try {
    scope(() =>
      trace(
        () => {
          watchUploads((_, d) => {
            consts.push(d);
            owners.push(owner.current);
          });
          opt.step();
          return [];
        },
        [],
        { params: ctx.named },
      ),
    );
  } finally {
    owner.restore();
    for (const p of grads) p.grad = null;
    if (only) opt.paramGroups.forEach((g, i) => (g.params = saved[i]!));
  }
  return { consts, owners };
}
