import { ValueError } from '../errors';
import type { Tensor } from '../tensor';
import { host, weights, type Metric } from './metric';

/** Options of {@link Precision}, {@link Recall}. */
export interface ThresholdOptions {
  /** A prediction counts as positive when > threshold (Keras semantics). @default 0.5 */
  threshold?: number;
  /** @default 'precision' / 'recall' */
  name?: string;
}

/** Counts TP, FP, FN over every element (binary and multi-label), as Keras' confusion metrics do. */
abstract class Confusion implements Metric {
  tp = 0;
  fp = 0;
  fn = 0;
  readonly threshold: number;
  constructor(readonly name: string, o: ThresholdOptions) {
    this.threshold = o.threshold ?? 0.5;
    if (!(this.threshold >= 0 && this.threshold <= 1)) throw new ValueError(`${name}: threshold must be in [0, 1], got ${this.threshold}.`, name);
  }
  update(yTrue: Tensor, yPred: Tensor, sampleWeight?: Tensor): void {
    const t = host(yTrue), p = host(yPred);
    if (t.data.length !== p.data.length) throw new ValueError(`${this.name}: yTrue has ${t.data.length} values, yPred ${p.data.length}.`, this.name);
    const w = weights(this.name, sampleWeight, p.rows);
    for (let i = 0; i < p.data.length; i++) {
      const wi = w ? w[Math.floor(i / p.cols)]! : 1;
      const pos = p.data[i]! > this.threshold, truth = t.data[i]! > 0.5;
      if (pos && truth) this.tp += wi;
      else if (pos) this.fp += wi;
      else if (truth) this.fn += wi;
    }
  }
  abstract result(): number;
  reset(): void {
    this.tp = this.fp = this.fn = 0;
  }
}

/** TP / (TP + FP) (Keras `Precision`); 0 when nothing was predicted positive. */
export class Precision extends Confusion {
  constructor(o: ThresholdOptions = {}) {
    super(o.name ?? 'precision', o);
  }
  result(): number {
    const d = this.tp + this.fp;
    return d === 0 ? 0 : this.tp / d;
  }
}

/** TP / (TP + FN) (Keras `Recall`); 0 when there were no positives. */
export class Recall extends Confusion {
  constructor(o: ThresholdOptions = {}) {
    super(o.name ?? 'recall', o);
  }
  result(): number {
    const d = this.tp + this.fn;
    return d === 0 ? 0 : this.tp / d;
  }
}

/** Options of {@link F1Score}. */
export interface F1Options {
  /**
   * `'micro'`: one F1 from TP/FP/FN summed over classes; `'macro'`: mean of per-class F1;
   * `'weighted'`: per-class F1 weighted by each class' support. @default 'macro'
   */
  average?: 'micro' | 'macro' | 'weighted';
  /**
   * Positive when > threshold; `null` marks each row's largest prediction positive (Keras'
   * default for one-hot multi-class). A single output column uses 0.5 when null. @default null
   */
  threshold?: number | null;
  /** @default 'f1_score' */
  name?: string;
}

/**
 * F1 score (Keras `F1Score`) over one-hot or multi-label targets [N, C], or binary [N, 1]:
 * per class 2TP / (2TP + FP + FN), averaged as chosen.
 */
export class F1Score implements Metric {
  readonly name: string;
  readonly average: 'micro' | 'macro' | 'weighted';
  readonly threshold: number | null;
  private tp: number[] = [];
  private fp: number[] = [];
  private fn: number[] = [];
  constructor(o: F1Options = {}) {
    this.name = o.name ?? 'f1_score';
    this.average = o.average ?? 'macro';
    this.threshold = o.threshold ?? null;
    if (!['micro', 'macro', 'weighted'].includes(this.average)) throw new ValueError(`F1Score: average must be 'micro', 'macro' or 'weighted', got '${this.average}'.`, 'F1Score');
  }
  update(yTrue: Tensor, yPred: Tensor, sampleWeight?: Tensor): void {
    const t = host(yTrue), p = host(yPred);
    if (t.data.length !== p.data.length) throw new ValueError(`F1Score: yTrue has ${t.data.length} values, yPred ${p.data.length}; one-hot encode sparse labels first.`, 'F1Score');
    const w = weights(this.name, sampleWeight, p.rows);
    const C = p.cols;
    while (this.tp.length < C) (this.tp.push(0), this.fp.push(0), this.fn.push(0));
    const thr = this.threshold ?? (C === 1 ? 0.5 : null);
    for (let r = 0; r < p.rows; r++) {
      const wi = w ? w[r]! : 1;
      let mx = -Infinity;
      if (thr === null) for (let c = 0; c < C; c++) mx = Math.max(mx, p.data[r * C + c]!);
      for (let c = 0; c < C; c++) {
        const v = p.data[r * C + c]!;
        const pos = thr === null ? v === mx : v > thr, truth = t.data[r * C + c]! > 0.5;
        if (pos && truth) this.tp[c]! += wi;
        else if (pos) this.fp[c]! += wi;
        else if (truth) this.fn[c]! += wi;
      }
    }
  }
  result(): number {
    const f1 = (tp: number, fp: number, fn: number) => (2 * tp + fp + fn === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn));
    const C = this.tp.length;
    if (C === 0) return 0;
    if (this.average === 'micro') return f1(sum(this.tp), sum(this.fp), sum(this.fn));
    const per = this.tp.map((tp, c) => f1(tp, this.fp[c]!, this.fn[c]!));
    if (this.average === 'macro') return sum(per) / C;
    const support = this.tp.map((tp, c) => tp + this.fn[c]!);
    const total = sum(support);
    return total === 0 ? 0 : sum(per.map((f, c) => f * support[c]!)) / total;
  }
  reset(): void {
    this.tp = [];
    this.fp = [];
    this.fn = [];
  }
}

function sum(a: number[]): number {
  return a.reduce((x, y) => x + y, 0);
}
