/**
 * Issue 7: FMNIST-MLP training throughput (samples/s, batch 64 and 256) with the compiled `ort` engine
 * vs nn eager on tfjs-wasm vs PyTorch on this machine (packages/onnx/bench/train-ort.ts, written with
 * the engine; run in a fresh process per repetition). Targets: ort ≥ 4× tfjs-wasm and ≥ PyTorch.
 * If that script is absent, the benchmark is reported as skipped.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fmt, median, spread, summarize, table, fmtSummary } from '../stats';
import { ROOT, runScript } from '../spawn';
import type { Bench, BenchOptions, BenchResult, Headline } from '../types';

const SCRIPT = 'packages/onnx/bench/train-ort.ts';
const THREADS = 1;

interface Row {
  ort: number;
  device: string;
  wasm: number | null;
  torch: number | null;
}

/** Parses "batch 64: ort (cpu, 123 nodes) 12,345 | nn eager tfjs-wasm 2,345 | PyTorch 8,765". */
export function parseTrainOrt(stdout: string): Record<string, Row> {
  const out: Record<string, Row> = {};
  const n = (s: string | undefined) => (s && /^[\d,.]+$/.test(s.trim()) ? Number(s.trim().replace(/,/g, '')) : null);
  for (const line of stdout.split('\n')) {
    const m = /^batch (\d+): ort \(([^)]*)\) ([\d,.]+) \| nn eager tfjs-wasm ([^|]+) \| PyTorch (.+)$/.exec(line.trim());
    if (m) out[m[1]!] = { ort: n(m[3])!, device: m[2]!, wasm: n(m[4]), torch: n(m[5]) };
  }
  return out;
}

async function run(opts: BenchOptions): Promise<BenchResult> {
  const base = { name: bench.name, title: bench.title, issues: bench.issues };
  if (!existsSync(join(ROOT, SCRIPT))) {
    return { ...base, status: 'skipped', headlines: [], tables: [], notes: [`${SCRIPT} is not in this checkout yet (the ort engine's own bench); this entry runs it when it lands and parses its "batch N: ort … | nn eager tfjs-wasm … | PyTorch …" lines.`] };
  }
  const reps = opts.quick ? 1 : Math.min(opts.reps, 3);
  const args = ['--threads', String(THREADS), ...(opts.quick ? ['--quick'] : [])];
  const runs: Record<string, Row[]> = {};
  let torchLine = '';
  for (let r = 0; r < reps; r++) {
    const { stdout } = runScript(SCRIPT, args, 900_000);
    for (const [b, row] of Object.entries(parseTrainOrt(stdout))) (runs[b] ??= []).push(row);
    torchLine ||= /\[torch ([^\]]+)\]/.exec(stdout)?.[1] ?? '';
  }
  if (Object.keys(runs).length === 0) throw new Error(`${SCRIPT} printed no "batch N: ort …" lines`);
  const headlines: Headline[] = [];
  const rows: string[][] = [];
  for (const [batch, rs] of Object.entries(runs)) {
    const ort = rs.map((r) => r.ort);
    const wasm = rs.map((r) => r.wasm).filter((v): v is number => v !== null);
    const torch = rs.map((r) => r.torch).filter((v): v is number => v !== null);
    rows.push([batch, `${fmtSummary(summarize(ort))} (${rs[0]!.device})`, wasm.length ? fmtSummary(summarize(wasm)) : 'skipped', torch.length ? fmtSummary(summarize(torch)) : 'skipped']);
    if (wasm.length === rs.length) {
      const r = rs.map((x) => x.ort / x.wasm!);
      headlines.push({ measure: `MLP training, batch ${batch}: samples/s, ort ÷ tfjs-wasm`, ours: `ort: ${fmt(median(ort))}/s`, peer: `nn eager tfjs-wasm: ${fmt(median(wasm))}/s`, ratio: median(r), spread: spread(r), target: '≥ 4', met: median(r) >= 4 });
    }
    if (torch.length === rs.length) {
      const r = rs.map((x) => x.ort / x.torch!);
      headlines.push({ measure: `MLP training, batch ${batch}: samples/s, ort ÷ PyTorch`, ours: `ort: ${fmt(median(ort))}/s`, peer: `PyTorch: ${fmt(median(torch))}/s`, ratio: median(r), spread: spread(r), target: '≥ 1', met: median(r) >= 1 });
    }
  }
  return {
    ...base, status: 'ok', headlines,
    tables: [table(['batch', 'ort engine samples/s, median (min–max)', 'nn eager tfjs-wasm', 'PyTorch'], rows)],
    notes: [
      `${SCRIPT} ${args.join(' ')} run ${reps}× in fresh processes (each cell runs for a fixed time after a warm-up). Model 784-256-128-10 (ReLU, no dropout/BatchNorm), Adam (PyTorch door), synthetic data; onnxruntime and PyTorch both with ${THREADS} thread — on this loaded 2-core machine a second OpenMP thread makes PyTorch up to 40× slower (see fit-epoch's probe).`,
      ...(torchLine ? [`PyTorch ${torchLine.split(' ')[0]}, BLAS_INFO=${/BLAS_INFO=(\w+)/.exec(torchLine)?.[1] ?? '?'} (the BLAS libraries it maps are listed under fit-epoch).`] : []),
    ],
  };
}

export const bench: Bench = { name: 'ort-train', title: 'Compiled training on onnxruntime (`ort` engine) vs tfjs-wasm vs PyTorch', issues: [7], run };
