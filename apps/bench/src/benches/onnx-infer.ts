/**
 * Issue 6: FMNIST-MLP inference — our exported ONNX in onnxruntime-node vs the same architecture and
 * weights exported by torch.onnx (run in the same onnxruntime-node: Python onnxruntime is not
 * installed here) vs nn predict on the tfjs engines. Uses packages/onnx/bench/infer.ts's
 * `inferBench()`, run once per repetition; the spreads are over those runs.
 */
import { inferBench, type InferBenchResult } from '../../../../packages/onnx/bench/infer';
import { fmt, median, spread, summarize, table, fmtSummary } from '../stats';
import type { Bench, BenchOptions, BenchResult, Headline } from '../types';

async function run(opts: BenchOptions): Promise<BenchResult> {
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
  const headlines: Headline[] = [];
  const ratio = (a: number[], b: number[]) => a.map((x, i) => x / b[i]!);
  const oLat = col(ours, 'latencyMs'), oThr = col(ours, 'throughput');
  if (torch) {
    const lat = ratio(oLat, col(torch, 'latencyMs'));
    const thr = ratio(col(torch, 'throughput'), oThr); // time per sample, ours / torch's
    headlines.push(
      { measure: 'MLP inference in onnxruntime, batch 1 latency', ours: `nn graph: ${fmt(median(oLat))} ms`, peer: `torch.onnx graph: ${fmt(median(col(torch, 'latencyMs')))} ms`, ratio: median(lat), spread: spread(lat), target: '≤ 1.05', met: median(lat) <= 1.05 },
      { measure: 'MLP inference in onnxruntime, batch 1024 time per sample', ours: `nn graph: ${fmt(median(oThr))} /s`, peer: `torch.onnx graph: ${fmt(median(col(torch, 'throughput')))} /s`, ratio: median(thr), spread: spread(thr), target: '≤ 1.05', met: median(thr) <= 1.05 },
    );
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
    `packages/onnx/bench/infer.ts \`inferBench({ threads: 1${opts.quick ? ', quick: true' : ''} })\` run ${reps}× in one process; each run times the two onnxruntime sessions in interleaved rounds and reports medians; spreads are over the runs. Model: 784 → 256 relu → 128 relu → 10 softmax (FMNIST-MLP's inference graph: dropout is removed at export; this graph has no BatchNorm), random weights, the same in every engine.`,
    'onnxruntime-node runs both graphs on CPU with one intra-op thread. Python onnxruntime is not installed here, so torch.onnx\'s file runs in onnxruntime-node too (same runtime, so the ratio compares the graphs).',
    ...[...new Set(runs.flatMap((r) => r.notes))],
  ];
  const ops = runs[0]!.ops;
  if (ops) notes.push(`Graphs: nn [${ops.ours.join(', ')}]; torch.onnx [${ops.torch.join(', ')}].`);
  if (!torch) notes.push('torch.onnx peer skipped (see the note above).');
  return {
    name: bench.name, title: bench.title, issues: bench.issues, status: 'ok', headlines,
    tables: [table(['engine', 'batch 1 latency, median (min–max)', 'batch 1024 samples/s, median (min–max)'], rows)],
    notes,
  };
}

export const bench: Bench = { name: 'onnx-infer', title: 'FMNIST-MLP inference: nn ONNX vs torch.onnx in onnxruntime-node vs nn predict on tfjs', issues: [6], run };
