/**
 * The fair-comparison method's pure logic (no processes, no clocks): the order of the cells in each
 * round, rates per wall-second and per CPU-second, per-round ratios summarised as median (min–max),
 * and the peer sanity check. The processes that produce the samples live in `fair-run.ts`.
 *
 * The method (apps/bench/README.md, "The fair method"):
 * - every cell (one engine on one model, batch and thread count) runs in a warmed process of its own
 *   and measures a FIXED number of steps per round (chosen once from its warm-up);
 * - the cells run one at a time, in rounds; each round reverses the previous round's order, so no
 *   side always runs first or last (both see the same drift in machine load);
 * - each round gives one ratio per pair of cells, per wall-second and per CPU-second (the process's
 *   user + system time over all its threads); a ratio is reported as the median over the rounds,
 *   with its min–max;
 * - the PyTorch peer reports its 1024³ sgemm rate (GFLOP per CPU-second) and its OpenBLAS kernel; below
 *   {@link SGEMM_MIN_GFLOPS}, or on another kernel than the bench chose, the peer is not running at
 *   its best and its rows are marked INVALID.
 */
import { fmt, summarize } from './stats';

/**
 * Below this sgemm rate (1024³, GFLOP per CPU-second of the peer's process) the peer's rows are
 * marked INVALID: the reference BLAS gives about 8 here. A rate cannot tell OpenBLAS's kernels apart
 * under load (on this machine, AMD EPYC with AVX-512, its AVX-512 kernels give 180 – 190 GFLOP per
 * CPU-second on a quiet core and once measured 117 in a loaded moment; its AVX2 kernels, Haswell
 * and Zen, about 100), so the kernel itself is checked by name (`sgemmCheck`'s `kernel`).
 */
export const SGEMM_MIN_GFLOPS = 50;

/** What a cell reports for one round: the steps it ran and the time they took. */
export interface Sample {
  steps: number;
  /** Samples (rows) trained or inferred per step. */
  batch: number;
  /** Wall-clock seconds for the steps. */
  wall: number;
  /** CPU seconds (user + system, all threads of the cell's process) for the steps. */
  cpu: number;
}

/** Samples per wall-second and per CPU-second of one round. */
export interface Rate {
  wall: number;
  cpu: number;
}

/**
 * The order the cells run in, round by round: round 0 in the given order, every odd round reversed
 * (so with two cells A, B: AB, BA, AB, BA …).
 *
 * @param cells - Number of cells (≥ 1).
 * @param rounds - Number of rounds (≥ 1).
 * @returns For each round, the cell indices in running order.
 */
export function roundOrder(cells: number, rounds: number): number[][] {
  if (!Number.isInteger(cells) || cells < 1) throw new RangeError(`roundOrder: cells must be a positive integer, got ${cells}`);
  if (!Number.isInteger(rounds) || rounds < 1) throw new RangeError(`roundOrder: rounds must be a positive integer, got ${rounds}`);
  const forward = Array.from({ length: cells }, (_, i) => i);
  return Array.from({ length: rounds }, (_, r) => (r % 2 === 0 ? [...forward] : [...forward].reverse()));
}

/** Samples per wall-second and per CPU-second of a sample. */
export function rate(s: Sample): Rate {
  if (!(s.wall > 0) || !(s.cpu > 0)) throw new RangeError(`rate: wall and cpu seconds must be > 0, got wall ${s.wall}, cpu ${s.cpu}`);
  const n = s.steps * s.batch;
  return { wall: n / s.wall, cpu: n / s.cpu };
}

/** Median and extremes of a sample of numbers. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function spreadOf(xs: readonly number[]): Spread {
  const s = summarize(xs);
  return { median: s.median, min: s.min, max: s.max, n: s.n };
}

/** "1.23 (1.10–1.31)"; just the median when there is one value. */
export function fmtSpread(s: Spread): string {
  return s.n > 1 ? `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})` : fmt(s.median);
}

/**
 * Per-round ratios of two cells' rates (ours ÷ peer; > 1 means ours is faster), summarised.
 * Round i of `ours` is paired with round i of `peer` (the same round, so the same machine load).
 */
export function ratioOf(ours: readonly Sample[], peer: readonly Sample[]): { wall: Spread; cpu: Spread } {
  if (ours.length !== peer.length || ours.length === 0) throw new RangeError(`ratioOf: need the same non-zero number of rounds on both sides, got ${ours.length} and ${peer.length}`);
  const o = ours.map(rate), p = peer.map(rate);
  return { wall: spreadOf(o.map((r, i) => r.wall / p[i]!.wall)), cpu: spreadOf(o.map((r, i) => r.cpu / p[i]!.cpu)) };
}

/** A cell's rates over its rounds. */
export function ratesOf(samples: readonly Sample[]): { wall: Spread; cpu: Spread; cores: Spread } {
  const r = samples.map(rate);
  return { wall: spreadOf(r.map((x) => x.wall)), cpu: spreadOf(r.map((x) => x.cpu)), cores: spreadOf(samples.map((s) => s.cpu / s.wall)) };
}

/**
 * The peer sanity check: whether a measured sgemm rate shows a tuned BLAS (per CPU-second: the
 * reference BLAS gives about 8 GFLOP here, OpenBLAS 180 – 190 with its AVX-512 kernels), and —
 * when both are known — whether the peer runs the OpenBLAS kernel the bench chose.
 *
 * @param gflops - The peer's 1024³ sgemm, GFLOP per CPU-second of its process (undefined: not measured).
 * @param min - Threshold. @default {@link SGEMM_MIN_GFLOPS}
 * @param wall - The same per wall-second, shown beside it when given.
 * @param kernel - `want`: the kernel the start-up probe saw under the chosen setting; `got`: the one
 *   the peer reported (`openblas_get_corename`). A difference makes the row INVALID.
 * @returns `ok` and the text a table shows ("97.0 GFLOP/s" or "INVALID: sgemm 7.70 GFLOP/s < 50").
 */
export function sgemmCheck(gflops: number | undefined, min = SGEMM_MIN_GFLOPS, wall?: number, kernel?: { want?: string | undefined; got?: string | null | undefined }): { ok: boolean; text: string } {
  if (gflops === undefined || !Number.isFinite(gflops)) return { ok: false, text: 'INVALID: peer sgemm not measured' };
  const w = wall === undefined ? '' : ` (${fmt(wall)} per wall-s)`;
  if (kernel?.want && kernel.got && kernel.want !== kernel.got) return { ok: false, text: `INVALID: OpenBLAS kernel ${kernel.got}, not the chosen ${kernel.want} (sgemm ${fmt(gflops)} GFLOP/s${w})` };
  const k = kernel?.got ? `, ${kernel.got}` : '';
  return gflops >= min ? { ok: true, text: `${fmt(gflops)} GFLOP/s${w}${k}` } : { ok: false, text: `INVALID: sgemm ${fmt(gflops)} GFLOP/s${w} < ${min}` };
}

/**
 * Steps per round for a cell from its warm-up speed: enough for about `seconds` of work, at least
 * `min` (so that one slow step never makes a round of one).
 */
export function stepsFor(secondsPerStep: number, seconds: number, min = 2): number {
  if (!(secondsPerStep > 0)) return min;
  return Math.max(min, Math.round(seconds / secondsPerStep));
}

/**
 * Training matmul FLOPs per sample of an MLP: forward 2·in·out per layer; backward the weight
 * gradient (as many) and the input gradient (as many) of every layer but the first (no side computes
 * the gradient of the data). That is 3× the forward matmul FLOPs less the first layer's input
 * gradient; bias, activation, loss and optimizer FLOPs are left out (< 1% at these widths).
 *
 * @param widths - Layer widths, input first, e.g. [784, 256, 128, 10].
 */
export function mlpTrainFlopsPerSample(widths: readonly number[]): number {
  let f = 0;
  for (let i = 0; i + 1 < widths.length; i++) f += (i === 0 ? 4 : 6) * widths[i]! * widths[i + 1]!;
  return f;
}

/**
 * A warning when the 1-minute load average went above the machine's core count during a run: the
 * cells then share cores with other work, and even per-CPU-second rates move (caches, SMT), so the
 * ratios are smoke, not measurements.
 *
 * @param loads - Every 1-minute load average sampled around the groups.
 * @param cores - The machine's logical cores.
 * @returns The note, or undefined when the load stayed at or below the core count.
 */
export function loadWarning(loads: readonly number[], cores: number): string | undefined {
  const max = Math.max(...loads.filter(Number.isFinite));
  if (!Number.isFinite(max) || max <= cores) return undefined;
  return `**Loaded machine**: the 1-minute load average reached ${max.toFixed(1)} on ${cores} cores during this run, so other work shared the cores; even per-CPU-second rates move under such load (caches, SMT). Treat these ratios as a smoke test and rerun on a quiet machine.`;
}
