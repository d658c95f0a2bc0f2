// What one training or evaluation batch needs, shared by fit's eager step and evaluate: the forward
// pass, the weighted loss with its per-output parts and regularization penalties, metrics bound to
// outputs, class weights, and the epoch's running averages.
import { NNError, ValueError } from '../errors';
import { Layer, regularizationLosses } from '../nn/layer';
import type { Module } from '../nn/module';
import * as o from '../ops';
import { Tensor } from '../tensor';
import { canonicalLossName } from '../losses';
import { KerasOptimizer } from '../optim/keras-optimizer';
import { resolveMetrics, type MetricLike } from './resolve';
import type { Logs } from './callbacks';
import type { Compiled, FitArgs } from './fit';

export const asList = (t: Tensor | Tensor[] | undefined): Tensor[] => (t === undefined ? [] : Array.isArray(t) ? t : [t]);
export const forward = (model: Module, x: Tensor | Tensor[], training: boolean): Tensor[] => {
  const y = model instanceof Layer ? model(x, { training }) : Array.isArray(x) ? model(...x) : model(x);
  if (y instanceof Tensor) return [y];
  if (Array.isArray(y)) return y as Tensor[];
  if (y && typeof y === 'object') return Object.values(y as Record<string, Tensor>);
  throw new NNError(`The model's forward returned ${typeof y}, expected a Tensor.`, 'fit');
};

function regularization(model: Module): Tensor | null {
  const l = regularizationLosses(model);
  return l.length ? l.reduce((a, b) => a.add(b)) : null;
}

export const isOptions = (v: unknown): v is FitArgs =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Tensor) && !ArrayBuffer.isView(v);

/** The weighted total loss of one batch, with the regularization penalties; pushes each output's unweighted loss to `parts` when given. */
export function batchLoss(c: Compiled, model: Module, ys: Tensor[], preds: Tensor[], sampleWeight: Tensor | null, parts?: Tensor[]): Tensor {
  if (ys.length !== c.losses.length || preds.length !== c.losses.length) {
    throw new ValueError(`fit: the model has ${preds.length} output(s) and ${ys.length} target(s), but ${c.losses.length} loss(es) were compiled.`, 'fit');
  }
  let total: Tensor | null = null;
  c.losses.forEach((loss, i) => {
    const raw = loss(ys[i]!, preds[i]!, sampleWeight ?? undefined);
    parts?.push(raw);
    const l = raw.mul(c.lossWeights[i]!);
    total = total ? total.add(l) : l;
  });
  const reg = regularization(model);
  return reg ? total!.add(reg) : total!;
}

/**
 * Keras's names for the outputs of a multi-output model, used in log keys (`<name>_loss`,
 * `<name>_<metric>`): the key of a dict of outputs, else the name of the layer that produced the
 * output, else `output_<i>`. Empty for single-output models (Keras logs plain `loss` there).
 */
function outputNames(model: Module, c: Compiled): string[] {
  if (c.losses.length < 2) return [];
  const m = model as unknown as { outputNames?: string[] | null; outputs?: { node?: { module?: { name?: unknown } } | null }[] };
  const names = c.losses.map((_, i) => {
    const n = m.outputNames?.[i] ?? m.outputs?.[i]?.node?.module?.name;
    return typeof n === 'string' && n ? n : `output_${i + 1}`;
  });
  // Two outputs of one layer would share a name: number them instead.
  return new Set(names).size === names.length ? names : names.map((_, i) => `output_${i + 1}`);
}

/** A compiled metric bound to one output, with its log key. */
export interface BoundMetric {
  m: MetricLike;
  out: number;
  key: string;
}

/**
 * The compiled metrics, bound to outputs. One output: each metric as given, logged under its name.
 * Several outputs (Keras 2's rule for a flat list): each metric named by a string is computed for
 * every output and logged as `<output>_<metric>`; a metric object (one instance, one state) is
 * computed for the first output only, logged as `<first output>_<metric>`.
 */
function bindMetrics(c: Compiled, names: string[]): BoundMetric[] {
  if (names.length === 0) return resolveMetrics(c.metricSpecs, c.lossNames[0]!).map((m) => ({ m, out: 0, key: m.name }));
  return names.flatMap((name, i) =>
    c.metricSpecs
      .filter((spec) => typeof spec === 'string' || i === 0)
      .map((spec) => resolveMetrics([spec], c.lossNames[i]!)[0]!)
      .map((m) => ({ m, out: i, key: `${name}_${m.name}` })),
  );
}

/** `{ key: value }` of each output's loss value for the log. */
export function partLogs(keys: string[], parts: Tensor[]): Record<string, number> {
  return Object.fromEntries(keys.map((k, i) => [k, parts[i]!.item()]));
}

/** The log keys of each output's loss and the metrics bound to outputs, for fit and evaluate. */
export function logPlan(model: Module, c: Compiled): { outKeys: string[]; metrics: BoundMetric[] } {
  const names = outputNames(model, c);
  return { outKeys: names.map((n) => `${n}_loss`), metrics: bindMetrics(c, names) };
}

export function sampleWeights(cw: Record<number, number> | undefined, y: Tensor | Tensor[] | undefined): Tensor | null {
  if (!cw || !y) return null;
  const t = Array.isArray(y) ? y[0]! : y;
  const lab = t.rank > 1 && t.shape[t.rank - 1]! > 1 ? o.argmax(t, -1).dataSync() : t.dataSync();
  return o.tensor(Float32Array.from(lab, (v) => cw[v] ?? 1), [lab.length]);
}

/** Keras optimizers bind to the weights once they exist (layers build on their first call). */
export function bindIfNeeded(c: Compiled, model: Module): void {
  if (!(c.optimizer instanceof KerasOptimizer) || c.optimizer.isBound) return;
  const params = model.parameters();
  if (!params.length && model.parameters(true).length) {
    throw new ValueError('fit: every weight of the model is frozen (trainable = false): nothing to train.', 'fit', 'Unfreeze the layers to train (layer.trainable = true), then compile again.');
  }
  c.optimizer.bind(params);
}

const PROB_LOSSES = new Set(['sparsecategoricalcrossentropy', 'categoricalcrossentropy', 'binarycrossentropy']);
/**
 * Keras's cross-entropies default to probabilities: a model that outputs logits then trains on
 * nonsense without a word. Warn once when the first predictions are clearly not probabilities.
 */
export function warnIfLogitsToProbabilityLoss(c: Compiled, pred: Tensor): void {
  const name = c.lossNames[0]!;
  if (!c.lossSpecs[0] || typeof c.lossSpecs[0] !== 'string' || !PROB_LOSSES.has(canonicalLossName(name))) return;
  const v = pred.dataSync();
  let outside = false;
  for (let i = 0; i < v.length && !outside; i++) outside = v[i]! < 0 || v[i]! > 1;
  if (outside) {
    console.warn(`fit: loss "${name}" expects probabilities, but the model's outputs include values outside [0, 1] (logits?). ` +
      `Use losses.${name.includes('sparse') ? 'SparseCategoricalCrossentropy' : name.includes('binary') ? 'BinaryCrossentropy' : 'CategoricalCrossentropy'}({ fromLogits: true }), or end the model with a softmax/sigmoid.`);
  }
}

/** Running mean of logged values over an epoch, weighted by batch size. */
export class Averager {
  private sums: Record<string, number> = {};
  private n = 0;
  add(values: Record<string, number>, count: number) {
    for (const [k, v] of Object.entries(values)) this.sums[k] = (this.sums[k] ?? 0) + v * count;
    this.n += count;
  }
  result(): Logs {
    return Object.fromEntries(Object.entries(this.sums).map(([k, v]) => [k, v / Math.max(this.n, 1)]));
  }
}

export function metricLogs(metrics: BoundMetric[], prefix = ''): Logs {
  const out: Logs = {};
  for (const b of metrics) out[prefix + b.key] = b.m.result();
  return out;
}

