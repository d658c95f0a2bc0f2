import { WorkerPool } from './worker-pool.js';
import type { DataNode } from '../types.js';

export interface ParallelMapNodeOptions {
  workers: number;
  /** Tasks in flight per worker. */
  perWorker: number;
  ordered: boolean;
  context: unknown;
}

/**
 * Runs `source` (a self-contained function's text) on every element in worker threads. A pool is
 * started per pass and terminated when the pass ends, breaks or fails.
 */
export function parallelMapNode<T, U>(src: DataNode<T>, source: string, opts: ParallelMapNodeOptions): DataNode<U> {
  return {
    length: src.length,
    async *iterate(ctx) {
      const pool = new WorkerPool(source, opts.workers, opts.context);
      const it = src.iterate(ctx)[Symbol.asyncIterator]();
      const capacity = opts.workers * opts.perWorker;
      const inFlight = new Map<number, Promise<U>>();
      const finished: number[] = []; // unordered mode: ids in completion order
      let wake: (() => void) | undefined;
      let read = 0;
      let emitted = 0;
      let srcDone = false;
      try {
        for (;;) {
          while (!srcDone && inFlight.size < capacity) {
            const r = await it.next();
            if (r.done) {
              srcDone = true;
              break;
            }
            const id = read++;
            const p = pool.run(r.value, id) as Promise<U>;
            p.then(
              () => undefined,
              () => undefined,
            ).finally(() => {
              if (opts.ordered) return;
              finished.push(id);
              wake?.();
            });
            inFlight.set(id, p);
          }
          if (inFlight.size === 0) return;
          let id: number;
          if (opts.ordered) {
            id = emitted;
          } else {
            while (finished.length === 0) await new Promise<void>((res) => (wake = res));
            id = finished.shift()!;
          }
          const p = inFlight.get(id)!;
          inFlight.delete(id);
          emitted++;
          yield await p;
        }
      } finally {
        await it.return?.();
        await pool.terminate();
      }
    },
  };
}
