// A training step (Adam, one onnxruntime intra-op thread) compiled by compileTrainStep: by default
// the small CNN (conv16-pool-conv32-pool-fc10 on 1×28×28, lr 1e-3: apps/bench's `train-cnn` model),
// or an MLP (`--model mlp:256,128` is 784-256-128-10, apps/bench's `train-mlp`).
//
//   step  [--model cnn|mlp:W1,W2] [--out dir] [--batches 64,256] [--seconds 3] [--chunks auto|n] [--target cpu|default] [--k n]
//     compiles the step, times `step(x, y)` (or `steps(x, y, k)` per batch with --k) as the median
//     of blocks (ms/step) and writes each compiled graph to dir (NN_ORT_DUMP): train-step-b<batch>.onnx,
//     and train-steps-k<k>.onnx with --k.
//   ab    a.onnx b.onnx …  [--seconds 3] [--profile]
//     opens each graph in its own raw session (1 thread, random feeds) and times them interleaved
//     (block by block, so load on a shared machine hits all alike); --profile also prints each
//     graph's onnxruntime profile summed per op type.
//
// Run: npx tsx --tsconfig bench/tsconfig.json bench/cnn-step.ts step --out /tmp/cnn
//      npx tsx --tsconfig bench/tsconfig.json bench/cnn-step.ts step --chunks 1 --out /tmp/cnn-whole   (row chunks off)
//      npx tsx --tsconfig bench/tsconfig.json bench/cnn-step.ts ab /tmp/base/train-step-b64.onnx /tmp/cnn/train-step-b64.onnx --profile
//      npx tsx --tsconfig bench/tsconfig.json bench/cnn-step.ts step --model mlp:256,128 --batches 256 --k 16 --target default --out /tmp/mlp-default
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { manualSeed, nn, optim, useBackend, type Tensor } from '@nn/core';
import { tfjs } from '@nn/backend-tfjs';
import { compileTrainStep } from '../src/train-engine/compile';

const argv = process.argv.slice(2);
const arg = (k: string, d: string) => (argv.includes(k) ? argv[argv.indexOf(k) + 1]! : d);
const SECONDS = Number(arg('--seconds', '3'));
const median = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1]!;

async function stepMode(): Promise<void> {
  const out = arg('--out', join(tmpdir(), 'cnn-step'));
  mkdirSync(out, { recursive: true });
  process.env.NN_ORT_DUMP = out;
  await useBackend(tfjs({ engine: 'wasm' }));
  const model = arg('--model', 'cnn');
  const widths = model === 'cnn' ? undefined : /^mlp:(\d+),(\d+)$/.exec(model)?.slice(1).map(Number);
  if (model !== 'cnn' && !widths) throw new Error(`--model: expected cnn or mlp:W1,W2, got "${model}"`);
  const target = arg('--target', '');
  if (target && target !== 'cpu' && target !== 'default') throw new Error(`--target: expected cpu or default, got "${target}"`);
  const k = Number(arg('--k', '1'));
  for (const batch of arg('--batches', '64,256').split(',').map(Number)) {
    manualSeed(0);
    const m = widths
      ? new nn.Sequential(new nn.Linear(784, widths[0]!), new nn.ReLU(), new nn.Linear(widths[0]!, widths[1]!), new nn.ReLU(), new nn.Linear(widths[1]!, 10))
      : new nn.Sequential(
        new nn.Conv2d(1, 16, 3), new nn.ReLU(), new nn.MaxPool2d(2),
        new nn.Conv2d(16, 32, 3), new nn.ReLU(), new nn.MaxPool2d(2),
        new nn.Flatten(), new nn.Linear(32 * 5 * 5, 10),
      );
    m.train();
    const opt = new optim.Adam(m.parameters(), { lr: 1e-3, eps: 1e-8 });
    const loss = (y: Tensor, p: Tensor) => nn.functional.crossEntropy(p, y);
    const chunks = arg('--chunks', 'auto');
    const e = await compileTrainStep(m, {
      optimizer: opt, loss, inputShape: widths ? [784] : [1, 28, 28], batchSize: batch, device: 'cpu', threads: 1,
      batchChunks: chunks === 'auto' ? 'auto' : Number(chunks), ...(target ? { target: target as 'cpu' | 'default' } : {}),
    });
    const x = Float32Array.from({ length: k * batch * 784 }, () => Math.random());
    const y = Int32Array.from({ length: k * batch }, () => Math.floor(Math.random() * 10));
    const run = () => (k === 1 ? e.step(x, y) : e.steps(x, y, k));
    for (let i = 0; i < 3; i++) await run();
    const blocks: number[] = [];
    const t0 = performance.now();
    while (performance.now() - t0 < SECONDS * 1000 || blocks.length < 5) {
      const s = performance.now();
      for (let i = 0; i < 5; i++) await run();
      blocks.push((performance.now() - s) / 5 / k);
    }
    console.log(`${model} b${batch}${k > 1 ? ` k${k}` : ''}: ${median(blocks).toFixed(3)} ms/step (median of ${blocks.length} blocks of 5 calls; ${Object.values(e.graphInfo)[0]?.chunks ?? '?'} row chunks; graph ${out}/${k > 1 ? `train-steps-k${k}` : `train-step-b${batch}`}.onnx)`);
  }
}

function feeds(s: ort.InferenceSession): Record<string, ort.Tensor> {
  const f: Record<string, ort.Tensor> = {};
  s.inputMetadata.forEach((md) => {
    if (!md.isTensor) throw new Error(`input ${md.name} is not a tensor`);
    const dims = md.shape.map((d) => (typeof d === 'number' ? d : 1));
    const n = dims.reduce((p, d) => p * d, 1);
    // Labels in range for the int inputs; small positive floats elsewhere (Adam's v goes under a sqrt).
    if (md.type === 'int32') f[md.name] = new ort.Tensor('int32', Int32Array.from({ length: n }, () => Math.floor(Math.random() * 10)), dims);
    else if (md.type === 'int64') f[md.name] = new ort.Tensor('int64', BigInt64Array.from({ length: n }, () => 1n), dims);
    else if (md.type === 'float32') f[md.name] = new ort.Tensor('float32', Float32Array.from({ length: n }, () => Math.random() * 0.1), dims);
    else throw new Error(`input ${md.name}: no feed for ${md.type}`);
  });
  return f;
}

async function abMode(files: string[], profile: boolean): Promise<void> {
  const opts: ort.InferenceSession.SessionOptions = { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' };
  const ss = await Promise.all(files.map((p) => ort.InferenceSession.create(readFileSync(p), opts)));
  const fs = ss.map(feeds);
  for (let i = 0; i < 3; i++) for (let j = 0; j < ss.length; j++) await ss[j]!.run(fs[j]!);
  const blocks: number[][] = ss.map(() => []), cpu: number[][] = ss.map(() => []);
  const t0 = performance.now();
  while (performance.now() - t0 < SECONDS * 1000 * ss.length || blocks[0]!.length < 5) {
    for (let j = 0; j < ss.length; j++) {
      const s = performance.now(), c0 = process.cpuUsage();
      for (let i = 0; i < 5; i++) await ss[j]!.run(fs[j]!);
      const c1 = process.cpuUsage(c0);
      blocks[j]!.push((performance.now() - s) / 5);
      cpu[j]!.push((c1.user + c1.system) / 1000 / 5);
    }
  }
  // On a shared machine the process's CPU time per run is the steadier measure.
  files.forEach((p, j) => console.log(`${p}: ${median(blocks[j]!).toFixed(3)} ms/run wall, ${median(cpu[j]!).toFixed(3)} ms/run CPU (medians of ${blocks[j]!.length} blocks of 5)`));
  if (!profile) return;
  for (const p of files) {
    const prefix = join(tmpdir(), `cnn-prof-${process.pid}`);
    const s = await ort.InferenceSession.create(readFileSync(p), { ...opts, enableProfiling: true, profileFilePrefix: prefix });
    const f = feeds(s);
    for (let i = 0; i < 20; i++) await s.run(f);
    s.endProfiling();
    await s.release();
    const file = readdirPrefix(prefix);
    const ev = JSON.parse(readFileSync(file, 'utf8')) as { cat: string; name: string; ts: number; dur: number; args?: { op_name?: string } }[];
    rmSync(file);
    // The first run (allocation, first-touch) is left out.
    const first = ev.filter((e) => e.name === 'model_run').sort((a, b) => a.ts - b.ts)[0]!;
    const runs = ev.filter((e) => e.name === 'model_run').length - 1;
    const by = new Map<string, number>(), node = new Map<string, number>();
    let total = 0;
    for (const e of ev) {
      if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time') || e.ts < first.ts + first.dur) continue;
      const op = e.args?.op_name ?? '?';
      by.set(op, (by.get(op) ?? 0) + e.dur);
      const nn_ = e.name.slice(0, -'_kernel_time'.length);
      node.set(`${op} ${nn_}`, (node.get(`${op} ${nn_}`) ?? 0) + e.dur);
      total += e.dur;
    }
    console.log(`profile ${p} (${runs} runs after the first, kernel time ${(total / runs / 1000).toFixed(3)} ms/run):`);
    for (const [op, d] of [...by].sort((a, b) => b[1] - a[1])) console.log(`  ${op.padEnd(22)} ${(d / runs / 1000).toFixed(3)} ms  ${((100 * d) / total).toFixed(1)}%`);
    if (argv.includes('--nodes')) {
      console.log('  top nodes:');
      for (const [n, d] of [...node].sort((a, b) => b[1] - a[1]).slice(0, Number(arg('--top', '20')))) console.log(`    ${n.padEnd(60)} ${(d / runs / 1000).toFixed(3)} ms`);
    }
  }
}

function readdirPrefix(prefix: string): string {
  const dir = tmpdir(), base = prefix.slice(dir.length + 1);
  const names = readdirSync(dir).filter((n) => n.startsWith(base));
  if (names.length !== 1) throw new Error(`expected one profile file for ${prefix}, found ${names.length}`);
  return join(dir, names[0]!);
}

const mode = argv[0];
if (mode === 'step') await stepMode();
else if (mode === 'ab') await abMode(argv.slice(1).filter((a, i, all) => a.endsWith('.onnx') && all[i - 1] !== '--seconds'), argv.includes('--profile'));
else throw new Error(`usage: cnn-step.ts step [--out dir] | ab a.onnx b.onnx … [--profile]; got "${mode ?? ''}"`);
