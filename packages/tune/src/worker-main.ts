/** Entry of a worker thread or child process started by `optimize(module, { parallel })`. */
import { isMainThread, workerData } from 'node:worker_threads';
import { TuneError } from './errors.js';
import { prunerFromSpec, samplerFromSpec } from './resolve.js';
import { Study } from './study.js';
import type { WorkerConfig } from './workers.js';

async function main(): Promise<void> {
  const cfg = (isMainThread ? JSON.parse(process.env.NN_TUNE_WORKER ?? 'null') : workerData) as WorkerConfig | null;
  if (!cfg) throw new TuneError('worker-main: started without a configuration (NN_TUNE_WORKER)');
  const mod = (await import(cfg.module)) as Record<string, unknown>;
  const objective = mod[cfg.exportName] ?? mod.default;
  if (typeof objective !== 'function') {
    throw new TuneError(`worker: module ${cfg.module} exports no function "${cfg.exportName}" (nor a default export)`);
  }
  const s = new Study({
    name: cfg.name,
    direction: cfg.direction,
    seed: cfg.seed,
    storage: cfg.storage,
    sampler: samplerFromSpec(cfg.sampler),
    pruner: prunerFromSpec(cfg.pruner),
    heartbeatInterval: cfg.heartbeatInterval,
    heartbeatGrace: cfg.heartbeatGrace,
  });
  try {
    await s.optimize(objective as Parameters<Study['optimize']>[0], {
      ...(cfg.maxTrials === undefined ? {} : { maxTrials: cfg.maxTrials }),
      ...(cfg.timeout === undefined ? {} : { timeout: cfg.timeout }),
      ...(cfg.maxTrials === undefined && cfg.timeout === undefined ? { trials: 1 } : {}),
    });
  } finally {
    await s.close();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exit(1); // in a worker thread this ends only the thread
});
