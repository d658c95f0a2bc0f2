import { biasVariance, type BiasVarianceOptions, type BiasVarianceResult } from './bias-variance.js';
import { rateKind } from './curves.js';
import { InvalidErrorRateError } from './errors.js';
import type { Callback, Logs } from './types.js';

/** Options for {@link BiasVarianceReport}. */
export interface BiasVarianceReportOptions extends BiasVarianceOptions {
  /** Bayes error estimate (e.g. human-level error), a fraction in [0, 1]. */
  bayesError: number;
  /**
   * Metric whose final training and `val_` values give the error rates: accuracy-like metrics
   * are turned into errors (1 − value), metrics named `error` are used as they are.
   * @default the first of 'accuracy', 'acc', 'error' present in the logs
   */
  metric?: string;
  /**
   * Receives the analysis at the end of training.
   * @default prints the verdict, explanation and advice with console.log
   */
  onReport?: (result: BiasVarianceResult, metric: string) => void;
}

/**
 * Callback that reports the course's bias/variance analysis when training ends, from the last
 * epoch's training and validation error. Pass it to `fit` with the Bayes error estimate.
 *
 * @example
 * const report = new BiasVarianceReport({ bayesError: 0.005 });
 * await model.fit(ds, { epochs: 10, validationData, callbacks: [report] });
 * report.result?.verdict; // e.g. 'high variance'
 */
export class BiasVarianceReport implements Callback {
  /** The analysis, once training has ended (undefined if no error-rate metric was logged). */
  result: BiasVarianceResult | undefined;
  private last: Logs | undefined;

  constructor(readonly options: BiasVarianceReportOptions) {
    if (!(options?.bayesError >= 0 && options.bayesError <= 1)) throw new InvalidErrorRateError('BiasVarianceReport: options.bayesError', options?.bayesError);
  }

  onTrainBegin(): void {
    this.last = undefined;
    this.result = undefined;
  }

  onEpochEnd(_epoch: number, logs?: Logs): void {
    if (logs) this.last = { ...logs };
  }

  onTrainEnd(): void {
    const logs = this.last;
    if (!logs) return;
    const metric = this.options.metric ?? ['accuracy', 'acc', 'error'].find((m) => m in logs && `val_${m}` in logs);
    if (!metric || !(metric in logs) || !(`val_${metric}` in logs)) {
      const msg = `BiasVarianceReport: no ${metric ? `"${metric}" and "val_${metric}"` : 'accuracy or error metric with a val_ counterpart'} in the last epoch's logs (${Object.keys(logs).join(', ')}); pass validation data and an accuracy metric.`;
      (this.options.onReport ? console.warn : console.log)(msg);
      return;
    }
    const t = logs[metric]!;
    const v = logs[`val_${metric}`]!;
    const kind = rateKind(metric, [t, v]) ?? 'error';
    const [trainError, valError] = kind === 'accuracy' ? [1 - t, 1 - v] : [t, v];
    this.result = biasVariance({ trainError, valError, bayesError: this.options.bayesError }, this.options);
    if (this.options.onReport) this.options.onReport(this.result, metric);
    else console.log(`bias/variance (${metric}): ${this.result.verdict}. ${this.result.explanation}\n  try: ${this.result.advice.join('; ')}`);
  }
}
