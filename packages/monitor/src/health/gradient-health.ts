import { InvalidOptionError } from '../errors.js';
import type { Callback, ModelLike } from '../types.js';
import type { ActivationStats } from './activations.js';

/** Norms of one parameter and its gradient. */
export interface ParameterHealth {
  name: string;
  shape: readonly number[];
  /** L2 norm of the weights. */
  weightNorm: number;
  /** L2 norm of the gradient, or null when the parameter has no gradient yet. */
  gradNorm: number | null;
  /** Root mean square of the gradient (norm / √size): comparable across layers of different sizes. */
  gradRms: number | null;
  /** gradNorm / weightNorm: the relative size of one plain SGD step (×lr). */
  gradToWeight: number | null;
  /** Count of NaN or ±Infinity values in the weights and in the gradient. */
  nonFinite: { weights: number; grads: number };
}

/** A problem found by {@link gradientHealth}. */
export interface HealthWarning {
  kind: 'non-finite' | 'exploding' | 'vanishing' | 'dead-relu';
  /** Parameter or layer concerned, when there is one. */
  name?: string;
  message: string;
}

/** Result of {@link gradientHealth}. */
export interface GradientHealthReport {
  parameters: ParameterHealth[];
  /** L2 norm of all gradients together (what gradient clipping by global norm looks at). */
  globalGradNorm: number;
  /**
   * For weight matrices (rank ≥ 2) in definition order: gradient RMS divided by that of the last
   * one. Values ≪ 1 toward the input mean vanishing gradients, ≫ 1 exploding ones.
   */
  depthProfile: { name: string; relativeGradRms: number }[];
  warnings: HealthWarning[];
}

/** Thresholds for {@link gradientHealth}. */
export interface GradientHealthOptions {
  /**
   * A global gradient norm above this is "exploding".
   * @default 1000
   */
  explodeNorm?: number;
  /**
   * A first-to-last gradient-RMS ratio (over weight matrices) below this is "vanishing"; above
   * its inverse it is "exploding" with depth.
   * @default 1e-3
   */
  depthRatio?: number;
  /** The previous report, to detect growth of the global gradient norm over time. */
  previous?: GradientHealthReport;
  /**
   * Growth of the global gradient norm since `previous` above this factor is "exploding".
   * @default 10
   */
  growthFactor?: number;
  /** Activation statistics (from an {@link ActivationRecorder}) to check for dead ReLUs. */
  activations?: ActivationStats[];
  /**
   * A layer with more than this fraction of dead units (zero for every example) gets a warning.
   * @default 0.5
   */
  deadReluFraction?: number;
}

function norm(values: ArrayLike<number>): { sumSq: number; nonFinite: number } {
  let sumSq = 0;
  let nonFinite = 0;
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    if (Number.isFinite(x)) sumSq += x * x;
    else nonFinite++;
  }
  return { sumSq, nonFinite };
}

const sci = (x: number) => x.toExponential(2);

/**
 * Gradient health of a model after `backward()`: per-parameter weight and gradient norms, the
 * global gradient norm, how gradient size changes with depth, and warnings for NaN/Inf values,
 * exploding gradients (large or fast-growing norm, growth toward the input) and vanishing
 * gradients (norms collapsing toward the input), plus dead ReLUs when activations are given.
 *
 * @param model - anything with `namedParameters()` yielding `[name, tensor]`, tensors with
 *   `dataSync()` and `.grad` (the core `Module`/`Model` fit).
 * @param options - thresholds; see {@link GradientHealthOptions}.
 * @example
 * loss.backward();
 * const report = gradientHealth(model);
 * for (const w of report.warnings) console.warn(w.message);
 */
export function gradientHealth(model: ModelLike, options: GradientHealthOptions = {}): GradientHealthReport {
  if (!model || typeof model.namedParameters !== 'function') {
    throw new InvalidOptionError('gradientHealth: model', model, 'an object with namedParameters() (a Module or Model)');
  }
  const explodeNorm = options.explodeNorm ?? 1000;
  const depthRatio = options.depthRatio ?? 1e-3;
  const growthFactor = options.growthFactor ?? 10;
  const parameters: ParameterHealth[] = [];
  const warnings: HealthWarning[] = [];
  let globalSq = 0;
  for (const [name, p] of model.namedParameters()) {
    const w = norm(p.dataSync());
    const weightNorm = Math.sqrt(w.sumSq);
    let gradNorm: number | null = null;
    let gradRms: number | null = null;
    let gradNonFinite = 0;
    if (p.grad) {
      const g = norm(p.grad.dataSync());
      const size = p.grad.shape.reduce((a, b) => a * b, 1);
      gradNonFinite = g.nonFinite;
      gradNorm = g.nonFinite ? Number.NaN : Math.sqrt(g.sumSq);
      gradRms = g.nonFinite ? Number.NaN : Math.sqrt(g.sumSq / Math.max(1, size));
      globalSq += g.nonFinite ? Number.NaN : g.sumSq;
    }
    parameters.push({ name, shape: p.shape, weightNorm, gradNorm, gradRms, gradToWeight: gradNorm === null ? null : gradNorm / (weightNorm || Number.MIN_VALUE), nonFinite: { weights: w.nonFinite, grads: gradNonFinite } });
    if (w.nonFinite || gradNonFinite) {
      warnings.push({ kind: 'non-finite', name, message: `${name}: ${w.nonFinite} non-finite weight(s) and ${gradNonFinite} non-finite gradient value(s) (NaN/Inf): training has diverged; lower the learning rate or clip gradients.` });
    }
  }
  const globalGradNorm = Math.sqrt(globalSq);
  if (Number.isFinite(globalGradNorm) && globalGradNorm > explodeNorm) {
    warnings.push({ kind: 'exploding', message: `global gradient norm ${sci(globalGradNorm)} exceeds ${sci(explodeNorm)}: exploding gradients; clip gradients (clipnorm) or lower the learning rate.` });
  }
  const prev = options.previous?.globalGradNorm;
  if (prev !== undefined && prev > 0 && Number.isFinite(globalGradNorm) && globalGradNorm > growthFactor * prev) {
    warnings.push({ kind: 'exploding', message: `global gradient norm grew ${(globalGradNorm / prev).toFixed(1)}× (from ${sci(prev)} to ${sci(globalGradNorm)}) since the last check: gradients may be exploding.` });
  }
  const matrices = parameters.filter((p) => p.shape.length >= 2 && p.gradRms !== null && Number.isFinite(p.gradRms));
  const last = matrices.at(-1)?.gradRms ?? 0;
  const depthProfile = last > 0 ? matrices.map((p) => ({ name: p.name, relativeGradRms: p.gradRms! / last })) : [];
  if (depthProfile.length >= 3) {
    const first = depthProfile[0]!;
    if (first.relativeGradRms < depthRatio) {
      warnings.push({ kind: 'vanishing', name: first.name, message: `gradients vanish with depth: the first layer's gradient RMS is ${sci(first.relativeGradRms)} of the last layer's (threshold ${sci(depthRatio)}); use Glorot/He initialisation, ReLU-family activations, batch normalization or residual connections.` });
    } else if (first.relativeGradRms > 1 / depthRatio) {
      warnings.push({ kind: 'exploding', name: first.name, message: `gradients explode with depth: the first layer's gradient RMS is ${sci(first.relativeGradRms)}× the last layer's (threshold ${sci(1 / depthRatio)}); use Glorot/He initialisation, batch normalization or gradient clipping.` });
    }
  }
  const deadLimit = options.deadReluFraction ?? 0.5;
  for (const a of options.activations ?? []) {
    if (a.deadFraction > deadLimit) {
      warnings.push({ kind: 'dead-relu', name: a.name, message: `${a.name}: ${(a.deadFraction * 100).toFixed(0)}% of units are zero for every example in the batch (dead ReLUs); lower the learning rate, use He initialisation or LeakyReLU.` });
    }
  }
  return { parameters, globalGradNorm, depthProfile, warnings };
}

/** Options for {@link GradientHealthMonitor}. */
export interface GradientHealthMonitorOptions extends Omit<GradientHealthOptions, 'previous' | 'activations'> {
  /**
   * Check every N batches.
   * @default 50
   */
  every?: number;
  /** The model, when `fit` does not call `setModel`. */
  model?: ModelLike;
  /**
   * Where warnings go; each distinct kind+parameter is reported once.
   * @default console.warn
   */
  onWarning?: (warning: HealthWarning) => void;
}

/**
 * Callback that runs {@link gradientHealth} every N batches (after the batch's backward pass,
 * while gradients are still present) and reports new warnings, comparing each check with the
 * previous one to catch fast-growing gradient norms.
 *
 * @example
 * await model.fit(ds, { epochs: 5, callbacks: [new GradientHealthMonitor({ every: 100 })] });
 */
export class GradientHealthMonitor implements Callback {
  /** Every report computed so far, oldest first. */
  readonly reports: GradientHealthReport[] = [];
  private model: ModelLike | undefined;
  private batchCount = 0;
  private readonly seen = new Set<string>();

  constructor(readonly options: GradientHealthMonitorOptions = {}) {
    const every = options.every ?? 50;
    if (!Number.isInteger(every) || every < 1) throw new InvalidOptionError('GradientHealthMonitor: options.every', every, 'a positive integer');
    this.model = options.model;
  }

  setModel(model: unknown): void {
    this.model = model as ModelLike;
  }

  onBatchEnd(): void {
    if (this.batchCount++ % (this.options.every ?? 50) !== 0 || !this.model) return;
    const report = gradientHealth(this.model, { ...this.options, ...(this.reports.length ? { previous: this.reports.at(-1)! } : {}) });
    this.reports.push(report);
    const warn = this.options.onWarning ?? ((w: HealthWarning) => console.warn(`gradient health: ${w.message}`));
    for (const w of report.warnings) {
      const key = `${w.kind}:${w.name ?? ''}`;
      if (this.seen.has(key)) continue;
      this.seen.add(key);
      warn(w);
    }
  }
}
