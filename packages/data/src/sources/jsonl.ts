import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { DataRowError } from '../errors.js';
import type { DataNode } from '../types.js';
import { checkFile } from './files.js';
import type { InvalidRowPolicy, ReadReport } from './csv.js';

/** Options of `Dataset.fromJsonl`. */
export interface JsonlOptions<T> {
  /** Malformed lines: `'error'` throws naming file and line; `'skip'` counts them. @default 'error' */
  onInvalid?: InvalidRowPolicy;
  /** Turns a parsed line into an element; throw to mark the line invalid. @default the parsed value */
  parse?: (value: unknown, line: number) => T;
  /** Called at the end of each pass. @default under 'skip', a console.warn when lines were skipped */
  onReport?: (report: ReadReport) => void;
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
        for await (const text of lines) {
          n++;
          if (text.trim().length === 0) continue;
          let value: T;
          try {
            const parsed: unknown = JSON.parse(text);
            value = opts.parse ? opts.parse(parsed, n) : (parsed as T);
          } catch (e) {
            const err = new DataRowError(file, n, `invalid line (${(e as Error).message})`, 'one JSON value per line', e);
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
    },
  };
}
