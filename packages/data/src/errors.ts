/** Base class of every error thrown by `@nn/data`. */
export class DataError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A data file could not be opened (missing, a directory, no permission). */
export class DataFileError extends DataError {
  readonly file: string;
  readonly code: string | undefined;
  constructor(file: string, what: string, cause?: unknown) {
    const code = (cause as { code?: string } | undefined)?.code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code ?? String(cause);
    super(`Cannot open ${what} "${file}": ${why}. Expected an existing, readable file.`, { cause });
    this.file = file;
    this.code = code;
  }
}

/**
 * A malformed row in a CSV or JSON Lines file; names the file, the 1-based line and, when one cell
 * is at fault, the column (a CSV column's name, or a JSON Lines 1-based character column, which
 * the message then shows as `file:line:column`).
 */
export class DataRowError extends DataError {
  readonly file: string;
  readonly line: number;
  readonly reason: string;
  readonly expected: string;
  /** The CSV column's name or the 1-based character column of a JSON Lines line; undefined for a whole-row problem. */
  readonly column: string | number | undefined;
  constructor(file: string, line: number, reason: string, expected: string, cause?: unknown, column?: string | number) {
    super(`${file}:${line}${typeof column === 'number' ? `:${column}` : ''}: ${reason}; expected ${expected}.`, { cause });
    this.file = file;
    this.line = line;
    this.reason = reason;
    this.expected = expected;
    this.column = column;
  }
}

/**
 * A data file (or a whole pass of a loader) that holds no data: a 0-byte file, a CSV with only a
 * header, a JSON Lines file of blank lines, an IDX file whose header announces 0 items, or a file
 * whose every row was skipped as malformed.
 */
export class DataEmptyError extends DataError {
  readonly file: string;
  constructor(file: string, what: string, detail: string) {
    super(`${file}: the ${what} holds no data (${detail}); expected at least one ${what === 'IDX file' ? 'item' : 'row'}.`);
    this.file = file;
  }
}

/** An IDX (MNIST format) file with a wrong header or fewer bytes than the header announces. */
export class IdxFormatError extends DataError {
  readonly file: string;
  readonly expected: string;
  readonly received: string;
  constructor(file: string, problem: string, expected: string, received: string, cause?: unknown) {
    super(`${file}: ${problem}: expected ${expected}, got ${received}.`, { cause });
    this.file = file;
    this.expected = expected;
    this.received = received;
  }
}

/** A binary shard whose size is not a whole number of records, or a record read past the end. */
export class ShardFormatError extends DataError {
  readonly file: string;
  constructor(file: string, message: string) {
    super(`${file}: ${message}`);
    this.file = file;
  }
}

/** An exception thrown by a `parallelMap` function inside a worker, or a worker that died. */
export class WorkerTaskError extends DataError {
  /** Position of the element in the pass (undefined when the worker died outside a task). */
  readonly index: number | undefined;
  readonly workerId: number;
  /** Stack trace of the original error inside the worker, if any. */
  readonly workerStack: string | undefined;
  constructor(workerId: number, index: number | undefined, message: string, workerStack?: string) {
    const where = index === undefined ? `worker ${workerId}` : `worker ${workerId} on element ${index}`;
    super(`parallelMap: ${where} failed: ${message}`);
    this.index = index;
    this.workerId = workerId;
    this.workerStack = workerStack;
  }
}

/** An invalid option (negative batch size, ratios that do not add up …). */
export class DataConfigError extends DataError {
  readonly option: string;
  readonly expected: string;
  readonly received: unknown;
  constructor(where: string, option: string, expected: string, received: unknown) {
    super(`${where}: option "${option}" must be ${expected}, got ${formatValue(received)}.`);
    this.option = option;
    this.expected = expected;
    this.received = received;
  }
}

function formatValue(v: unknown): string {
  try {
    return typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
