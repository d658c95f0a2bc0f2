import { noGrad, scope } from '../engine';
import { ValueError } from '../errors';
import type { Module } from '../nn/module';
import * as o from '../ops';
import { Tensor } from '../tensor';
import { Averager, asList, batchLoss, forward, logPlan, metricLogs, partLogs } from './batch';
import type { Logs } from './callbacks';
import { requireCompiled, type Compiled, type Trainable } from './compile';
import { ArrayData, isBatchSource, unpackBatch, type ArrayLikeData, type BatchSource } from './data';

/** A training engine's inference (see `FitEngineSession.infer`): host predictions for a batch, or undefined to run it eagerly. */
export type EngineInfer = (x: Tensor) => Promise<{ readonly data: Float32Array; readonly dims: readonly number[] } | undefined>;

/**
 * Loss and metrics over data in inference mode. With `infer` (fit's validation on a training engine),
 * each single-input batch's predictions come from the engine, and the loss, penalties and metrics
 * are computed here from them as from an eager forward.
 */
export async function evaluateData(model: Trainable, c: Compiled, data: ArrayData | BatchSource, batchSize: number, prefix: string, infer?: EngineInfer): Promise<Logs> {
  const { outKeys, metrics } = logPlan(model, c);
  const avg = new Averager();
  const modes = [...model.modules()].map((m) => [m, m.training] as const);
  model.eval();
  const one = async (xb: Tensor | Tensor[], yb: Tensor | Tensor[] | undefined, sw: Tensor | null) => {
    const host = infer && !Array.isArray(xb) ? await infer(xb) : undefined;
    noGrad(() => scope(() => {
      const ys = asList(yb);
      const preds = host ? [o.tensor(host.data, [...host.dims])] : forward(model, xb, false);
      const parts: Tensor[] = [];
      const loss = batchLoss(c, model, ys, preds, sw, outKeys.length ? parts : undefined);
      avg.add({ loss: loss.item(), ...partLogs(outKeys, parts) }, preds[0]!.shape[0] ?? 1);
      for (const b of metrics) b.m.update(ys[b.out]!, preds[b.out]!);
    }));
    for (const t of [...asList(xb), ...asList(yb), ...(sw ? [sw] : [])]) t.dispose();
  };
  try {
    if (data instanceof ArrayData) for (const [xb, yb, rows] of data.batches(batchSize, null)) await one(xb, yb, data.batchWeights(rows));
    else for await (const raw of data) await one(...unpackBatch(raw, 'evaluate'));
  } finally {
    for (const [m, t] of modes) m.training = t;
  }
  const r = avg.result();
  return { [`${prefix}loss`]: r.loss ?? NaN, ...Object.fromEntries(outKeys.map((k) => [prefix + k, r[k] ?? NaN])), ...metricLogs(metrics, prefix) };
}

/** Loss and metrics on data, in inference mode (Keras `evaluate`). */
export async function evaluate(model: Trainable, x: ArrayLikeData | BatchSource, y?: ArrayLikeData, args: { batchSize?: number; sampleWeight?: ArrayLikeData | Float32Array | Float64Array } = {}): Promise<Logs> {
  const c = requireCompiled(model, 'evaluate');
  const data = isBatchSource(x) ? x : new ArrayData(x, y, Array.isArray(x) && x[0] instanceof Tensor, Array.isArray(y) && y[0] instanceof Tensor);
  if (args.sampleWeight !== undefined) {
    if (!(data instanceof ArrayData)) throw new ValueError('evaluate: sampleWeight goes with in-memory x; a batched source yields [x, y, sampleWeight] batches instead.', 'evaluate');
    data.setSampleWeights(args.sampleWeight, 'evaluate');
  }
  return evaluateData(model, c, data, args.batchSize ?? 32, '');
}

/** Outputs for inputs, in batches, in inference mode (Keras `predict`). Returns one tensor (or one per output). */
export async function predict(model: Module, x: ArrayLikeData | AsyncIterable<Tensor | Tensor[]>, args: { batchSize?: number } = {}): Promise<Tensor | Tensor[]> {
  const modes = [...model.modules()].map((m) => [m, m.training] as const);
  model.eval();
  const parts: Tensor[][] = [];
  const one = (xb: Tensor | Tensor[]) => parts.push(noGrad(() => scope(() => forward(model, xb, false))));
  try {
    if (isBatchSource(x)) {
      for await (const b of x as AsyncIterable<unknown>) {
        const xb = Array.isArray(b) && b.length === 2 && b[0] instanceof Tensor && b[1] instanceof Tensor ? (b[0] as Tensor) : (b as Tensor);
        one(xb);
      }
    } else {
      const data = new ArrayData(x as ArrayLikeData, undefined, Array.isArray(x) && x[0] instanceof Tensor, false);
      for (const [xb] of data.batches(args.batchSize ?? 32, null)) {
        one(xb);
        for (const t of asList(xb)) t.dispose();
      }
    }
  } finally {
    for (const [m, t] of modes) m.training = t;
  }
  const outs = parts[0]!.map((_, k) => {
    const cat = o.concat(parts.map((p) => p[k]!), 0);
    if (parts.length > 1) for (const p of parts) p[k]!.dispose();
    return cat;
  });
  return outs.length === 1 ? outs[0]! : outs;
}

