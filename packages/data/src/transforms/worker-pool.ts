import { Worker } from 'node:worker_threads';
import { WorkerTaskError } from '../errors.js';
import { WORKER_SOURCE } from './worker-source.js';

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
  index: number;
}

interface Slot {
  id: number;
  worker: Worker;
  pending: Map<number, Pending>;
  dead: Error | undefined;
}

type WorkerMessage =
  | { type: 'result'; id: number; value: unknown }
  | { type: 'error'; id: number; error: { message: string; stack?: string } }
  | { type: 'init-error'; error: { message: string; stack?: string } };

/**
 * A fixed set of worker threads running one function. Every way a worker can fail — the function
 * throws, the source does not compile, the thread crashes or exits — rejects the affected tasks,
 * so a caller never waits forever.
 */
export class WorkerPool {
  private readonly slots: Slot[] = [];
  private nextTask = 0;
  private closed = false;

  constructor(source: string, size: number, context: unknown) {
    for (let id = 0; id < size; id++) {
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { source, context } });
      const slot: Slot = { id, worker, pending: new Map(), dead: undefined };
      worker.on('message', (m: WorkerMessage) => this.onMessage(slot, m));
      worker.on('error', (e) => this.kill(slot, new WorkerTaskError(id, undefined, `uncaught ${e.name}: ${e.message}`, e.stack)));
      worker.on('exit', (code) => {
        if (!this.closed) this.kill(slot, new WorkerTaskError(id, undefined, `thread exited with code ${code}`));
      });
      this.slots.push(slot);
    }
  }

  /** Runs the function on `value` in the least busy live worker. */
  run(value: unknown, index: number): Promise<unknown> {
    let best: Slot | undefined;
    for (const s of this.slots) if (!s.dead && (!best || s.pending.size < best.pending.size)) best = s;
    if (!best) return Promise.reject(this.slots[0]?.dead ?? new WorkerTaskError(-1, index, 'no live worker'));
    const slot = best;
    const id = this.nextTask++;
    return new Promise((resolve, reject) => {
      slot.pending.set(id, { resolve, reject, index });
      try {
        slot.worker.postMessage({ id, index, value });
      } catch (e) {
        slot.pending.delete(id);
        reject(new WorkerTaskError(slot.id, index, `cannot send element to worker: ${(e as Error).message}`));
      }
    });
  }

  async terminate(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private onMessage(slot: Slot, m: WorkerMessage): void {
    if (m.type === 'init-error') {
      this.kill(slot, new WorkerTaskError(slot.id, undefined, `function failed to load: ${m.error.message}`, m.error.stack));
      return;
    }
    const p = slot.pending.get(m.id);
    if (!p) return;
    slot.pending.delete(m.id);
    if (m.type === 'result') p.resolve(m.value);
    else p.reject(new WorkerTaskError(slot.id, p.index, m.error.message, m.error.stack));
  }

  /** Marks a worker dead and fails all of its tasks; later tasks fail fast too. */
  private kill(slot: Slot, error: WorkerTaskError): void {
    if (slot.dead) return;
    slot.dead = error;
    for (const p of slot.pending.values()) p.reject(new WorkerTaskError(slot.id, p.index, error.message.replace(/^parallelMap: worker \d+ failed: /, '')));
    slot.pending.clear();
    // One dead worker means the function is broken for everyone: fail fast instead of retrying.
    for (const s of this.slots) if (s !== slot && !s.dead) {
      s.dead = error;
      for (const p of s.pending.values()) p.reject(error);
      s.pending.clear();
    }
    void this.terminate();
  }
}
