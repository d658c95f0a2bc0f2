import { fmtShape, type Shape } from '../../dtype';
import { noGrad, scope } from '../../engine';
import { ValueError } from '../../errors';
import * as o from '../../ops';
import { Tensor } from '../../tensor';
import { inputError, Layer, type LayerArgs } from '../layer';
import type { Config } from '../config';
import type { CallOptions } from '../module';
import { Module, Parameter } from '../module';

/** Which framework's running-statistics rule a batch-norm layer follows. */
interface BnRule {
  /** Weight of the NEW batch statistic in the running average. */
  newWeight: number;
  /** Use the unbiased (n/(n−1)) batch variance for the running variance (PyTorch) or the biased one (Keras). */
  unbiasedRunning: boolean;
  eps: number;
}

/** Shared batch-norm arithmetic: normalise over every axis but `axis`. */
function batchNorm(x: Tensor, axis: number, training: boolean, rule: BnRule, mean: Tensor, variance: Tensor, gamma: Tensor | null, beta: Tensor | null): Tensor {
  const reduce = x.shape.map((_, i) => i).filter((i) => i !== axis);
  const bshape = x.shape.map((d, i) => (i === axis ? d : 1));
  let mu: Tensor, v: Tensor;
  if (training) {
    mu = x.mean(reduce, true);
    v = x.sub(mu).square().mean(reduce, true);
    const n = reduce.reduce((p, i) => p * x.shape[i]!, 1);
    if (n <= 1 && rule.unbiasedRunning) {
      throw new ValueError(`Expected more than 1 value per channel when training, got input size ${fmtShape(x.shape)}.`, 'BatchNorm');
    }
    noGrad(() => scope(() => {
      const m = rule.newWeight;
      const vr = rule.unbiasedRunning ? v.mul(n / (n - 1)) : v;
      mean.assign_(mean.mul(1 - m).add(mu.reshape(mean.shape).mul(m)));
      variance.assign_(variance.mul(1 - m).add(vr.reshape(variance.shape).mul(m)));
    }));
  } else {
    mu = mean.reshape(bshape);
    v = variance.reshape(bshape);
  }
  let y = x.sub(mu).mul(v.add(rule.eps).rsqrt());
  if (gamma) y = y.mul(gamma.reshape(bshape));
  if (beta) y = y.add(beta.reshape(bshape));
  return y;
}

/** Options of Keras {@link BatchNormalization}. */
export interface BatchNormalizationArgs extends LayerArgs {
  /** Feature axis. @default -1 */ axis?: number;
  /** Weight of the OLD value in the moving average. @default 0.99 */ momentum?: number;
  /** @default 1e-3 */ epsilon?: number;
  /** Learn β. @default true */ center?: boolean;
  /** Learn γ. @default true */ scale?: boolean;
}

/**
 * Keras `BatchNormalization`: in training normalises with the batch mean and (biased) variance and
 * updates moving = moving·momentum + batch·(1 − momentum); in inference uses the moving statistics.
 * γ and β are trainable; the moving statistics are non-trainable weights.
 */
export class BatchNormalization extends Layer {
  gamma?: Parameter;
  beta?: Parameter;
  movingMean!: Parameter;
  movingVariance!: Parameter;
  readonly axis: number;
  readonly momentum: number;
  readonly epsilon: number;
  private feature = -1;
  constructor(readonly args: BatchNormalizationArgs = {}) {
    super(args);
    this.axis = args.axis ?? -1;
    this.momentum = args.momentum ?? 0.99;
    this.epsilon = args.epsilon ?? 1e-3;
    if (!(this.momentum >= 0 && this.momentum <= 1)) throw new ValueError(`BatchNormalization: momentum must be in [0, 1], got ${this.momentum}.`, this.name);
  }
  override build(shape: Shape): void {
    this.feature = this.axis < 0 ? shape.length + this.axis : this.axis;
    const c = shape[this.feature]!;
    if (this.args.scale !== false) this.gamma = this.addWeight({ name: 'gamma', shape: [c], initializer: 'ones' });
    if (this.args.center !== false) this.beta = this.addWeight({ name: 'beta', shape: [c], initializer: 'zeros' });
    this.movingMean = this.addWeight({ name: 'moving_mean', shape: [c], initializer: 'zeros', trainable: false });
    this.movingVariance = this.addWeight({ name: 'moving_variance', shape: [c], initializer: 'ones', trainable: false });
  }
  override checkInput(shape: Shape): void {
    const ax = this.axis < 0 ? shape.length + this.axis : this.axis;
    if (shape[ax] !== this.movingMean.shape[0]) throw inputError(this, `axis ${this.axis} of size ${this.movingMean.shape[0]}`, shape);
  }
  override call(x: Tensor, opts: CallOptions = {}): Tensor {
    const ax = this.axis < 0 ? x.rank + this.axis : this.axis;
    return batchNorm(x, ax, opts.training ?? this.training, { newWeight: 1 - this.momentum, unbiasedRunning: false, eps: this.epsilon }, this.movingMean, this.movingVariance, this.gamma ?? null, this.beta ?? null);
  }
  override getConfig(): Config {
    return { ...super.getConfig(), axis: this.axis, momentum: this.momentum, epsilon: this.epsilon, center: this.args.center !== false, scale: this.args.scale !== false };
  }
}

/** Options of PyTorch batch norm. */
export interface BatchNormOptions {
  /** @default 1e-5 */ eps?: number;
  /** Weight of the NEW batch statistic in the running average. @default 0.1 */ momentum?: number;
  /** Learn weight (γ) and bias (β). @default true */ affine?: boolean;
  /** Keep running statistics (else batch statistics in eval too). @default true */ trackRunningStats?: boolean;
}

/**
 * PyTorch `nn.BatchNorm1d/2d`: running = (1 − momentum)·running + momentum·batch, with the UNBIASED
 * batch variance in the running variance; channel axis 1; buffers running_mean, running_var,
 * num_batches_tracked.
 */
class TorchBatchNorm extends Module {
  weight: Parameter | null;
  bias: Parameter | null;
  readonly eps: number;
  readonly momentum: number;
  constructor(readonly numFeatures: number, readonly ranks: readonly number[], opts: BatchNormOptions = {}) {
    super();
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum ?? 0.1;
    const affine = opts.affine ?? true;
    this.weight = affine ? new Parameter(o.ones([numFeatures])) : null;
    this.bias = affine ? new Parameter(o.zeros([numFeatures])) : null;
    if (opts.trackRunningStats ?? true) {
      this.registerBuffer('running_mean', o.zeros([numFeatures]));
      this.registerBuffer('running_var', o.ones([numFeatures]));
      this.registerBuffer('num_batches_tracked', o.zeros([], 'int32'));
    }
  }
  get runningMean(): Tensor | undefined {
    return this._buffers.get('running_mean');
  }
  get runningVar(): Tensor | undefined {
    return this._buffers.get('running_var');
  }
  override forward(x: Tensor): Tensor {
    if (!this.ranks.includes(x.rank) || x.shape[1] !== this.numFeatures) {
      throw new ValueError(`${this.constructor.name}(${this.numFeatures}) expected input of rank ${this.ranks.join(' or ')} with ${this.numFeatures} channels on axis 1, got input ${fmtShape(x.shape)}.`, this.constructor.name);
    }
    const rm = this.runningMean, rv = this.runningVar;
    if (!rm || !rv) {
      const m = o.zeros([this.numFeatures]), v = o.ones([this.numFeatures]);
      return batchNorm(x, 1, true, { newWeight: 0, unbiasedRunning: true, eps: this.eps }, m, v, this.weight, this.bias);
    }
    if (this.training) {
      const nbt = this._buffers.get('num_batches_tracked')!;
      noGrad(() => scope(() => nbt.assign_(nbt.add(1))));
    }
    return batchNorm(x, 1, this.training, { newWeight: this.momentum, unbiasedRunning: true, eps: this.eps }, rm, rv, this.weight, this.bias);
  }
}

/** PyTorch `nn.BatchNorm1d(numFeatures)`: input (N, C) or (N, C, L). */
export class BatchNorm1d extends TorchBatchNorm {
  constructor(numFeatures: number, opts: BatchNormOptions = {}) {
    super(numFeatures, [2, 3], opts);
  }
}
/** PyTorch `nn.BatchNorm2d(numFeatures)`: input (N, C, H, W). */
export class BatchNorm2d extends TorchBatchNorm {
  constructor(numFeatures: number, opts: BatchNormOptions = {}) {
    super(numFeatures, [4], opts);
  }
}

function layerNorm(x: Tensor, axes: number[], eps: number, gamma: Tensor | null, beta: Tensor | null): Tensor {
  const mu = x.mean(axes, true);
  const v = x.sub(mu).square().mean(axes, true);
  let y = x.sub(mu).mul(v.add(eps).rsqrt());
  if (gamma) y = y.mul(gamma);
  if (beta) y = y.add(beta);
  return y;
}

/** Keras `LayerNormalization(axis = -1, epsilon = 1e-3)`: per-sample normalisation with γ, β. */
export class LayerNormalization extends Layer {
  gamma?: Parameter;
  beta?: Parameter;
  constructor(readonly args: LayerArgs & { axis?: number; epsilon?: number; center?: boolean; scale?: boolean } = {}) {
    super(args);
  }
  override build(shape: Shape): void {
    const ax = (this.args.axis ?? -1) < 0 ? shape.length + (this.args.axis ?? -1) : this.args.axis!;
    const c = shape[ax]!;
    if (this.args.scale !== false) this.gamma = this.addWeight({ name: 'gamma', shape: [c], initializer: 'ones' });
    if (this.args.center !== false) this.beta = this.addWeight({ name: 'beta', shape: [c], initializer: 'zeros' });
  }
  override checkInput(shape: Shape): void {
    const ax = (this.args.axis ?? -1) < 0 ? shape.length + (this.args.axis ?? -1) : this.args.axis!;
    const c = (this.gamma ?? this.beta)?.shape[0];
    if (c !== undefined && shape[ax] !== c) throw inputError(this, `axis ${this.args.axis ?? -1} of size ${c}`, shape);
  }
  override call(x: Tensor): Tensor {
    const ax = (this.args.axis ?? -1) < 0 ? x.rank + (this.args.axis ?? -1) : this.args.axis!;
    if (ax !== x.rank - 1) {
      const bshape = x.shape.map((d, i) => (i === ax ? d : 1));
      return layerNorm(x, [ax], this.args.epsilon ?? 1e-3, this.gamma?.reshape(bshape) ?? null, this.beta?.reshape(bshape) ?? null);
    }
    return layerNorm(x, [ax], this.args.epsilon ?? 1e-3, this.gamma ?? null, this.beta ?? null);
  }
  override getConfig(): Config {
    return { ...super.getConfig(), axis: this.args.axis ?? -1, epsilon: this.args.epsilon ?? 1e-3, center: this.args.center !== false, scale: this.args.scale !== false };
  }
}

/** PyTorch `nn.LayerNorm(normalizedShape, {eps = 1e-5, elementwiseAffine = true})`. */
export class LayerNorm extends Module {
  weight: Parameter | null;
  bias: Parameter | null;
  readonly normalizedShape: number[];
  constructor(normalizedShape: number | readonly number[], readonly opts: { eps?: number; elementwiseAffine?: boolean } = {}) {
    super();
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    const affine = opts.elementwiseAffine ?? true;
    this.weight = affine ? new Parameter(o.ones(this.normalizedShape)) : null;
    this.bias = affine ? new Parameter(o.zeros(this.normalizedShape)) : null;
  }
  override forward(x: Tensor): Tensor {
    const k = this.normalizedShape.length;
    if (x.shape.slice(-k).join() !== this.normalizedShape.join()) {
      throw new ValueError(`nn.LayerNorm expected trailing shape ${fmtShape(this.normalizedShape)}, got input ${fmtShape(x.shape)}.`, 'nn.LayerNorm');
    }
    return layerNorm(x, Array.from({ length: k }, (_, i) => x.rank - k + i), this.opts.eps ?? 1e-5, this.weight, this.bias);
  }
}

/** Running mean/variance (Chan et al.'s parallel Welford merge), one pass over batches. */
export class RunningStats {
  count = 0;
  mean: Float64Array;
  m2: Float64Array;
  constructor(readonly features: number) {
    this.mean = new Float64Array(features);
    this.m2 = new Float64Array(features);
  }
  /** Merge a batch given as rows × features values. */
  update(values: ArrayLike<number>, rows: number): void {
    const f = this.features;
    for (let j = 0; j < f; j++) {
      let bm = 0;
      for (let r = 0; r < rows; r++) bm += values[r * f + j]!;
      bm /= rows;
      let bm2 = 0;
      for (let r = 0; r < rows; r++) bm2 += (values[r * f + j]! - bm) ** 2;
      const n = this.count + rows, delta = bm - this.mean[j]!;
      this.mean[j] = this.mean[j]! + (delta * rows) / n;
      this.m2[j] = this.m2[j]! + bm2 + (delta * delta * this.count * rows) / n;
    }
    this.count += rows;
  }
  /** Biased (population) variance. */
  variance(): Float64Array {
    return this.m2.map((v) => v / Math.max(this.count, 1));
  }
}

/** Data accepted by {@link Normalization.adapt}: a tensor, nested arrays, or batches (sync or async). */
export type AdaptData = Tensor | number[][] | Iterable<Tensor> | AsyncIterable<Tensor | readonly Tensor[]>;

/**
 * Keras `Normalization`: z-score `(x − mean) / max(√var, ε)` per feature on the last axis, with
 * mean and variance from `adapt(data)` — one streaming pass (Welford), so data larger than memory
 * can be adapted batch by batch — or given directly.
 */
export class Normalization extends Layer {
  meanW?: Parameter;
  varianceW?: Parameter;
  constructor(readonly args: LayerArgs & { mean?: number[]; variance?: number[]; axis?: number } = {}) {
    super(args);
    if ((args.mean === undefined) !== (args.variance === undefined)) throw new ValueError('Normalization: pass both mean and variance, or neither (then call adapt()).', this.name);
    if (args.mean && args.variance) this.setStats(Float64Array.from(args.mean), Float64Array.from(args.variance));
  }
  private setStats(mean: ArrayLike<number>, variance: ArrayLike<number>): void {
    this.meanW?.dispose();
    this.varianceW?.dispose();
    this._weights = this._weights.filter(([n]) => n !== 'mean' && n !== 'variance');
    this.meanW = this.addWeight({ name: 'mean', shape: [mean.length], initializer: 'zeros', trainable: false });
    this.varianceW = this.addWeight({ name: 'variance', shape: [variance.length], initializer: 'ones', trainable: false });
    noGrad(() => {
      this.meanW!.assign_(o.tensor(Float32Array.from(mean), [mean.length]));
      this.varianceW!.assign_(o.tensor(Float32Array.from(variance), [variance.length]));
    });
    this.built = true;
  }
  /** Compute mean and variance over all axes but the last, in one streaming pass. */
  async adapt(data: AdaptData): Promise<void> {
    let stats: RunningStats | null = null;
    const add = (t: Tensor | number[][]) => {
      const x = t instanceof Tensor ? t : o.tensor(t);
      const f = x.shape[x.rank - 1]!;
      stats ??= new RunningStats(f);
      if (stats.features !== f) throw new ValueError(`Normalization.adapt: batches have ${f} features, earlier ones ${stats.features}.`, this.name);
      stats.update(x.dataSync(), x.size / f);
      if (!(t instanceof Tensor)) x.dispose();
    };
    if (data instanceof Tensor || (Array.isArray(data) && Array.isArray(data[0]) && typeof data[0][0] === 'number')) add(data as Tensor | number[][]);
    else if (Symbol.asyncIterator in (data as object)) {
      for await (const b of data as AsyncIterable<Tensor | readonly Tensor[]>) add(b instanceof Tensor ? b : b[0]!);
    } else for (const b of data as Iterable<Tensor>) add(b);
    if (!stats) throw new ValueError('Normalization.adapt: no data.', this.name);
    const s = stats as RunningStats;
    this.setStats(s.mean, s.variance());
  }
  override build(shape: Shape): void {
    if (!this.meanW) throw inputError(this, 'statistics: call adapt(data) or pass mean and variance first', shape);
  }
  /** The statistics are part of the config (small: one value per feature), so a saved model rebuilds adapted. */
  override getConfig(): Config {
    const stats = this.meanW && this.varianceW ? { mean: Array.from(this.meanW.dataSync()), variance: Array.from(this.varianceW.dataSync()) } : {};
    return { ...super.getConfig(), ...(this.args.axis !== undefined ? { axis: this.args.axis } : {}), ...stats };
  }
  override checkInput(shape: Shape): void {
    const f = this.meanW!.shape[0]!;
    if (shape[shape.length - 1] !== f) throw inputError(this, `last axis ${f} (the number of adapted features)`, shape);
  }
  override call(x: Tensor): Tensor {
    // Keras: (x − mean) / maximum(sqrt(variance), epsilon) with epsilon 1e-7.
    return x.sub(this.meanW!).div(this.varianceW!.sqrt().maximum(1e-7));
  }
}
