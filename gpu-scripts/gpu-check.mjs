#!/usr/bin/env node
// gpu-check.mjs: issue 16's GPU parity tests and timings, against the BUILT packages (npm run build).
//   node gpu-scripts/gpu-check.mjs [--smoke] [--seconds 3] [--devices webgpu,cuda] [--models fmnist,large]
//        [--cell-timeout 300] [--host-state]
//   on the GPU machine: bash .gpu/remote.sh gpu-scripts/gpu-check.mjs
// Models: FMNIST-MLP (784-512-BN-256-10, Adam, batch 256) and a large MLP (784-4096-4096-10, Adam,
// batch 1024). For each device (cpu = the reference, then webgpu, and cuda when onnxruntime-node has
// its CUDA provider): inference (InferenceSession, batch 1024 and 1) and training (compileTrainStep:
// 50 steps for parity, then timed calls of 1 and of K steps). Each cell runs in a child process of
// its own (a WebGPU crash costs that cell only). PyTorch CUDA (apps/bench/peers/gpu_torch.py) is the
// peer when a python with torch and CUDA is found. Writes $OUT/gpu-check.json (when OUT is set) and
// prints its JSON as the last stdout line. Exit 0 when there is no GPU (one line says so), 1 when a
// parity check fails.
//   --smoke: no GPU needed — tiny sizes, and the "webgpu" cells run on the CPU provider with the
//            graph forms webgpu gets (target 'webgpu', k steps unrolled): checks this script.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { manualSeed, nn, optim, randint, randn, tensor } from '@nn/core';
import { compileTrainStep, cudaProviderInstalled, InferenceSession, openSession, toOnnxBytes } from '@nn/onnx';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..');
const argv = process.argv.slice(2);
const arg = (k, d) => (argv.includes(k) ? argv[argv.indexOf(k) + 1] : d);
const SMOKE = argv.includes('--smoke');
const HOST_STATE = argv.includes('--host-state'); // webgpu: state through the host each call (stateOnDevice: false)
const SECONDS = Number(arg('--seconds', SMOKE ? '0.3' : '3'));
const PARITY_STEPS = SMOKE ? 10 : 50;
// --loop: the webgpu cell uses an ONNX Loop of LOOP_K steps (what the engine avoids on webgpu: the
// Loop runs on the CPU provider there, and one measured run diverged) — a diagnostic row only.
const LOOP = argv.includes('--loop');
const K = LOOP ? (SMOKE ? 4 : 16) : SMOKE ? 2 : 8;
const LOSS_TOL = 1e-4; // issue 16: 50 training steps, loss rel ≤ 1e-4 (webgpu vs cpu)
const INFER_TOL = 1e-4; // max |Δ| / max |cpu output|; measured 3.1e-7 on the H200 for FMNIST-MLP
const ALL_MODELS = {
  fmnist: { sizes: SMOKE ? [784, 64, 32, 10] : [784, 512, 256, 10], bn: true, batch: SMOKE ? 32 : 256 },
  large: { sizes: SMOKE ? [784, 128, 128, 10] : [784, 4096, 4096, 10], bn: false, batch: SMOKE ? 64 : 1024 },
};

const median = (a) => { const s = [...a].sort((x, y) => x - y); const m = s.length >> 1; return s.length ? (s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2) : NaN; };
const first = (e) => String(e?.message ?? e).split('\n').find((l) => l.trim()) ?? String(e);
const relToMax = (a, ref) => { let d = 0, m = 0; for (let i = 0; i < ref.length; i++) { d = Math.max(d, Math.abs(a[i] - ref[i])); m = Math.max(m, Math.abs(ref[i])); } return m ? d / m : d; };
const g = (x, p = 3) => (Number.isFinite(x) ? Number(x.toPrecision(p)) : x);

const MODELS = Object.fromEntries(Object.entries(ALL_MODELS).filter(([k]) => arg('--models', 'fmnist,large').split(',').includes(k)));
const CELL_TIMEOUT_S = Number(arg('--cell-timeout', '300'));

function makeModel(name) {
  const { sizes, bn } = MODELS[name];
  manualSeed(7);
  const layers = [new nn.Linear(sizes[0], sizes[1])];
  if (bn) layers.push(new nn.BatchNorm1d(sizes[1]));
  layers.push(new nn.ReLU(), new nn.Linear(sizes[1], sizes[2]), new nn.ReLU(), new nn.Linear(sizes[2], sizes[3]));
  return new nn.Sequential(...layers);
}
/** Data for n batches, the same in every cell (seeded). */
function data(name, n) {
  const b = MODELS[name].batch;
  manualSeed(99);
  return { x: Float32Array.from(randn([n * b, 784]).dataSync()), y: Int32Array.from(randint(0, 10, [n * b]).dataSync()), b };
}
/** Time `fn` (one call = `samples` samples) for about SECONDS after one warm-up call; samples/s and ms per call. */
async function timeIt(fn, samples) {
  await fn();
  const times = [];
  const end = performance.now() + SECONDS * 1000;
  do { const t = performance.now(); await fn(); times.push(performance.now() - t); } while (performance.now() < end || times.length < 3);
  const ms = median(times);
  return { msPerCall: g(ms, 4), samplesPerS: Math.round((samples * 1000) / ms), calls: times.length };
}
/** Evenly spaced entries of a big array (weights are compared through them). */
const sample = (a, n = 20000) => { const s = Math.max(1, Math.floor(a.length / n)); const o = []; for (let i = 0; i < a.length; i += s) o.push(a[i]); return o; };

// ---------------------------------------------------------------- one cell (child process)
async function cell(kind, name, device) {
  // --smoke plays "webgpu" on the CPU provider with webgpu's graph forms.
  const dev = SMOKE && device === 'webgpu' ? 'cpu' : device;
  const webgpuForms = device === 'webgpu' ? { target: 'webgpu', multiStep: LOOP ? 'loop' : 'unroll', stateOnDevice: !HOST_STATE } : {};
  const model = makeModel(name);
  if (kind === 'infer') {
    model.eval();
    const bytes = toOnnxBytes(model, { inputs: { x: [null, 784] }, outputs: ['logits'] });
    const t0 = performance.now();
    const s = await InferenceSession.create(bytes, { device: dev });
    const openMs = performance.now() - t0;
    const B = SMOKE ? 64 : 1024;
    manualSeed(5);
    const x = Float32Array.from(randn([B, 784]).dataSync());
    const out = (await s.run({ x: { data: x, dims: [B, 784] } })).logits.data;
    const big = await timeIt(() => s.run({ x: { data: x, dims: [B, 784] } }), B);
    const one = await timeIt(() => s.run({ x: { data: x.subarray(0, 784), dims: [1, 784] } }), 1);
    await s.release();
    return { kind, name, device, ran: s.device, openMs: g(openMs), batch: B, b1024: big, b1: one, out: Array.from(out) };
  }
  // training: parity steps (single steps, then calls of K), then timings
  const opt = new optim.Adam(model.parameters(), { lr: 1e-3 });
  const t0 = performance.now();
  const e = await compileTrainStep(model, { optimizer: opt, loss: (yt, p) => nn.functional.crossEntropy(p, yt), inputShape: [784], device: dev, ...webgpuForms });
  const { x, y, b } = data(name, PARITY_STEPS);
  // The first step of a fresh optimizer runs eagerly (it creates the Adam moments) on core's JS
  // backend: on 2 rows, not a whole batch (a 1024-row eager step of the large MLP takes minutes in JS).
  await e.step(x.subarray(0, 2 * 784), y.subarray(0, 2));
  const losses = [];
  const half = PARITY_STEPS - K * Math.floor(PARITY_STEPS / (2 * K)); // single steps, then calls of K: PARITY_STEPS in all
  for (let i = 0; i < half; i++) losses.push(await e.step(x.subarray(i * b * 784, (i + 1) * b * 784), y.subarray(i * b, (i + 1) * b)));
  for (let i = half; i + K <= PARITY_STEPS; i += K) losses.push(...(await e.steps(x.subarray(i * b * 784, (i + K) * b * 784), y.subarray(i * b, (i + K) * b), K)));
  await e.flush();
  e.sync();
  const compileMs = performance.now() - t0;
  const weights = [...model.namedParameters()].map(([n, t]) => [n, sample(t.dataSync())]);
  const x1 = x.subarray(0, b * 784), y1 = y.subarray(0, b);
  const xk = x.subarray(0, K * b * 784), yk = y.subarray(0, K * b);
  const step1 = await timeIt(() => e.step(x1, y1), b);
  const stepK = await timeIt(() => e.steps(xk, yk, K), K * b);
  const info = e.graphInfo;
  const ran = e.device;
  await e.dispose();
  return { kind, name, device, ran, stateOnDevice: device === 'webgpu' && !HOST_STATE, ...(LOOP ? { variant: 'loop' } : {}), batch: b, k: K, firstCallsMs: g(compileMs), step1, stepK, losses: Array.from(losses, Number), weights, counts: e.counts, nodes: Object.values(info)[0]?.nodes };
}

/**
 * Where onnxruntime ran each node of the step graphs (its profiler's per-node events): op types by
 * execution provider, for one step per call and for K steps per call. On webgpu everything should be
 * WebGpuExecutionProvider; anything on CPUExecutionProvider is a node the provider had no kernel for.
 */
async function placement(name, device) {
  const dir = mkdtempSync(join(tmpdir(), 'nn-gpu-prof-'));
  process.env.NN_ORT_PROFILE = join(dir, 'p');
  const dev = SMOKE && device === 'webgpu' ? 'cpu' : device;
  const model = makeModel(name);
  const e = await compileTrainStep(model, { optimizer: new optim.Adam(model.parameters(), { lr: 1e-3 }), loss: (yt, p) => nn.functional.crossEntropy(p, yt), inputShape: [784], device: dev, ...(device === 'webgpu' ? { target: 'webgpu', multiStep: 'unroll' } : {}) });
  const { x, y, b } = data(name, K);
  await e.step(x.subarray(0, 2 * 784), y.subarray(0, 2));
  await e.step(x.subarray(0, b * 784), y.subarray(0, b));
  await e.steps(x, y, K);
  await e.dispose(); // releasing the sessions writes their profiles
  delete process.env.NN_ORT_PROFILE;
  const byProvider = {};
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    for (const ev of JSON.parse(readFileSync(join(dir, f), 'utf8'))) {
      if (ev.cat !== 'Node' || !ev.args?.provider || !ev.name?.endsWith('_kernel_time')) continue;
      const p = (byProvider[ev.args.provider] ??= {});
      p[ev.args.op_name] = (p[ev.args.op_name] ?? 0) + 1;
    }
  }
  return { kind: 'placement', name, device, ran: e.device, byProvider };
}

if (argv[0] === '--cell' && argv[1] === 'placement') {
  try {
    writeSync(1, `${JSON.stringify(await placement(argv[2], argv[3]))}\n`);
  } catch (err) {
    writeSync(1, `${JSON.stringify({ kind: 'placement', name: argv[2], device: argv[3], error: first(err) })}\n`);
  }
  process.exit(0);
}

if (argv[0] === '--cell') {
  const [, kind, name, device] = argv;
  try {
    // writeSync: console.log to a pipe is asynchronous, and process.exit would cut a long line.
    writeSync(1, `${JSON.stringify(await cell(kind, name, device))}\n`);
  } catch (err) {
    writeSync(1, `${JSON.stringify({ kind, name, device, error: first(err) })}\n`);
  }
  process.exit(0);
}

// ---------------------------------------------------------------- orchestration
const summary = { when: new Date().toISOString(), smoke: SMOKE, node: process.version, seconds: SECONDS, cells: [], parity: [], torch: null, notes: [] };
const finish = (code) => {
  const json = JSON.stringify(summary);
  if (process.env.OUT) writeFileSync(join(process.env.OUT, 'gpu-check.json'), json);
  writeSync(1, `${json}\n`);
  process.exit(code);
};

// Is there a GPU at all? (a one-node graph on the webgpu provider)
manualSeed(1);
const probe = toOnnxBytes((t) => t.relu(), { inputs: { x: [null, 4] }, outputs: ['y'] });
const devices = ['cpu'];
const web = await openSession(probe, { device: 'webgpu' }).then((s) => s, (err) => err);
if (web instanceof Error) summary.notes.push(`webgpu: ${web.detail ?? first(web)}`);
else { devices.push('webgpu'); await web.session.release(); }
if (cudaProviderInstalled().installed) devices.push('cuda');
else summary.notes.push('cuda: onnxruntime-node has no CUDA provider here (ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node)');
if (SMOKE && !devices.includes('webgpu')) devices.push('webgpu');
const wanted = arg('--devices', '');
if (wanted) for (const d of [...devices]) if (d !== 'cpu' && !wanted.split(',').includes(d)) devices.splice(devices.indexOf(d), 1);
if (devices.length === 1) {
  summary.noGpu = true;
  console.log(`gpu: no GPU here — ${summary.notes.join('; ')}. Nothing to measure.`);
  finish(0);
}

let failed = false;
for (const kind of ['infer', 'train']) {
  for (const name of Object.keys(MODELS)) {
    const byDevice = {};
    for (const device of devices) {
      const t = performance.now();
      const runCell = (extra) => {
        const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--cell', kind, name, device, ...(SMOKE ? ['--smoke'] : []), ...extra, '--seconds', String(SECONDS), '--models', Object.keys(MODELS).join(',')], { encoding: 'utf8', maxBuffer: 256 << 20, timeout: CELL_TIMEOUT_S * 1000 });
        const last = (r.stdout || '').trim().split('\n').pop() || '';
        try { return JSON.parse(last); } catch { return { kind, name, device, error: `cell exited with ${r.status ?? r.signal}: ${(r.stderr || '').trim().split('\n').slice(-3).join(' / ')}` }; }
      };
      let res = runCell(HOST_STATE ? ['--host-state'] : []);
      if (res.error && kind === 'train' && device === 'webgpu' && !HOST_STATE) {
        // GPU-resident state failed (never run before this script): say so, and measure the host-state path.
        console.log(`train ${name} webgpu with state on the GPU: ERROR ${res.error}; again with --host-state`);
        summary.cells.push({ ...res, stateOnDevice: true });
        res = runCell(['--host-state']);
      }
      const { out, losses, weights, ...shown } = res;
      console.log(`${kind} ${name} ${device}: ${res.error ? `ERROR ${res.error}` : JSON.stringify({ ...shown, ...(losses ? { lastLoss: losses.at(-1) } : {}) })} (${((performance.now() - t) / 1000).toFixed(1)} s)`);
      byDevice[device] = res;
      summary.cells.push(shown);
    }
    const ref = byDevice.cpu;
    for (const device of devices.slice(1)) {
      const r = byDevice[device];
      if (!ref || ref.error || !r || r.error) { summary.parity.push({ kind, name, device, ok: false, why: r?.error ?? ref?.error }); failed = true; continue; }
      if (kind === 'infer') {
        const d = relToMax(r.out, ref.out);
        summary.parity.push({ kind, name, device, maxRelDiff: g(d), tol: INFER_TOL, ok: d <= INFER_TOL });
      } else {
        const lossRel = Math.max(...r.losses.map((v, i) => Math.abs(v - ref.losses[i]) / Math.max(1e-12, Math.abs(ref.losses[i]))));
        const wRel = Math.max(...r.weights.map(([, w], i) => relToMax(w, ref.weights[i][1])));
        summary.parity.push({ kind, name, device, steps: r.losses.length, maxLossRel: g(lossRel), tol: LOSS_TOL, weightsRelToMax: g(wRel), ok: lossRel <= LOSS_TOL && r.losses.length === ref.losses.length });
      }
      const p = summary.parity.at(-1);
      console.log(`parity ${kind} ${name} ${device} vs cpu: ${JSON.stringify(p)}`);
      if (!p.ok) failed = true;
    }
  }
}

// Diagnostic: the Loop form on webgpu (FMNIST-MLP), against the cpu reference's losses and weights.
// Reported, never failing the run: the engine does not use a Loop on webgpu.
for (const device of devices.filter((d) => d === 'webgpu')) {
  if (!MODELS.fmnist) break;
  const cpuRef = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--cell', 'train', 'fmnist', 'cpu', '--loop', ...(SMOKE ? ['--smoke'] : []), '--seconds', String(SECONDS), '--models', 'fmnist'], { encoding: 'utf8', maxBuffer: 256 << 20, timeout: CELL_TIMEOUT_S * 1000 });
  const web = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--cell', 'train', 'fmnist', device, '--loop', ...(SMOKE ? ['--smoke'] : []), '--seconds', String(SECONDS), '--models', 'fmnist'], { encoding: 'utf8', maxBuffer: 256 << 20, timeout: CELL_TIMEOUT_S * 1000 });
  const parse = (r) => { try { return JSON.parse((r.stdout || '').trim().split('\n').pop()); } catch { return { error: `exited with ${r.status ?? r.signal}: ${(r.stderr || '').trim().split('\n').slice(-2).join(' / ')}` }; } };
  const [a, w] = [parse(cpuRef), parse(web)];
  if (a.error || w.error) summary.loopDiagnostic = { device, error: a.error ?? w.error };
  else {
    const lossRel = Math.max(...w.losses.map((v, i) => Math.abs(v - a.losses[i]) / Math.max(1e-12, Math.abs(a.losses[i]))));
    const wRel = Math.max(...w.weights.map(([, x], i) => relToMax(x, a.weights[i][1])));
    const { losses, weights, ...shown } = w;
    summary.loopDiagnostic = { device, k: w.k, steps: w.losses.length, maxLossRel: g(lossRel), weightsRelToMax: g(wRel), withinTol: lossRel <= LOSS_TOL, cell: shown };
  }
  console.log(`loop diagnostic fmnist ${device} (multiStep 'loop': an ONNX Scan, not what the engine uses there): ${JSON.stringify(summary.loopDiagnostic)}`);
}

// Node placement of the webgpu training graphs (what runs on the CPU provider instead)
summary.placement = [];
for (const device of devices.filter((d) => d !== 'cpu')) {
  for (const name of Object.keys(MODELS)) {
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--cell', 'placement', name, device, ...(SMOKE ? ['--smoke'] : []), '--models', Object.keys(MODELS).join(',')], { encoding: 'utf8', maxBuffer: 64 << 20, timeout: CELL_TIMEOUT_S * 1000 });
    let res;
    try { res = JSON.parse((r.stdout || '').trim().split('\n').pop()); } catch { res = { kind: 'placement', name, device, error: `exited with ${r.status ?? r.signal}: ${(r.stderr || '').trim().split('\n').slice(-2).join(' / ')}` }; }
    summary.placement.push(res);
    console.log(`placement ${name} ${device}: ${JSON.stringify(res.byProvider ?? res.error)}`);
  }
}

// PyTorch CUDA peer (same models, batch sizes and optimizer)
const peer = join(ROOT, 'apps/bench/peers/gpu_torch.py');
if (!SMOKE && existsSync(peer)) {
  for (const py of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(py, [peer, '--seconds', String(SECONDS)], { encoding: 'utf8', timeout: 600_000, env: { ...process.env, OPENBLAS_CORETYPE: '' } });
    if (r.error || r.status !== 0) { summary.notes.push(`torch peer with ${py}: ${r.error ? first(r.error) : (r.stderr || '').trim().split('\n').pop()}`); continue; }
    try { summary.torch = JSON.parse(r.stdout.trim().split('\n').pop()); } catch { summary.notes.push(`torch peer with ${py}: no JSON`); continue; }
    if (summary.torch.cuda) break;
  }
  console.log(`torch: ${JSON.stringify(summary.torch)}`);
}
finish(failed ? 1 : 0);
