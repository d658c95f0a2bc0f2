import { closeSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { InvalidOptionError } from '../errors.js';
import { frameRecord } from './crc32c.js';
import { encodeFileVersionEvent, encodeSummaryEvent, makeHistogram, type SummaryValue } from './protos.js';

/** Options for {@link SummaryWriter}. */
export interface SummaryWriterOptions {
  /**
   * Records buffered before they are written to disk; `flush()` and `close()` write earlier.
   * @default 32
   */
  maxQueue?: number;
  /**
   * Seconds after the first buffered record at which it is written even if the queue is not full.
   * @default 2
   */
  flushSecs?: number;
  /** Appended to the file name (`events.out.tfevents.<time>.<host>.<pid>.<n><suffix>`). */
  filenameSuffix?: string;
}

let fileCounter = 0;

/**
 * Writes TensorBoard event files: TFRecord-framed `Event` protobufs with scalar, histogram and
 * text summaries, readable by TensorBoard (`tensorboard --logdir <parent>`).
 *
 * The file is append-only, as TensorBoard expects; each record is written whole with one
 * `write` call, and TensorBoard ignores a truncated last record.
 *
 * @example
 * const w = new SummaryWriter('logs/run1/train');
 * w.addScalar('loss', 0.42, 1);
 * w.addHistogram('weights/dense', weights, 1);
 * w.addText('notes', 'lr = 1e-3', 0);
 * w.close();
 */
export class SummaryWriter {
  /** Path of the event file being written. */
  readonly path: string;
  private fd: number | null;
  private queue: Uint8Array[] = [];
  private timer: NodeJS.Timeout | null = null;
  private readonly maxQueue: number;
  private readonly flushMs: number;

  /**
   * @param logDir - folder for the event file (created when missing).
   * @param options - see {@link SummaryWriterOptions}.
   */
  constructor(readonly logDir: string, options: SummaryWriterOptions = {}) {
    if (typeof logDir !== 'string' || logDir === '') throw new InvalidOptionError('SummaryWriter: logDir', logDir, 'a non-empty folder path');
    this.maxQueue = options.maxQueue ?? 32;
    this.flushMs = (options.flushSecs ?? 2) * 1000;
    mkdirSync(logDir, { recursive: true });
    const name = `events.out.tfevents.${Math.floor(Date.now() / 1000)}.${hostname()}.${process.pid}.${fileCounter++}${options.filenameSuffix ?? ''}`;
    this.path = join(logDir, name);
    this.fd = openSync(this.path, 'a');
    this.enqueue(encodeFileVersionEvent(Date.now() / 1000));
    this.flush();
  }

  /**
   * Logs a scalar (stored as `simple_value`, a float32).
   * @param tag - name shown in TensorBoard, e.g. `epoch_loss`.
   * @param value - the value.
   * @param step - x coordinate (epoch or global batch).
   * @param wallTime - seconds since the epoch. @default now
   */
  addScalar(tag: string, value: number, step: number, wallTime = Date.now() / 1000): void {
    this.addValues([{ tag, kind: 'scalar', value }], step, wallTime);
  }

  /**
   * Logs a histogram of `values` (a `HistogramProto` with `bins` equal-width buckets; non-finite values are left out).
   * @param bins - number of buckets. @default 30
   */
  addHistogram(tag: string, values: ArrayLike<number>, step: number, bins = 30, wallTime = Date.now() / 1000): void {
    const { nonFinite: _n, ...histogram } = makeHistogram(values, bins);
    this.addValues([{ tag, kind: 'histogram', histogram }], step, wallTime);
  }

  /** Logs text (markdown), shown in TensorBoard's Text tab. */
  addText(tag: string, text: string, step: number, wallTime = Date.now() / 1000): void {
    this.addValues([{ tag, kind: 'text', text }], step, wallTime);
  }

  /** Logs several summary values as one event. */
  addValues(values: SummaryValue[], step: number, wallTime = Date.now() / 1000): void {
    if (!Number.isInteger(step)) throw new InvalidOptionError(`SummaryWriter(${this.logDir}): step`, step, 'an integer');
    this.enqueue(encodeSummaryEvent(wallTime, step, values));
  }

  private enqueue(event: Uint8Array): void {
    if (this.fd === null) throw new InvalidOptionError(`SummaryWriter(${this.logDir})`, 'closed', 'an open writer (it was closed)');
    this.queue.push(frameRecord(event));
    if (this.queue.length >= this.maxQueue) this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.flushMs);
      this.timer.unref();
    }
  }

  /** Writes every buffered record to disk. */
  flush(): void {
    if (this.timer) { clearTimeout(this.timer); this.timer = null; }
    if (this.fd === null || this.queue.length === 0) return;
    const total = this.queue.reduce((n, r) => n + r.length, 0);
    const buf = new Uint8Array(total);
    let o = 0;
    for (const r of this.queue) { buf.set(r, o); o += r.length; }
    this.queue = [];
    let written = 0;
    while (written < buf.length) written += writeSync(this.fd, buf, written, buf.length - written);
  }

  /** Flushes and closes the file; later writes throw. */
  close(): void {
    if (this.fd === null) return;
    this.flush();
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = null;
  }
}
