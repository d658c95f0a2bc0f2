/**
 * Issue 7: FMNIST-MLP training throughput (samples/s, batch 64 and 256) with the compiled `ort` engine
 * vs nn eager on tfjs-wasm (the default tfjs engine here) vs PyTorch on this machine, each at 1 and 2
 * threads (packages/onnx/bench/train-ort.ts, run in a fresh process per repetition; it prints one
 * JSON line last, parsed here). Targets: ort ≥ 4× tfjs-wasm and ≥ PyTorch, at batch 64 and 256.
 * If that script is absent, the benchmark is reported as skipped.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fmt, median, spread, summarize, table, fmtSummary } from '../stats';
import { blasNote, PEER_BLAS_ENV, peerBlas } from '../python';
import { ROOT, runScript } from '../spawn';
import type { Bench, BenchOptions, BenchResult, Headline } from '../types';
// The script's report types (its last stdout line), defined once, next to the code that writes them.
import type { TrainOrtCell, TrainOrtReport } from '../../../../packages/onnx/bench/train-ort';

const SCRIPT = 'packages/onnx/bench/train-ort.ts';
const THREADS = '1,2';

export type { TrainOrtCell, TrainOrtReport };

/** Parses the JSON object on the last non-empty line of the script's stdout; says what was wrong otherwise. */
export function parseTrainOrt(stdout: string): TrainOrtReport {
  const last = stdout.trim().split('\n').pop() ?? '';
  let r: TrainOrtReport;
  try {
    r = JSON.parse(last) as TrainOrtReport;
  } catch {
    throw new Error(`${SCRIPT}: expected a JSON report on the last line of stdout, got ${JSON.stringify(last.slice(0, 120))}`);
  }
  if (!r || !Array.isArray(r.cells) || r.cells.some((c) => typeof c.batch !== 'number' || typeof c.engine !== 'string' || (c.skipped === undefined && typeof c.wall !== 'number'))) {
    throw new Error(`${SCRIPT}: the JSON report has no valid "cells" (each needs batch, engine and wall or skipped)`);
  }
  return r;
}

const key = (c: TrainOrtCell) => `${c.batch}|${c.engine}|${c.threads}|${c.perCall}|${c.variant ?? ''}`;
const LABEL: Record<TrainOrtCell['engine'], string> = {
  ort: 'ort engine (compiled step)',
  'ort-fit': 'model.fit + ortEngine()',
  'tfjs-wasm': 'nn eager, tfjs-wasm',
  torch: 'PyTorch',
};

async function run(opts: BenchOptions): Promise<BenchResult> {
  const base = { name: bench.name, title: bench.title, issues: bench.issues };
  if (!existsSync(join(ROOT, SCRIPT))) {
    return { ...base, status: 'skipped', headlines: [], tables: [], notes: [`${SCRIPT} is not in this checkout yet (the ort engine's own bench).`] };
  }
  const reps = opts.quick ? 1 : Math.min(opts.reps, 3);
  const args = ['--threads', THREADS, ...(opts.quick ? ['--quick'] : [])];
  const reports: TrainOrtReport[] = [];
  for (let r = 0; r < reps; r++) reports.push(parseTrainOrt(runScript(SCRIPT, args, 1_800_000, { ...process.env, [PEER_BLAS_ENV]: JSON.stringify(peerBlas()) }).stdout));

  // Every configuration's cells over the repetitions (same order in each report).
  const byKey = new Map<string, TrainOrtCell[]>();
  for (const rep of reports) for (const c of rep.cells) byKey.set(key(c), [...(byKey.get(key(c)) ?? []), c]);
  const measured = (cs: TrainOrtCell[]) => cs.every((c) => c.wall !== undefined);
  const wallMedian = (cs: TrainOrtCell[]) => median(cs.map((c) => c.wall!));
  /** The configuration of an engine with the best median wall rate at a batch size ("at its best"). */
  const best = (batch: number, engine: TrainOrtCell['engine'], filter: (c: TrainOrtCell) => boolean = () => true) =>
    [...byKey.values()].filter((cs) => cs[0]!.batch === batch && cs[0]!.engine === engine && filter(cs[0]!) && measured(cs)).sort((a, b) => wallMedian(b) - wallMedian(a))[0];
  const describe = (cs: TrainOrtCell[]) => `${LABEL[cs[0]!.engine]}, ${cs[0]!.threads} thr${cs[0]!.engine === 'ort' || cs[0]!.engine === 'ort-fit' ? `, ${cs[0]!.perCall}/call` : ''}${cs[0]!.variant ? `, ${cs[0]!.variant === 'foreach' ? 'foreach optimizer' : 'default optimizer loop'}` : ''}`;
  const headline = (batch: number, ours: TrainOrtCell[] | undefined, peer: TrainOrtCell[] | undefined, what: string, target: number): Headline | null => {
    if (!ours || !peer) return null;
    const r = ours.map((c, i) => c.wall! / peer[i]!.wall!);
    return {
      measure: `MLP training, batch ${batch}: samples/s, ${what}`,
      ours: `${describe(ours)}: ${fmt(wallMedian(ours))}/s`, peer: `${describe(peer)}: ${fmt(wallMedian(peer))}/s`,
      ratio: median(r), ...(spread(r) ? { spread: spread(r)! } : {}), target: `≥ ${target}`, met: median(r) >= target,
    };
  };

  const headlines: Headline[] = [];
  const batches = [...new Set(reports[0]!.cells.map((c) => c.batch))];
  for (const b of batches) {
    // tfjs-wasm has one thread in Node: pair it with ort on one thread.
    const wasm = best(b, 'tfjs-wasm');
    const h1 = headline(b, best(b, 'ort', (c) => c.threads === 1), wasm, 'ort (1 thread) ÷ tfjs-wasm', 4);
    // No PyTorch headline here: these cells run back to back (not interleaved) and "at its best"
    // pairs different thread counts; the nn-vs-PyTorch claims come from train-mlp (issue 20).
    if (h1) headlines.push(h1);
  }

  const rows = [...byKey.values()].map((cs) => {
    const c = cs[0]!;
    const skipped = cs.find((x) => x.skipped !== undefined)?.skipped;
    return [
      c.batch, `${LABEL[c.engine]}${c.variant ? ` (optimizer ${c.variant === 'foreach' ? 'foreach=True' : 'default loop'})` : ''}`, c.threads, c.engine === 'ort' || c.engine === 'ort-fit' ? c.perCall : '—',
      skipped ? `skipped: ${skipped}` : fmtSummary(summarize(cs.map((x) => x.wall!))),
      skipped ? '' : fmtSummary(summarize(cs.map((x) => x.cpu!))),
      c.engine === 'torch' ? '' : (c.note ?? ''),
    ];
  });
  const torchNote = reports[0]!.cells.find((c) => c.engine === 'torch' && c.note)?.note?.replace(/, \d+ thread\(s\)/, '').replace(/, optimizer foreach=\w+/, '');
  const loads = reports.map((r) => `${r.load.start[0]!.toFixed(1)} → ${r.load.end[0]!.toFixed(1)}`).join(', ');
  return {
    ...base, status: 'ok', headlines,
    tables: [table(['batch', 'engine', 'threads', 'batches/call', 'samples/s wall, median (min–max)', 'samples per CPU-s', 'note'], rows)],
    notes: [
      `\`${SCRIPT} ${args.join(' ')}\` run ${reps}× in fresh processes; each cell runs ${reports[0]!.secondsPerCell} s in 100 ms blocks after a warm-up and reports the median block. Model ${reports[0]!.model} (ReLU, no dropout/BatchNorm), ${reports[0]!.optimizer === 'sgd' ? 'SGD momentum' : 'Adam'} (PyTorch door), synthetic data of ${reports[0]!.samples} samples.`,
      'PyTorch rows are context only (cells back to back, not interleaved; "at its best" can pair different thread counts): the nn ÷ PyTorch ratios are `train-mlp`, `train-fmnist`, `train-cnn` and `scaling` (the fair method, issue 20).',
      `"At its best": the thread count (for ort also batches per call; for PyTorch also the optimizer's foreach=True batched update or its default per-parameter loop) with the higher median wall rate. tfjs-wasm is single-threaded in Node, so it is paired with ort on one thread. The model.fit row times whole epochs (shuffle, batching, fit's bookkeeping) after a first, untimed epoch (graph compile, eager first step).`,
      `This machine is shared with other jobs (2 cores; 1-minute load average at start → end of each run: ${loads}): wall rates move with the load, and a second thread often hurts (the other core is busy). Samples per CPU-second are the steadier measure of each engine's work.`,
      ...(torchNote ? [`PyTorch: ${torchNote} (/usr/bin/python3, ${blasNote(peerBlas())}).`] : []),
    ],
  };
}

export const bench: Bench = { name: 'ort-train', title: 'Compiled training on onnxruntime (`ort` engine) vs tfjs-wasm vs PyTorch', issues: [7], run };
