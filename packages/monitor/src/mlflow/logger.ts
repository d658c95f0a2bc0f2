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
   * Most metrics kept while the server is slow or unreachable. Beyond it the oldest are dropped,
   * counted in {@link MlflowLogger.droppedCount} and reported by a warning (once when dropping
   * starts, and in the end-of-training summary), so a dead server never grows memory without bound.
   * @default 10000
   */
  maxQueue?: number;
  /**
   * How long the end of training (`onTrainEnd`, and `fail()`) waits for what is left to be sent.
   * Past it, the request in flight is abandoned, everything unsent is kept for {@link MlflowLogger.flush},
   * and a warning lists what was not sent. Training itself never waits for the server: every
   * other callback only queues and returns.
   * @default 5000
   */
  flushTimeoutMs?: number;
  /**
   * Where warnings go.
   * @default console.warn
   */
  onWarning?: (message: string) => void;
}

interface PendingArtifact { artifactPath: string; data?: Uint8Array; file?: string }

/**
 * Logs params, per-step metrics, artifacts and the final run status to an MLflow tracking
 * server through its REST API. The server is never allowed to stop training: callbacks only
 * queue and return, a background sender talks to the server (one request at a time, retrying
 * every `retryIntervalMs` after a failure), at most `maxQueue` metrics wait (the oldest are
 * dropped and counted beyond that), and the end of training waits at most `flushTimeoutMs`
 * for the rest, then warns about anything unsent and keeps it for {@link MlflowLogger.flush}.
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
  /** Metrics dropped (oldest first) because more than `maxQueue` were waiting. */
  droppedCount = 0;
  private artifactUri = '';
  private metrics: MlflowMetric[] = [];
  /** Metrics of the log-batch request in flight (back in `metrics` if it fails). */
  private sendingMetrics: MlflowMetric[] = [];
  private params: MlflowKeyValue[] = [];
  private tags: MlflowKeyValue[] = [];
  private artifacts: PendingArtifact[] = [];
  private status: { status: MlflowRunStatus; endTime: number } | null = null;
  private running: Promise<void> | null = null;
  /** Set when a flush deadline passed: the sender stops before its next request. */
  private halted = false;
  private lastFailure = -Infinity;
  private lastError = '';
  private warnedUnreachable = false;
  private warnedDrop = false;
  private reportedDropped = 0;
  private globalBatch = 0;
  private readonly maxQueue: number;
  private readonly flushTimeoutMs: number;
  private readonly warn: (message: string) => void;

  constructor(readonly options: MlflowLoggerOptions) {
    this.client = new MlflowClient(options.trackingUri, options);
    this.maxQueue = options.maxQueue ?? 10_000;
    if (!(Number.isInteger(this.maxQueue) && this.maxQueue >= 1)) throw new InvalidOptionError('MlflowLogger: options.maxQueue', options.maxQueue, 'an integer ≥ 1');
    this.flushTimeoutMs = options.flushTimeoutMs ?? 5000;
    if (!(this.flushTimeoutMs >= 0)) throw new InvalidOptionError('MlflowLogger: options.flushTimeoutMs', options.flushTimeoutMs, 'a number of milliseconds ≥ 0');
    this.warn = options.onWarning ?? ((m) => console.warn(m));
    for (const [key, value] of Object.entries(options.tags ?? {})) this.tags.push({ key, value: String(value) });
    this.logParams(options.params ?? {});
    if (options.logEvery === 'batch') this.onBatchEnd = async (_batch, logs) => this.batchEnd(logs);
  }

  /** Logs `batch_*` metrics; absent unless `logEvery: 'batch'` (a batch hook makes `fit` with an engine (`ortEngine()`) run one batch per call, so it is defined only when batches are logged). */
  readonly onBatchEnd?: (batch: number, logs?: Logs) => Promise<void>;

  /** Number of metrics, params, tags, artifacts and status updates not yet accepted by the server. */
  get pendingCount(): number {
    return this.metrics.length + this.sendingMetrics.length + this.params.length + this.tags.length + this.artifacts.length + (this.status ? 1 : 0) + (this.runId ? 0 : 1);
  }

  /** Queues hyperparameters (sent on the next attempt). */
  logParams(params: Record<string, string | number | boolean>): void {
    for (const [key, value] of Object.entries(params)) this.params.push({ key, value: String(value) });
  }

  /** Queues metrics at `step` (beyond `maxQueue` waiting metrics, the oldest are dropped). */
  logMetrics(values: Logs, step: number, timestamp = Date.now()): void {
    for (const [key, value] of Object.entries(values)) if (typeof value === 'number') this.metrics.push({ key, value, timestamp, step });
    this.trim();
  }

  /** Queues an artifact: a local file path, or bytes with a path inside the run's artifacts. */
  logArtifact(source: string | { artifactPath: string; data: Uint8Array }): void {
    this.artifacts.push(typeof source === 'string' ? { artifactPath: basename(source), file: source } : source);
  }

  /** Starts sending in the background (creating the run); returns at once. */
  async onTrainBegin(): Promise<void> {
    this.globalBatch = 0;
    void this.kick();
  }

  private batchEnd(logs?: Logs): void {
    const step = this.globalBatch++;
    if (!logs) return;
    this.logMetrics(Object.fromEntries(Object.entries(logs).map(([k, v]) => [`batch_${k}`, v])), step);
  }

  /** Queues the epoch's logs and wakes the background sender; returns at once. */
  async onEpochEnd(epoch: number, logs?: Logs): Promise<void> {
    if (logs) this.logMetrics(logs, epoch);
    void this.kick();
  }

  /**
   * Queues the artifacts and the FINISHED status, then waits at most `flushTimeoutMs` for
   * everything to be sent; warns about whatever is left (kept for {@link flush}) or was dropped.
   */
  async onTrainEnd(): Promise<void> {
    for (const f of this.options.artifacts ?? []) this.logArtifact(f);
    this.status = { status: 'FINISHED', endTime: Date.now() };
    await this.flush(this.flushTimeoutMs);
    this.warnUnsent('at the end of training');
  }

  /** Marks the run as failed (e.g. from a catch around `fit`) and tries to send, waiting at most `flushTimeoutMs`. */
  async fail(): Promise<boolean> {
    this.status = { status: 'FAILED', endTime: Date.now() };
    const ok = await this.flush(this.flushTimeoutMs);
    this.warnUnsent('after fail()');
    return ok;
  }

  /**
   * Tries to send everything pending now, whatever the retry interval.
   * @param timeoutMs - give up after this many milliseconds (the request in flight is abandoned;
   *   what is unsent stays pending). @default no limit (each request still times out after the client's `timeoutMs`)
   * @returns true when nothing is left pending.
   */
  async flush(timeoutMs?: number): Promise<boolean> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let late = false;
    if (timeoutMs !== undefined) {
      timer = setTimeout(() => {
        late = true;
        this.halted = true;
        this.client.abortPending();
      }, timeoutMs);
    }
    try {
      if (this.running) await this.running;
      if (!late && this.pendingCount > 0) await this.kick(true);
    } finally {
      clearTimeout(timer);
      this.halted = false;
    }
    return this.pendingCount === 0;
  }

  /** Drops the oldest waiting metrics beyond `maxQueue`. */
  private trim(): void {
    const over = this.metrics.length + this.sendingMetrics.length - this.maxQueue;
    if (over <= 0) return;
    const n = Math.min(over, this.metrics.length); // metrics in flight are not dropped
    this.metrics.splice(0, n);
    this.droppedCount += n;
    if (!this.warnedDrop) {
      this.warnedDrop = true;
      this.warn(`MlflowLogger: more than ${this.maxQueue} metrics are waiting for ${this.client.trackingUri}; dropping the oldest (counted in droppedCount, summed up at the end of training). This warning is shown once.`);
    }
  }

  private warnUnsent(when: string): void {
    const dropped = this.droppedCount - this.reportedDropped;
    this.reportedDropped = this.droppedCount;
    if (this.pendingCount === 0 && dropped === 0) return;
    const parts: string[] = [];
    if (!this.runId) parts.push('the run itself (not created)');
    const m = this.metrics.length + this.sendingMetrics.length;
    if (m) parts.push(`${m} metric(s)`);
    if (this.params.length) parts.push(`${this.params.length} param(s)`);
    if (this.tags.length) parts.push(`${this.tags.length} tag(s)`);
    if (this.artifacts.length) parts.push(`${this.artifacts.length} artifact(s)`);
    if (this.status) parts.push(`the run status ${this.status.status}`);
    const unsent = parts.length
      ? `not sent to ${this.client.trackingUri} ${when}: ${parts.join(', ')} (${this.lastError || 'no answer in time'}). They are kept: call flush() to retry.`
      : `everything queued was sent to ${this.client.trackingUri} ${when}.`;
    this.warn(`MlflowLogger: ${unsent}${dropped ? ` ${dropped} older metric(s) were dropped because more than maxQueue = ${this.maxQueue} were waiting.` : ''}`);
  }

  /** Starts the background sender unless it runs already or waits out `retryIntervalMs` (unless `force`). Never rejects. */
  private kick(force = false): Promise<void> {
    if (this.running) return this.running;
    if (!force && Date.now() - this.lastFailure < (this.options.retryIntervalMs ?? 30_000)) return Promise.resolve();
    this.running = this.send()
      .catch((err: unknown) => {
        this.lastFailure = Date.now();
        const why = err instanceof Error ? (err.cause instanceof Error ? `${err.message}: ${err.cause.message}` : err.message) : String(err);
        if (this.halted) {
          this.lastError = 'no answer within flushTimeoutMs';
          return; // our own deadline: the end-of-training summary says it
        }
        this.lastError = `last error: ${why}`;
        if (!this.warnedUnreachable) {
          this.warnedUnreachable = true;
          this.warn(`MlflowLogger: cannot reach the MLflow server at ${this.client.trackingUri} (${why}). ` +
            `Training continues; ${this.pendingCount} pending item(s) are kept and sent by flush() or the next attempt. This warning is shown once.`);
        }
      })
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  /** Is this error one that retrying cannot fix (a 4xx other than 408/429)? */
  private permanent(err: unknown): err is MlflowRequestError {
    return err instanceof MlflowRequestError && err.status >= 400 && err.status < 500 && err.status !== 408 && err.status !== 429;
  }

  /** Throws before a request when a flush deadline has passed. */
  private check(): void {
    if (this.halted) throw new Error('flush deadline passed');
  }

  private async send(): Promise<void> {
    if (!this.runId) {
      this.check();
      const experimentId = await this.client.getOrCreateExperiment(this.options.experimentName ?? 'Default');
      this.check();
      const run = await this.client.createRun(experimentId, { ...(this.options.runName ? { runName: this.options.runName } : {}), tags: this.tags });
      this.tags = [];
      this.runId = run.runId;
      this.artifactUri = run.artifactUri;
    }
    while (this.metrics.length || this.params.length || this.tags.length) {
      this.check();
      // Only appended to while in flight: removed once the server took them.
      const params = this.params.slice(0, LOG_BATCH_LIMITS.params);
      const tags = this.tags.slice(0, LOG_BATCH_LIMITS.tags);
      // Metrics may be dropped while in flight: taken out of the queue now, put back on failure.
      const metrics = this.metrics.splice(0, Math.min(LOG_BATCH_LIMITS.metrics, LOG_BATCH_LIMITS.total - params.length - tags.length));
      this.sendingMetrics = metrics;
      try {
        await this.client.logBatch(this.runId, { metrics, params, tags });
      } catch (err) {
        this.sendingMetrics = [];
        if (!this.permanent(err)) {
          this.metrics.unshift(...metrics);
          this.trim();
          throw err;
        }
        this.warn(`MlflowLogger: the server rejected a batch of ${metrics.length} metric(s), ${params.length} param(s), ${tags.length} tag(s); dropping it. ${err.message}`);
      }
      this.sendingMetrics = [];
      this.params.splice(0, params.length);
      this.tags.splice(0, tags.length);
    }
    while (this.artifacts.length) {
      this.check();
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
      this.check();
      const status = this.status;
      await this.client.updateRun(this.runId, status.status, status.endTime);
      if (this.status === status) this.status = null;
    }
    this.lastError = '';
  }
}
