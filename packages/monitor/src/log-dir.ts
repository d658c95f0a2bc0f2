import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { biasVariance, type BiasVarianceResult } from './bias-variance.js';
import { rateKind, trainingCurves, type TrainingCurves } from './curves.js';
import { LogDirNotFoundError, MalformedLogLineError } from './errors.js';
import type { LogLine, RunMeta } from './jsonl-logger.js';
import type { HistoryLike, Logs } from './types.js';

/** One run read from a log folder. */
export interface RunData {
  name: string;
  dir: string;
  meta: Partial<RunMeta>;
  /** Per-epoch logs in order. */
  history: HistoryLike;
  /** Whether an `end` line was written. */
  finished: boolean;
  /** The first malformed line, if any (lines after it are ignored). */
  error?: string;
  /** What is wrong with run.json, if it exists and is not a valid object (its bad fields are then not used). */
  metaError?: string;
}

/** Checks that `logDir` is an existing folder. @throws {@link LogDirNotFoundError} */
export function assertLogDir(logDir: string): void {
  if (!existsSync(logDir)) throw new LogDirNotFoundError(logDir, 'missing');
  if (!statSync(logDir).isDirectory()) throw new LogDirNotFoundError(logDir, 'not a directory');
}

/**
 * Parses a metrics.jsonl text. An unterminated last line (being written) is ignored.
 * @throws {@link MalformedLogLineError} naming the file and line of the first bad line.
 */
export function parseMetricsJsonl(text: string, file = 'metrics.jsonl'): LogLine[] {
  const lines = text.split('\n');
  lines.pop(); // unterminated or empty tail
  const out: LogLine[] = [];
  lines.forEach((line, i) => {
    const l = parseLogLine(line, file, i + 1);
    if (l) out.push(l);
  });
  return out;
}

/**
 * Parses one complete line of a metrics.jsonl file (undefined for a blank line).
 * @throws {@link MalformedLogLineError} naming the file and `lineNo`.
 */
export function parseLogLine(line: string, file: string, lineNo: number): LogLine | undefined {
  if (!line.trim()) return undefined;
  let v: unknown;
  try { v = JSON.parse(line); } catch (e) { throw new MalformedLogLineError(file, lineNo, `not JSON (${(e as Error).message})`); }
  const o = v as Partial<LogLine> & Record<string, unknown>;
  if (typeof o !== 'object' || o === null || !['epoch', 'batch', 'end'].includes(o.type as string)) throw new MalformedLogLineError(file, lineNo, 'missing "type" (epoch, batch or end)');
  if (o.type === 'epoch' && (!Number.isInteger(o.epoch) || typeof o.logs !== 'object' || o.logs === null)) throw new MalformedLogLineError(file, lineNo, 'an epoch line needs an integer "epoch" and a "logs" object');
  return o as LogLine;
}

/** Adds one epoch line's logs to a history (metrics missing from earlier epochs are NaN-padded). */
export function addEpoch(history: HistoryLike, epoch: number, logs: Logs): void {
  const i = history.epoch!.length;
  history.epoch!.push(epoch);
  for (const [k, v] of Object.entries(logs)) {
    const arr = (history.history[k] ??= []);
    while (arr.length < i) arr.push(Number.NaN);
    arr.push(v);
  }
}

/**
 * Parses run.json's text: an object, or a message saying what is wrong with it.
 * Fields of the wrong type are reported, not used (`bayesError` must be a number in [0, 1]).
 */
export function parseRunMeta(text: string, file: string): { meta: Partial<RunMeta>; error?: string } {
  let v: unknown;
  try { v = JSON.parse(text); } catch (e) { return { meta: {}, error: `${file}: not JSON (${(e as Error).message})` }; }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { meta: {}, error: `${file}: expected a JSON object, got ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v}` };
  const meta = v as Partial<RunMeta> & Record<string, unknown>;
  const b = meta.bayesError as unknown;
  if (b !== undefined && !(typeof b === 'number' && b >= 0 && b <= 1)) {
    delete meta.bayesError;
    return { meta, error: `${file}: "bayesError" must be a number in [0, 1], got ${JSON.stringify(b)}` };
  }
  return { meta };
}

/** Reads one run folder (run.json and metrics.jsonl). */
export function readRun(dir: string, name: string): RunData {
  let meta: Partial<RunMeta> = {};
  let metaError: string | undefined;
  let metaText: string | undefined;
  try { metaText = readFileSync(join(dir, 'run.json'), 'utf8'); } catch { /* optional */ }
  if (metaText !== undefined) ({ meta, error: metaError } = parseRunMeta(metaText, join(dir, 'run.json')));
  const file = join(dir, 'metrics.jsonl');
  const history: HistoryLike = { history: {}, epoch: [] };
  let finished = false;
  let error: string | undefined;
  let lines: LogLine[] = [];
  try {
    lines = parseMetricsJsonl(readFileSync(file, 'utf8'), file);
  } catch (e) {
    error = (e as Error).message;
  }
  for (const l of lines) if (l.type === 'epoch') addEpoch(history, l.epoch, l.logs);
  finished = lines.some((l) => l.type === 'end');
  return { name, dir, meta, history, finished, ...(error ? { error } : {}), ...(metaError ? { metaError } : {}) };
}

/**
 * Reads every run of a log folder: each sub-folder holding a metrics.jsonl.
 * @throws {@link LogDirNotFoundError} when the folder does not exist.
 * @example
 * for (const run of readLogDir('logs')) console.log(run.name, run.history.history.loss?.at(-1));
 */
export function readLogDir(logDir: string): RunData[] {
  assertLogDir(logDir);
  return readdirSync(logDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(logDir, d.name, 'metrics.jsonl')))
    .map((d) => readRun(join(logDir, d.name), d.name))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** The bias/variance picture of a run: curves, diagnoses, and the verdict at the last epoch. */
export interface RunAnalysis {
  curves: TrainingCurves;
  /** Verdict from the last epoch's error-rate metric (accuracy or error), when the run logs one. */
  biasVariance?: BiasVarianceResult;
  /** Which metric the verdict was computed from, and the Bayes estimate used. */
  verdictFrom?: { metric: string; bayesError: number; assumed: boolean };
}

/**
 * Analyses a run: {@link trainingCurves} plus the course's bias/variance verdict from the last
 * epoch of an error-rate metric (`accuracy`/`val_accuracy` → error = 1 − accuracy, or
 * `error`/`val_error`). The Bayes error comes from run.json, else `defaultBayesError`.
 */
export function analyzeRun(run: RunData, defaultBayesError?: number): RunAnalysis {
  const bayes = run.meta.bayesError ?? defaultBayesError;
  const bayesError = bayes ?? 0;
  const curves = trainingCurves(run.history, { bayesError });
  const h = run.history.history;
  for (const metric of Object.keys(h)) {
    if (metric.startsWith('val_') || !h[`val_${metric}`]) continue;
    const t = h[metric]!.at(-1);
    const v = h[`val_${metric}`]!.at(-1);
    if (t === undefined || v === undefined || !Number.isFinite(t) || !Number.isFinite(v)) continue;
    const kind = rateKind(metric, [t, v]);
    if (!kind) continue;
    const [trainError, valError] = kind === 'accuracy' ? [1 - t, 1 - v] : [t, v];
    return { curves, biasVariance: biasVariance({ trainError, valError, bayesError }), verdictFrom: { metric, bayesError, assumed: bayes === undefined } };
  }
  return { curves };
}
