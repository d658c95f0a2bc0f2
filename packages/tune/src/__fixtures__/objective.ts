/** Test fixture: an objective module loaded by worker threads/processes. */
import { appendFileSync } from 'node:fs';
import { threadId } from 'node:worker_threads';
import { uniform, type Trial } from '../index.js';

export async function objective(t: Trial): Promise<number> {
  const x = t.suggest('x', uniform(-5, 5));
  const y = t.suggest('y', uniform(-5, 5));
  if (process.env.NN_TUNE_TEST_LOG) appendFileSync(process.env.NN_TUNE_TEST_LOG, `${t.number} ${process.pid}:${threadId}\n`);
  await new Promise((r) => setTimeout(r, 2));
  return x * x + y * y;
}
