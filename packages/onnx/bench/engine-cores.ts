// Where the CPU time of a compiled training loop goes: the main thread (onnxruntime's kernels run
// there at 1 intra-op thread, plus nn's JS) vs every other thread of the process (V8's garbage
// collector helpers, onnxruntime's pool threads at ≥ 2 threads), and how many minor and major
// garbage collections ran while it was timed. apps/bench's "cores used" column is this ratio of
// CPU to wall time; this tool shows which threads make a cell use more than its intra-op threads.
//
//   engine-cores [--model mlp|cnn|fmnist] [--batch 64] [--threads 1] [--k 1] [--steps 2000] [--idle 0] [--no-spin] [--unroll]
//     --k 1 times `step(x, y)` (one batch per onnxruntime call), --k n times `steps(x, y, n)`;
//     --idle s waits s seconds between the warm-up and the timed steps (apps/bench's interleaved
//     cells sit idle while the other cells run); --no-spin compiles with `spinWait: false` (idle
//     intra-op threads sleep instead of spinning; matters with --threads ≥ 2); --unroll compiles
//     `multiStep: 'unroll'` (k copies of the step in one graph) instead of the default ONNX Loop.
//
//   --model fmnist is the main job's model (Keras door: 784-512 relu-BatchNorm-dropout .2-256
//     relu-dropout .2-10, Adam); --alloc samples the JS heap allocations of the timed loop (V8's
//     sampling heap profiler, collected objects included) and prints the bytes per call and the
//     largest allocation sites: what the minor and major collections above have to clean up.
//
// Run: npx tsx --tsconfig bench/tsconfig.json bench/engine-cores.ts --k 1
//      npx tsx --tsconfig bench/tsconfig.json bench/engine-cores.ts --k 32 --steps 8192
//      npx tsx --tsconfig bench/tsconfig.json bench/engine-cores.ts --model fmnist --k 32 --steps 4096 --alloc
import { readdirSync, readFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { layers, losses, manualSeed, nn, optim, optimizers, Sequential, useBackend, type Module, type Tensor } from '@nn/core';
import { tfjs } from '@nn/backend-tfjs';
import { compileTrainStep } from '../src/train-engine/compile';

const argv = process.argv.slice(2);
const arg = (k: string, d: string) => (argv.includes(k) ? argv[argv.indexOf(k) + 1]! : d);
const model = arg('--model', 'mlp');
const spinWait = !argv.includes('--no-spin');
const alloc = argv.includes('--alloc');
const multiStep = argv.includes('--unroll') ? ('unroll' as const) : ('loop' as const);
const [batch, threads, k, steps, idle] = ['--batch', '--threads', '--k', '--steps', '--idle'].map((f, i) => Number(arg(f, ['64', '1', '1', '2000', '0'][i]!)));
if (model !== 'mlp' && model !== 'cnn' && model !== 'fmnist') throw new Error(`--model: expected mlp, cnn or fmnist, got "${model}"`);
for (const [name, v] of Object.entries({ batch, threads, k, steps })) if (!Number.isInteger(v) || v! < 1) throw new Error(`--${name}: expected a positive integer, got ${v}`);

let minor = 0, major = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind;
    if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) major++;
    else if (kind === constants.NODE_PERFORMANCE_GC_MINOR) minor++;
  }
}).observe({ entryTypes: ['gc'] });

/** CPU ticks (user + system, 1/100 s) of each thread of this process, by thread id. */
function threadTicks(): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    out.set(tid, Number(f[11]) + Number(f[12]));
  }
  return out;
}

await useBackend(tfjs({ engine: 'wasm' }));
manualSeed(0);
const common = { inputShape: model === 'cnn' ? [1, 28, 28] : [784], batchSize: batch, device: 'cpu' as const, threads, spinWait, multiStep };
let engine: Awaited<ReturnType<typeof compileTrainStep>>;
if (model === 'fmnist') {
  // apps/fashion-mnist's model (src/models.ts), as bench/randomness.ts builds it.
  const m = new Sequential([
    layers.Dense(512, { activation: 'relu', inputShape: [784] }), layers.BatchNormalization(), layers.Dropout(0.2),
    layers.Dense(256, { activation: 'relu' }), layers.Dropout(0.2), layers.Dense(10),
  ]);
  m.compile({ optimizer: optimizers.Adam({ learningRate: 1e-3 }), loss: losses.SparseCategoricalCrossentropy({ fromLogits: true }) });
  engine = await compileTrainStep(m, common);
} else {
  const net: Module =
    model === 'cnn'
      ? new nn.Sequential(new nn.Conv2d(1, 16, 3), new nn.ReLU(), new nn.MaxPool2d(2), new nn.Conv2d(16, 32, 3), new nn.ReLU(), new nn.MaxPool2d(2), new nn.Flatten(), new nn.Linear(800, 10))
      : new nn.Sequential(new nn.Linear(784, 256), new nn.ReLU(), new nn.Linear(256, 128), new nn.ReLU(), new nn.Linear(128, 10));
  engine = await compileTrainStep(net, {
    ...common,
    optimizer: new optim.Adam(net.parameters(), { lr: 1e-3 }),
    loss: (y: Tensor, p: Tensor) => nn.functional.crossEntropy(p, y),
  });
}
const x = Float32Array.from({ length: k * batch * 784 }, () => Math.random());
const y = Int32Array.from({ length: k * batch }, () => Math.floor(Math.random() * 10));
const calls = Math.max(1, Math.round(steps / k));
const run = async (n: number) => {
  for (let i = 0; i < n; i++) await (k === 1 ? engine.step(x, y) : engine.steps(x, y, k));
};
await run(Math.max(2, Math.round(200 / k)));
if (idle > 0) await new Promise((r) => setTimeout(r, idle * 1000));
let inspector: Session | undefined;
if (alloc) {
  inspector = new Session();
  inspector.connect();
  // Every 1 KiB allocated, on average; objects already collected stay in the profile.
  await inspector.post('HeapProfiler.startSampling', { samplingInterval: 1024, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
}
minor = major = 0;
const t0 = threadTicks(), c0 = process.cpuUsage(), w0 = performance.now();
await run(calls);
const wall = performance.now() - w0, c = process.cpuUsage(c0), t1 = threadTicks();
let sites: [string, number][] = [];
if (inspector) {
  interface Node { callFrame: { functionName: string; url: string; lineNumber: number }; selfSize: number; children: Node[] }
  const { profile } = (await inspector.post('HeapProfiler.stopSampling')) as unknown as { profile: { head: Node } };
  const bySite = new Map<string, number>();
  const walk = (n: Node, up: string[]) => {
    const f = n.callFrame;
    const path = [...up, `${f.functionName || '(anonymous)'} ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`];
    const site = path.slice(-3).reverse().join(' ← ');
    if (n.selfSize) bySite.set(site, (bySite.get(site) ?? 0) + n.selfSize);
    for (const ch of n.children) walk(ch, path);
  };
  walk(profile.head, []);
  sites = [...bySite].sort((p, q) => q[1] - p[1]);
}
await new Promise((r) => setImmediate(r)); // let the last gc entries arrive
const n = calls * k, cpu = (c.user + c.system) / 1000;
const main = String(process.pid);
let other = 0;
for (const [tid, v] of t1) if (tid !== main) other += v - (t0.get(tid) ?? 0);
const mainTicks = (t1.get(main) ?? 0) - (t0.get(main) ?? 0);
console.log(`${model} b${batch}, ${threads} intra-op thread(s)${spinWait ? '' : ' (not spinning)'}, ${k === 1 ? 'step()' : `steps(x, y, ${k})`}, ${n} steps${idle ? ` after ${idle} s idle` : ''}:`);
console.log(`  ${(wall / n).toFixed(3)} ms/step wall, ${(cpu / n).toFixed(3)} CPU-ms/step, ${(cpu / wall).toFixed(2)} cores used`);
console.log(`  main thread ${((mainTicks * 10) / wall).toFixed(2)} cores, all other threads ${((other * 10) / wall).toFixed(2)} cores`);
console.log(`  garbage collections while timed: ${minor} minor, ${major} major`);
if (alloc) {
  const total = sites.reduce((p, [, b]) => p + b, 0);
  console.log(`  JS heap allocated (sampled): ${(total / calls / 1024).toFixed(1)} KiB per call; largest sites (KiB per call, innermost frame first):`);
  for (const [site, b] of sites.slice(0, 8)) console.log(`    ${(b / calls / 1024).toFixed(1).padStart(7)}  ${site}`);
}
await engine.dispose();
