import { open } from 'node:fs/promises';
import { addEpoch, parseLogLine } from '../log-dir.js';
import type { HistoryLike } from '../types.js';

/** Bytes read (and parsed) per step (256 KiB): the longest the event loop is held by one run's file. */
const CHUNK = 1 << 18;

/**
 * A run's metrics.jsonl read incrementally: each {@link update} reads only the bytes appended
 * since the last one, in 256 KiB asynchronous reads, so a 50 MB file never holds the server's event
 * loop for more than one chunk's parse, and a growing file costs only its new lines. A file that
 * shrank or was replaced (other inode) is read again from the start.
 *
 * Same semantics as `readRun`: an unterminated last line is left for the next update; the first
 * malformed line stops the reading and is reported in {@link error}.
 */
export class RunTail {
  history: HistoryLike = { history: {}, epoch: [] };
  finished = false;
  error: string | undefined;
  private offset = 0;
  private ino = -1;
  private lineNo = 0;
  private partial = '';
  private decoder = new TextDecoder();
  private queue: Promise<void> = Promise.resolve();

  constructor(readonly file: string) {}

  /** Reads what was appended since the last call (calls are serialised). */
  update(): Promise<void> {
    const next = this.queue.then(() => this.read());
    this.queue = next.catch(() => undefined);
    return next;
  }

  private reset(ino: number): void {
    this.history = { history: {}, epoch: [] };
    this.finished = false;
    this.error = undefined;
    this.offset = 0;
    this.ino = ino;
    this.lineNo = 0;
    this.partial = '';
    this.decoder = new TextDecoder();
  }

  private async read(): Promise<void> {
    const fh = await open(this.file, 'r');
    try {
      const st = await fh.stat();
      if (st.ino !== this.ino || st.size < this.offset) this.reset(st.ino);
      if (this.error !== undefined) return; // lines after the first bad one are ignored
      const buf = Buffer.alloc(Math.min(CHUNK, Math.max(1, st.size - this.offset)));
      while (this.offset < st.size) {
        const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, st.size - this.offset), this.offset);
        if (bytesRead === 0) break;
        this.offset += bytesRead;
        const text = this.partial + this.decoder.decode(buf.subarray(0, bytesRead), { stream: true });
        const lines = text.split('\n');
        this.partial = lines.pop()!; // unterminated: wait for the rest
        for (const line of lines) {
          this.lineNo++;
          try {
            const l = parseLogLine(line, this.file, this.lineNo);
            if (l?.type === 'epoch') addEpoch(this.history, l.epoch, l.logs);
            else if (l?.type === 'end') this.finished = true;
          } catch (e) {
            this.error = (e as Error).message;
            return;
          }
        }
      }
    } finally {
      await fh.close();
    }
  }
}
