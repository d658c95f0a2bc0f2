/**
 * Issue 16: nn on a GPU. Runs gpu-scripts/gpu-check.mjs (the same script the GPU machine runs) in a
 * child process and reports its JSON: FMNIST-MLP (784-512-BN-256-10, Adam, batch 256) and a large MLP
 * (784-4096-4096-10, Adam, batch 1024), inference and training, nn on webgpu (and cuda when
 * onnxruntime-node has that provider) vs nn on cpu, with PyTorch CUDA (apps/bench/peers/gpu_torch.py)
 * beside each when torch sees a GPU; parity: webgpu vs cpu, inference max rel diff and 50 training
 * steps (loss rel ≤ 1e-4). Where there is no GPU (no WebGPU adapter, no CUDA provider) it prints one
 * line saying so and reports "skipped".
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fmt, table } from '../stats';
import { ROOT } from '../spawn';
import type { Bench, BenchOptions, BenchResult, Headline } from '../types';

const SCRIPT = 'gpu-scripts/gpu-check.mjs';

interface Timing { msPerCall: number; samplesPerS: number; calls: number }
interface Cell { kind: 'infer' | 'train'; name: 'fmnist' | 'large'; device: string; ran?: string; error?: string; b1024?: Timing; b1?: Timing; step1?: Timing; stepK?: Timing; batch?: number; k?: number }
interface Parity { kind: string; name: string; device: string; ok: boolean; maxRelDiff?: number; maxLossRel?: number; steps?: number; tol?: number; why?: string }
interface TorchSide { cuda: boolean; reason?: string; torch?: string; gpu?: string; infer?: Record<string, { b1024: Timing; b1: Timing }>; train?: Record<string, { batch: number; adam: string; step1: Timing }> }
/** What gpu-check.mjs prints on its last line (and writes to $OUT/gpu-check.json). */
/** Where onnxruntime's profiler saw each node of the training graphs run: op type counts by execution provider. */
interface Placement { name: string; device: string; error?: string; byProvider?: Record<string, Record<string, number>> }
/** The k-step control-flow form (multiStep 'loop': an ONNX Loop before 2026-12-07, a Scan since) on webgpu (what the engine avoids there), against cpu: a diagnostic. */
interface LoopDiagnostic { device: string; error?: string; k?: number; steps?: number; maxLossRel?: number; weightsRelToMax?: number; withinTol?: boolean }
export interface GpuCheckReport { noGpu?: boolean; smoke: boolean; cells: Cell[]; parity: Parity[]; torch: TorchSide | null; notes: string[]; placement?: Placement[]; loopDiagnostic?: LoopDiagnostic }

/** Parse the script's last stdout line; says what was wrong otherwise. */
export function parseGpuCheck(stdout: string): GpuCheckReport {
  const last = stdout.trim().split('\n').pop() ?? '';
  let r: GpuCheckReport;
  try {
    r = JSON.parse(last) as GpuCheckReport;
  } catch {
    throw new Error(`${SCRIPT}: expected a JSON report on the last line of stdout, got ${JSON.stringify(last.slice(0, 120))}`);
  }
  if (!r || !Array.isArray(r.cells) || !Array.isArray(r.parity)) throw new Error(`${SCRIPT}: the JSON report has no "cells" / "parity" arrays`);
  return r;
}

const LABEL = { fmnist: 'FMNIST-MLP', large: 'MLP 784-4096-4096-10' } as const;
const best = (c: Cell | undefined) => (c?.kind === 'train' ? Math.max(c.step1?.samplesPerS ?? 0, c.stepK?.samplesPerS ?? 0) : (c?.b1024?.samplesPerS ?? 0));

/** Headlines and tables from a report (exported for the test). */
export function summarizeGpu(r: GpuCheckReport): Pick<BenchResult, 'headlines' | 'tables' | 'notes' | 'status'> {
  const notes = [...r.notes];
  if (r.noGpu) return { status: 'skipped', headlines: [], tables: [], notes: [`No GPU here: ${r.notes.join('; ')}. Nothing measured.`] };
  const find = (kind: string, name: string, device: string) => r.cells.find((c) => c.kind === kind && c.name === name && c.device === device && !c.error);
  const torchOf = (kind: string, name: 'fmnist' | 'large') => (r.torch?.cuda ? (kind === 'train' ? r.torch.train?.[name]?.step1.samplesPerS : r.torch.infer?.[name]?.b1024.samplesPerS) : undefined);
  const headlines: Headline[] = [];
  const targets: Record<string, [number, string]> = { 'train|large': [5, '≥ 5 (issue 16)'], 'train|fmnist': [1, '≥ 1 (issue 16)'] };
  for (const gpu of [...new Set(r.cells.map((c) => c.device))].filter((d) => d !== 'cpu')) {
    for (const kind of ['train', 'infer'] as const) {
      for (const name of ['large', 'fmnist'] as const) {
        const g = find(kind, name, gpu), c = find(kind, name, 'cpu');
        if (!g || !c) continue;
        const ratio = best(g) / best(c);
        const t = targets[`${kind}|${name}`];
        const peer = torchOf(kind, name);
        headlines.push({
          measure: `${LABEL[name]} ${kind === 'train' ? `training, batch ${g.batch}` : 'inference, batch 1024'}: nn on ${gpu} ÷ nn on cpu${peer ? ` (÷ PyTorch CUDA: ${fmt(best(g) / peer)})` : ''}`,
          ours: `nn ${gpu}: ${fmt(best(g))} samples/s`, peer: `nn cpu: ${fmt(best(c))} samples/s`,
          ratio, target: t ? t[1] : 'none (reported)', met: t ? ratio >= t[0] : null,
        });
        if (kind === 'infer' && name === 'fmnist') headlines.push({ measure: `FMNIST-MLP inference, batch 1024 on ${gpu}`, ours: `${fmt(best(g))} samples/s`, peer: '1M samples/s', ratio: best(g) / 1e6, target: '≥ 1 (issue 16: ≥ 1M samples/s)', met: best(g) >= 1e6 });
      }
    }
  }
  for (const p of r.parity) headlines.push({ measure: `parity ${p.kind} ${p.name}: ${p.device} vs cpu${p.steps ? ` (${p.steps} steps)` : ''}`, ours: p.why ?? `max rel ${p.kind === 'train' ? 'loss ' : ''}diff ${fmt(p.maxLossRel ?? p.maxRelDiff ?? NaN)}`, peer: 'cpu', ratio: null, valueText: String(p.maxLossRel ?? p.maxRelDiff ?? p.why), target: `≤ ${p.tol ?? '—'}`, met: p.ok });
  const rows = r.cells.map((c) => [c.kind, LABEL[c.name], c.device + (c.ran && c.ran !== c.device ? ` (ran ${c.ran})` : ''), c.error ?? (c.kind === 'infer' ? `${fmt(c.b1024!.samplesPerS)} /s; b1 ${fmt(c.b1!.msPerCall)} ms` : `1 step/call ${fmt(c.step1!.samplesPerS)} /s; ${c.k} steps/call ${fmt(c.stepK!.samplesPerS)} /s`)]);
  if (r.torch?.cuda) {
    for (const name of ['fmnist', 'large'] as const) {
      rows.push(['infer', LABEL[name], `PyTorch ${r.torch.torch} CUDA`, `${fmt(r.torch.infer![name]!.b1024.samplesPerS)} /s; b1 ${fmt(r.torch.infer![name]!.b1.msPerCall)} ms`]);
      rows.push(['train', LABEL[name], `PyTorch ${r.torch.torch} CUDA (${r.torch.train![name]!.adam} Adam)`, `${fmt(r.torch.train![name]!.step1.samplesPerS)} /s`]);
    }
  } else notes.push(`PyTorch CUDA peer: ${r.torch?.reason ?? 'not run'}.`);
  const l = r.loopDiagnostic;
  if (l) notes.push(`Diagnostic, not the engine's path: FMNIST-MLP trained through the k-step control-flow graph (multiStep 'loop') of ${l.k ?? '?'} steps on ${l.device}: ${l.error ?? `max loss rel diff vs cpu ${fmt(l.maxLossRel ?? NaN)} over ${l.steps} steps, weights ${fmt(l.weightsRelToMax ?? NaN)} of their max (${l.withinTol ? 'within' : 'outside'} 1e-4)`}.`);
  for (const p of r.placement ?? []) {
    if (p.error) notes.push(`Node placement of the ${LABEL[p.name as 'fmnist']} training graphs on ${p.device}: not measured (${p.error}).`);
    else {
      const cpu = p.byProvider?.CPUExecutionProvider ?? {};
      const ops = Object.entries(cpu).map(([op, n]) => `${op} ×${n}`).join(', ');
      notes.push(`Node placement of the ${LABEL[p.name as 'fmnist']} training graphs on ${p.device} (onnxruntime profiler): ${ops ? `on the CPU provider: ${ops}` : 'no node on the CPU provider'}.`);
    }
  }
  return { status: 'ok', headlines, tables: [table(['what', 'model', 'device', 'samples/s (median call)'], rows)], notes };
}

async function run(opts: BenchOptions): Promise<BenchResult> {
  const r = spawnSync(process.execPath, [join(ROOT, SCRIPT), '--seconds', opts.quick ? '1' : '3'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20, timeout: 1_800_000 });
  if (r.status !== 0 && r.status !== 1) throw new Error(`${SCRIPT} failed (${r.error?.message ?? r.signal ?? `exit ${r.status}`}): ${(r.stderr ?? '').trim().split('\n').slice(-3).join(' / ')}`);
  const report = parseGpuCheck(r.stdout ?? '');
  const s = summarizeGpu(report);
  if (report.noGpu) console.log(`gpu: no GPU here (${report.notes.join('; ')}); skipped.`);
  return { name: bench.name, title: bench.title, issues: bench.issues, ...s, notes: [`${SCRIPT} (each cell in a child process; medians over ${opts.quick ? 1 : 3} s of calls after one warm-up call).`, ...s.notes] };
}

export const bench: Bench = { name: 'gpu', title: 'GPU: webgpu / cuda vs cpu vs PyTorch CUDA', issues: [16], run };
