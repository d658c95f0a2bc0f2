import { parse, type CsvError, type Options as CsvParseOptions } from 'csv-parse';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream';
import { DataConfigError, DataEmptyError, DataRowError } from '../errors.js';
import type { DataNode, Sample } from '../types.js';
import { checkFile } from './files.js';
import { FINITE_EXPECTED, nonFiniteWord } from './non-finite.js';

/** How a CSV column is read. `'ignore'` drops it; `'string'` is only allowed for the label. */
export type CsvColumnType = 'float32' | 'int32' | 'bool' | 'string' | 'ignore';

/** What to do with a malformed row. */
export type InvalidRowPolicy = 'error' | 'skip';

/** Summary of one pass over a file, handed to `onReport` when the pass ends. */
export interface ReadReport {
  file: string;
  /** Rows read successfully. */
  rows: number;
  /** Rows skipped under the `'skip'` policy. */
  skipped: number;
  /** The first few skipped rows' errors (at most 10). */
  errors: DataRowError[];
}

/** Options of {@link csvNode} (see `Dataset.fromCsv`). */
export interface CsvOptions {
  /** Column holding the label (name, or 0-based index); omit for unlabelled data. */
  label?: string | number;
  /** Feature columns to keep, in order. @default every column but the label and ignored ones */
  features?: (string | number)[];
  /** Per-column types by name; unlisted columns are `'float32'`. @default {} */
  columns?: Record<string, CsvColumnType>;
  /** For a `'string'` label: the class names; a label is read as its index in this list. */
  classes?: string[];
  /** `true`: the first line names the columns; an array gives the names for a headerless file. @default true */
  header?: boolean | string[];
  /** Field delimiter. @default ',' */
  delimiter?: string;
  /** Malformed rows: `'error'` throws a {@link DataRowError} naming file and line; `'skip'` counts them. @default 'error' */
  onInvalid?: InvalidRowPolicy;
  /** Called at the end of each pass with counts. @default under 'skip', a console.warn when rows were skipped */
  onReport?: (report: ReadReport) => void;
  /**
   * Read `NaN`, `inf`, `-inf`, `Infinity`, `1e999` (and float32 overflow such as `1e39`) in float32
   * columns as NaN/±Infinity instead of rejecting the row (see "Non-finite values" in the README).
   * @default false
   */
  allowNonFinite?: boolean;
}

interface Plan {
  names: string[];
  featureCols: number[];
  featureTypes: CsvColumnType[];
  labelCol: number;
  labelType: CsvColumnType;
  width: number;
}

/** Streams a CSV file through `csv-parse` into `{x: Float32Array, y?: number}` samples. */
export function csvNode(file: string, opts: CsvOptions = {}): DataNode<Sample> {
  const policy = opts.onInvalid ?? 'error';
  if (policy !== 'error' && policy !== 'skip') throw new DataConfigError('fromCsv', 'onInvalid', "'error' or 'skip'", policy);
  const report =
    opts.onReport ??
    ((r: ReadReport) => {
      if (r.skipped > 0)
        console.warn(`@nn/data fromCsv: skipped ${r.skipped} malformed row(s) of ${r.file}; first: ${r.errors[0]?.message}`);
    });
  const parserOptions = (): CsvParseOptions => ({
    delimiter: opts.delimiter ?? ',',
    relax_column_count: true,
    skip_empty_lines: true,
    bom: true, // a UTF-8 byte order mark is not part of the first column's name
    skip_records_with_error: policy === 'skip',
  });
  return {
    length: undefined,
    async *iterate() {
      await checkFile(file, 'CSV file');
      let plan: Plan | undefined = Array.isArray(opts.header) ? makePlan(file, opts.header, opts) : undefined;
      const wantHeader = opts.header === undefined || opts.header === true;
      const stats: ReadReport = { file, rows: 0, skipped: 0, errors: [] };
      // Skipped rows whose line is still unknown: record number → problem (first 10 kept).
      const pending = new Map<number, RowProblem>();
      const keep = () => stats.errors.length + pending.size < 10;
      const input = createReadStream(file, { highWaterMark: 1 << 20 });
      // pipeline (not .pipe) forwards read errors to the parser, so the loop below sees them.
      // No on_record/info: csv-parse then builds no per-record context object (~25% faster);
      // the line of a bad record is found by a second parse, only when there is one.
      const parser = pipeline(
        input,
        parse({
          ...parserOptions(),
          on_skip: (err: CsvError | undefined) => {
            stats.skipped++;
            if (keep()) {
              const line = (err as { lines?: number } | undefined)?.lines ?? -1;
              stats.errors.push(new DataRowError(file, line, `unparseable CSV (${err?.message ?? 'unknown'})`, 'well-formed CSV'));
            }
            return undefined;
          },
        }),
        () => undefined,
      );
      let record = 0;
      try {
        for await (const fields of parser as AsyncIterable<string[]>) {
          record++;
          if (!plan) {
            if (wantHeader) {
              plan = makePlan(file, fields, opts);
              continue;
            }
            plan = makePlan(file, fields.map((_, i) => String(i)), opts);
          }
          const r = toSample(fields, plan, opts.classes, opts.allowNonFinite ?? false);
          if (r instanceof RowProblem) {
            if (policy === 'error') {
              const lines = await linesOfRecords(file, parserOptions(), [record]);
              throw r.toError(file, lines.get(record) ?? -1);
            }
            stats.skipped++;
            if (keep()) pending.set(record, r);
            continue;
          }
          stats.rows++;
          yield r;
        }
      } catch (e) {
        throw asRowError(file, e);
      } finally {
        input.destroy();
        parser.destroy();
      }
      if (pending.size > 0) {
        const lines = await linesOfRecords(file, parserOptions(), [...pending.keys()]);
        for (const [rec, problem] of pending) stats.errors.push(problem.toError(file, lines.get(rec) ?? -1));
        stats.errors.sort((a, b) => a.line - b.line);
      }
      report(stats);
      if (stats.rows === 0)
        throw new DataEmptyError(file, 'CSV file', stats.skipped > 0 ? `all ${stats.skipped} row(s) were skipped as malformed` : record === 0 ? 'no lines' : 'a header and no rows');
    },
  };
}

/** What is wrong with a row, before its line number is known. */
class RowProblem {
  constructor(
    readonly reason: string,
    readonly expected: string,
    readonly column?: string,
  ) {}
  toError(file: string, line: number): DataRowError {
    return new DataRowError(file, line, this.reason, this.expected, undefined, this.column);
  }
}

/**
 * Line numbers (where each record ends, 1-based) of the given record numbers (1-based, counted as
 * csv-parse emits them, header included), by parsing the file again with record context on.
 */
async function linesOfRecords(file: string, options: CsvParseOptions, records: number[]): Promise<Map<number, number>> {
  const wanted = new Set(records);
  const last = Math.max(...records);
  const out = new Map<number, number>();
  let n = 0;
  const input = createReadStream(file, { highWaterMark: 1 << 20 });
  await new Promise<void>((resolve) => {
    const parser = pipeline(
      input,
      parse({
        ...options,
        on_record: (_rec: string[], ctx: { lines: number }) => {
          n++;
          if (wanted.has(n)) out.set(n, ctx.lines);
          if (n >= last) {
            // Found them all: stop reading (the rest of a large file is not needed).
            input.destroy();
            resolve();
          }
          return null;
        },
      } as CsvParseOptions),
      () => resolve(), // end, error or destroy: whatever was found is the answer
    );
    parser.resume();
  });
  return out;
}

function asRowError(file: string, e: unknown): unknown {
  if (e instanceof DataRowError) return e;
  const inner = (e as { cause?: unknown }).cause;
  if (inner instanceof DataRowError) return inner;
  const err = e as { code?: string; lines?: number; message?: string };
  if (typeof err.code === 'string' && err.code.startsWith('CSV_'))
    return new DataRowError(file, err.lines ?? -1, `unparseable CSV (${err.message})`, 'well-formed CSV', e);
  return e;
}

function makePlan(file: string, names: string[], opts: CsvOptions): Plan {
  const types = opts.columns ?? {};
  const col = (c: string | number, what: string): number => {
    const i = typeof c === 'number' ? c : names.indexOf(c);
    if (i < 0 || i >= names.length)
      throw new DataConfigError(`fromCsv("${file}")`, what, `a column of [${names.join(', ')}]`, c);
    return i;
  };
  for (const name of Object.keys(types))
    if (!names.includes(name)) throw new DataConfigError(`fromCsv("${file}")`, 'columns', `keys naming columns of [${names.join(', ')}]`, name);
  const labelCol = opts.label === undefined ? -1 : col(opts.label, 'label');
  const labelType = labelCol >= 0 ? (types[names[labelCol]!] ?? 'float32') : 'ignore';
  if (labelType === 'string' && !opts.classes)
    throw new DataConfigError(`fromCsv("${file}")`, 'classes', 'the list of class names for a string label', undefined);
  const featureCols = opts.features
    ? opts.features.map((f) => col(f, 'features'))
    : names.map((_, i) => i).filter((i) => i !== labelCol && (types[names[i]!] ?? 'float32') !== 'ignore');
  const featureTypes = featureCols.map((i) => types[names[i]!] ?? 'float32');
  featureCols.forEach((c, k) => {
    if (featureTypes[k] === 'string')
      throw new DataConfigError(`fromCsv("${file}")`, `columns.${names[c]}`, "'float32', 'int32', 'bool' or 'ignore' for a feature (strings only for the label)", 'string');
  });
  return { names, featureCols, featureTypes, labelCol, labelType, width: names.length };
}

function toSample(f: string[], plan: Plan, classes: string[] | undefined, allowNonFinite: boolean): Sample | RowProblem {
  if (f.length !== plan.width) return new RowProblem(`${f.length} field(s)`, `${plan.width} (${plan.names.join(',')})`);
  const x = new Float32Array(plan.featureCols.length);
  for (let k = 0; k < x.length; k++) {
    const c = plan.featureCols[k]!;
    const v = cell(f[c]!, plan.featureTypes[k]!);
    if (v === undefined) return badCell(plan, c, f[c]!, plan.featureTypes[k]!);
    // fround: a decimal beyond float32's range (1e39) is as infinite as 1e999 once stored.
    if (!Number.isFinite(Math.fround(v)) && !allowNonFinite) return nonFiniteCell(plan, c, f[c]!);
    x[k] = v;
  }
  if (plan.labelCol < 0) return { x };
  const raw = f[plan.labelCol]!;
  const y = plan.labelType === 'string' ? classes!.indexOf(raw.trim()) : cell(raw, plan.labelType);
  if (y === undefined || (y < 0 && plan.labelType === 'string'))
    return badCell(plan, plan.labelCol, raw, plan.labelType === 'string' ? `one of [${classes!.join(', ')}]` : plan.labelType);
  if (!Number.isFinite(y) && !allowNonFinite) return nonFiniteCell(plan, plan.labelCol, raw);
  return { x, y };
}

/** A cell's value (NaN/±Infinity only from a non-finite spelling), or undefined if unreadable as `type`. */
function cell(s: string, type: CsvColumnType): number | undefined {
  if (type === 'bool') {
    const t = s.trim().toLowerCase();
    return t === 'true' || t === '1' ? 1 : t === 'false' || t === '0' ? 0 : undefined;
  }
  let v = Number(s);
  // Number('') and Number('  ') are 0: only then look closer (keeps the hot path allocation-free).
  if (v === 0 && s.trim().length === 0) return undefined;
  if (Number.isNaN(v)) {
    // 'NaN', 'inf', '-inf' … read like Number('Infinity'), so that one rule judges them all.
    const w = nonFiniteWord(s);
    if (w === undefined) return undefined;
    v = w;
  }
  if (type === 'int32' && !Number.isInteger(v)) return undefined;
  return v;
}

function badCell(plan: Plan, c: number, raw: string, type: string): RowProblem {
  return new RowProblem(`column "${plan.names[c]}" is ${JSON.stringify(raw)}`, `a ${type} value`, plan.names[c]);
}

function nonFiniteCell(plan: Plan, c: number, raw: string): RowProblem {
  return new RowProblem(`column "${plan.names[c]}" is ${JSON.stringify(raw)} (not finite)`, FINITE_EXPECTED, plan.names[c]);
}
