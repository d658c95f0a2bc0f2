/** Base class of every error thrown by `@nn/monitor`. */
export class MonitorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** An error rate (or threshold) that is not a finite number in [0, 1] (defined in @nn/core). */
export { InvalidErrorRateError } from '@nn/core';

/** An option or argument with an invalid value. */
export class InvalidOptionError extends MonitorError {
  constructor(
    readonly where: string,
    readonly received: unknown,
    readonly expected: string,
  ) {
    super(`${where} must be ${expected}, got ${formatValue(received)}.`);
  }
}

/** A log folder that does not exist or is not a folder. */
export class LogDirNotFoundError extends MonitorError {
  constructor(
    readonly path: string,
    readonly reason: 'missing' | 'not a directory',
  ) {
    super(reason === 'missing'
      ? `Log folder "${path}" does not exist. Expected a folder of runs (<logdir>/<run>/metrics.jsonl), ` +
        'as written by the JsonlLogger callback; train with `new JsonlLogger({ logDir })` first or fix the path.'
      : `Log folder "${path}" is not a folder. Pass the folder that holds the runs, not a file.`);
  }
}

/** A malformed line in a metrics.jsonl file. */
export class MalformedLogLineError extends MonitorError {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly detail: string,
  ) {
    super(`${file}:${line}: ${detail}. Expected one JSON object per line like {"type":"epoch","epoch":0,"logs":{"loss":0.5}}.`);
  }
}

/** A plot file name whose extension is neither .svg nor .png. */
export class UnsupportedPlotFormatError extends MonitorError {
  constructor(readonly path: string) {
    super(`savePlot: cannot tell the format of "${path}": expected a file name ending in .svg or .png.`);
  }
}

/** An MLflow tracking server answered with an error status. */
export class MlflowRequestError extends MonitorError {
  constructor(
    readonly method: string,
    readonly url: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(`MLflow ${method} ${url} failed with HTTP ${status}: ${body.slice(0, 300)}`);
  }
}

export function formatValue(v: unknown): string {
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean' || v === undefined || v === null) return String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  try { return JSON.stringify(v); } catch { return Object.prototype.toString.call(v); }
}
