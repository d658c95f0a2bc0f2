/**
 * Worker + prefetch bench: a per-sample preprocessing map that costs more than a (simulated)
 * training step. Measures the fraction of the loop's time the trainer waits for the next batch,
 * without (everything in the main thread, no read-ahead) and with worker threads + prefetch.
 * The training step is an `await` of fixed duration: an accelerator-bound step that leaves the
 * CPU free, as on a GPU. Prints Markdown table rows.
 *
 *   npx tsx packages/data/bench/prefetch-workers.ts [--steps 400] [--step-ms 20] [--workers 2] [--ratio 1.25]
 */
import { availableParallelism, loadavg } from 'node:os';
// The same pipeline a DataLoader builds (batch → workers transform + stack → prefetch), written
// with Dataset directly so that this bench runs without @nn/core built.
import { collateHost } from '../src/collate.js';
import { Dataset } from '../src/dataset.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const STEPS = opt('steps', 400);
const STEP_MS = opt('step-ms', 20);
const WORKERS = opt('workers', 2);
/** Preprocessing cost of a batch in training steps (> 1: the map is the bottleneck without workers). */
const RATIO = opt('ratio', 1.25);
const BATCH = 32;

/** Preprocessing: `passes` 3×3 box blurs of a 28×28 image (self-contained: runs in workers). */
function augment(s: { x: Float32Array; y: number }, _i: number, passes: number): { x: Float32Array; y: number } {
  let a = Float32Array.from(s.x);
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

const images = Dataset.fromGenerator(function* () {
  for (let i = 0; i < STEPS * BATCH; i++) yield { x: Float32Array.from({ length: 784 }, (_, k) => ((i * 31 + k) % 255) / 255), y: i % 10 };
}, { length: STEPS * BATCH });

/** Calibrates blur passes so that one batch costs ≈ RATIO training steps of CPU. */
function calibrate(): number {
  const s = { x: new Float32Array(784), y: 0 };
  for (let i = 0; i < 500; i++) augment(s, 0, 1); // let the JIT optimize first
  let passes = 4;
  for (let round = 0; round < 3; round++) {
    const t0 = performance.now();
    for (let i = 0; i < BATCH; i++) augment(s, 0, passes);
    const ms = performance.now() - t0;
    passes = Math.max(1, Math.round((passes * RATIO * STEP_MS) / ms));
  }
  return passes;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function run(loader: AsyncIterable<unknown>): Promise<{ wait: number; total: number; waitNoFirst: number; cores: number }> {
  const it = loader[Symbol.asyncIterator]();
  const c0 = process.cpuUsage(); // includes worker threads: they share the process
  let wait = 0;
  let first = 0;
  const t0 = performance.now();
  for (let step = 0; ; step++) {
    const w0 = performance.now();
    const r = await it.next();
    const w = performance.now() - w0;
    if (r.done) break;
    wait += w;
    if (step === 0) first = w;
    await sleep(STEP_MS); // the training step
  }
  const total = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { wait: wait / total, total, waitNoFirst: (wait - first) / (total - first), cores: (c.user + c.system) / 1000 / total };
}

const passes = calibrate();
let batchMs = Infinity; // best of 3: the cost of one batch of preprocessing, without noise from other processes
for (let k = 0; k < 3; k++) {
  const t0 = performance.now();
  for (let i = 0; i < BATCH; i++) augment({ x: new Float32Array(784), y: 0 }, 0, passes);
  batchMs = Math.min(batchMs, performance.now() - t0);
}

/** Runs in a worker: the transform of every sample of a batch, then stacking (as DataLoader's workers). */
function workerBatch(batch: { x: Float32Array; y: number }[], _i: number, ctx: { augment: string; collate: string; passes: number }) {
  const g = globalThis as unknown as { fns?: [(s: unknown, i: number, p: number) => unknown, (b: unknown[]) => unknown] };
  g.fns ??= [(0, eval)(`(${ctx.augment})`), (0, eval)(`(${ctx.collate})`)];
  const [aug, collate] = g.fns;
  return collate(batch.map((s, i) => aug(s, i, ctx.passes)));
}

const without = await run(images.map((s, i) => augment(s, i, passes)).batch(BATCH).map((b) => collateHost(b)));
const withW = await run(
  images
    .batch(BATCH)
    .parallelMap(workerBatch, { workers: WORKERS, context: { augment: augment.toString(), collate: collateHost.toString(), passes } })
    .prefetch(6),
);

const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
console.log(`<!-- ${availableParallelism()} CPUs (load average ${loadavg()[0]!.toFixed(2)} at the end), ${STEPS} steps of ${STEP_MS} ms, batch ${BATCH}, preprocessing ≈ ${batchMs.toFixed(1)} ms/batch of CPU (${passes} blur passes; target ${RATIO}× the step) -->`);
console.log('| bench | setup | trainer waits (whole run) | trainer waits (after first batch) | wall time | CPU cores busy |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const [name, r] of [['main thread, no prefetch', without], [`${WORKERS} workers, prefetch 6`, withW]] as const)
  console.log(`| prefetch + workers | ${name} | ${pct(r.wait)} | ${pct(r.waitNoFirst)} | ${(r.total / 1000).toFixed(2)} s | ${r.cores.toFixed(2)} |`);
