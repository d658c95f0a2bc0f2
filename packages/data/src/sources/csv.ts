import { parse, type CsvError, type Options as CsvParseOptions } from 'csv-parse';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream';
import { DataConfigError, DataRowError } from '../errors.js';
import type { DataNode, Sample } from '../types.js';
import { checkFile } from './files.js';

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
}

interface Plan {
  names: string[];
  featureCols: number[];
  featureTypes: CsvColumnType[];
  labelCol: number;
  labelType: CsvColumnType;
  width: number;
}

const SKIPPED = Symbol('skipped');

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
  return {
    length: undefined,
    async *iterate() {
      await checkFile(file, 'CSV file');
      let plan: Plan | undefined = Array.isArray(opts.header) ? makePlan(file, opts.header, opts) : undefined;
      const wantHeader = opts.header === undefined || opts.header === true;
      const stats: ReadReport = { file, rows: 0, skipped: 0, errors: [] };
      const skip = (e: DataRowError) => {
        stats.skipped++;
        if (stats.errors.length < 10) stats.errors.push(e);
      };
      const input = createReadStream(file, { highWaterMark: 1 << 20 });
      // pipeline (not .pipe) forwards read errors to the parser, so the loop below sees them.
      const parser = pipeline(
        input,
        parse({
          delimiter: opts.delimiter ?? ',',
          relax_column_count: true,
          skip_empty_lines: true,
          skip_records_with_error: policy === 'skip',
          on_skip: (err: CsvError | undefined) => {
            const line = (err as { lines?: number } | undefined)?.lines ?? -1;
            skip(new DataRowError(file, line, `unparseable CSV (${err?.message ?? 'unknown'})`, 'well-formed CSV'));
            return undefined;
          },
          on_record: (fields: string[], ctx: { lines: number }) => {
            if (!plan) {
              if (wantHeader) {
                plan = makePlan(file, fields, opts);
                return null;
              }
              plan = makePlan(file, fields.map((_, i) => String(i)), opts);
            }
            const r = toSample(file, ctx.lines, fields, plan, opts.classes);
            if (r instanceof DataRowError) {
              if (policy === 'error') throw r;
              skip(r);
              return SKIPPED;
            }
            return r;
          },
        } as CsvParseOptions),
        () => undefined,
      );
      try {
        for await (const rec of parser as AsyncIterable<Sample | typeof SKIPPED>) {
          if (rec === SKIPPED) continue;
          stats.rows++;
          yield rec;
        }
      } catch (e) {
        throw asRowError(file, e);
      } finally {
        input.destroy();
        parser.destroy();
      }
      report(stats);
    },
  };
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

function toSample(file: string, line: number, f: string[], plan: Plan, classes?: string[]): Sample | DataRowError {
  if (f.length !== plan.width)
    return new DataRowError(file, line, `${f.length} field(s)`, `${plan.width} (${plan.names.join(',')})`);
  const x = new Float32Array(plan.featureCols.length);
  for (let k = 0; k < x.length; k++) {
    const c = plan.featureCols[k]!;
    const v = cell(f[c]!, plan.featureTypes[k]!);
    if (Number.isNaN(v)) return badCell(file, line, plan, c, f[c]!, plan.featureTypes[k]!);
    x[k] = v;
  }
  if (plan.labelCol < 0) return { x };
  const raw = f[plan.labelCol]!;
  const y = plan.labelType === 'string' ? classes!.indexOf(raw.trim()) : cell(raw, plan.labelType);
  if (Number.isNaN(y) || y < 0 && plan.labelType === 'string')
    return badCell(file, line, plan, plan.labelCol, raw, plan.labelType === 'string' ? `one of [${classes!.join(', ')}]` : plan.labelType);
  return { x, y };
}

function cell(s: string, type: CsvColumnType): number {
  if (type === 'bool') {
    const t = s.trim().toLowerCase();
    return t === 'true' || t === '1' ? 1 : t === 'false' || t === '0' ? 0 : NaN;
  }
  const v = Number(s);
  // Number('') and Number('  ') are 0: only then look closer (keeps the hot path allocation-free).
  if (v === 0 && s.trim().length === 0) return NaN;
  if (type === 'int32' && !Number.isInteger(v)) return NaN;
  return v;
}

function badCell(file: string, line: number, plan: Plan, c: number, raw: string, type: string): DataRowError {
  return new DataRowError(file, line, `column "${plan.names[c]}" is ${JSON.stringify(raw)}`, `a ${type} value`);
}
