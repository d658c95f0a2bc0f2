import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { DataEmptyError, DataRowError } from '../errors.js';
import type { DataNode } from '../types.js';
import { checkFile } from './files.js';
import type { InvalidRowPolicy, ReadReport } from './csv.js';
import { FINITE_EXPECTED, nonFiniteTokens, parseJsonWithNonFinite } from './non-finite.js';

/** Options of `Dataset.fromJsonl`. */
export interface JsonlOptions<T> {
  /** Malformed lines: `'error'` throws naming file and line; `'skip'` counts them. @default 'error' */
  onInvalid?: InvalidRowPolicy;
  /** Turns a parsed line into an element; throw to mark the line invalid. @default the parsed value */
  parse?: (value: unknown, line: number) => T;
  /** Called at the end of each pass. @default under 'skip', a console.warn when lines were skipped */
  onReport?: (report: ReadReport) => void;
  /**
   * Read non-finite numbers — bare `NaN`, `Infinity`, `-Infinity`, `inf`, `-inf` (as Python's
   * `json` module writes them) and overflowing ones such as `1e999` — as NaN/±Infinity instead of
   * rejecting the line (see "Non-finite values" in the README).
   * @default false
   */
  allowNonFinite?: boolean;
}

/** Streams a JSON Lines file (one JSON value per line; blank lines ignored). */
export function jsonlNode<T>(file: string, opts: JsonlOptions<T> = {}): DataNode<T> {
  const policy = opts.onInvalid ?? 'error';
  const report =
    opts.onReport ??
    ((r: ReadReport) => {
      if (r.skipped > 0)
        console.warn(`@nn/data fromJsonl: skipped ${r.skipped} malformed line(s) of ${r.file}; first: ${r.errors[0]?.message}`);
    });
  return {
    length: undefined,
    async *iterate() {
      await checkFile(file, 'JSON Lines file');
      const stats: ReadReport = { file, rows: 0, skipped: 0, errors: [] };
      const input = createReadStream(file, { highWaterMark: 1 << 20 });
      const lines = createInterface({ input, crlfDelay: Infinity });
      let n = 0;
      try {
        for await (const line of lines) {
          n++;
          // readline keeps a UTF-8 byte order mark: it is not part of the first value.
          const text = n === 1 && line.charCodeAt(0) === 0xfeff ? line.slice(1) : line;
          if (text.trim().length === 0) continue;
          let value: T;
          try {
            const parsed = parseLine(file, n, text, opts.allowNonFinite ?? false);
            value = opts.parse ? opts.parse(parsed, n) : (parsed as T);
          } catch (e) {
            const err = e instanceof DataRowError ? e : new DataRowError(file, n, `invalid line (${(e as Error).message})`, 'one JSON value per line', e);
            if (policy === 'error') throw err;
            stats.skipped++;
            if (stats.errors.length < 10) stats.errors.push(err);
            continue;
          }
          stats.rows++;
          yield value;
        }
      } finally {
        lines.close();
        input.destroy();
      }
      report(stats);
      if (stats.rows === 0)
        throw new DataEmptyError(file, 'JSON Lines file', stats.skipped > 0 ? `all ${stats.skipped} line(s) were skipped as malformed` : n === 0 ? 'no lines' : 'only blank lines');
    },
  };
}

/** One line's JSON value, under the non-finite rule (a {@link DataRowError} naming the column when broken). */
function parseLine(file: string, line: number, text: string, allowNonFinite: boolean): unknown {
  let parsed: unknown;
  let syntax: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    syntax = e;
  }
  const bad = nonFiniteTokens(text); // [] without a scan for ordinary lines
  if (bad.length === 0) {
    if (syntax) throw syntax;
    return parsed;
  }
  if (!allowNonFinite) {
    const t = bad[0]!;
    throw new DataRowError(file, line, `non-finite number ${t.raw}`, FINITE_EXPECTED, undefined, t.start + 1);
  }
  if (!syntax) return parsed; // only overflowing numbers: JSON.parse made them ±Infinity
  try {
    return parseJsonWithNonFinite(text, bad);
  } catch {
    throw syntax; // broken for another reason: report JSON.parse's own message
  }
}
