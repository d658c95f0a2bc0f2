import { existsSync, readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { ERROR_ANALYSIS_FILE, parseErrorAnalysis } from '../error-analysis-file.js';
import { confusionMatrixPlot, misclassifiedGrid } from '../error-analysis.js';
import { InvalidErrorRateError, InvalidOptionError } from '../errors.js';
import { analyzeRun, assertLogDir, parseRunMeta, type RunData } from '../log-dir.js';
import { renderSvg } from '../plot.js';
import { dashboardPage } from './page.js';
import { RunTail } from './run-tail.js';

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
  /**
   * Host names (no port) the server answers besides the loopback ones (`localhost`, `127.0.0.1`,
   * `[::1]`) and the `host` it listens on; `true` answers any. Requests whose `Host` header names
   * another host get 403: a web page that rebinds its own domain to 127.0.0.1 (DNS rebinding)
   * cannot read the dashboard. Add the name you reach the machine by when you expose it
   * (`host: '0.0.0.0', allowedHosts: ['gpu-box.lan']`).
   * @default []
   */
  allowedHosts?: string[] | true;
}

/** A running dashboard. */
export interface Dashboard {
  /** Page URL, e.g. `http://127.0.0.1:6007/`. */
  url: string;
  /** Stops watching and closes the server. */
  close(): Promise<void>;
}

/** A run's error analysis as the page shows it (from its error-analysis.json). */
interface ErrorAnalysisView {
  numSamples: number;
  accuracy: number;
  top2Accuracy: number;
  rocAuc: number | null;
  rocAucError?: string;
  /** Per-class rows, then 'macro avg' and 'weighted avg'. */
  report: { name: string; precision: number; recall: number; f1: number; support: number }[];
  /** The confusion-matrix heatmap (Vega spec rendered server-side). */
  confusionSvg: string;
  /** The most confident mistakes with true → predicted captions; '' when the file has no pixels. */
  gridSvg: string;
  mistakes: number;
}

interface RunView { name: string; epochs: number; finished: boolean; verdict?: string; explanation?: string; summary: string; error?: string; svg: string; errorAnalysis?: ErrorAnalysisView }

const RUN_FILES = ['metrics.jsonl', 'run.json', ERROR_ANALYSIS_FILE];

/** Reads and renders a run's error-analysis.json; undefined when the run has none. @throws when it is unreadable or malformed */
async function errorAnalysisView(dir: string): Promise<ErrorAnalysisView | undefined> {
  const file = join(dir, ERROR_ANALYSIS_FILE);
  const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined; // optional
    throw e;
  });
  if (text === undefined) return undefined;
  const d = parseErrorAnalysis(text, ERROR_ANALYSIS_FILE);
  const confusionSvg = await renderSvg(confusionMatrixPlot(d.confusionMatrix, { classNames: d.classNames, cellSize: d.numClasses > 12 ? 24 : 36 }));
  let gridSvg = '';
  if (d.imageShape && d.mistakes.length && d.mistakes.every((m) => m.pixels)) {
    gridSvg = misclassifiedGrid(d.mistakes.flatMap((m) => m.pixels!), d.mistakes, { imageShape: d.imageShape, classNames: d.classNames, imagesInPickOrder: true, pixels: 'png' });
  }
  const r = d.report;
  return {
    numSamples: d.numSamples,
    accuracy: d.accuracy,
    top2Accuracy: d.top2Accuracy,
    rocAuc: d.rocAuc,
    ...(d.rocAucError ? { rocAucError: d.rocAucError } : {}),
    report: [...r.perClass.map((c, i) => ({ ...c, name: d.classNames[i]! })), { name: 'macro avg', ...r.macro }, { name: 'weighted avg', ...r.weighted }]
      .map(({ name, precision, recall, f1, support }) => ({ name, precision, recall, f1, support })),
    confusionSvg,
    gridSvg,
    mistakes: d.mistakes.length,
  };
}

/**
 * Serves a live dashboard of a log folder on 127.0.0.1: training/validation curves of every
 * run (rendered to SVG server-side with Vega), each run's bias/variance verdict, and, for a run
 * with an `error-analysis.json` (`writeErrorAnalysis`), its error analysis: headline numbers,
 * confusion matrix, per-class precision/recall/F1 table and the most confident mistakes. The folder
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

  if (options.allowedHosts !== undefined && options.allowedHosts !== true && !(Array.isArray(options.allowedHosts) && options.allowedHosts.every((h) => typeof h === 'string')))
    throw new InvalidOptionError('startDashboard: options.allowedHosts', options.allowedHosts, 'an array of host names, or true');
  const hostAllowed = hostCheck(options.host ?? '127.0.0.1', options.allowedHosts ?? []);

  const cache = new Map<string, { sig: string; view: RunView }>();
  const tails = new Map<string, RunTail>();
  const clients = new Set<ServerResponse>();
  let version = 0;
  let signature = '';

  const runSig = (dir: string) => RUN_FILES.map((f) => {
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

  /** One run's view; whatever goes wrong with it is reported in its `error`, never thrown. */
  async function view(name: string): Promise<RunView> {
    const dir = join(logDir, name);
    const sig = runSig(dir);
    const hit = cache.get(name);
    if (hit && hit.sig === sig) return hit.view;
    let v: RunView;
    try {
      v = await readView(name, dir);
    } catch (e) {
      v = { name, epochs: 0, finished: false, summary: '', svg: '', error: `run "${name}" could not be read: ${(e as Error).message}` };
    }
    cache.set(name, { sig, view: v });
    return v;
  }

  async function readView(name: string, dir: string): Promise<RunView> {
    let meta: RunData['meta'] = {};
    let metaError: string | undefined;
    const metaFile = join(dir, 'run.json');
    const metaText = await readFile(metaFile, 'utf8').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined; // run.json is optional
      throw e;
    });
    if (metaText !== undefined) ({ meta, error: metaError } = parseRunMeta(metaText, metaFile));
    let tail = tails.get(name);
    if (!tail) tails.set(name, (tail = new RunTail(join(dir, 'metrics.jsonl'))));
    await tail.update();
    const run: RunData = { name, dir, meta, history: tail.history, finished: tail.finished, ...(tail.error ? { error: tail.error } : {}) };
    const a = analyzeRun(run, options.bayesError);
    const epochs = run.history.epoch?.length ?? 0;
    const v: RunView = { name, epochs, finished: run.finished, summary: epochs ? a.curves.summary : '', svg: '' };
    if (a.biasVariance) {
      v.verdict = a.biasVariance.verdict;
      v.explanation = `${a.biasVariance.explanation}${a.verdictFrom?.assumed ? ' (Bayes error assumed 0: set bayesError in JsonlLogger or --bayes-error.)' : ''} Advice: ${a.biasVariance.advice.join('; ')}.`;
    }
    const errors = [metaError, run.error].filter((x): x is string => x !== undefined);
    if (epochs) {
      try { v.svg = await renderSvg(a.curves.spec); } catch (e) { errors.push(`plot failed: ${(e as Error).message}`); }
    }
    try {
      const ea = await errorAnalysisView(dir);
      if (ea) v.errorAnalysis = ea;
    } catch (e) {
      errors.push(`error analysis not shown: ${(e as Error).message}`);
    }
    if (errors.length) v.error = errors.join('; ');
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
    if (!hostAllowed(req)) {
      res.writeHead(403, { 'Content-Type': 'text/plain' }).end(`Host ${JSON.stringify(req.headers.host ?? '')} is not allowed: this dashboard answers only localhost, 127.0.0.1 and [::1] (DNS rebinding protection). Pass allowedHosts to startDashboard to add a name.\n`);
      return;
    }
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    try {
      if (req.method !== 'GET') { res.writeHead(405, { Allow: 'GET' }).end(); return; }
      if (path === '/') {
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' }).end(dashboardPage(options.logDir));
      } else if (path === '/api/runs') {
        // view() never throws: one broken run is reported in its own entry, the others are served.
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

const LOOPBACK = ['localhost', '127.0.0.1', '[::1]'];

/**
 * The Host-header check: the name (port ignored, letter case ignored) must be a loopback name, the
 * `host` the server listens on (unless a wildcard address), or one of `allowed`.
 */
function hostCheck(listenHost: string, allowed: string[] | true): (req: IncomingMessage) => boolean {
  if (allowed === true) return () => true;
  const names = new Set([...LOOPBACK, ...allowed].map((h) => h.toLowerCase()));
  const listen = listenHost.toLowerCase();
  if (!['0.0.0.0', '::', '[::]'].includes(listen)) names.add(listen.includes(':') && !listen.startsWith('[') ? `[${listen}]` : listen);
  return (req) => {
    const h = req.headers.host;
    if (!h) return false;
    const m = /^(\[[^\]]*\]|[^:]*)(?::\d*)?$/.exec(h.trim().toLowerCase());
    return m !== null && names.has(m[1]!.replace(/\.$/, ''));
  };
}
