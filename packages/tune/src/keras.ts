/** `tuneModel`: tune a Keras-style model-building function with fit() and a validation metric. */
import { InvalidOptionError, TrialPruned, TuneError } from './errors.js';
import type { ParamValue } from './distributions.js';
import { Study, type StudyOptions } from './study.js';
import type { Trial } from './trial.js';
import type { Direction, FrozenTrial } from './types.js';

/** Per-epoch logs, as Keras passes them to callbacks (`loss`, `val_loss`, `val_accuracy`, …). */
export type Logs = Record<string, number>;

/** The part of the Keras callback protocol `tuneModel` uses. */
export interface EpochCallback {
  onEpochEnd?(epoch: number, logs?: Logs): void | Promise<void>;
}

/** What `tuneModel` needs of a model: `fit` with callbacks, returning a Keras-style History. */
export interface FittableModel {
  compile?(...args: never[]): unknown;
  // `any`: each library types its fit options its own way (core's FitArgs, tfjs-layers' ModelFitArgs);
  // tuneModel only adds `callbacks` and passes the rest through.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  fit(x: unknown, y: unknown, opts: any): Promise<{ history: Record<string, number[]> }>;
  /** Set to true to ask fit() to stop after the current epoch (Keras convention). */
  stopTraining?: boolean;
}

/** Options of {@link tuneModel}. */
export interface TuneModelOptions {
  /** Builds (and compiles) a model from a trial's suggestions. */
  build: (t: Trial) => FittableModel | Promise<FittableModel>;
  /** Training inputs passed to `fit`. */
  x: unknown;
  /** Training targets passed to `fit`. */
  y: unknown;
  /** Further `fit` options (`epochs`, `batchSize`, `validationData`, …), or a function of the trial to tune them. @default {} */
  fit?: Record<string, unknown> | ((t: Trial) => Record<string, unknown>);
  /** The history key to optimise, e.g. `'val_loss'` or `'val_accuracy'`. */
  metric: string;
  /** @default 'maximize' when the metric name contains acc/auc/precision/recall/f1, else 'minimize' */
  direction?: Direction;
  /** Use the best epoch's value or the last epoch's as the trial's value. @default 'best' */
  use?: 'best' | 'last';
  /** Number of trials. */
  trials: number;
  /** Trials at once (async lanes in this process). @default 1 */
  parallel?: number;
  /** Stop starting trials after this many ms. */
  timeout?: number;
  /** An existing study, or options for a new one (sampler, pruner, storage, seed, …). @default { sampler: 'tpe', pruner: 'median' } */
  study?: Study | Omit<StudyOptions, 'direction'>;
}

/** What {@link tuneModel} returns. */
export interface TuneModelResult {
  study: Study;
  bestTrial: FrozenTrial;
  bestParams: Record<string, ParamValue>;
  bestValue: number;
}

/** The default direction for a metric name. */
export function directionForMetric(metric: string): Direction {
  return /acc|auc|precision|recall|f1/i.test(metric) ? 'maximize' : 'minimize';
}

/**
 * Tunes a model-building function: each trial builds a model, calls `model.fit(x, y, {...fit,
 * callbacks})`, reports `metric` after every epoch (so the study's pruner can stop bad trials early)
 * and scores the trial by the metric's best (or last) value.
 *
 * @param options - See {@link TuneModelOptions}.
 * @example
 * ```ts
 * const { bestParams } = await tuneModel({
 *   build: (t) => {
 *     const m = sequential([dense(t.suggest('units', int(32, 256, { log: true })), { activation: 'relu' }), dense(10)]);
 *     m.compile({ optimizer: adam(t.suggest('lr', loguniform(1e-4, 1e-1))), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
 *     return m;
 *   },
 *   x: xTrain, y: yTrain,
 *   fit: { epochs: 10, validationData: [xVal, yVal] },
 *   metric: 'val_accuracy', trials: 30,
 * });
 * ```
 */
export async function tuneModel(options: TuneModelOptions): Promise<TuneModelResult> {
  const { metric } = options;
  if (typeof metric !== 'string' || metric === '') throw new InvalidOptionError('tuneModel()', 'metric', metric, 'a history key such as "val_loss"');
  if (typeof options.build !== 'function') throw new InvalidOptionError('tuneModel()', 'build', options.build, 'a function (trial) => model');
  const direction = options.direction ?? directionForMetric(metric);
  const s =
    options.study instanceof Study ? options.study : new Study({ sampler: 'tpe', pruner: 'median', ...options.study, direction });
  if (s.direction !== direction) {
    throw new InvalidOptionError('tuneModel()', 'direction', direction, `the study's direction "${s.direction}"`);
  }
  const better = (a: number, b: number): boolean => (direction === 'minimize' ? a < b : a > b);

  await s.optimize(
    async (t) => {
      const model = await options.build(t);
      if (!model || typeof model.fit !== 'function') {
        throw new TuneError(`tuneModel(): build() returned ${String(model)} in trial ${t.number}; expected a model with fit(x, y, opts)`);
      }
      const fitOpts = typeof options.fit === 'function' ? options.fit(t) : { ...(options.fit ?? {}) };
      let prunedAt: number | null = null;
      const pruning: EpochCallback = {
        async onEpochEnd(epoch: number, logs?: Logs) {
          const v = logs?.[metric];
          if (v === undefined) {
            throw new TuneError(
              `tuneModel(): metric "${metric}" is missing from the epoch logs (got ${Object.keys(logs ?? {}).join(', ') || 'none'}); ` +
                'pass validationData to fit for val_* metrics and list the metric in compile({ metrics })',
            );
          }
          await t.report(v, epoch);
          if (t.shouldPrune()) {
            prunedAt = epoch;
            model.stopTraining = true;
            throw new TrialPruned(t.number, epoch);
          }
        },
      };
      const callbacks = [...((fitOpts.callbacks as unknown[] | undefined) ?? []), pruning];
      const history = await model.fit(options.x, options.y, { ...fitOpts, callbacks });
      if (prunedAt !== null) throw new TrialPruned(t.number, prunedAt);
      const values = history?.history?.[metric];
      if (!values || values.length === 0) {
        throw new TuneError(`tuneModel(): fit() history has no "${metric}" (keys: ${Object.keys(history?.history ?? {}).join(', ') || 'none'})`);
      }
      if ((options.use ?? 'best') === 'last') return values[values.length - 1]!;
      return values.reduce((b, v) => (better(v, b) ? v : b));
    },
    { trials: options.trials, parallel: options.parallel ?? 1, ...(options.timeout === undefined ? {} : { timeout: options.timeout }) },
  );
  if (!s.trials.some((t) => t.state === 'complete')) {
    const firstError = s.trials.find((t) => t.error)?.error;
    throw new TuneError(
      `tuneModel(): none of the ${s.trials.length} trials of study "${s.name}" completed` + (firstError ? `; first error: ${firstError}` : ' (all pruned)'),
    );
  }
  return { study: s, bestTrial: s.bestTrial, bestParams: s.bestParams, bestValue: s.bestValue };
}
