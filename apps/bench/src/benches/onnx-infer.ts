/**
 * Issue 6 and 20: FMNIST-MLP inference (784-256-128-10, softmax). The speed comparison is nn's
 * exported ONNX in onnxruntime-node against PyTorch EAGER (eval, no_grad, the same weights), one
 * thread each, at batch 1 and 1024, by the fair method (`../infer-fair.ts`). Then
 * packages/onnx/bench/infer.ts's `inferBench()`: the same architecture exported by torch.onnx in the
 * same onnxruntime-node (an export check: the same op list; both graphs in one runtime cannot differ
 * in speed beyond their ops, so it is not a speed claim) and nn predict on the tfjs engines (run once
 * per repetition; the spreads are over those runs).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { manualSeed, nn, saveSafetensors } from '@nn/core';
import { exportOnnx } from '@nn/onnx';
import { inferBench, type InferBenchResult } from '../../../../packages/onnx/bench/infer';
import { inferVsTorch, type InferVsTorch } from '../infer-fair';
import { fmt, median, spread, summarize, table, fmtSummary } from '../stats';
import type { Bench, BenchOptions, BenchResult, Headline } from '../types';

/** nn's MLP (PyTorch-door init, seed 0) exported to ONNX, timed against PyTorch eager with its weights. */
async function versusTorchEager(opts: BenchOptions): Promise<InferVsTorch> {
  const dir = mkdtempSync(join(tmpdir(), 'nn-bench-onnx-infer-'));
  try {
    manualSeed(0);
    const model = new nn.Sequential(new nn.Linear(784, 256), new nn.ReLU(), new nn.Linear(256, 128), new nn.ReLU(), new nn.Linear(128, 10), new nn.Softmax(1));
    model.eval();
    const file = join(dir, 'nn-mlp.onnx'), w = join(dir, 'w.safetensors');
    await exportOnnx(model, file, { inputs: { x: [null, 784] }, outputs: ['probs'] });
    await saveSafetensors(w, Object.fromEntries(Object.entries(model.stateDict())));
    return await inferVsTorch('FMNIST-MLP (784-256-128-10, softmax)', 'mlp', file, w, opts.reps, opts.quick);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function run(opts: BenchOptions): Promise<BenchResult> {
  console.log('nn ONNX in onnxruntime vs PyTorch eager, fair method…');
  const eager = await versusTorchEager(opts);
  const reps = opts.quick ? 1 : Math.min(opts.reps, 3);
  const runs: InferBenchResult[] = [];
  for (let r = 0; r < reps; r++) runs.push(await inferBench({ quick: opts.quick, threads: 1 }));
  const names = runs[0]!.rows.map((r) => r.name);
  const col = (name: string, k: 'latencyMs' | 'throughput') => runs.map((r) => r.rows.find((x) => x.name === name)?.[k]).filter((v): v is number => v !== undefined);
  const ours = names[0]!;
  const torch = names.find((n) => n.startsWith('torch'));
  const cpu = names.find((n) => n.endsWith('tfjs-cpu'));
  const wasm = names.find((n) => n.endsWith('tfjs-wasm'));
  const rows = names.map((n) => [n, fmtSummary(summarize(col(n, 'latencyMs')), ' ms'), fmtSummary(summarize(col(n, 'throughput')))]);
  const headlines: Headline[] = [...eager.headlines];
  const ratio = (a: number[], b: number[]) => a.map((x, i) => x / b[i]!);
  const oLat = col(ours, 'latencyMs'), oThr = col(ours, 'throughput');
  const ops = runs[0]!.ops;
  if (torch && ops) {
    // The same runtime runs both graphs: what can differ is the graph, so the check is its op list.
    const same = ops.ours.join() === ops.torch.join();
    headlines.push({ measure: 'FMNIST-MLP export check: nn\'s ONNX graph vs torch.onnx\'s, op lists (same runtime; not a speed comparison)', ours: `[${ops.ours.join(', ')}]`, peer: `[${ops.torch.join(', ')}]`, ratio: null, valueText: same ? 'same ops' : 'ops differ', target: 'same ops', met: same });
  }
  for (const [engine, name, target] of [['tfjs-cpu (pure JS)', cpu, 10], ['tfjs-wasm (default engine)', wasm, null]] as const) {
    if (!name) continue;
    const lat = ratio(col(name, 'latencyMs'), oLat);
    const thr = ratio(oThr, col(name, 'throughput'));
    for (const [what, r] of [['batch 1 latency', lat], ['batch 1024 throughput', thr]] as const)
      headlines.push({
        measure: `MLP inference, ${what}: onnxruntime speed-up over nn predict on ${engine}`,
        ours: `onnxruntime: ${what.includes('latency') ? `${fmt(median(oLat))} ms` : `${fmt(median(oThr))} /s`}`,
        peer: `${engine}: ${what.includes('latency') ? `${fmt(median(col(name, 'latencyMs')))} ms` : `${fmt(median(col(name, 'throughput')))} /s`}`,
        ratio: median(r),
        spread: spread(r),
        target: target ? `≥ ${target}` : 'none (reported)',
        met: target ? median(r) >= target : null,
      });
  }
  const notes = [
    ...eager.notes,
    `The second table: packages/onnx/bench/infer.ts \`inferBench({ threads: 1${opts.quick ? ', quick: true' : ''} })\` run ${reps}× in one process; each run times the two onnxruntime sessions in interleaved rounds and reports medians; spreads are over the runs. Model: 784 → 256 relu → 128 relu → 10 softmax (FMNIST-MLP's inference graph: dropout is removed at export; this graph has no BatchNorm), random weights, the same in every engine.`,
    'onnxruntime-node runs both graphs on CPU with one intra-op thread. Python onnxruntime is not installed here, so torch.onnx\'s file runs in onnxruntime-node too (same runtime, so those rows compare the graphs: an export check, not a speed claim).',
    ...[...new Set(runs.flatMap((r) => r.notes))],
  ];
  if (ops) notes.push(`Graphs: nn [${ops.ours.join(', ')}]; torch.onnx [${ops.torch.join(', ')}].`);
  if (!torch) notes.push('torch.onnx peer skipped (see the note above).');
  return {
    name: bench.name, title: bench.title, issues: bench.issues, status: 'ok', headlines,
    tables: [...(eager.table ? [eager.table] : []), table(['engine', 'batch 1 latency, median (min–max)', 'batch 1024 samples/s, median (min–max)'], rows)],
    notes,
  };
}

export const bench: Bench = { name: 'onnx-infer', title: 'FMNIST-MLP inference: nn ONNX in onnxruntime vs PyTorch eager (fair method); export check vs torch.onnx; nn predict on tfjs', issues: [6], run };
