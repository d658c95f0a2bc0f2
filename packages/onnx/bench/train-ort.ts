// FMNIST-MLP (784-256-128-10, ReLU, cross-entropy) TRAINING throughput at batch 64 and 256:
// - the ort engine (compileTrainStep: one ONNX graph per step in onnxruntime-node, CPU here),
// - nn eager training on tfjs-wasm (the best JS engine on this machine; single-threaded in Node),
// - PyTorch (when /usr/bin/python3 has torch), with the BLAS it loads named.
// Same model, optimizer and synthetic data for all. Each cell is timed in blocks of steps and reports
// the median block as samples per wall-clock second and as samples per CPU-second of the process
// (user + system, all threads), plus the best block's CPU rate: on a shared, loaded machine the CPU
// rates are the steadier measure of the work each engine needs.
//
// Run: npx tsx --tsconfig bench/tsconfig.json bench/train-ort.ts [--quick] [--threads N] [--opt adam|sgd]
import { execFileSync } from 'node:child_process';
import { getBackend, manualSeed, nn, optim, scope, tensor, useBackend, type Optimizer, type Tensor } from '@nn/core';
import { compileTrainStep } from '../src/train-engine/compile';

const argv = process.argv.slice(2);
const arg = (k: string, d: string) => (argv.includes(k) ? argv[argv.indexOf(k) + 1]! : d);
const quick = argv.includes('--quick');
const threads = Number(arg('--threads', '1'));
const optName = arg('--opt', 'adam');
const SECONDS = quick ? 0.5 : 4;
const only = arg("--only", "");
const N = 4096;

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

async function ort(batch: number, k = 1): Promise<Rate & { note: string }> {
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
  return { ...r, note: `${info.device}, ${info.nodes} nodes, probe ${info.probe}` };
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

function torch(batch: number): (Rate & { note: string }) | string {
  const script = `
import time, torch
torch.manual_seed(0)
torch.set_num_threads(${threads})
b = ${batch}
m = torch.nn.Sequential(torch.nn.Linear(784,256), torch.nn.ReLU(), torch.nn.Linear(256,128), torch.nn.ReLU(), torch.nn.Linear(128,10))
opt = ${optName === 'sgd' ? 'torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9)' : 'torch.optim.Adam(m.parameters(), lr=1e-3)'}
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
libs = sorted(set(l.split()[-1] for l in open('/proc/self/maps') if 'blas' in l.lower() or 'mkl' in l.lower()))
print(sorted(walls)[len(walls) // 2]); print(sorted(cpus)[len(cpus) // 2]); print(max(cpus)); print('torch ' + torch.__version__ + ', ' + str(torch.get_num_threads()) + ' thread(s), BLAS loaded: ' + (', '.join(libs) or 'none found'))
`;
  try {
    const out = execFileSync('/usr/bin/python3', ['-c', script], { encoding: 'utf8', env: { ...process.env, OPENBLAS_CORETYPE: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const [w, c, best, note] = out.trim().split('\n');
    return { wall: Number(w), cpu: Number(c), bestCpu: Number(best), note: note ?? '' };
  } catch (e) {
    return `skipped: ${((e as { stderr?: string }).stderr ?? (e as Error).message).trim().split('\n').slice(-1)[0]}`;
  }
}

const n0 = (v: number) => Math.round(v).toLocaleString('en-US');
const cell = (r: Rate | string) => (typeof r === 'string' ? r : `${n0(r.wall)}/s wall, ${n0(r.cpu)}/CPU-s (best block ${n0(r.bestCpu)}/CPU-s)`);
console.log(`FMNIST-MLP 784-256-128-10 training, ${optName === 'sgd' ? 'SGD momentum 0.9' : 'Adam'}; onnxruntime and PyTorch with ${threads} thread(s); ${SECONDS}s per cell${quick ? ' (quick)' : ''}`);
console.log(`load average at start: ${(await import('node:os')).loadavg().map((v) => v.toFixed(1)).join(' ')}`);
for (const batch of [64, 256]) {
  const o = await ort(batch);
  const o8 = await ort(batch, 8);
  const w = only === 'ort' ? 'not run' : await tfjsWasm(batch);
  const t = torch(batch);
  console.log(`batch ${batch}:`);
  console.log(`  ort engine      ${cell(o)}   (${o.note})`);
  console.log(`  ort, 8 steps/call ${cell(o8)}`);
  console.log(`  tfjs-wasm eager ${cell(w)}`);
  console.log(`  PyTorch         ${cell(t)}${typeof t === 'string' ? '' : `   (${t.note})`}`);
  const ratio = (a: Rate, b: Rate | string) => (typeof b === 'string' ? 'n/a' : `×${(a.wall / b.wall).toFixed(2)} wall, ×${(a.cpu / b.cpu).toFixed(2)} per CPU-s`);
  console.log(`  ort / tfjs-wasm ${ratio(o, w)} (target ≥ 4);  ort / PyTorch ${ratio(o, t)} (target ≥ 1)`);
  console.log(`  ort 8/call / tfjs-wasm ${ratio(o8, w)};  ort 8/call / PyTorch ${ratio(o8, t)}`);
}
