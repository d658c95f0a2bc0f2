import { InvalidOptionError, MlflowRequestError } from '../errors.js';

/** A metric as the MLflow REST API takes it. */
export interface MlflowMetric {
  key: string;
  value: number;
  /** Milliseconds since the Unix epoch. */
  timestamp: number;
  step: number;
}

/** A key/value pair (params and tags). */
export interface MlflowKeyValue {
  key: string;
  value: string;
}

/** Terminal and non-terminal run states of the MLflow API. */
export type MlflowRunStatus = 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED';

/** Options for {@link MlflowClient}. */
export interface MlflowClientOptions {
  /** Extra HTTP headers, e.g. `{ Authorization: 'Bearer …' }`. */
  headers?: Record<string, string>;
  /**
   * Milliseconds before a request is abandoned.
   * @default 10000
   */
  timeoutMs?: number;
}

/** MLflow's documented per-request limits for runs/log-batch. */
export const LOG_BATCH_LIMITS = { metrics: 1000, params: 100, tags: 100, total: 1000 } as const;

// The REST API's JSON mapping of protobuf doubles writes non-finite values as strings.
const jsonNumber = (v: number): number | string => (Number.isFinite(v) ? v : Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity');

/**
 * A minimal client for the MLflow tracking REST API
 * (https://mlflow.org/docs/latest/api_reference/rest-api.html): experiments, runs, batches of
 * metrics/params/tags, run updates, and artifact upload through the `mlflow-artifacts` proxy.
 *
 * @example
 * const c = new MlflowClient('http://127.0.0.1:5000');
 * const exp = await c.getOrCreateExperiment('fashion-mnist');
 * const run = await c.createRun(exp, { runName: 'adam-1e-3' });
 * await c.logBatch(run.runId, { metrics: [{ key: 'loss', value: 0.3, timestamp: Date.now(), step: 0 }] });
 */
export class MlflowClient {
  readonly trackingUri: string;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;
  private cancel = new AbortController();

  /**
   * @param trackingUri - server URL, e.g. `http://127.0.0.1:5000`.
   * @param options - see {@link MlflowClientOptions}.
   */
  constructor(trackingUri: string, options: MlflowClientOptions = {}) {
    let url: URL;
    try { url = new URL(trackingUri); } catch { throw new InvalidOptionError('MlflowClient: trackingUri', trackingUri, 'an http(s) URL such as http://127.0.0.1:5000'); }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidOptionError('MlflowClient: trackingUri', trackingUri, 'an http(s) URL such as http://127.0.0.1:5000');
    this.trackingUri = trackingUri.replace(/\/+$/, '');
    this.headers = options.headers ?? {};
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  private async request(method: string, path: string, body?: unknown, raw?: Uint8Array): Promise<unknown> {
    const url = `${this.trackingUri}${path}`;
    const headers: Record<string, string> = { ...this.headers };
    let payload: string | Uint8Array | undefined;
    if (raw) { payload = raw; headers['Content-Type'] = 'application/octet-stream'; } else if (body !== undefined) {
      payload = JSON.stringify(body);
      headers['Content-Type'] = 'application/json';
    }
    const signal = AbortSignal.any([AbortSignal.timeout(this.timeoutMs), this.cancel.signal]);
    const res = await fetch(url, { method, headers, body: payload as RequestInit['body'], signal });
    const text = await res.text();
    if (!res.ok) throw new MlflowRequestError(method, url, res.status, text);
    return text ? JSON.parse(text) : {};
  }

  /**
   * Abandons every request in flight now (they reject with an `AbortError`); later requests are
   * not affected. Used to stop waiting for a server that does not answer.
   */
  abortPending(): void {
    this.cancel.abort(new Error('abandoned: the server did not answer in time'));
    this.cancel = new AbortController();
  }

  /** Returns the id of experiment `name`, creating it when missing (`experiments/get-by-name`, `experiments/create`). */
  async getOrCreateExperiment(name: string): Promise<string> {
    const get = async () => {
      const r = (await this.request('GET', `/api/2.0/mlflow/experiments/get-by-name?experiment_name=${encodeURIComponent(name)}`)) as { experiment: { experiment_id: string } };
      return r.experiment.experiment_id;
    };
    try {
      return await get();
    } catch (err) {
      if (!(err instanceof MlflowRequestError) || !err.body.includes('RESOURCE_DOES_NOT_EXIST')) throw err;
    }
    try {
      const r = (await this.request('POST', '/api/2.0/mlflow/experiments/create', { name })) as { experiment_id: string };
      return r.experiment_id;
    } catch (err) {
      // Another process created it between our two calls.
      if (err instanceof MlflowRequestError && err.body.includes('RESOURCE_ALREADY_EXISTS')) return get();
      throw err;
    }
  }

  /** Creates a run (`runs/create`) and returns its id and artifact URI. */
  async createRun(experimentId: string, options: { runName?: string; tags?: MlflowKeyValue[]; startTime?: number } = {}): Promise<{ runId: string; artifactUri: string }> {
    const body: Record<string, unknown> = { experiment_id: experimentId, start_time: options.startTime ?? Date.now() };
    if (options.runName) body.run_name = options.runName;
    if (options.tags?.length) body.tags = options.tags;
    const r = (await this.request('POST', '/api/2.0/mlflow/runs/create', body)) as { run: { info: { run_id: string; artifact_uri?: string } } };
    return { runId: r.run.info.run_id, artifactUri: r.run.info.artifact_uri ?? '' };
  }

  /** Logs metrics, params and tags in one `runs/log-batch` request (callers respect {@link LOG_BATCH_LIMITS}). */
  async logBatch(runId: string, batch: { metrics?: MlflowMetric[]; params?: MlflowKeyValue[]; tags?: MlflowKeyValue[] }): Promise<void> {
    await this.request('POST', '/api/2.0/mlflow/runs/log-batch', {
      run_id: runId,
      metrics: (batch.metrics ?? []).map((m) => ({ ...m, value: jsonNumber(m.value) })),
      params: batch.params ?? [],
      tags: batch.tags ?? [],
    });
  }

  /** Sets a run's status and end time (`runs/update`). */
  async updateRun(runId: string, status: MlflowRunStatus, endTime = Date.now()): Promise<void> {
    await this.request('POST', '/api/2.0/mlflow/runs/update', { run_id: runId, status, end_time: endTime });
  }

  /**
   * Uploads bytes as an artifact through the tracking server's artifact proxy
   * (`PUT /api/2.0/mlflow-artifacts/artifacts/<path>`).
   * @param artifactUri - the run's `artifact_uri`, of the form `mlflow-artifacts:/<exp>/<run>/artifacts`.
   * @param artifactPath - path inside the run's artifacts, e.g. `plots/curves.svg`.
   */
  async uploadArtifact(artifactUri: string, artifactPath: string, data: Uint8Array): Promise<void> {
    const m = /^mlflow-artifacts:(?:\/\/[^/]*)?\/*(.*)$/.exec(artifactUri);
    if (!m) {
      throw new InvalidOptionError('MlflowClient.uploadArtifact: artifactUri', artifactUri,
        'an "mlflow-artifacts:/..." URI (start the server with artifact proxying, the default of `mlflow server`)');
    }
    const base = m[1]!.replace(/\/+$/, '');
    const rel = artifactPath.split('/').filter(Boolean).map(encodeURIComponent).join('/');
    const path = base.split('/').map(encodeURIComponent).join('/');
    await this.request('PUT', `/api/2.0/mlflow-artifacts/artifacts/${path}/${rel}`, undefined, data);
  }
}
