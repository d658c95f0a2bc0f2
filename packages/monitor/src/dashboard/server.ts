import { existsSync, readdirSync, statSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { InvalidErrorRateError, InvalidOptionError } from '../errors.js';
import { analyzeRun, assertLogDir, readRun } from '../log-dir.js';
import { renderSvg } from '../plot.js';
import { dashboardPage } from './page.js';

/** Options for {@link startDashboard}. */
export interface DashboardOptions {
  /** Log folder of runs (`<logDir>/<run>/metrics.jsonl`, as written by `JsonlLogger`). */
  logDir: string;
  /**
   * Port to listen on (0: any free port).
   * @default 6007
   */
  port?: number;
  /**
   * Interface to listen on. Keep the default unless you mean to expose training logs.
   * @default '127.0.0.1'
   */
  host?: string;
  /** Bayes error for runs whose run.json has none. Without it, 0 is assumed and the page says so. */
  bayesError?: number;
  /**
   * How often the folder is checked for changes, in milliseconds.
   * @default 500
   */
  pollMs?: number;
}

/** A running dashboard. */
export interface Dashboard {
  /** Page URL, e.g. `http://127.0.0.1:6007/`. */
  url: string;
  /** Stops watching and closes the server. */
  close(): Promise<void>;
}

interface RunView { name: string; epochs: number; finished: boolean; verdict?: string; explanation?: string; summary: string; error?: string; svg: string }

/**
 * Serves a live dashboard of a log folder on 127.0.0.1: training/validation curves of every
 * run (rendered to SVG server-side with Vega) and each run's bias/variance verdict. The folder
 * is polled; the page is told to refresh over Server-Sent Events when a run changes.
 *
 * @param options - see {@link DashboardOptions}.
 * @throws {@link LogDirNotFoundError} when the log folder does not exist.
 * @example
 * const d = await startDashboard({ logDir: 'logs', port: 0 });
 * console.log(`open ${d.url}`);
 */
export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const logDir = resolve(options.logDir);
  assertLogDir(logDir);
  if (options.bayesError !== undefined && !(options.bayesError >= 0 && options.bayesError <= 1)) throw new InvalidErrorRateError('startDashboard: options.bayesError', options.bayesError);
  const pollMs = options.pollMs ?? 500;
  if (!(pollMs >= 10)) throw new InvalidOptionError('startDashboard: options.pollMs', pollMs, 'a number of milliseconds ≥ 10');

  const cache = new Map<string, { sig: string; view: RunView }>();
  const clients = new Set<ServerResponse>();
  let version = 0;
  let signature = '';

  const runSig = (dir: string) => ['metrics.jsonl', 'run.json'].map((f) => {
    try { const s = statSync(join(dir, f)); return `${s.size}:${s.mtimeMs}`; } catch { return '-'; }
  }).join('|');
  const listRuns = () => {
    try {
      return readdirSync(logDir, { withFileTypes: true })
        .filter((d) => d.isDirectory() && existsSync(join(logDir, d.name, 'metrics.jsonl')))
        .map((d) => d.name).sort();
    } catch { return []; }
  };
  const folderSig = () => listRuns().map((n) => `${n}=${runSig(join(logDir, n))}`).join(';');

  async function view(name: string): Promise<RunView> {
    const dir = join(logDir, name);
    const sig = runSig(dir);
    const hit = cache.get(name);
    if (hit && hit.sig === sig) return hit.view;
    const run = readRun(dir, name);
    const a = analyzeRun(run, options.bayesError);
    const epochs = run.history.epoch?.length ?? 0;
    const v: RunView = { name, epochs, finished: run.finished, summary: epochs ? a.curves.summary : '', svg: '' };
    if (a.biasVariance) {
      v.verdict = a.biasVariance.verdict;
      v.explanation = `${a.biasVariance.explanation}${a.verdictFrom?.assumed ? ' (Bayes error assumed 0: set bayesError in JsonlLogger or --bayes-error.)' : ''} Advice: ${a.biasVariance.advice.join('; ')}.`;
    }
    if (run.error) v.error = run.error;
    if (epochs) {
      try { v.svg = await renderSvg(a.curves.spec); } catch (e) { v.error = `plot failed: ${(e as Error).message}`; }
    }
    cache.set(name, { sig, view: v });
    return v;
  }

  signature = folderSig();
  const timer = setInterval(() => {
    const s = folderSig();
    if (s === signature) return;
    signature = s;
    version++;
    for (const c of clients) c.write(`event: update\ndata: ${version}\n\n`);
  }, pollMs);
  const heartbeat = setInterval(() => { for (const c of clients) c.write(': ping\n\n'); }, 15_000);

  const server = createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    try {
      if (req.method !== 'GET') { res.writeHead(405, { Allow: 'GET' }).end(); return; }
      if (path === '/') {
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' }).end(dashboardPage(options.logDir));
      } else if (path === '/api/runs') {
        const runs = await Promise.all(listRuns().map(view));
        res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }).end(JSON.stringify({ version, logDir: options.logDir, runs }));
      } else if (path === '/events') {
        res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
        res.write(`retry: 1000\nevent: update\ndata: ${version}\n\n`);
        clients.add(res);
        req.on('close', () => clients.delete(res));
      } else {
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end(`not found: ${path}`);
      }
    } catch (e) {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end(String((e as Error).message));
    }
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 6007, host, () => ok());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/`,
    close: () => new Promise<void>((ok) => {
      clearInterval(timer);
      clearInterval(heartbeat);
      for (const c of clients) c.end();
      clients.clear();
      server.closeAllConnections();
      server.close(() => ok());
    }),
  };
}
