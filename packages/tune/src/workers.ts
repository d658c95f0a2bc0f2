/** Parallel trials in worker threads or child processes that share one SQLite/PostgreSQL study. */
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { InvalidOptionError, TuneError } from './errors.js';
import type { PrunerSpec } from './pruners/pruner.js';
import type { SamplerSpec } from './samplers/sampler.js';
import type { Storage, StudyRecord } from './types.js';
import type { OptimizeOptions, Study } from './study.js';

/**
 * An objective that lives in a module, so worker threads or processes can load it:
 * `{ module: './objective.ts', exportName: 'objective' }`. Relative paths resolve from the current
 * working directory. TypeScript modules are loaded through `tsx` (installed in this repository).
 */
export interface ObjectiveModule {
  /** Path or file URL of the module. */
  module: string | URL;
  /** Name of the exported objective; falls back to the default export. @default 'objective' */
  exportName?: string;
}

/** @internal What a worker needs to rebuild the study. */
export interface WorkerConfig {
  storage: string;
  name: string;
  direction: 'minimize' | 'maximize';
  seed: number;
  sampler: SamplerSpec;
  pruner: PrunerSpec;
  heartbeatInterval: number;
  heartbeatGrace: number;
  module: string;
  exportName: string;
  maxTrials?: number;
  timeout?: number;
}

/** @internal Starts `parallel` workers on a shared storage and waits for all of them. */
export async function runWorkers(
  study: Study,
  storage: Storage,
  record: StudyRecord,
  objective: ObjectiveModule,
  options: OptimizeOptions,
): Promise<void> {
  if (!storage.shared) {
    throw new InvalidOptionError(
      'optimize()',
      'storage',
      storage.url,
      'a shared storage ("sqlite:file.db" or "postgres://…") for a module objective run in worker threads or processes',
    );
  }
  const executor = options.executor ?? 'thread';
  if (executor !== 'thread' && executor !== 'process') throw new InvalidOptionError('optimize()', 'executor', executor, '"thread" or "process"');
  const mod = objective.module instanceof URL ? objective.module.href : objective.module;
  const moduleUrl = /^(file|data):/.test(mod) ? mod : pathToFileURL(isAbsolute(mod) ? mod : resolve(mod)).href;
  let maxTrials = options.maxTrials;
  if (options.trials !== undefined) {
    const cap = (await storage.getTrials(record.id)).length + options.trials;
    maxTrials = maxTrials === undefined ? cap : Math.min(maxTrials, cap);
  }
  const arg = study.storageLocation;
  const cfg: WorkerConfig = {
    storage: typeof arg === 'string' ? arg : storage.url,
    name: study.name,
    direction: study.direction,
    seed: study.seed,
    sampler: study.sampler.spec(),
    pruner: study.pruner.spec(),
    ...study.workerSettings,
    module: moduleUrl,
    exportName: objective.exportName ?? 'objective',
    ...(maxTrials === undefined ? {} : { maxTrials }),
    ...(options.timeout === undefined ? {} : { timeout: options.timeout }),
  };
  const here = import.meta.url;
  const fromSource = here.endsWith('.ts');
  const entry = new URL(fromSource ? './worker-main.ts' : './worker-main.js', here);
  const needsTsx = fromSource || /\.(c|m)?ts$/.test(moduleUrl);
  const execArgv = needsTsx ? ['--import', 'tsx'] : [];
  const n = options.parallel ?? 1;
  const results = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      new Promise<string | null>((done) => {
        if (executor === 'thread') {
          // Node 20 does not apply `--import tsx` to worker threads: register tsx inside the thread.
          const w = needsTsx
            ? new Worker(
                `import(${JSON.stringify(tsxApiUrl())}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); })` +
                  '.catch((e) => { console.error(e); process.exit(1); })',
                { eval: true, workerData: cfg },
              )
            : new Worker(entry, { workerData: cfg });
          let err: string | null = null;
          w.on('error', (e) => (err = `worker thread ${i}: ${e.message}`));
          w.on('exit', (code) => done(err ?? (code === 0 ? null : `worker thread ${i} exited with code ${code}`)));
        } else {
          const p = fork(entry, [], { execArgv, env: { ...process.env, NN_TUNE_WORKER: JSON.stringify(cfg) }, stdio: 'inherit' });
          p.on('error', (e) => done(`worker process ${i}: ${e.message}`));
          p.on('exit', (code, signal) => done(code === 0 ? null : `worker process ${i} (pid ${p.pid}) exited with ${signal ?? `code ${code}`}`));
        }
      }),
    ),
  );
  const failed = results.filter((r): r is string => r !== null);
  if (failed.length > 0) {
    throw new TuneError(`optimize(): ${failed.length} of ${n} workers failed: ${failed.join('; ')}. Finished trials are kept in ${storage.url}.`);
  }
}

/** The ESM URL of tsx's `register()` API, found from this package, or the bare name as a fallback. */
function tsxApiUrl(): string {
  try {
    const cjs = createRequire(import.meta.url).resolve('tsx/esm/api');
    const mjs = cjs.replace(/index\.cjs$/, 'index.mjs');
    return pathToFileURL(existsSync(mjs) ? mjs : cjs).href;
  } catch {
    return 'tsx/esm/api';
  }
}
