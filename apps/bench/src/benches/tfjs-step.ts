/**
 * Issue 2: our forward + backward + SGD step of a 784-256-10 MLP (batch 64) against the same step in
 * raw tfjs-core (`tf.variableGrads`) on the same engine — packages/backend-tfjs/bench/step.ts, run
 * once per repetition in a fresh process (it times alternating blocks of both sides itself).
 */
import { fmt, median, spread, summarize, table, fmtSummary } from '../stats';
import { runScript } from '../spawn';
import type { Bench, BenchOptions, BenchResult, Headline } from '../types';

const SCRIPT = 'packages/backend-tfjs/bench/step.ts';

interface EngineRun {
  ours: number;
  raw: number;
  ratio: number;
}

/** Parses step.ts's per-engine lines: "engine tfjs-wasm (...)", "ours X steps/s, raw ... Y steps/s", "ratio ... = Z". */
export function parseStep(stdout: string): Record<string, EngineRun> {
  const out: Record<string, EngineRun> = {};
  let engine = '';
  for (const line of stdout.split('\n')) {
    const e = /^engine (\S+)/.exec(line);
    if (e) engine = e[1]!;
    const r = /ours ([\d.]+) steps\/s, raw tf\.variableGrads ([\d.]+) steps\/s/.exec(line);
    if (r && engine) out[engine] = { ours: Number(r[1]), raw: Number(r[2]), ratio: Number(r[2]) / Number(r[1]) };
  }
  return out;
}

async function run(opts: BenchOptions): Promise<BenchResult> {
  const engines = opts.quick ? ['wasm'] : ['wasm', 'cpu'];
  const runs: Record<string, EngineRun[]> = {};
  let loss = '';
  for (let r = 0; r < opts.reps; r++) {
    const { stdout } = runScript(SCRIPT, engines, 600_000);
    for (const [k, v] of Object.entries(parseStep(stdout))) (runs[k] ??= []).push(v);
    loss ||= stdout.split('\n').find((l) => l.includes('first-step loss'))?.trim() ?? '';
  }
  if (Object.keys(runs).length === 0) throw new Error(`${SCRIPT} printed no step rates`);
  const headlines: Headline[] = [];
  const rows: string[][] = [];
  for (const [engine, rs] of Object.entries(runs)) {
    const ratios = rs.map((x) => x.ratio);
    const o = summarize(rs.map((x) => x.ours)), w = summarize(rs.map((x) => x.raw));
    rows.push([engine, fmtSummary(o), fmtSummary(w), `${fmt(median(ratios))}${spread(ratios) ? ` (${spread(ratios)})` : ''}`]);
    headlines.push({
      measure: `MLP 784-256-10 step (batch 64), ${engine}: step time`,
      ours: `nn: ${fmt(o.median)} steps/s`,
      peer: `tf.variableGrads: ${fmt(w.median)} steps/s`,
      ratio: median(ratios),
      spread: spread(ratios),
      target: '≤ 1.05',
      met: median(ratios) <= 1.05,
    });
  }
  return {
    name: bench.name, title: bench.title, issues: bench.issues, status: 'ok', headlines,
    tables: [table(['engine', 'nn steps/s, median (min–max)', 'raw tfjs steps/s', 'step-time ratio nn/raw (min–max)'], rows)],
    notes: [
      `${SCRIPT} run ${opts.reps}× in fresh processes; each run times alternating blocks of both sides (wasm: 7 blocks of 40 steps, cpu: 9 of 3) after a warm-up and reports medians; the spread is over the runs.`,
      ...(loss ? [`Same weights and batch on both sides (last run, wasm): ${loss}.`] : []),
    ],
  };
}

export const bench: Bench = { name: 'tfjs-step', title: 'MLP training step: nn vs raw tfjs-core `tf.variableGrads`', issues: [2], run };
