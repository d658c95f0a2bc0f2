import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MlflowLogger } from './logger.js';

/**
 * A small stand-in for an MLflow tracking server. It validates every request against the
 * documented REST API (https://mlflow.org/docs/latest/api_reference/rest-api.html): methods,
 * paths, JSON content type, required fields and their types, log-batch limits, param
 * immutability; a violation is answered 400 INVALID_PARAMETER_VALUE and recorded.
 */
function fakeMlflow() {
  const experiments = new Map<string, string>();
  const runs = new Map<string, { experimentId: string; name?: string; tags: Record<string, string>; params: Record<string, string>; metrics: { key: string; value: number | string; step: number; timestamp: number }[]; status: string; endTime?: number }>();
  const artifacts = new Map<string, Buffer>();
  const violations: string[] = [];
  const requests: string[] = [];
  const isInt = (x: unknown) => Number.isInteger(x);
  const isKV = (x: unknown) => typeof x === 'object' && x !== null && typeof (x as { key: unknown }).key === 'string' && typeof (x as { value: unknown }).value === 'string';
  const body = (req: IncomingMessage) => new Promise<Buffer>((res) => { const c: Buffer[] = []; req.on('data', (d) => c.push(d)); req.on('end', () => res(Buffer.concat(c))); });

  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url!, 'http://x');
    requests.push(`${req.method} ${url.pathname}`);
    const raw = await body(req);
    const send = (status: number, obj: unknown) => { res.writeHead(status, { 'Content-Type': 'application/json' }); res.end(JSON.stringify(obj)); };
    const bad = (msg: string) => { violations.push(`${req.method} ${url.pathname}: ${msg}`); send(400, { error_code: 'INVALID_PARAMETER_VALUE', message: msg }); };
    let json: Record<string, unknown> = {};
    if (req.method === 'POST') {
      if (req.headers['content-type'] !== 'application/json') return bad('content-type must be application/json');
      try { json = JSON.parse(raw.toString()); } catch { return bad('body is not JSON'); }
    }
    const p = url.pathname;
    if (req.method === 'GET' && p === '/api/2.0/mlflow/experiments/get-by-name') {
      const name = url.searchParams.get('experiment_name');
      if (!name) return bad('experiment_name query parameter is required');
      const id = experiments.get(name);
      if (!id) return send(404, { error_code: 'RESOURCE_DOES_NOT_EXIST', message: `Could not find experiment with name '${name}'` });
      return send(200, { experiment: { experiment_id: id, name, lifecycle_stage: 'active' } });
    }
    if (req.method === 'POST' && p === '/api/2.0/mlflow/experiments/create') {
      if (typeof json.name !== 'string' || !json.name) return bad('name (string) is required');
      if (experiments.has(json.name)) return send(400, { error_code: 'RESOURCE_ALREADY_EXISTS', message: 'exists' });
      const id = String(experiments.size + 1);
      experiments.set(json.name, id);
      return send(200, { experiment_id: id });
    }
    if (req.method === 'POST' && p === '/api/2.0/mlflow/runs/create') {
      if (typeof json.experiment_id !== 'string' || ![...experiments.values()].includes(json.experiment_id)) return bad('experiment_id must name an experiment');
      if (!isInt(json.start_time)) return bad('start_time must be an int64 (ms)');
      if (json.run_name !== undefined && typeof json.run_name !== 'string') return bad('run_name must be a string');
      if (json.tags !== undefined && (!Array.isArray(json.tags) || !json.tags.every(isKV))) return bad('tags must be [{key, value}] strings');
      const runId = `run${runs.size + 1}`;
      runs.set(runId, { experimentId: json.experiment_id, name: json.run_name as string, tags: Object.fromEntries(((json.tags ?? []) as { key: string; value: string }[]).map((t) => [t.key, t.value])), params: {}, metrics: [], status: 'RUNNING' });
      return send(200, { run: { info: { run_id: runId, run_uuid: runId, experiment_id: json.experiment_id, status: 'RUNNING', artifact_uri: `mlflow-artifacts:/${json.experiment_id}/${runId}/artifacts` }, data: {} } });
    }
    if (req.method === 'POST' && p === '/api/2.0/mlflow/runs/log-batch') {
      const run = runs.get(json.run_id as string);
      if (!run) return bad('run_id must name a run');
      const { metrics = [], params = [], tags = [] } = json as { metrics?: unknown[]; params?: unknown[]; tags?: unknown[] };
      if (metrics.length > 1000 || params.length > 100 || tags.length > 100 || metrics.length + params.length + tags.length > 1000) return bad('log-batch limits exceeded');
      for (const m of metrics as Record<string, unknown>[]) {
        if (typeof m.key !== 'string' || !(typeof m.value === 'number' || ['NaN', 'Infinity', '-Infinity'].includes(m.value as string)) || !isInt(m.timestamp) || !isInt(m.step)) return bad(`bad metric ${JSON.stringify(m)}`);
      }
      if (!params.every(isKV) || !tags.every(isKV)) return bad('params/tags must be [{key, value}] strings');
      for (const q of params as { key: string; value: string }[]) {
        if (q.key in run.params && run.params[q.key] !== q.value) return bad(`param ${q.key} changed`);
        run.params[q.key] = q.value;
      }
      for (const t of tags as { key: string; value: string }[]) run.tags[t.key] = t.value;
      run.metrics.push(...(metrics as typeof run.metrics));
      return send(200, {});
    }
    if (req.method === 'POST' && p === '/api/2.0/mlflow/runs/update') {
      const run = runs.get(json.run_id as string);
      if (!run) return bad('run_id must name a run');
      if (!['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'].includes(json.status as string)) return bad('status must be a RunStatus');
      if (json.end_time !== undefined && !isInt(json.end_time)) return bad('end_time must be an int64');
      run.status = json.status as string;
      run.endTime = json.end_time as number;
      return send(200, { run_info: { run_id: json.run_id, status: run.status } });
    }
    if (req.method === 'PUT' && p.startsWith('/api/2.0/mlflow-artifacts/artifacts/')) {
      artifacts.set(decodeURIComponent(p.slice('/api/2.0/mlflow-artifacts/artifacts/'.length)), raw);
      return send(200, {});
    }
    violations.push(`unknown endpoint ${req.method} ${p}`);
    send(404, { error_code: 'ENDPOINT_NOT_FOUND', message: 'no such endpoint' });
  });
  return { server, experiments, runs, artifacts, violations, requests };
}

const listen = (s: Server, port = 0) => new Promise<number>((r) => s.listen(port, '127.0.0.1', () => r((s.address() as AddressInfo).port)));
const close = (s: Server) => new Promise<void>((r) => { s.close(() => r()); s.closeAllConnections(); });

async function simulateFit(cb: MlflowLogger, epochs: number) {
  await cb.onTrainBegin();
  for (let e = 0; e < epochs; e++) {
    for (let b = 0; b < 2; b++) await cb.onBatchEnd?.(b, { loss: 1 / (e + 1) });
    await cb.onEpochEnd(e, { loss: 1 / (e + 1), val_loss: 1.5 / (e + 1) });
  }
  await cb.onTrainEnd();
}

let open: Server[] = [];
afterEach(async () => { await Promise.all(open.map(close)); open = []; });

describe('MlflowLogger', () => {
  it('logs params, per-step metrics, artifacts and the final status following the REST API', async () => {
    const fake = fakeMlflow();
    open.push(fake.server);
    const port = await listen(fake.server);
    const dir = mkdtempSync(join(tmpdir(), 'nn-mlflow-'));
    writeFileSync(join(dir, 'curves.svg'), '<svg/>');
    const cb = new MlflowLogger({ trackingUri: `http://127.0.0.1:${port}`, experimentName: 'fmnist', runName: 'adam', params: { lr: 0.001, optimizer: 'adam' }, tags: { team: 'nn' }, logEvery: 'batch', artifacts: [join(dir, 'curves.svg')], onWarning: (m) => { throw new Error(`unexpected warning ${m}`); } });
    cb.logArtifact({ artifactPath: 'notes/readme.txt', data: new TextEncoder().encode('hi') });
    await simulateFit(cb, 3);
    expect(fake.violations).toEqual([]);
    expect(cb.pendingCount).toBe(0);
    expect(fake.experiments.get('fmnist')).toBe('1');
    const run = fake.runs.get('run1')!;
    expect(run).toMatchObject({ name: 'adam', tags: { team: 'nn' }, params: { lr: '0.001', optimizer: 'adam' }, status: 'FINISHED' });
    const series = (k: string) => run.metrics.filter((m) => m.key === k).map((m) => [m.step, m.value]);
    expect(series('loss')).toEqual([[0, 1], [1, 0.5], [2, 1 / 3]]);
    expect(series('val_loss')).toEqual([[0, 1.5], [1, 0.75], [2, 0.5]]);
    expect(series('batch_loss').map((x) => x[0])).toEqual([0, 1, 2, 3, 4, 5]);
    expect(fake.artifacts.get('1/run1/artifacts/curves.svg')?.toString()).toBe('<svg/>');
    expect(fake.artifacts.get('1/run1/artifacts/notes/readme.txt')?.toString()).toBe('hi');
    expect(fake.requests[0]).toBe('GET /api/2.0/mlflow/experiments/get-by-name');
    expect(fake.requests.at(-1)).toBe('POST /api/2.0/mlflow/runs/update');
  });

  it('reuses an existing experiment and splits big batches at the documented limits', async () => {
    const fake = fakeMlflow();
    open.push(fake.server);
    const port = await listen(fake.server);
    fake.experiments.set('exp', '7');
    const cb = new MlflowLogger({ trackingUri: `http://127.0.0.1:${port}/`, experimentName: 'exp', params: Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`p${i}`, i])) });
    for (let s = 0; s < 1200; s++) cb.logMetrics({ m: s, nan: Number.NaN }, s);
    expect(await cb.flush()).toBe(true);
    expect(fake.violations).toEqual([]);
    const run = fake.runs.get('run1')!;
    expect(run.experimentId).toBe('7');
    expect(Object.keys(run.params)).toHaveLength(150);
    expect(run.metrics.filter((m) => m.key === 'm')).toHaveLength(1200);
    expect(run.metrics.find((m) => m.key === 'nan')?.value).toBe('NaN');
    expect(fake.requests.filter((r) => r.endsWith('log-batch')).length).toBeGreaterThanOrEqual(3);
  });

  it('keeps training going when the server is unreachable, warns once, and flushes later', async () => {
    // Take a free port, then close it: connections to it are refused.
    const probe = createServer();
    const port = await listen(probe);
    await close(probe);
    const warnings: string[] = [];
    const cb = new MlflowLogger({ trackingUri: `http://127.0.0.1:${port}`, params: { lr: 0.1 }, onWarning: (m) => warnings.push(m) });
    const t0 = Date.now();
    await simulateFit(cb, 5);
    // Refused connections fail in milliseconds; 5 s is far above that and far below the 10 s request timeout.
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(new RegExp(`cannot reach the MLflow server at http://127.0.0.1:${port}`));
    // run creation + 1 param + 10 metrics + final status, listed at the end of training
    expect(cb.pendingCount).toBe(13);
    expect(warnings[1]).toMatch(/not sent to .* at the end of training: the run itself \(not created\), 10 metric\(s\), 1 param\(s\), the run status FINISHED \(last error: .*\)\. They are kept: call flush\(\) to retry\./);

    const fake = fakeMlflow();
    open.push(fake.server);
    await listen(fake.server, port);
    expect(await cb.flush()).toBe(true);
    expect(fake.violations).toEqual([]);
    const run = fake.runs.get('run1')!;
    expect(run.status).toBe('FINISHED');
    expect(run.params).toEqual({ lr: '0.1' });
    expect(run.metrics).toHaveLength(10);
    expect(warnings).toHaveLength(2);
  });

  /** A server on 127.0.0.1 that reads requests and never answers; counts requests and sockets the client closed. */
  async function hangingServer() {
    const seen = { requests: 0, clientClosed: 0 };
    const server = createServer((req) => {
      seen.requests++;
      req.socket.on('end', () => seen.clientClosed++); // the client sent FIN
      req.resume(); // never respond
    });
    open.push(server);
    const port = await listen(server);
    return { seen, port };
  }

  it('a hanging server does not hold training: callbacks return at once, the end waits flushTimeoutMs, then warns what is unsent', async () => {
    const { seen, port } = await hangingServer();
    const warnings: string[] = [];
    // timeoutMs 3000: the old logger awaited the server in onTrainBegin and onTrainEnd, 2 × 3 s.
    const cb = new MlflowLogger({ trackingUri: `http://127.0.0.1:${port}`, params: { lr: 0.1 }, logEvery: 'batch', timeoutMs: 3000, flushTimeoutMs: 300, onWarning: (m) => warnings.push(m) });
    const callbackMs: number[] = [];
    const timed = async (f: () => Promise<void> | undefined) => {
      const t = performance.now();
      await f();
      callbackMs.push(performance.now() - t);
    };
    const t0 = performance.now();
    await timed(() => cb.onTrainBegin());
    for (let e = 0; e < 5; e++) {
      for (let b = 0; b < 2; b++) await timed(() => cb.onBatchEnd?.(b, { loss: 1 / (e + 1) }));
      await timed(() => cb.onEpochEnd(e, { loss: 1 / (e + 1), val_loss: 1.5 / (e + 1) }));
    }
    const tEnd = performance.now();
    await cb.onTrainEnd();
    const endMs = performance.now() - tEnd;
    const totalMs = performance.now() - t0;
    // Queuing is microseconds, but the first callback starts the first fetch of the process (Node
    // loads its HTTP client then: 20–70 ms measured here on a loaded machine); 250 ms is far below
    // the 3 s a request to this server takes to time out.
    expect(Math.max(...callbackMs)).toBeLessThan(250);
    // The end waits flushTimeoutMs (300 ms) and no longer; +700 ms for timers on a loaded machine, still well under timeoutMs.
    expect(endMs).toBeGreaterThanOrEqual(290);
    expect(endMs).toBeLessThan(1000);
    expect(totalMs).toBeLessThan(1500);
    expect(seen.requests).toBe(1); // one request at a time: the first one hung, no pile-up
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toBe(`MlflowLogger: not sent to http://127.0.0.1:${port} at the end of training: the run itself (not created), 20 metric(s), 1 param(s), the run status FINISHED (no answer within flushTimeoutMs). They are kept: call flush() to retry.`);
    expect(cb.pendingCount).toBe(23);
    // The hung request was abandoned: the client closed its socket, so nothing keeps the process alive.
    await new Promise((ok) => setTimeout(ok, 50));
    expect(seen.clientClosed).toBe(1);
  });

  it('bounds the queue while the server hangs: the oldest metrics are dropped and counted', async () => {
    const { port } = await hangingServer();
    const warnings: string[] = [];
    const cb = new MlflowLogger({ trackingUri: `http://127.0.0.1:${port}`, maxQueue: 8, timeoutMs: 3000, flushTimeoutMs: 100, onWarning: (m) => warnings.push(m) });
    await cb.onTrainBegin();
    for (let e = 0; e < 10; e++) await cb.onEpochEnd(e, { loss: e, acc: e });
    expect(cb.droppedCount).toBe(12);
    expect(cb.pendingCount).toBe(8 + 1 /* run */);
    expect(warnings[0]).toMatch(/more than 8 metrics are waiting .* dropping the oldest/);
    await cb.onTrainEnd();
    expect(warnings).toHaveLength(2);
    expect(warnings[1]).toMatch(/: the run itself \(not created\), 8 metric\(s\), the run status FINISHED .* 12 older metric\(s\) were dropped because more than maxQueue = 8 were waiting\.$/);
    // The newest are kept: epochs 6..9.
    const kept = (cb as unknown as { metrics: { step: number }[] }).metrics.map((m) => m.step);
    expect(kept).toEqual([6, 6, 7, 7, 8, 8, 9, 9]);
  });
});
