import { fmtShape, type Shape } from '../../dtype';
import { noGrad, scope } from '../../engine';
import { ValueError } from '../../errors';
import * as o from '../../ops';
import { Tensor } from '../../tensor';
import { inputError, Layer, type LayerArgs } from '../layer';
import type { Config } from '../config';
import type { CallOptions } from '../module';
import { classNameOf, Module, Parameter } from '../module';

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
 * γ and β are trainable; the moving statistics are non-trainable weights. Frozen
 * (`trainable = false`), it runs in inference mode in training too, as in Keras (fine-tuning keeps
 * the moving statistics the base model learned).
 */
export class BatchNormalization extends Layer {
  /** The registered (saved) class name, explicit so bundlers that rename classes cannot change it. */
  static override className = 'BatchNormalization';
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
    // Keras: a frozen BatchNormalization (trainable = false) runs in inference mode, also in fit.
    return batchNorm(x, ax, (opts.training ?? this.training) && this.trainable, { newWeight: 1 - this.momentum, unbiasedRunning: false, eps: this.epsilon }, this.movingMean, this.movingVariance, this.gamma ?? null, this.beta ?? null);
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
      throw new ValueError(`${classNameOf(this.constructor as never)}(${this.numFeatures}) expected input of rank ${this.ranks.join(' or ')} with ${this.numFeatures} channels on axis 1, got input ${fmtShape(x.shape)}.`, classNameOf(this.constructor as never));
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
  /** The registered (saved) class name, explicit so bundlers that rename classes cannot change it. */
  static override className = 'LayerNormalization';
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
  /**
   * Variance with divisor `count − ddof`: 0 (the default) is the biased (population) variance,
   * 1 the unbiased (sample) one.
   */
  variance(ddof = 0): Float64Array {
    return this.m2.map((v) => v / Math.max(this.count - ddof, 1));
  }
}

/** Features held on the host: a typed array or a plain array of numbers. */
type Row = ArrayLike<number>;
/** A tensor, or a host tensor such as @nn/data's `collateHost` output (`{ data, shape }`). */
type TensorLike = Tensor | { readonly data: Row; readonly shape: readonly number[] };

/**
 * One element of the data {@link Normalization.adapt} reads, matched by shape, not by class (core
 * does not import @nn/data):
 * - a tensor (or `{ data, shape }`): rows along every axis but the last;
 * - one sample's features: a typed array, `number[]`, or a number (one feature);
 * - a sample `{ x, … }` (an @nn/data Dataset's element; other fields such as `y` are ignored);
 * - a batch `[x, y]` (a DataLoader's or any fit source's element): `x` is read;
 * - an array of any of these (e.g. a `Dataset.batch(n)` element, or nested arrays).
 */
export type AdaptElement = TensorLike | Row | number | { readonly x: TensorLike | Row | number } | readonly [TensorLike, ...unknown[]] | readonly AdaptElement[];

/**
 * Data accepted by {@link Normalization.adapt}: a tensor, nested arrays, or a sync or async iterable
 * of {@link AdaptElement}s — an @nn/data `Dataset` of `{ x }` samples, a `DataLoader`, batches of tensors.
 */
export type AdaptData = Tensor | number[][] | Iterable<AdaptElement> | AsyncIterable<AdaptElement>;

/** Options of {@link Normalization.adapt}. */
export interface AdaptOptions {
  /** Read at most this many elements (Keras `steps`; needed for an endless source such as `ds.repeat()`). @default all */
  steps?: number;
}

/** Host rows gathered into blocks, merged into {@link RunningStats} a block at a time. */
class RowAccumulator {
  stats: RunningStats | null = null;
  private block: Float64Array | null = null;
  private rows = 0;
  constructor(private readonly layer: string) {}
  private features(f: number): RunningStats {
    if (f === 0) throw new ValueError('Normalization.adapt: an element has no features.', this.layer);
    this.stats ??= new RunningStats(f);
    if (this.stats.features !== f) throw new ValueError(`Normalization.adapt: an element has ${f} features, earlier ones ${this.stats.features}.`, this.layer);
    return this.stats;
  }
  /** Rows × features values, row-major. */
  addBlock(values: Row, f: number): void {
    const s = this.features(f);
    if (values.length % f !== 0) throw new ValueError(`Normalization.adapt: ${values.length} values are not whole rows of ${f} features.`, this.layer);
    if (values.length) s.update(values, values.length / f);
  }
  addRow(row: Row): void {
    const f = row.length;
    this.features(f);
    this.block ??= new Float64Array(Math.max(1, Math.floor(65_536 / f)) * f);
    this.block.set(row, this.rows * f);
    if (++this.rows * f === this.block.length) this.flush();
  }
  flush(): void {
    if (this.rows && this.stats) this.stats.update(this.block!, this.rows);
    this.rows = 0;
  }
}

const isTensorLike = (v: unknown): v is TensorLike =>
  v instanceof Tensor || (typeof v === 'object' && v !== null && 'shape' in v && 'data' in v && Array.isArray((v as { shape: unknown }).shape) && typeof (v as { data: Row }).data.length === 'number');

const describeValue = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? `an array of ${v.length}` : typeof v === 'object' ? `an object with keys {${Object.keys(v).slice(0, 5).join(', ')}}` : typeof v;

/** Arguments of {@link Normalization}. */
export interface NormalizationArgs extends LayerArgs {
  /** Per-feature mean (with `variance`), instead of `adapt`. */
  mean?: number[];
  /** Per-feature variance (with `mean`), instead of `adapt`. */
  variance?: number[];
  axis?: number;
  /**
   * "Delta degrees of freedom" of the variance `adapt` computes: it divides by n − ddof. 0 is Keras's
   * (population variance, divide by n); 1 the course's slide and `torch.var`'s default (divide by
   * n − 1). @default 0
   */
  ddof?: number;
}

/**
 * Keras `Normalization`: z-score `(x − mean) / max(√var, ε)` per feature on the last axis, with
 * mean and variance from `adapt(data)` — one streaming pass (Welford), so data larger than memory
 * can be adapted batch by batch — or given directly. `ddof: 1` divides the variance by n − 1.
 *
 * @example
 * ```ts
 * const norm = layers.Normalization({ ddof: 1 });   // the course's σ² = Σ(x − μ)² / (n − 1)
 * await norm.adapt(xTrain);
 * ```
 */
export class Normalization extends Layer {
  /** The registered (saved) class name, explicit so bundlers that rename classes cannot change it. */
  static override className = 'Normalization';
  meanW?: Parameter;
  varianceW?: Parameter;
  readonly ddof: number;
  constructor(readonly args: NormalizationArgs = {}) {
    super(args);
    if ((args.mean === undefined) !== (args.variance === undefined)) throw new ValueError('Normalization: pass both mean and variance, or neither (then call adapt()).', this.name);
    this.ddof = args.ddof ?? 0;
    if (!(Number.isInteger(this.ddof) && this.ddof >= 0)) throw new ValueError(`Normalization: ddof must be an integer ≥ 0 (0: divide by n, 1: by n − 1), got ${String(args.ddof)}.`, this.name);
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
  /**
   * Compute mean and variance (divided by n − `ddof`: population variance by default) over all axes but the last, in one streaming pass:
   * the data is never held, so a Dataset larger than memory can be adapted.
   * @param data a tensor, nested arrays, batches of tensors, an @nn/data `Dataset` of `{ x }`
   * samples or a `DataLoader` (either read as its pass 0, without advancing its epoch counter).
   * @param options.steps read at most this many elements.
   * @example
   * ```ts
   * const norm = layers.Normalization();
   * await norm.adapt(Dataset.fromCsv('big.csv', { label: 'y' }));   // or a DataLoader, or a tensor
   * ```
   */
  async adapt(data: AdaptData, options: AdaptOptions = {}): Promise<void> {
    const steps = options.steps ?? Infinity;
    if (!(steps > 0)) throw new ValueError(`Normalization.adapt: steps must be positive, got ${steps}.`, this.name);
    const acc = new RowAccumulator(this.name);
    const add = (el: unknown, depth: number): void => {
      if (isTensorLike(el)) {
        const values = el instanceof Tensor ? el.dataSync() : el.data;
        acc.addBlock(values, el.shape.length ? el.shape[el.shape.length - 1]! : 1);
      } else if (typeof el === 'number') acc.addRow([el]);
      else if (ArrayBuffer.isView(el)) acc.addRow(el as unknown as Row);
      else if (Array.isArray(el)) {
        if (el.length === 0) return;
        if (typeof el[0] === 'number') acc.addRow(el as number[]);
        else if (depth > 0 && isTensorLike(el[0])) add(el[0], depth + 1); // a batch [x, y]: normalise x
        else if (depth > 0 && Array.isArray(el[0]) && isTensorLike(el[0][0])) {
          throw new ValueError('Normalization.adapt: a batch has several inputs ([[x1, x2, …], y]); adapt from the one input this layer normalises.', this.name);
        } else for (const v of el) add(v, depth + 1);
      } else if (typeof el === 'object' && el !== null && 'x' in el) add((el as { x: unknown }).x, depth + 1);
      else throw new ValueError(`Normalization.adapt: cannot read features from ${describeValue(el)}; expected tensors, arrays of numbers, { x } samples or [x, y] batches.`, this.name);
    };
    if (data instanceof Tensor || Array.isArray(data) || ArrayBuffer.isView(data)) add(data, 0);
    else {
      const d = data as { iterate?: (o: { epoch: number }) => AsyncIterable<unknown> };
      // An @nn/data Dataset or DataLoader numbers its passes; read pass 0 explicitly so adapting
      // does not shift the shuffle order of the passes that follow.
      const source = (typeof d.iterate === 'function' ? d.iterate({ epoch: 0 }) : data) as Iterable<unknown> | AsyncIterable<unknown>;
      let n = 0;
      if (Symbol.asyncIterator in source) {
        for await (const el of source as AsyncIterable<unknown>) {
          add(el, 1);
          if (++n >= steps) break;
        }
      } else {
        for (const el of source as Iterable<unknown>) {
          add(el, 1);
          if (++n >= steps) break;
        }
      }
    }
    acc.flush();
    if (!acc.stats || acc.stats.count === 0) throw new ValueError('Normalization.adapt: no data.', this.name);
    if (acc.stats.count <= this.ddof) {
      throw new ValueError(`Normalization.adapt: ${acc.stats.count} row(s) with ddof ${this.ddof}: the variance divides by n − ddof = ${acc.stats.count - this.ddof}.`, this.name, 'Adapt on more rows, or use ddof 0.');
    }
    this.setStats(acc.stats.mean, acc.stats.variance(this.ddof));
  }
  override build(shape: Shape): void {
    if (!this.meanW) throw inputError(this, 'statistics: call adapt(data) or pass mean and variance first', shape);
  }
  /** The statistics are part of the config (small: one value per feature), so a saved model rebuilds adapted. */
  override getConfig(): Config {
    const stats = this.meanW && this.varianceW ? { mean: Array.from(this.meanW.dataSync()), variance: Array.from(this.varianceW.dataSync()) } : {};
    return { ...super.getConfig(), ...(this.args.axis !== undefined ? { axis: this.args.axis } : {}), ...(this.ddof ? { ddof: this.ddof } : {}), ...stats };
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
