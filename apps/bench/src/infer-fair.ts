/**
 * Inference by the fair method: nn's exported ONNX graph in onnxruntime-node (in this process) vs
 * PyTorch EAGER (`peers/infer_cell_torch.py`: eval(), no_grad, the same weights), one thread each,
 * at batch 1 (latency) and batch 1024 (throughput), the four cells interleaved in rounds with the
 * order reversed each round; ratios per wall-second and per CPU-second, median (min–max).
 */
import { InferenceSession } from '@nn/onnx';
import { cpus } from 'node:os';
import { fmtSpread, loadWarning, ratesOf, ratioOf, sgemmCheck, type Sample } from './fair';
import { interleave, startPythonCell, type Cell, type CellReady } from './fair-run';
import { fmnistDir, loadFmnist } from './fmnist';
import { blasNote, chosenCore, peerBlas, torchAvailable } from './python';
import { fmt, table } from './stats';
import type { Headline } from './types';

const PEER = 'apps/bench/peers/infer_cell_torch.py';

/** A cell in this process: `step()` per step, timed by wall clock and `process.cpuUsage()`. */
export function localCell(name: string, batch: number, step: () => Promise<unknown> | unknown, ready: CellReady = { ready: true }): Cell {
  const timed = async (steps: number): Promise<Sample> => {
    const c0 = process.cpuUsage(), w0 = performance.now();
    for (let i = 0; i < steps; i++) await step();
    const c = process.cpuUsage(c0);
    return { steps, batch, wall: (performance.now() - w0) / 1000, cpu: (c.user + c.system) / 1e6 };
  };
  return {
    name, batch, ready,
    run: timed,
    async probe(seconds) {
      let steps = 1;
      let t = await timed(steps);
      while (t.wall < seconds && steps < 1 << 22) {
        steps = Math.max(steps * 2, Math.ceil((steps * seconds) / Math.max(t.wall, 1e-4) / 2));
        t = await timed(steps);
      }
      return t;
    },
    close: async () => {},
  };
}

export interface InferVsTorch {
  headlines: Headline[];
  table: string;
  notes: string[];
}

/**
 * Times `onnxFile` in onnxruntime-node against PyTorch eager with `weights` (safetensors, PyTorch
 * state-dict names), both on one thread, interleaved.
 *
 * @param what - Title used in the headlines ("FMNIST-MLP (BN + dropout)").
 * @param model - The peer's architecture: `mlp` (softmax output) or `fmnist`.
 */
export async function inferVsTorch(what: string, model: 'mlp' | 'fmnist', onnxFile: string, weights: string, rounds: number, quick: boolean): Promise<InferVsTorch> {
  const notes: string[] = [];
  const torch = torchAvailable();
  if (!torch.ok) return { headlines: [], table: '', notes: [`PyTorch eager peer skipped: ${torch.reason}.`] };
  const data = loadFmnist('t10k', 1024);
  const session = await InferenceSession.create(onnxFile, { device: 'cpu', threads: 1 });
  // The graph's input is named `x` (both benches export it so).
  const ortRun = (n: number) => session.run({ x: { data: data.x.subarray(0, n * 784), dims: [n, 784] } });
  const cells: Cell[] = [];
  const pairs: [number, Cell, Cell][] = [];
  try {
    for (const batch of [1, 1024]) {
      const peer = await startPythonCell(`torch eager b${batch}`, batch, PEER, { model, weights, batch, threads: 1, data: fmnistDir().dir });
      const ours = localCell(`nn onnx b${batch}`, batch, () => ortRun(batch));
      cells.push(ours, peer);
      pairs.push([batch, ours, peer]);
    }
    // Parity first: the peer's outputs for the first 4 rows against our graph's.
    const out = await ortRun(4);
    const v = Object.values(out)[0] as { data?: ArrayLike<number> } | ArrayLike<number>;
    const ours = ('data' in v && v.data ? v.data : v) as ArrayLike<number>;
    const head = pairs[0]![2].ready.head as number[];
    let maxDiff = 0;
    for (let i = 0; i < head.length; i++) maxDiff = Math.max(maxDiff, Math.abs(head[i]! - ours[i]!));
    notes.push(`Parity, nn ONNX in onnxruntime vs PyTorch eager, same weights, 4 test rows: max |Δoutput| ${maxDiff.toExponential(1)}.`);
    const r = await interleave(cells, rounds, quick ? 0.2 : 1, (s) => console.log(`  ${s}`));
    const samples = new Map(cells.map((c, i) => [c, r.samples[i]!]));
    const rows: string[][] = [];
    const headlines: Headline[] = [];
    const loadTxt = `${r.load.start[0]!.toFixed(2)} → ${r.load.end[0]!.toFixed(2)}`;
    for (const [batch, o, p] of pairs) {
      const so = samples.get(o)!, sp = samples.get(p)!;
      const check = sgemmCheck(p.ready.gflops, undefined, p.ready.gflopsWall as number | undefined, { want: chosenCore(peerBlas()), got: p.ready.blasCore as string | null | undefined });
      const ro = ratesOf(so), rp = ratesOf(sp), vs = ratioOf(so, sp);
      const unit = batch === 1 ? 'calls/s' : 'samples/s';
      rows.push([String(batch), `nn ONNX → onnxruntime-node (1 thread)`, batch === 1 ? `${fmt(1000 / ro.wall.median)} ms` : '', `${fmtSpread(ro.wall)} ${unit}`, fmtSpread(ro.cpu), fmtSpread(vs.wall), fmtSpread(vs.cpu), '', loadTxt]);
      rows.push([String(batch), `PyTorch eager, no_grad (1 thread)`, batch === 1 ? `${fmt(1000 / rp.wall.median)} ms` : '', `${fmtSpread(rp.wall)} ${unit}`, fmtSpread(rp.cpu), '—', '—', check.text, loadTxt]);
      headlines.push({
        measure: `${what} inference, batch ${batch}, 1 thread each: nn ONNX in onnxruntime ÷ PyTorch eager, per CPU-second (wall ratio ${fmtSpread(vs.wall)}; load ${loadTxt})`,
        ours: `${fmt(ro.cpu.median)} samples/CPU-s`, peer: `${fmt(rp.cpu.median)} samples/CPU-s${check.ok ? '' : ` — ${check.text}`}`,
        ratio: vs.cpu.median, spread: `${fmt(vs.cpu.min)}–${fmt(vs.cpu.max)}`,
        ...(check.ok ? {} : { valueText: `INVALID (${fmt(vs.cpu.median)})` }),
        target: 'reported', met: null,
      });
    }
    const warn = loadWarning([r.load.start[0]!, r.load.end[0]!], cpus().length);
    if (warn) notes.unshift(warn);
    notes.push(
      `nn vs PyTorch eager by the fair method: 4 cells (nn and PyTorch × batch 1 and 1024), ${rounds} rounds, order reversed each round, fixed calls per cell from a probe; nn's session runs in this process (process.cpuUsage), PyTorch in a warmed /usr/bin/python3 (OMP_WAIT_POLICY=PASSIVE, ${blasNote(peerBlas())}, OPENBLAS_NUM_THREADS=1, torch.set_flush_denormal(True), time.process_time). Input: the first Fashion-MNIST test rows (x/255), the same on both sides; each call's output is read back as a float32 array on both sides. ${pairs[0]![2].ready.info ?? ''}.`,
    );
    return {
      headlines, notes,
      table: table(['batch', 'side', 'latency (median)', 'rate, wall: median (min–max)', 'samples per CPU-s', 'nn ÷ PyTorch, wall', 'nn ÷ PyTorch, per CPU-s', 'peer sgemm 1024³ (GFLOP per CPU-s)', 'load 1-min, start → end'], rows),
    };
  } finally {
    for (const c of cells) await c.close().catch(() => {});
    await session.release();
  }
}
