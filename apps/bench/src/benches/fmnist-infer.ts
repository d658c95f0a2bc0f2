/**
 * Issue 6 and 20: FMNIST-MLP inference with the exact training architecture (Dropout and BatchNorm
 * included). The speed comparison is nn's exported ONNX in onnxruntime-node against PyTorch EAGER
 * (eval, no_grad, the same weights), one thread each, at batch 1 and 1024, by the fair method
 * (`../infer-fair.ts`: interleaved rounds, per wall- and CPU-second). The same graph exported by
 * torch.onnx runs in the same onnxruntime-node as an export-correctness check (same outputs), not
 * as a speed claim. Predict on the tfjs engines — nn's own (the default engine, wasm, and the
 * pure-JS cpu engine) and raw tfjs-layers' `model.predict` — is timed in interleaved rounds too.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { manualSeed, nn, noGrad, saveSafetensors, scope, tensor, useBackend, type Tensor } from '@nn/core';
import { tfjs } from '@nn/backend-tfjs';
import { exportOnnx, InferenceSession } from '@nn/onnx';
import * as tf from '@tensorflow/tfjs-core';
import { fromBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema } from '../../../../packages/onnx/src/gen/onnx_pb';
import * as tfl from '@tensorflow/tfjs-layers';
import { inferVsTorch } from '../infer-fair';
import { loadFmnist } from '../fmnist';
import { runPython, torchAvailable } from '../python';
import { fmt, median, spread, summarize, table } from '../stats';
import type { Bench, BenchOptions, BenchResult, Headline } from '../types';

const PEER = fileURLToPath(new URL('../../peers/fmnist_mlp_export_torch.py', import.meta.url));
const BIG = 1024;

/** One side: a function that runs a batch of n rows (host input) and returns host logits. */
type Runner = (x: Float32Array, n: number) => Promise<ArrayLike<number>> | ArrayLike<number>;

function makeModel(): nn.Sequential {
  return new nn.Sequential(
    new nn.Linear(784, 256), new nn.ReLU(), new nn.Dropout(0.2), new nn.BatchNorm1d(256),
    new nn.Linear(256, 128), new nn.ReLU(), new nn.Dropout(0.2), new nn.Linear(128, 10),
  );
}

/** Host copies of a state dict (float tensors only). */
function hostState(m: nn.Module): Record<string, { data: Float32Array; shape: number[] }> {
  const out: Record<string, { data: Float32Array; shape: number[] }> = {};
  for (const [k, t] of Object.entries(m.stateDict())) if (t.dtype === 'float32') out[k] = { data: Float32Array.from(t.dataSync() as Float32Array), shape: [...t.shape] };
  return out;
}

function nnRunner(state: ReturnType<typeof hostState>): Runner {
  const m = makeModel();
  m.loadStateDict(Object.fromEntries(Object.entries(state).map(([k, v]) => [k, tensor(v.data, v.shape)])), { strict: false });
  m.eval();
  return (x, n) => noGrad(() => scope(() => (m(tensor(x.subarray(0, n * 784), [n, 784])) as Tensor).dataSync()));
}

function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = a[r * cols + c]!;
  return t;
}

/** The same network and weights in raw tfjs-layers (BatchNorm epsilon 1e-5 as PyTorch's). */
function layersRunner(state: ReturnType<typeof hostState>): Runner {
  const model = tfl.sequential({
    layers: [
      tfl.layers.dense({ units: 256, activation: 'relu', inputShape: [784] }),
      tfl.layers.dropout({ rate: 0.2 }),
      tfl.layers.batchNormalization({ epsilon: 1e-5 }),
      tfl.layers.dense({ units: 128, activation: 'relu' }),
      tfl.layers.dropout({ rate: 0.2 }),
      tfl.layers.dense({ units: 10 }),
    ],
  });
  const k = (name: string, inF: number, outF: number) => tf.tensor2d(transpose(state[`${name}.weight`]!.data, outF, inF), [inF, outF]);
  const v = (name: string) => tf.tensor1d(state[name]!.data);
  // Per layer: a model's `setWeights` takes trainable weights first, then the moving statistics.
  const [d1, , bn, d2, , d3] = model.layers as tfl.layers.Layer[];
  d1!.setWeights([k('0', 784, 256), v('0.bias')]);
  bn!.setWeights([v('3.weight'), v('3.bias'), v('3.running_mean'), v('3.running_var')]);
  d2!.setWeights([k('4', 256, 128), v('4.bias')]);
  d3!.setWeights([k('7', 128, 10), v('7.bias')]);
  return (x, n) => tf.tidy(() => (model.predict(tf.tensor2d(x.subarray(0, n * 784), [n, 784])) as tf.Tensor).dataSync());
}

async function ortRunner(file: string): Promise<{ run: Runner; release: () => Promise<void> }> {
  const s = await InferenceSession.create(file, { device: 'cpu', threads: 1 });
  return {
    run: async (x, n) => {
      const out = await s.run({ x: { data: x.subarray(0, n * 784), dims: [n, 784] } });
      const v = Object.values(out)[0] as { data?: ArrayLike<number> } | ArrayLike<number>;
      return ('data' in v && v.data ? v.data : v) as ArrayLike<number>;
    },
    release: () => s.release(),
  };
}

/** Median ms of `calls` calls after `warm` calls. */
async function timeCalls(fn: () => unknown, warm: number, calls: number): Promise<number> {
  for (let i = 0; i < warm; i++) await fn();
  const ts: number[] = [];
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now();
    await fn();
    ts.push(performance.now() - t0);
  }
  return median(ts);
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

interface Side {
  name: string;
  run: Runner;
  /** Calls per round for batch 1 and for batch 1024 (slow engines get fewer). */
  calls: [number, number];
  lat: number[];
  thr: number[];
}

async function rounds(sides: Side[], x: Float32Array, n: number): Promise<void> {
  for (let r = 0; r < n; r++) {
    for (const s of r % 2 ? [...sides].reverse() : sides) {
      s.lat.push(await timeCalls(() => s.run(x, 1), 5, s.calls[0]));
      s.thr.push(BIG / ((await timeCalls(() => s.run(x, BIG), 1, s.calls[1])) / 1000));
    }
  }
}

async function run(opts: BenchOptions): Promise<BenchResult> {
  const notes: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'nn-bench-infer-'));
  try {
    const backend = await useBackend(tfjs());
    const data = loadFmnist('t10k', BIG);
    notes.push(`Input: ${data.source} (x/255). Weights: PyTorch-style init (seed 0), then 20 training-mode forward passes over test batches so BatchNorm's running statistics are not the identity; the same weights everywhere.`);
    manualSeed(0);
    const model = makeModel();
    noGrad(() => {
      for (let i = 0; i < 20; i++) scope(() => model(tensor(data.x.subarray((i % 16) * 64 * 784, ((i % 16) + 1) * 64 * 784), [64, 784])));
    });
    model.eval();
    const state = hostState(model);
    const ours = join(dir, 'nn-fmnist-mlp.onnx');
    await exportOnnx(model, ours, { inputs: { x: [null, 784] }, outputs: ['logits'] });
    const files: [string, string][] = [['nn export → onnxruntime-node', ours]];
    const torch = torchAvailable();
    const w = join(dir, 'w.safetensors');
    await saveSafetensors(w, Object.fromEntries(Object.entries(model.stateDict()).filter(([, t]) => t.dtype === 'float32')));
    if (!torch.ok) notes.push(`torch.onnx peer skipped: ${torch.reason}.`);
    else {
      try {
        const file = join(dir, 'torch-fmnist-mlp.onnx');
        runPython<unknown>(PEER, [w, file]);
        files.push([`torch ${torch.version} torch.onnx → onnxruntime-node`, file]);
      } catch (e) {
        notes.push(`torch.onnx peer failed: ${(e as Error).message}`);
      }
    }
    const ops = files.map(([n, f]) => [n, opTypes(readFileSync(f))] as const);
    console.log(`exported ${files.length} graph(s); parity and timing…`);
    const sessions = await Promise.all(files.map(([, f]) => ortRunner(f)));
    const reps = opts.reps;
    const sides: Side[] = files.map(([name], i) => ({ name: `${name} (cpu, 1 thread)`, run: sessions[i]!.run, calls: [opts.quick ? 100 : 400, opts.quick ? 3 : 5], lat: [], thr: [] }));
    const engine = tf.getBackend();
    sides.push({ name: `nn predict on ${backend.name} (default engine)`, run: nnRunner(state), calls: [opts.quick ? 20 : 50, opts.quick ? 2 : 3], lat: [], thr: [] });
    sides.push({ name: `tfjs-layers predict on ${engine}`, run: layersRunner(state), calls: [opts.quick ? 20 : 50, opts.quick ? 2 : 3], lat: [], thr: [] });

    // Parity before timing: every side against our graph on the same 1024 rows.
    const ref = Array.from(await sides[0]!.run(data.x, BIG));
    const parity: string[] = [];
    let exportDiff = NaN;
    for (const s of sides.slice(1)) {
      const d = maxAbsDiff(ref, await s.run(data.x, BIG));
      if (s.name.startsWith('torch')) exportDiff = d;
      parity.push(`${s.name.split(' (')[0]}: ${d.toExponential(1)}`);
    }

    console.log(`parity: ${parity.join('; ')}`);
    await rounds(sides, data.x, reps);
    console.log('nn ONNX in onnxruntime vs PyTorch eager, fair method…');
    const eager = await inferVsTorch('FMNIST-MLP (BN + dropout)', 'fmnist', ours, w, reps, opts.quick);
    console.log('timed onnxruntime and the default engine; now the pure-JS cpu engine…');
    // The pure-JS cpu engine, measured after the others (switching engines moves every tensor).
    const cpuBackend = await useBackend(tfjs({ engine: 'cpu' }));
    const cpuSides: Side[] = [
      { name: `nn predict on ${cpuBackend.name} (pure JS)`, run: nnRunner(state), calls: [opts.quick ? 10 : 30, 1], lat: [], thr: [] },
      { name: `tfjs-layers predict on ${tf.getBackend()} (pure JS)`, run: layersRunner(state), calls: [opts.quick ? 10 : 30, 1], lat: [], thr: [] },
    ];
    for (const s of cpuSides) parity.push(`${s.name.split(' (')[0]}: ${maxAbsDiff(ref, await s.run(data.x, BIG)).toExponential(1)}`);
    await rounds(cpuSides, data.x, opts.quick ? 1 : Math.min(reps, 3));
    for (const s of sessions) await s.release();
    const all = [...sides, ...cpuSides];

    const headlines: Headline[] = [];
    const [o, t] = sides as [Side, Side | undefined];
    const per = (a: number[], b: number[]) => a.map((v, i) => v / b[i]!);
    headlines.push(...eager.headlines);
    if (t && t.name.startsWith('torch')) {
      // Both graphs run in the same onnxruntime: a check that the export is the same computation
      // (same outputs), not a speed claim (issue 20).
      headlines.push({ measure: `FMNIST-MLP export correctness: nn's ONNX vs torch.onnx's graph of the same weights, max |Δlogit| on ${BIG} test rows (same runtime; not a speed comparison)`, ours: `ops [${ops[0]![1].join(', ')}]`, peer: `ops [${ops[1]![1].join(', ')}]`, ratio: null, valueText: exportDiff.toExponential(1), target: '≤ 1e-4', met: exportDiff <= 1e-4 });
    }
    const nnCpu = cpuSides[0]!;
    const oLat = median(o.lat), oThr = median(o.thr);
    headlines.push(
      { measure: 'FMNIST-MLP batch 1 latency: onnxruntime speed-up over nn predict on tfjs-cpu (pure JS)', ours: `${fmt(oLat)} ms`, peer: `${fmt(median(nnCpu.lat))} ms`, ratio: median(nnCpu.lat) / oLat, spread: spread(nnCpu.lat.map((v) => v / oLat)), target: '≥ 10', met: median(nnCpu.lat) / oLat >= 10 },
      { measure: `FMNIST-MLP batch ${BIG} throughput: onnxruntime speed-up over nn predict on tfjs-cpu (pure JS)`, ours: `${fmt(oThr)} samples/s`, peer: `${fmt(median(nnCpu.thr))} samples/s`, ratio: oThr / median(nnCpu.thr), spread: spread(nnCpu.thr.map((v) => oThr / v)), target: '≥ 10', met: oThr / median(nnCpu.thr) >= 10 },
    );
    const nnDefault = sides.find((s) => s.name.startsWith('nn predict'))!;
    const speedD = per(o.thr, nnDefault.thr);
    headlines.push({ measure: `FMNIST-MLP batch ${BIG} throughput: onnxruntime speed-up over nn predict on the default engine (${backend.name})`, ours: `${fmt(oThr)} samples/s`, peer: `${fmt(median(nnDefault.thr))} samples/s`, ratio: median(speedD), spread: spread(speedD), target: 'none (reported)', met: null });

    const rows = all.map((s) => {
      const l = summarize(s.lat), h = summarize(s.thr);
      return [s.name, `${fmt(l.median)} ms${l.n > 1 ? ` (${fmt(l.min)}–${fmt(l.max)})` : ''}`, `${fmt(h.median)}${h.n > 1 ? ` (${fmt(h.min)}–${fmt(h.max)})` : ''}`, fmt(oLat / l.median), fmt(h.median / oThr)];
    });
    notes.push(
      `${reps} interleaved rounds (cpu engine: ${opts.quick ? 1 : Math.min(reps, 3)}); per round, batch 1 = median of ${sides[0]!.calls[0]} calls (tfjs engines fewer) after 5 warm-up calls, batch ${BIG} = median of a few calls. onnxruntime-node on CPU with one intra-op thread for both graphs.`,
      `Graphs: ${ops.map(([n, list]) => `${n.split(' →')[0]} [${list.join(', ')}]`).join('; ')}.`,
      `Parity, max |logit difference| vs our graph on ${BIG} test rows: ${parity.join('; ')}.`,
    );
    return {
      name: bench.name, title: bench.title, issues: bench.issues, status: 'ok', headlines,
      tables: [...(eager.table ? [eager.table] : []), table(['side', 'batch 1 latency, median (min–max)', `batch ${BIG} samples/s, median (min–max)`, 'latency ÷ ours', 'throughput ÷ ours'], rows)],
      notes: [...eager.notes, ...notes, 'The second table (all sides in this process, interleaved rounds, wall time): the torch.onnx row runs the same graph in the same onnxruntime as ours, so it checks the export, not speed.'],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Op types of an ONNX file's graph, decoded with the official onnx.proto schema (generated in @nn/onnx). */
function opTypes(bytes: Uint8Array): string[] {
  return fromBinary(ModelProtoSchema, bytes).graph?.node.map((n) => n.opType) ?? [];
}

export const bench: Bench = { name: 'fmnist-infer', title: 'FMNIST-MLP inference (Dropout + BatchNorm): nn ONNX in onnxruntime vs PyTorch eager (fair method); export check vs torch.onnx; predict on tfjs', issues: [6], run };
