import type { Callback, Logs } from './callbacks';
import type { BiasVarianceResult } from './bias-variance';

/** Per-epoch results of `fit` (Keras `History`). */
export class History implements Callback {
  /** Each logged value per epoch: `history.loss[i]`, `history.val_accuracy[i]` … */
  history: Record<string, number[]> = {};
  /** Epoch indices run. */
  epoch: number[] = [];
  /** Set when training stopped on SIGINT. */
  interrupted = false;
  /** The bias/variance report, when fit was given a `bayesError`. */
  biasVariance?: BiasVarianceResult;
  onEpochEnd(epoch: number, logs: Logs = {}) {
    this.epoch.push(epoch);
    for (const [k, v] of Object.entries(logs)) (this.history[k] ??= []).push(v);
  }
}

