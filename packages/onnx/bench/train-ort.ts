// FMNIST-MLP (784-256-128-10, ReLU, cross-entropy) TRAINING throughput at batch 64 and 256:
// - the ort engine (compileTrainStep: one ONNX graph per step in onnxruntime-node, CPU here), one
//   batch per call and the engine default per call (autoStepsPerCall: 32 here; an ONNX Loop, as fitOrt and ortEngine() run it),
// - core `model.fit(x, y, { engine: ortEngine() })` (the user-facing path: fit's batching, shuffling
//   and bookkeeping on top of the engine),
// - nn eager training on tfjs-wasm (the default tfjs engine on this machine: no tfjs-node; single-
//   threaded in Node),
// - PyTorch (when /usr/bin/python3 has torch), with the BLAS it loads named, its optimizer both
//   batched (foreach=True) and in its default per-parameter loop,
// for each onnxruntime / PyTorch thread count asked (tfjs-wasm has one). Same model, optimizer and
// synthetic data for all. Each cell is timed in blocks of steps and reports the median block as
// samples per wall-clock second and as samples per CPU-second of the process (user + system, all
// threads), plus the best block's CPU rate: on a shared, loaded machine the CPU rates are the steadier
// measure of the work each engine needs.
//
// Output: readable lines, then ONE JSON line (the last line of stdout) with every cell — the format
// apps/bench's ort-train entry parses (see TrainOrtReport below).
//
// Run: npx tsx --tsconfig bench/tsconfig.json bench/train-ort.ts [--quick] [--threads 1,2] [--opt adam|sgd] [--only ort]
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { getBackend, manualSeed, nn, optim, scope, tensor, useBackend, type Callback, type Optimizer, type Tensor } from '@nn/core';
import { compileTrainStep } from '../src/train-engine/compile';
import { autoStepsPerCall, ortEngine } from '../src/train-engine/engine';

const argv = process.argv.slice(2);
const arg = (k: string, d: string) => (argv.includes(k) ? argv[argv.indexOf(k) + 1]! : d);
const quick = argv.includes('--quick');
const threadList = arg('--threads', '1,2').split(',').map(Number);
if (threadList.some((t) => !Number.isInteger(t) || t < 1)) throw new Error(`--threads: positive integers separated by commas, got "${arg('--threads', '')}"`);
const optName = arg('--opt', 'adam');
const SECONDS = quick ? 0.5 : 4;
const only = arg('--only', '');
const N = 16384;

/** One measured cell. `engine`: ort (compiled step), ort-fit (core fit + ortEngine), tfjs-wasm, torch. */
export interface TrainOrtCell {
  batch: number;
  engine: 'ort' | 'ort-fit' | 'tfjs-wasm' | 'torch';
  threads: number;
  /** Batches per engine call (ort only; 1 otherwise). */
  perCall: number;
  /** PyTorch only: the optimizer's `foreach` (batched) implementation, or its default per-parameter loop. */
  variant?: 'foreach' | 'loop';
  /** Median samples per wall second over the blocks (absent when skipped). */
  wall?: number;
  /** Median samples per CPU-second of the process. */
  cpu?: number;
  /** Best block's samples per CPU-second. */
  bestCpu?: number;
  /** Device, graph size, library versions … */
  note?: string;
  /** Why the cell was not measured. */
  skipped?: string;
}
/** The last line of stdout. */
export interface TrainOrtReport {
  model: string;
  optimizer: string;
  secondsPerCell: number;
  samples: number;
  load: { start: number[]; end: number[] };
  cells: TrainOrtCell[];
}

const makeModel = () => {
  manualSeed(0);
  return new nn.Sequential(new nn.Linear(784, 256), new nn.ReLU(), new nn.Linear(256, 128), new nn.ReLU(), new nn.Linear(128, 10));
};
const makeOpt = (m: nn.Module): Optimizer => (optName === 'sgd' ? new optim.SGD(m.parameters(), { lr: 0.01, momentum: 0.9 }) : new optim.Adam(m.parameters(), { lr: 1e-3 }));
const loss = (y: Tensor, p: Tensor) => nn.functional.crossEntropy(p, y);

manualSeed(1);
const X = new Float32Array(N * 784).map(() => Math.random());
const Y = Int32Array.from({ length: N }, () => Math.floor(Math.random() * 10));
const slice = (b: number, i: number) => {
  const k = (i * b) % (N - b);
  return { x: X.subarray(k * 784, (k + b) * 784), y: Y.subarray(k, k + b) };
};

interface Rate {
  wall: number;
  cpu: number;
  bestCpu: number;
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
/** Run `step(i)` (which trains `perCall` batches) in blocks for about SECONDS after a warm-up. */
async function rate(batch: number, step: (i: number) => Promise<unknown> | unknown, perCall = 1): Promise<Rate> {
  for (let i = 0; i < 10; i++) await step(i);
  const walls: number[] = [], cpus: number[] = [];
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < SECONDS * 1000) {
    const c0 = process.cpuUsage(), w0 = performance.now();
    let m = 0;
    while (performance.now() - w0 < 100) (await step(n++), m++);
    const c = process.cpuUsage(c0);
    walls.push((m * perCall * batch) / ((performance.now() - w0) / 1000));
    cpus.push((m * perCall * batch) / ((c.user + c.system) / 1e6));
  }
  return { wall: median(walls), cpu: median(cpus), bestCpu: Math.max(...cpus) };
}

async function ort(batch: number, threads: number, k: number): Promise<Rate & { note: string }> {
  const m = makeModel();
  const e = await compileTrainStep(m, { optimizer: makeOpt(m), loss, inputShape: [784], device: 'auto', threads });
  const r = await rate(batch, (i) => {
    if (k === 1) {
      const { x, y } = slice(batch, i);
      return e.step(x, y);
    }
    const { x, y } = slice(batch * k, i);
    return e.steps(x, y, k);
  }, k);
  const info = Object.values(e.graphInfo)[0]!;
  await e.dispose();
  return { ...r, note: `${info.device}, ${info.nodes} nodes, ${info.scalars} per-step scalars` };
}

/** core `fit` with `engine: ortEngine()`: epochs over N samples; the first epoch (compile, eager first step) is not timed. */
async function ortFit(batch: number, threads: number, estimate: number): Promise<Rate & { note: string }> {
  const m = makeModel();
  m.compile({ optimizer: makeOpt(m), loss: 'crossentropy' });
  const x = tensor(X, [N, 784]), y = tensor(Y, [N], { dtype: 'int32' });
  const walls: number[] = [], cpus: number[] = [];
  let w0 = 0, c0 = process.cpuUsage();
  const timer: Callback = {
    onEpochBegin: () => {
      w0 = performance.now();
      c0 = process.cpuUsage();
    },
    onEpochEnd: (epoch) => {
      const c = process.cpuUsage(c0);
      if (epoch === 0) return;
      walls.push(N / ((performance.now() - w0) / 1000));
      cpus.push(N / ((c.user + c.system) / 1e6));
    },
  };
  const epochs = 1 + Math.max(3, Math.ceil((SECONDS * estimate) / N));
  await m.fit(x, y, { epochs, batchSize: batch, verbose: 0, callbacks: [timer], engine: ortEngine({ device: 'auto', threads }) });
  x.dispose();
  y.dispose();
  return { wall: median(walls), cpu: median(cpus), bestCpu: Math.max(...cpus), note: `${epochs - 1} timed epochs of ${N} samples, shuffled, ${autoStepsPerCall(batch)} batches per call` };
}

async function tfjsWasm(batch: number): Promise<Rate | string> {
  const prev = getBackend();
  try {
    const { tfjs } = await import('@nn/backend-tfjs');
    await useBackend(tfjs({ engine: 'wasm' }));
    const m = makeModel();
    const o = makeOpt(m);
    return await rate(batch, (i) => {
      const { x, y } = slice(batch, i);
      return scope(() => {
        const l = loss(tensor(y, [batch], { dtype: 'int32' }), m(tensor(x, [batch, 784])) as Tensor);
        o.zeroGrad();
        l.backward();
        o.step();
        return l.item();
      });
    });
  } catch (e) {
    return `skipped: ${(e as Error).message.split('\n')[0]}`;
  } finally {
    await useBackend(prev);
  }
}

/**
 * PyTorch's environment: ours with OMP_WAIT_POLICY=PASSIVE (idle OpenMP threads sleep) and
 * OPENBLAS_CORETYPE = the kernel apps/bench's peerBlas probe found fastest (handed down as JSON in
 * NN_BENCH_PEER_BLAS, apps/bench/src/python.ts); run alone, OPENBLAS_CORETYPE removed (OpenBLAS's
 * own detection).
 */
function peerEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' };
  const handed = process.env.NN_BENCH_PEER_BLAS;
  const c: unknown = handed ? (JSON.parse(handed) as { coretype?: unknown }).coretype : '';
  if (typeof c !== 'string') throw new Error(`NN_BENCH_PEER_BLAS: expected {"coretype": string, ...}, got ${handed}`);
  if (c) env.OPENBLAS_CORETYPE = c;
  else delete env.OPENBLAS_CORETYPE;
  return env;
}

/**
 * PyTorch's optimizer runs per parameter (a Python loop of tensor ops) by default on CPU;
 * `foreach=True` batches the update over all parameters — 6× faster for Adam with this torch 1.13
 * build (measured: 8.5k vs 52k samples/s at batch 64, one thread). Both are measured; "at its best"
 * takes the faster.
 */
function torch(batch: number, threads: number, foreach: boolean): (Rate & { note: string }) | string {
  const fe = foreach ? 'True' : 'False';
  const script = `
import json, time, torch
torch.manual_seed(0)
torch.set_num_threads(${threads})
flush = torch.set_flush_denormal(True)  # at its best: Adam's moments of zero-gradient weights stick in the subnormals otherwise
b = ${batch}
m = torch.nn.Sequential(torch.nn.Linear(784,256), torch.nn.ReLU(), torch.nn.Linear(256,128), torch.nn.ReLU(), torch.nn.Linear(128,10))
opt = ${optName === 'sgd' ? `torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9, foreach=${fe})` : `torch.optim.Adam(m.parameters(), lr=1e-3, foreach=${fe})`}
X = torch.rand(${N}, 784); Y = torch.randint(0, 10, (${N},))
lossf = torch.nn.CrossEntropyLoss()
def step(i):
    k = (i * b) % (${N} - b)
    opt.zero_grad(); l = lossf(m(X[k:k+b]), Y[k:k+b]); l.backward(); opt.step(); return l.item()
for i in range(10): step(i)
walls, cpus = [], []; n = 0; t0 = time.perf_counter()
while time.perf_counter() - t0 < ${SECONDS}:
    w0 = time.perf_counter(); c0 = time.process_time(); cnt = 0
    while time.perf_counter() - w0 < 0.1: step(n); n += 1; cnt += 1
    walls.append(cnt * b / (time.perf_counter() - w0)); cpus.append(cnt * b / (time.process_time() - c0))
libs = sorted(set(l.split()[-1].split('/')[-2] + '/' + l.split()[-1].split('/')[-1] for l in open('/proc/self/maps') if 'blas' in l.lower() or 'mkl' in l.lower()))
print(json.dumps({'wall': sorted(walls)[len(walls) // 2], 'cpu': sorted(cpus)[len(cpus) // 2], 'bestCpu': max(cpus),
  'note': 'torch ' + torch.__version__ + ', ' + str(torch.get_num_threads()) + ' thread(s), optimizer foreach=${fe}, flush denormals ' + str(flush) + ', BLAS loaded: ' + (', '.join(libs) or 'none found')}))
`;
  try {
    // Debian's pthreads OpenBLAS ignores torch.set_num_threads: size its pool to the cell's threads.
    const env = { ...peerEnv(), OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads) };
    const out = execFileSync('/usr/bin/python3', ['-c', script], { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'] });
    return JSON.parse(out.trim().split('\n').pop()!) as Rate & { note: string };
  } catch (e) {
    return `skipped: ${((e as { stderr?: string }).stderr ?? (e as Error).message).trim().split('\n').slice(-1)[0]}`;
  }
}

const n0 = (v: number) => Math.round(v).toLocaleString('en-US');
const cellText = (r: Rate | string) => (typeof r === 'string' ? r : `${n0(r.wall)}/s wall, ${n0(r.cpu)}/CPU-s (best block ${n0(r.bestCpu)}/CPU-s)`);
const cells: TrainOrtCell[] = [];
const record = (batch: number, engine: TrainOrtCell['engine'], threads: number, perCall: number, r: (Rate & { note?: string }) | string, label: string, variant?: TrainOrtCell['variant']) => {
  const id = { batch, engine, threads, perCall, ...(variant ? { variant } : {}) };
  cells.push(typeof r === 'string' ? { ...id, skipped: r.replace(/^skipped: /, '') } : { ...id, wall: r.wall, cpu: r.cpu, bestCpu: r.bestCpu, ...(r.note ? { note: r.note } : {}) });
  console.log(`  ${label.padEnd(34)} ${cellText(r)}${typeof r !== 'string' && r.note ? `   (${r.note})` : ''}`);
};

const loadStart = loadavg();
console.log(`FMNIST-MLP 784-256-128-10 training, ${optName === 'sgd' ? 'SGD momentum 0.9' : 'Adam'}; onnxruntime and PyTorch with ${threadList.join(' and ')} thread(s); ${SECONDS}s per cell${quick ? ' (quick)' : ''}`);
console.log(`load average at start: ${loadStart.map((v) => v.toFixed(1)).join(' ')}`);
for (const batch of [64, 256]) {
  console.log(`batch ${batch}:`);
  record(batch, 'tfjs-wasm', 1, 1, only === 'ort' ? 'skipped: --only ort' : await tfjsWasm(batch), 'nn eager, tfjs-wasm (1 thread)');
  for (const threads of threadList) {
    record(batch, 'ort', threads, 1, await ort(batch, threads, 1), `ort, ${threads} thr, 1 batch/call`);
    // The engine's default batches per call (what ortEngine() and fitOrt use).
    const k = autoStepsPerCall(batch);
    const ok = await ort(batch, threads, k);
    record(batch, 'ort', threads, k, ok, `ort, ${threads} thr, ${k} batches/call`);
    record(batch, 'ort-fit', threads, k, await ortFit(batch, threads, ok.wall), `model.fit + ortEngine(), ${threads} thr`);
    for (const foreach of [true, false]) {
      record(batch, 'torch', threads, 1, only === 'ort' ? 'skipped: --only ort' : torch(batch, threads, foreach), `PyTorch, ${threads} thr, ${foreach ? 'foreach' : 'loop'}`, foreach ? 'foreach' : 'loop');
    }
  }
}
const report: TrainOrtReport = { model: '784-256-128-10', optimizer: optName, secondsPerCell: SECONDS, samples: N, load: { start: loadStart, end: loadavg() }, cells };
console.log(JSON.stringify(report));
