// FMNIST-MLP (784-256-128-10, softmax) inference: our exported ONNX in onnxruntime-node, the same
// architecture and weights exported by torch.onnx (when /usr/bin/python3 has torch) in the same
// onnxruntime-node, and nn eager predict on tfjs engines (when @nn/backend-tfjs loads).
// Latency at batch 1 (median ms) and throughput at batch 1024 (samples/s).
//
// Run: npm run bench -w packages/onnx   (or: npx tsx --tsconfig bench/tsconfig.json bench/infer.ts [--quick])
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { fromBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema } from '../src/gen/onnx_pb';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getBackend, linear, manualSeed, noGrad, randn, relu, softmax, useBackend, type Tensor } from '@nn/core';
import { exportOnnx, InferenceSession, saveSafetensors } from '@nn/onnx';

export interface BenchRow {
  name: string;
  /** Median latency of one batch-1 call, ms. */
  latencyMs: number;
  /** Samples per second at batch 1024. */
  throughput: number;
}

export interface InferBenchResult {
  rows: BenchRow[];
  /** The op types of our graph and of torch's, when torch ran (the same list means the same work). */
  ops?: { ours: string[]; torch: string[] };
  /** Our graph's batch-1 latency / torch's (≤ 1.05 is the target). */
  ratioVsTorch?: { latency: number; throughput: number };
  notes: string[];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function time(fn: () => Promise<unknown> | unknown, warm: number, runs: number): Promise<number> {
  for (let i = 0; i < warm; i++) await fn();
  const ts: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    ts.push(performance.now() - t0);
  }
  return median(ts);
}

/** Run the benchmark. `quick` shortens every loop (for CI smoke runs). */
export async function inferBench(opts: { quick?: boolean; threads?: number } = {}): Promise<InferBenchResult> {
  const q = opts.quick ? 0.1 : 1;
  const threads = opts.threads ?? 1;
  const notes: string[] = [];
  manualSeed(0);
  const dims = [784, 256, 128, 10];
  const params: [string, Tensor][] = [];
  for (let i = 0; i < 3; i++) {
    params.push([`${2 * i}.weight`, randn([dims[i + 1]!, dims[i]!]).mul(1 / Math.sqrt(dims[i]!))]);
    params.push([`${2 * i}.bias`, randn([dims[i + 1]!]).mul(0.01)]);
  }
  const P = Object.fromEntries(params);
  const mlp = (x: Tensor) => {
    let h = x;
    for (let i = 0; i < 3; i++) {
      h = linear(h, P[`${2 * i}.weight`]!, true).add(P[`${2 * i}.bias`]!);
      h = i < 2 ? relu(h) : softmax(h, 1);
    }
    return h;
  };
  const dir = mkdtempSync(join(tmpdir(), 'nn-bench-'));
  const ours = join(dir, 'nn-mlp.onnx');
  await exportOnnx(mlp, ours, { inputs: { x: [null, 784] }, outputs: ['probs'], params });

  const x1 = new Float32Array(784).map(() => Math.random());
  const x1024 = new Float32Array(784 * 1024).map(() => Math.random());
  const rows: BenchRow[] = [];
  const graphs: [string, string][] = [[`nn export → onnxruntime-node (cpu, ${threads} thread)`, ours]];

  // torch.onnx export of the same weights, run in the same runtime.
  let torchFile: string | undefined;
  try {
    const w = join(dir, 'w.safetensors');
    await saveSafetensors(w, P);
    torchFile = join(dir, 'torch-mlp.onnx');
    const v = execFileSync('/usr/bin/python3', [new URL('./torch-export.py', import.meta.url).pathname, w, torchFile], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    graphs.push([`torch ${v.trim()} torch.onnx → onnxruntime-node (cpu, ${threads} thread)`, torchFile]);
  } catch (e) {
    torchFile = undefined;
    notes.push(`torch.onnx export skipped: ${(e as Error).message.split('\n')[0]}`);
  }

  // The onnxruntime sessions are timed in interleaved rounds so that both see the same machine load.
  const sessions = await Promise.all(graphs.map(([, f]) => InferenceSession.create(f, { device: 'cpu', threads })));
  const lat: number[][] = sessions.map(() => []), big: number[][] = sessions.map(() => []);
  const feed1 = { x: { data: x1, dims: [1, 784] } }, feed1024 = { x: { data: x1024, dims: [1024, 784] } };
  for (const s of sessions) await time(() => s.run(feed1), 200 * q, 1);
  for (let round = 0; round < Math.max(3, 10 * q); round++) {
    for (const [i, s] of sessions.entries()) {
      lat[i]!.push(await time(() => s.run(feed1), 20, 200 * q));
      big[i]!.push(await time(() => s.run(feed1024), 1, 3));
    }
  }
  for (const [i, s] of sessions.entries()) {
    rows.push({ name: graphs[i]![0], latencyMs: median(lat[i]!), throughput: 1024 / (median(big[i]!) / 1000) });
    await s.release();
  }

  // nn eager predict on tfjs engines (the JS engines this machine can load).
  const prev = getBackend();
  // Read the weights while their backend is active (a tensor is read through the active backend).
  const host = params.map(([k, t]) => [k, Float32Array.from(t.dataSync()), t.shape] as const);
  try {
    const { tfjs } = (await import('@nn/backend-tfjs')) as { tfjs: (o: { engine: string }) => Parameters<typeof useBackend>[0] };
    for (const engine of ['cpu', 'wasm']) {
      try {
        await useBackend(tfjs({ engine }));
        const { tensor } = await import('@nn/core');
        // Re-create the weights on this engine.
        const W = host.map(([k, d, shape]) => [k, tensor(d, shape)] as const);
        const PW = Object.fromEntries(W);
        const run = (x: Float32Array, n: number) => noGrad(() => {
          let h = tensor(x, [n, 784]);
          for (let i = 0; i < 3; i++) {
            h = linear(h, PW[`${2 * i}.weight`]!, true).add(PW[`${2 * i}.bias`]!);
            h = i < 2 ? relu(h) : softmax(h, 1);
          }
          const out = h.dataSync();
          return out;
        });
        const lat = await time(() => run(x1, 1), 20 * q, Math.max(20, 300 * q));
        const big = await time(() => run(x1024, 1024), 1, engine === 'cpu' ? 3 : Math.max(3, 10 * q));
        rows.push({ name: `nn eager predict on tfjs-${engine}`, latencyMs: lat, throughput: 1024 / (big / 1000) });
      } catch (e) {
        notes.push(`tfjs-${engine} skipped: ${(e as Error).message.split('\n')[0]}`);
      }
    }
  } catch (e) {
    notes.push(`@nn/backend-tfjs not loadable: ${(e as Error).message.split('\n')[0]}`);
  } finally {
    await useBackend(prev);
  }

  const result: InferBenchResult = { rows, notes };
  if (torchFile) {
    const [a, b] = rows as [BenchRow, BenchRow];
    result.ratioVsTorch = { latency: a.latencyMs / b.latencyMs, throughput: b.throughput / a.throughput };
    const opsOf = (f: string) => fromBinary(ModelProtoSchema, readFileSync(f)).graph!.node.map((n) => n.opType);
    result.ops = { ours: opsOf(ours), torch: opsOf(torchFile) };
  }
  return result;
}

const isMain = process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!);
if (isMain) {
  const r = await inferBench({ quick: process.argv.includes('--quick') });
  console.log('FMNIST-MLP 784-256-128-10 inference');
  console.table(r.rows.map((x) => ({ engine: x.name, 'batch 1 latency (ms)': +x.latencyMs.toFixed(4), 'batch 1024 (samples/s)': Math.round(x.throughput) })));
  const cpu = r.rows.find((x) => x.name.endsWith('tfjs-cpu'));
  if (cpu) console.log(`onnxruntime vs nn on tfjs-cpu: ×${(cpu.latencyMs / r.rows[0]!.latencyMs).toFixed(1)} faster at batch 1, ×${(r.rows[0]!.throughput / cpu.throughput).toFixed(1)} at 1024 (target ≥ 10)`);
  if (r.ratioVsTorch) console.log(`ours / torch: latency ×${r.ratioVsTorch.latency.toFixed(3)}, time per sample at 1024 ×${r.ratioVsTorch.throughput.toFixed(3)} (target ≤ 1.05)`);
  if (r.ops) console.log(`graphs: ours [${r.ops.ours.join(', ')}] vs torch [${r.ops.torch.join(', ')}]${r.ops.ours.join() === r.ops.torch.join() ? ' (same ops)' : ''}`);
  for (const n of r.notes) console.log(`note: ${n}`);
}
