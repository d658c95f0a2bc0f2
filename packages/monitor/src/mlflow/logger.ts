import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { InvalidOptionError, MlflowRequestError } from '../errors.js';
import type { Callback, Logs } from '../types.js';
import { LOG_BATCH_LIMITS, MlflowClient, type MlflowClientOptions, type MlflowKeyValue, type MlflowMetric, type MlflowRunStatus } from './client.js';

/** Options for {@link MlflowLogger}. */
export interface MlflowLoggerOptions extends MlflowClientOptions {
  /** Tracking server URL, e.g. `http://127.0.0.1:5000`. */
  trackingUri: string;
  /**
   * Experiment name; created when missing.
   * @default 'Default'
   */
  experimentName?: string;
  /** Run name shown in the MLflow UI. */
  runName?: string;
  /** Hyperparameters logged once at the start (values are converted with `String()`). */
  params?: Record<string, string | number | boolean>;
  /** Run tags. */
  tags?: Record<string, string>;
  /**
   * `'epoch'` logs each epoch's logs at step = epoch; `'batch'` also logs `batch_<metric>` at
   * step = global batch index.
   * @default 'epoch'
   */
  logEvery?: 'epoch' | 'batch';
  /** Local files uploaded as artifacts when training ends (name = file's base name). */
  artifacts?: string[];
  /**
   * After a failed attempt, callbacks wait this long before trying the server again (so an
   * unreachable server never slows training); {@link MlflowLogger.flush} always tries.
   * @default 30000
   */
  retryIntervalMs?: number;
  /**
   * Where warnings go.
   * @default console.warn
   */
  onWarning?: (message: string) => void;
}

interface PendingArtifact { artifactPath: string; data?: Uint8Array; file?: string }

/**
 * Logs params, per-step metrics, artifacts and the final run status to an MLflow tracking
 * server through its REST API. The server is never allowed to stop training: when it cannot
 * be reached the logger warns once, keeps everything it could not send, and sends it on the
 * next attempt or on {@link MlflowLogger.flush}.
 *
 * @example
 * const mlflow = new MlflowLogger({ trackingUri: 'http://127.0.0.1:5000', experimentName: 'fmnist',
 *   params: { lr: 1e-3, batchSize: 64 }, artifacts: ['curves.svg'] });
 * await model.fit(ds, { epochs: 10, callbacks: [mlflow] });
 * if (mlflow.pendingCount) await mlflow.flush(); // e.g. after the server is back
 */
export class MlflowLogger implements Callback {
  readonly client: MlflowClient;
  /** Id of the MLflow run, once created. */
  runId: string | null = null;
  private artifactUri = '';
  private metrics: MlflowMetric[] = [];
  private params: MlflowKeyValue[] = [];
  private tags: MlflowKeyValue[] = [];
  private artifacts: PendingArtifact[] = [];
  private status: { status: MlflowRunStatus; endTime: number } | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private lastFailure = -Infinity;
  private warnedUnreachable = false;
  private globalBatch = 0;
  private readonly warn: (message: string) => void;

  constructor(readonly options: MlflowLoggerOptions) {
    this.client = new MlflowClient(options.trackingUri, options);
    this.warn = options.onWarning ?? ((m) => console.warn(m));
    for (const [key, value] of Object.entries(options.tags ?? {})) this.tags.push({ key, value: String(value) });
    this.logParams(options.params ?? {});
    if (options.logEvery === 'batch') this.onBatchEnd = async (_batch, logs) => this.batchEnd(logs);
  }

  /** Logs `batch_*` metrics; absent unless `logEvery: 'batch'` (a batch hook makes `fit` with an engine (`ortEngine()`) run one batch per call, so it is defined only when batches are logged). */
  readonly onBatchEnd?: (batch: number, logs?: Logs) => Promise<void>;

  /** Number of metrics, params, tags, artifacts and status updates not yet accepted by the server. */
  get pendingCount(): number {
    return this.metrics.length + this.params.length + this.tags.length + this.artifacts.length + (this.status ? 1 : 0) + (this.runId ? 0 : 1);
  }

  /** Queues hyperparameters (sent on the next attempt). */
  logParams(params: Record<string, string | number | boolean>): void {
    for (const [key, value] of Object.entries(params)) this.params.push({ key, value: String(value) });
  }

  /** Queues metrics at `step`. */
  logMetrics(values: Logs, step: number, timestamp = Date.now()): void {
    for (const [key, value] of Object.entries(values)) if (typeof value === 'number') this.metrics.push({ key, value, timestamp, step });
  }

  /** Queues an artifact: a local file path, or bytes with a path inside the run's artifacts. */
  logArtifact(source: string | { artifactPath: string; data: Uint8Array }): void {
    this.artifacts.push(typeof source === 'string' ? { artifactPath: basename(source), file: source } : source);
  }

  async onTrainBegin(): Promise<void> {
    this.globalBatch = 0;
    await this.attempt();
  }

  private batchEnd(logs?: Logs): void {
    const step = this.globalBatch++;
    if (!logs) return;
    this.logMetrics(Object.fromEntries(Object.entries(logs).map(([k, v]) => [`batch_${k}`, v])), step);
  }

  async onEpochEnd(epoch: number, logs?: Logs): Promise<void> {
    if (logs) this.logMetrics(logs, epoch);
    await this.attempt();
  }

  async onTrainEnd(): Promise<void> {
    for (const f of this.options.artifacts ?? []) this.logArtifact(f);
    this.status = { status: 'FINISHED', endTime: Date.now() };
    await this.attempt(true);
  }

  /** Marks the run as failed (e.g. from a catch around `fit`) and tries to send. */
  async fail(): Promise<boolean> {
    this.status = { status: 'FAILED', endTime: Date.now() };
    return this.flush();
  }

  /**
   * Tries to send everything pending now, whatever the retry interval.
   * @returns true when nothing is left pending.
   */
  flush(): Promise<boolean> {
    return this.attempt(true).then(() => this.pendingCount === 0);
  }

  private attempt(force = false): Promise<void> {
    const run = async () => {
      if (!force && Date.now() - this.lastFailure < (this.options.retryIntervalMs ?? 30_000)) return;
      try {
        await this.send();
      } catch (err) {
        this.lastFailure = Date.now();
        if (!this.warnedUnreachable) {
          this.warnedUnreachable = true;
          const why = err instanceof Error ? (err.cause instanceof Error ? `${err.message}: ${err.cause.message}` : err.message) : String(err);
          this.warn(`MlflowLogger: cannot reach the MLflow server at ${this.client.trackingUri} (${why}). ` +
            `Training continues; ${this.pendingCount} pending item(s) are kept and sent by flush() or the next attempt. This warning is shown once.`);
        }
      }
    };
    const p = this.chain.then(run);
    this.chain = p;
    return p;
  }

  /** Is this error one that retrying cannot fix (a 4xx other than 408/429)? */
  private permanent(err: unknown): err is MlflowRequestError {
    return err instanceof MlflowRequestError && err.status >= 400 && err.status < 500 && err.status !== 408 && err.status !== 429;
  }

  private async send(): Promise<void> {
    if (!this.runId) {
      const experimentId = await this.client.getOrCreateExperiment(this.options.experimentName ?? 'Default');
      const run = await this.client.createRun(experimentId, { ...(this.options.runName ? { runName: this.options.runName } : {}), tags: this.tags });
      this.tags = [];
      this.runId = run.runId;
      this.artifactUri = run.artifactUri;
    }
    while (this.metrics.length || this.params.length || this.tags.length) {
      const params = this.params.slice(0, LOG_BATCH_LIMITS.params);
      const tags = this.tags.slice(0, LOG_BATCH_LIMITS.tags);
      const metrics = this.metrics.slice(0, Math.min(LOG_BATCH_LIMITS.metrics, LOG_BATCH_LIMITS.total - params.length - tags.length));
      try {
        await this.client.logBatch(this.runId, { metrics, params, tags });
      } catch (err) {
        if (!this.permanent(err)) throw err;
        this.warn(`MlflowLogger: the server rejected a batch of ${metrics.length} metric(s), ${params.length} param(s), ${tags.length} tag(s); dropping it. ${err.message}`);
      }
      this.params.splice(0, params.length);
      this.tags.splice(0, tags.length);
      this.metrics.splice(0, metrics.length);
    }
    while (this.artifacts.length) {
      const a = this.artifacts[0]!;
      let data: Uint8Array | null = a.data ?? null;
      if (!data) {
        try {
          data = new Uint8Array(await readFile(a.file!));
        } catch (err) {
          this.warn(`MlflowLogger: cannot read artifact file "${a.file}"; skipping it. ${err instanceof Error ? err.message : String(err)}`);
        }
      }
      if (data) {
        try {
          await this.client.uploadArtifact(this.artifactUri, a.artifactPath, data);
        } catch (err) {
          if (!this.permanent(err) && !(err instanceof InvalidOptionError)) throw err;
          this.warn(`MlflowLogger: could not upload artifact "${a.artifactPath}"; dropping it. ${err.message}`);
        }
      }
      this.artifacts.shift();
    }
    if (this.status) {
      await this.client.updateRun(this.runId, this.status.status, this.status.endTime);
      this.status = null;
    }
  }
}
