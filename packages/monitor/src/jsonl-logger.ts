import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomicSync } from './atomic-write.js';
import { writeErrorAnalysis, type ErrorAnalysisData, type ErrorAnalysisInput } from './error-analysis-file.js';
import { InvalidErrorRateError, InvalidOptionError } from './errors.js';
import type { Callback, Logs } from './types.js';

/**
 * One line of `metrics.jsonl`. The log folder format is
 *
 * ```
 * <logDir>/<run>/run.json        { name, startedAt, params?, bayesError? }  (written atomically)
 * <logDir>/<run>/metrics.jsonl   one LogLine per line, appended as training goes
 * <logDir>/<run>/train/, validation/   TensorBoard event files (TensorBoard callback, optional)
 * ```
 */
export type LogLine =
  | { type: 'epoch'; epoch: number; time: number; logs: Logs }
  | { type: 'batch'; step: number; epoch: number; time: number; logs: Logs }
  | { type: 'end'; time: number };

/** Contents of `run.json`. */
export interface RunMeta {
  name: string;
  /** ISO time the run started. */
  startedAt: string;
  params?: Record<string, string | number | boolean>;
  /** Bayes error estimate used for the run's bias/variance verdict. */
  bayesError?: number;
}

/** Options for {@link JsonlLogger}. */
export interface JsonlLoggerOptions {
  /** Log folder holding one sub-folder per run (the folder `nn-monitor` serves). */
  logDir: string;
  /**
   * Name of this run's folder.
   * @default `run-<YYYYMMDD-HHMMSS>`
   */
  runName?: string;
  /** Hyperparameters saved in run.json. */
  params?: Record<string, string | number | boolean>;
  /** Bayes error estimate saved in run.json, used for the dashboard's verdict. */
  bayesError?: number;
  /**
   * Also write batch lines every N batches (0: epochs only).
   * @default 0
   */
  batchEvery?: number;
}

const stamp = (d: Date) => d.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
const clean = (logs: Logs | undefined): Logs => Object.fromEntries(Object.entries(logs ?? {}).filter(([, v]) => typeof v === 'number' && Number.isFinite(v)));

/**
 * Callback that writes a run into a log folder as JSON lines (see {@link LogLine} for the
 * format), for the `nn-monitor` live dashboard and any other tool. Each line is appended with a
 * single write, so a reader sees whole lines (a reader ignores an unterminated last line).
 *
 * @example
 * const log = new JsonlLogger({ logDir: 'logs', runName: 'adam-1e-3', bayesError: 0.005 });
 * await model.fit(ds, { epochs: 20, validationData, callbacks: [log] });
 * // npx nn-monitor logs
 */
export class JsonlLogger implements Callback {
  /** Folder of this run. */
  readonly runDir: string;
  readonly runName: string;
  private epoch = 0;
  private step = 0;

  constructor(readonly options: JsonlLoggerOptions) {
    if (!options || typeof options.logDir !== 'string' || !options.logDir) throw new InvalidOptionError('JsonlLogger: options.logDir', options?.logDir, 'a folder path');
    if (options.bayesError !== undefined && !(options.bayesError >= 0 && options.bayesError <= 1)) throw new InvalidErrorRateError('JsonlLogger: options.bayesError', options.bayesError);
    this.runName = options.runName ?? `run-${stamp(new Date())}`;
    if (/[/\\]|^\.\.?$/.test(this.runName)) throw new InvalidOptionError('JsonlLogger: options.runName', this.runName, 'a folder name without slashes');
    this.runDir = join(options.logDir, this.runName);
    if ((options.batchEvery ?? 0) > 0) this.onBatchEnd = (_batch, logs) => this.batchEnd(logs);
  }

  /** Logs every `batchEvery`-th batch; absent when `batchEvery` is 0 (a batch hook makes `fit` with an engine (`ortEngine()`) run one batch per call, so it is defined only when batches are logged). */
  readonly onBatchEnd?: (batch: number, logs?: Logs) => void;

  /** Path of metrics.jsonl. */
  get metricsPath(): string {
    return join(this.runDir, 'metrics.jsonl');
  }

  private append(line: LogLine): void {
    appendFileSync(this.metricsPath, `${JSON.stringify(line)}\n`);
  }

  onTrainBegin(): void {
    mkdirSync(this.runDir, { recursive: true });
    const meta: RunMeta = { name: this.runName, startedAt: new Date().toISOString() };
    if (this.options.params) meta.params = this.options.params;
    if (this.options.bayesError !== undefined) meta.bayesError = this.options.bayesError;
    writeFileAtomicSync(join(this.runDir, 'run.json'), `${JSON.stringify(meta, null, 2)}\n`);
    appendFileSync(this.metricsPath, '');
    this.step = 0;
  }

  onEpochBegin(epoch: number): void {
    this.epoch = epoch;
  }

  private batchEnd(logs?: Logs): void {
    const every = this.options.batchEvery ?? 0;
    const step = this.step++;
    if (every > 0 && step % every === 0) this.append({ type: 'batch', step, epoch: this.epoch, time: Date.now(), logs: clean(logs) });
  }

  onEpochEnd(epoch: number, logs?: Logs): void {
    this.append({ type: 'epoch', epoch, time: Date.now(), logs: clean(logs) });
  }

  onTrainEnd(): void {
    this.append({ type: 'end', time: Date.now() });
  }

  /**
   * Writes this run's error analysis (`<runDir>/error-analysis.json`, see
   * {@link writeErrorAnalysis}), which the `nn-monitor` dashboard shows under the run's curves.
   *
   * @param input - labels, scores and optionally class names and the samples' images.
   * @returns what was written.
   * @example
   * ```ts
   * await log.logErrorAnalysis({ labels: yTest, scores: logits, numClasses: 10, classNames, images: xTest });
   * ```
   */
  logErrorAnalysis(input: ErrorAnalysisInput): Promise<ErrorAnalysisData> {
    return writeErrorAnalysis(this.runDir, input);
  }
}
