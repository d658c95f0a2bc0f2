import { describe, expect, it } from 'vitest';
import { Dataset } from '../dataset.js';
import { WorkerTaskError } from '../errors.js';

const range = (n: number) => Dataset.fromItems(Array.from({ length: n }, (_, i) => i));

describe('parallelMap', () => {
  it('maps in worker threads, in order, with a context value; typed arrays survive', async () => {
    const ds = range(40).parallelMap((v: number, i: number, k: number) => ({ x: Float32Array.from([v * k]), i }), { workers: 2, context: 3 });
    const out = await ds.toArray();
    expect(out.map((o) => o.x[0])).toEqual(Array.from({ length: 40 }, (_, i) => i * 3));
    expect(out.map((o) => o.i)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(out[0]!.x).toBeInstanceOf(Float32Array);
    expect(ds.length).toBe(40);
    expect(await ds.toArray()).toEqual(out); // a second pass starts a new pool
  });

  it('runs in other threads (not the main one)', async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const ids = await range(8).parallelMap(() => require('node:worker_threads').threadId as number, { workers: 2 }).toArray();
    const { threadId } = await import('node:worker_threads');
    expect(ids.every((t) => t !== threadId)).toBe(true);
  });

  it('unordered mode yields every result once', async () => {
    const out = await range(30).parallelMap((v: number) => v * 2, { workers: 2, ordered: false }).toArray();
    expect([...out].sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i * 2));
  });

  it('an exception in a worker reaches the caller as WorkerTaskError naming the element', async () => {
    const ds = range(20).parallelMap((v: number) => {
      if (v === 13) throw new RangeError('bad pixel');
      return v;
    }, { workers: 2 });
    const err = await ds.toArray().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkerTaskError);
    expect((err as WorkerTaskError).index).toBe(13);
    expect((err as Error).message).toMatch(/^parallelMap: worker \d on element 13 failed: RangeError: bad pixel$/);
    expect((err as WorkerTaskError).workerStack).toContain('bad pixel');
  });

  it('a worker that dies rejects instead of hanging', async () => {
    const ds = range(10).parallelMap((v: number) => {
      if (v === 4) process.exit(3);
      return v;
    }, { workers: 2 });
    await expect(ds.toArray()).rejects.toThrow(/exited with code 3/);
  });

  it('a function that uses an outer variable fails clearly in the worker', async () => {
    const outer = 5;
    const ds = range(3).parallelMap((v: number) => v + outer, { workers: 1 });
    await expect(ds.toArray()).rejects.toThrow(/ReferenceError: outer is not defined/);
  });

  it('breaking out early terminates the workers', async () => {
    const got: number[] = [];
    for await (const v of range(1000).parallelMap((v: number) => v, { workers: 2 })) {
      got.push(v);
      if (got.length === 5) break;
    }
    expect(got).toEqual([0, 1, 2, 3, 4]);
  });
});
