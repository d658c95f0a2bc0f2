// FMNIST-MLP (784-256-128-10, ReLU, cross-entropy) TRAINING throughput at batch 64 and 256:
// - the ort engine (compileTrainStep: one ONNX graph per step in onnxruntime-node, CPU here),
// - nn eager training on tfjs-wasm (the best JS engine on this machine; single-threaded in Node),
// - PyTorch (when /usr/bin/python3 has torch), with the BLAS it loads named.
// Same model, optimizer and synthetic data for all. Each cell reports samples per wall-clock second
// and samples per CPU-second of the process (user + system, all threads): on a shared machine the
// second is the steadier measure of the work each engine needs.
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
}
/** Run `step(i)` for about SECONDS after a warm-up; samples per wall second and per CPU second. */
async function rate(batch: number, step: (i: number) => Promise<unknown> | unknown): Promise<Rate> {
  for (let i = 0; i < 10; i++) await step(i);
  let n = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  while (performance.now() - t0 < SECONDS * 1000) await step(n++);
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return { wall: (n * batch) / wall, cpu: (n * batch) / ((c.user + c.system) / 1e6) };
}

async function ort(batch: number): Promise<Rate & { note: string }> {
  const m = makeModel();
  const e = await compileTrainStep(m, { optimizer: makeOpt(m), loss, inputShape: [784], device: 'auto', threads });
  const r = await rate(batch, (i) => {
    const { x, y } = slice(batch, i);
    return e.step(x, y);
  });
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
n = 0; t0 = time.perf_counter(); c0 = time.process_time()
while time.perf_counter() - t0 < ${SECONDS}: step(n); n += 1
wall = time.perf_counter() - t0; cpu = time.process_time() - c0
libs = sorted(set(l.split()[-1] for l in open('/proc/self/maps') if 'blas' in l.lower() or 'mkl' in l.lower()))
print(n * b / wall); print(n * b / cpu); print('torch ' + torch.__version__ + ', ' + str(torch.get_num_threads()) + ' thread(s), BLAS loaded: ' + (', '.join(libs) or 'none found'))
`;
  try {
    const out = execFileSync('/usr/bin/python3', ['-c', script], { encoding: 'utf8', env: { ...process.env, OPENBLAS_CORETYPE: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const [w, c, note] = out.trim().split('\n');
    return { wall: Number(w), cpu: Number(c), note: note ?? '' };
  } catch (e) {
    return `skipped: ${(e as Error).message.split('\n')[0]}`;
  }
}

const n0 = (v: number) => Math.round(v).toLocaleString('en-US');
const cell = (r: Rate | string) => (typeof r === 'string' ? r : `${n0(r.wall)}/s wall, ${n0(r.cpu)}/CPU-s`);
console.log(`FMNIST-MLP 784-256-128-10 training, ${optName === 'sgd' ? 'SGD momentum 0.9' : 'Adam'}; onnxruntime and PyTorch with ${threads} thread(s); ${SECONDS}s per cell${quick ? ' (quick)' : ''}`);
console.log(`load average at start: ${(await import('node:os')).loadavg().map((v) => v.toFixed(1)).join(' ')}`);
for (const batch of [64, 256]) {
  const o = await ort(batch);
  const w = await tfjsWasm(batch);
  const t = torch(batch);
  console.log(`batch ${batch}:`);
  console.log(`  ort engine      ${cell(o)}   (${o.note})`);
  console.log(`  tfjs-wasm eager ${cell(w)}`);
  console.log(`  PyTorch         ${cell(t)}${typeof t === 'string' ? '' : `   (${t.note})`}`);
  const ratio = (a: Rate, b: Rate | string) => (typeof b === 'string' ? 'n/a' : `×${(a.wall / b.wall).toFixed(2)} wall, ×${(a.cpu / b.cpu).toFixed(2)} per CPU-s`);
  console.log(`  ort / tfjs-wasm ${ratio(o, w)} (target ≥ 4);  ort / PyTorch ${ratio(o, t)} (target ≥ 1)`);
}
