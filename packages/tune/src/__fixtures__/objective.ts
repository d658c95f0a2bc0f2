/** Test fixture: an objective module loaded by worker threads/processes. */
import { appendFileSync, readFileSync } from 'node:fs';
import { threadId } from 'node:worker_threads';
import { uniform, type Trial } from '../index.js';

export async function objective(t: Trial): Promise<number> {
  const x = t.suggest('x', uniform(-5, 5));
  const y = t.suggest('y', uniform(-5, 5));
  const log = process.env.NN_TUNE_TEST_LOG;
  if (log) {
    appendFileSync(log, `${t.number} ${process.pid}:${threadId}\n`);
    // A barrier, so the test can assert both workers ran trials whatever their start-up lag: wait (up to 30 s)
    // until the log names a second worker. On a loaded 2-core machine one worker could otherwise finish every
    // trial before the other has loaded.
    const t0 = Date.now();
    while (Date.now() - t0 < 30_000 && new Set(readFileSync(log, 'utf8').trim().split('\n').map((l) => l.split(' ')[1])).size < 2)
      await new Promise((r) => setTimeout(r, 10));
  }
  await new Promise((r) => setTimeout(r, 2));
  return x * x + y * y;
}
