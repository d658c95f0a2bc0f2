/**
 * Worker + prefetch bench: a per-sample preprocessing map that costs more than a training step.
 * Measures the fraction of the loop's time the trainer waits for the next batch, without (the
 * DataLoader transforms in the main thread, no read-ahead) and with worker threads + prefetch.
 *
 * The data: 28×28 uint8 images held in memory (as Fashion-MNIST after loading). The map: uint8 →
 * float32 in [0, 1], then `passes` 3×3 box blurs, calibrated in CPU time so that one batch costs
 * `--ratio` × the training step. The trainer is a real PyTorch-style @nn/core loop over
 * `new DataLoader(…)`: each step runs forward, cross-entropy, backward and SGD of a 784→10 model on
 * the batch (reference backend, host CPU), then waits for the rest of `--step-ms` — the time an
 * accelerator would spend on the step while the CPU is free. `--step-ms 0`: the step is the CPU
 * step alone (needs ≥ 3 free cores to keep up: the trainer holds one core, the map needs more than one).
 * Prints Markdown table rows, and with `--trace` the wait per window of 50 steps.
 *
 *   npx tsx packages/data/bench/prefetch-workers.ts [--steps 400] [--step-ms 20] [--workers 2] [--prefetch 8] [--ratio 1.25] [--trace]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';
import { nn, optim, type Tensor } from '@nn/core';
import { DataLoader } from '../src/data-loader.js';
import { Dataset } from '../src/dataset.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const STEPS = opt('steps', 400);
const STEP_MS_ARG = opt('step-ms', 20);
const WORKERS = opt('workers', 2);
const PREFETCH = opt('prefetch', 8);
/** Preprocessing cost of a batch in training steps (> 1: the map is the bottleneck without workers). */
const RATIO = opt('ratio', 1.25);
const TRACE = args.includes('--trace');
const BATCH = 32;
const WINDOW = 50;

/** Preprocessing: uint8 → float32 in [0, 1], then `passes` 3×3 box blurs (self-contained: runs in workers). */
function augment(s: { x: Uint8Array; y: number }, _i: number, passes: number): { x: Float32Array; y: number } {
  let a = Float32Array.from(s.x, (v) => v / 255);
  let b = new Float32Array(784);
  for (let p = 0; p < passes; p++) {
    for (let r = 0; r < 28; r++)
      for (let c = 0; c < 28; c++) {
        let acc = 0;
        for (let dr = -1; dr <= 1; dr++)
          for (let dc = -1; dc <= 1; dc++) {
            const rr = Math.min(27, Math.max(0, r + dr));
            const cc = Math.min(27, Math.max(0, c + dc));
            acc += a[rr * 28 + cc]!;
          }
        b[r * 28 + c] = acc / 9;
      }
    const t = a;
    a = b;
    b = t;
  }
  return { x: a, y: s.y };
}

const N = STEPS * BATCH;
const images = Dataset.fromArrays(
  Array.from({ length: N }, (_, i) => Uint8Array.from({ length: 784 }, (_, k) => (i * 31 + k * 7) % 256)),
  Array.from({ length: N }, (_, i) => i % 10),
);

/** CPU time of the whole process in ms (precise; only the main thread works while calibrating). */
const processCpuMs = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};

/**
 * CPU time of this thread in ms from Linux's scheduler statistics (it excludes worker threads and
 * V8's helper threads, but is only updated at scheduler ticks: use it over long intervals), else
 * the process's CPU time.
 */
const threadCpuMs = (() => {
  try {
    readFileSync('/proc/thread-self/schedstat', 'utf8');
    return () => Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6;
  } catch {
    return processCpuMs;
  }
})();

const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1]!;

/** The training step: a real forward/backward/SGD update of a 784→10 classifier on the batch. */
const net = new nn.Linear(784, 10);
const sgd = new optim.SGD(net.parameters(), { lr: 0.01 });
function trainStep(x: Tensor, y: Tensor): number {
  sgd.zeroGrad();
  const loss = nn.functional.crossEntropy(net(x) as Tensor, y);
  loss.backward();
  sgd.step();
  return loss.item();
}

/** Host CPU ms of one training step (median of 15, after warm-up). */
async function measureStep(): Promise<number> {
  const loader = new DataLoader(images.take(25 * BATCH).map((s) => augment(s, 0, 0)), { batchSize: BATCH, prefetch: 0 });
  const ms: number[] = [];
  let k = 0;
  for await (const [x, y] of loader) {
    const c0 = processCpuMs();
    trainStep(x, y!);
    if (k++ >= 10) ms.push(processCpuMs() - c0);
  }
  return median(ms);
}

/** CPU ms of preprocessing one batch with `passes` blurs (median of 5, after warm-up). */
function batchCpuMs(passes: number): number {
  const s = { x: new Uint8Array(784), y: 0 };
  const ms: number[] = [];
  for (let k = 0; k < 5; k++) {
    const c0 = processCpuMs();
    for (let i = 0; i < BATCH; i++) augment(s, i, passes);
    ms.push(processCpuMs() - c0);
  }
  return median(ms);
}

/** Blur passes so that one batch costs ≈ RATIO × the step in CPU time. */
function calibrate(stepMs: number): number {
  for (let i = 0; i < 300; i++) augment({ x: new Uint8Array(784), y: 0 }, 0, 2); // let the JIT optimize first
  let passes = 8;
  for (let round = 0; round < 4; round++) passes = Math.max(1, Math.round((passes * RATIO * stepMs) / Math.max(batchCpuMs(passes), 0.01)));
  return passes;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Time this process's threads spent runnable but waiting for a CPU (Linux schedstat, second field,
 * summed over threads, ms): CPU contention from other processes, as opposed to a pipeline that
 * leaves its workers idle. Sampled during the run because worker threads vanish when a pass ends.
 */
class RunQueueWait {
  private readonly start = new Map<string, number>();
  private readonly last = new Map<string, number>();
  private readonly ok: boolean;
  constructor() {
    this.ok = this.read(this.start);
  }
  private read(into: Map<string, number>): boolean {
    try {
      for (const tid of readdirSync('/proc/self/task')) {
        try {
          into.set(tid, Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[1]) / 1e6);
        } catch {
          // the thread ended between listing and reading
        }
      }
      return true;
    } catch {
      return false;
    }
  }
  sample(): void {
    if (this.ok) this.read(this.last);
  }
  /** ms waited since construction, or NaN where schedstat is unavailable. */
  total(): number {
    if (!this.ok) return NaN;
    let ms = 0;
    for (const [tid, v] of this.last) ms += v - (this.start.get(tid) ?? 0);
    return ms;
  }
}

interface RunResult { wait: number; waitNoFirst: number; total: number; cores: number; runQueue: number; offMainMs: number; windows: string[] }

async function run(loader: DataLoader<unknown>, stepMs: number): Promise<RunResult> {
  const it = loader[Symbol.asyncIterator]();
  const c0 = process.cpuUsage(); // includes worker threads: they share the process
  const m0 = threadCpuMs();
  const rq = new RunQueueWait();
  let wait = 0;
  let first = 0;
  const windows: string[] = [];
  let ww = 0, wt = performance.now(), wc = process.cpuUsage();
  const t0 = performance.now();
  for (let step = 0; ; step++) {
    const w0 = performance.now();
    const r = await it.next();
    const w = performance.now() - w0;
    if (r.done) break;
    if (step % 10 === 0) rq.sample();
    wait += w;
    ww += w;
    if (step === 0) first = w;
    const s0 = performance.now();
    const [x, y] = r.value as [Tensor, Tensor];
    trainStep(x, y);
    // The accelerator's share of the step: the CPU is free meanwhile.
    const rest = stepMs - (performance.now() - s0);
    if (rest > 0) await sleep(rest);
    if (step + 1 === STEPS) rq.sample(); // before the last next(), which ends the pass and its workers
    if ((step + 1) % WINDOW === 0) {
      const now = performance.now(), c = process.cpuUsage(wc);
      windows.push(`${((100 * ww) / (now - wt)).toFixed(0)}% (${((c.user + c.system) / 1000 / (now - wt)).toFixed(2)} cores)`);
      ww = 0; wt = now; wc = process.cpuUsage();
    }
  }
  const total = performance.now() - t0;
  const c = process.cpuUsage(c0);
  const offMainMs = (c.user + c.system) / 1000 - (threadCpuMs() - m0); // worker threads (and V8's helper threads)
  return { offMainMs, wait: wait / total, total, waitNoFirst: (wait - first) / (total - first), cores: (c.user + c.system) / 1000 / total, runQueue: rq.total() / total, windows };
}

/**
 * How much preprocessing the host can run in parallel right now: `threads` workers blur images for
 * `ms`; returns their throughput in "calibrated cores" (1.0 = one thread at the calibration speed).
 * On an idle 2-core machine 2 threads give ≈ 2; other processes (or vCPUs sharing a physical core)
 * give less, and then no pipeline can keep up.
 */
async function probeCores(threads: number, passes: number, imageCpuMs: number, ms = 1500): Promise<number> {
  const src = `const { parentPort, workerData } = require('node:worker_threads');
    const augment = (0, eval)('(' + workerData.fn + ')');
    const s = { x: new Uint8Array(784), y: 0 };
    for (let i = 0; i < 50; i++) augment(s, 0, workerData.passes);
    const t0 = performance.now(); let n = 0;
    while (performance.now() - t0 < workerData.ms) { augment(s, 0, workerData.passes); n++; }
    parentPort.postMessage(n / (performance.now() - t0));`;
  const ws = Array.from({ length: threads }, () => new Worker(`globalThis.__name = (f) => f;\n${src}`, { eval: true, workerData: { fn: augment.toString(), passes, ms } }));
  const rates = await Promise.all(ws.map((w) => new Promise<number>((res, rej) => w.once('message', res).once('error', rej))));
  await Promise.all(ws.map((w) => w.terminate()));
  return rates.reduce((a, b) => a + b, 0) * imageCpuMs;
}

const hostStepMs = await measureStep();
const stepMs = STEP_MS_ARG > 0 ? STEP_MS_ARG : hostStepMs;
const passes = calibrate(stepMs);
const batchMs = batchCpuMs(passes);
const available = await probeCores(WORKERS, passes, batchMs / BATCH);
const transform = augment as (s: unknown, i: number, passes: number) => unknown;

const without = await run(new DataLoader(images, { batchSize: BATCH, shuffle: true, seed: 1, transform, transformContext: passes, prefetch: 0 }), stepMs);
const withW = await run(new DataLoader(images, { batchSize: BATCH, shuffle: true, seed: 1, transform, transformContext: passes, numWorkers: WORKERS, prefetch: PREFETCH }), stepMs);

const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
const need = (batchMs + hostStepMs) / stepMs;
console.log(
  `<!-- ${availableParallelism()} CPUs (load average ${loadavg()[0]!.toFixed(2)} at the end), ${STEPS} steps of ${stepMs.toFixed(1)} ms ` +
    `(a real 784→10 SGD step: ${hostStepMs.toFixed(1)} ms of host CPU${STEP_MS_ARG > 0 ? ', the rest an accelerator wait' : ''}), batch ${BATCH}, ` +
    `preprocessing ≈ ${batchMs.toFixed(1)} ms/batch of CPU (${passes} blur passes; target ${RATIO}× the step); ` +
    `keeping up needs ≈ ${need.toFixed(2)} cores; ${WORKERS} threads got the throughput of ≈ ${available.toFixed(2)} cores just before the runs -->`,
);
console.log('| bench | setup | trainer waits (whole run) | trainer waits (after first batch) | wall time | CPU cores busy | threads waiting for a CPU |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const [name, r] of [['main thread, no prefetch', without], [`${WORKERS} workers, prefetch ${PREFETCH}`, withW]] as const)
  console.log(`| prefetch + workers | ${name} | ${pct(r.wait)} | ${pct(r.waitNoFirst)} | ${(r.total / 1000).toFixed(2)} s | ${r.cores.toFixed(2)} | ${Number.isNaN(r.runQueue) ? 'n/a' : `${r.runQueue.toFixed(2)} cores`} |`);
console.log(`<!-- with workers, CPU off the main thread (workers, V8 helper threads) during the run: ${(withW.offMainMs / STEPS).toFixed(1)} ms/batch (${(withW.offMainMs / STEPS / stepMs).toFixed(2)}× the step; calibrated ${(batchMs / stepMs).toFixed(2)}×) -->`);
// The CPU of this shared VM changes speed (other guests on the host): the map calibrated at the
// start may cost less than a step later. Check the premise in the runs themselves: without workers
// the trainer waits for the whole map, so its wait fraction w gives map / step = w / (1 − w).
const mapWithout = without.waitNoFirst / (1 - without.waitNoFirst);
const mapWith = withW.offMainMs / STEPS / stepMs;
console.log(`<!-- premise (map > step) in these runs: ${mapWithout >= 1 && mapWith >= 1 ? 'held' : 'NOT held'}; the map cost ≈ ${mapWithout.toFixed(2)}× the step without workers (from the trainer's waits), ≈ ${mapWith.toFixed(2)}× with workers (worker CPU per batch) -->`);
if (TRACE) for (const [name, r] of [['without', without], ['with', withW]] as const) console.log(`trace ${name}: wait per ${WINDOW} steps: ${r.windows.join(', ')}`);
