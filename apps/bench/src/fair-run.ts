/**
 * The fair method's processes: each cell is a warmed process (a Node cell under tsx, or a Python
 * peer) that answers one JSON request per line on stdin with one JSON line on stdout, prefixed with
 * {@link CELL_MARKER} (anything else it prints is ignored). Requests:
 *
 * - on start (no request): the cell builds its model, warms up, and prints `{ ready: true, info, gflops? }`;
 * - `{ cmd: 'probe', seconds }`: runs steps for about that long, replies a {@link Sample};
 * - `{ cmd: 'run', steps }`: runs exactly that many steps, replies a {@link Sample};
 * - `{ cmd: 'exit' }`: ends.
 *
 * {@link interleave} runs cells in alternating rounds (see `fair.ts`).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { roundOrder, stepsFor, type Sample } from './fair';
import { PYTHON, peerEnv } from './python';
import { ROOT } from './spawn';

/** Prefix of a cell's protocol lines on stdout. */
export const CELL_MARKER = '@@cell@@';

/** What a cell says when it is ready. */
export interface CellReady {
  ready: true;
  /** Free text: versions, device, graph size, BLAS … */
  info?: string;
  /** Peer cells: the 1024³ sgemm, GFLOP per CPU-second of the process (`gflopsWall`: per wall-second). */
  gflops?: number;
  /** Anything else the cell wants the bench to see (e.g. `fallbacks`). */
  [k: string]: unknown;
}

/** A cell the harness can time: a name, its batch, and `run(steps)`. */
export interface Cell {
  name: string;
  batch: number;
  ready: CellReady;
  /** Runs steps for about `seconds`; the sample says how many. */
  probe(seconds: number): Promise<Sample>;
  run(steps: number): Promise<Sample>;
  close(): Promise<void>;
}

/** A cell's process ended, or replied with an error. */
export class CellError extends Error {
  override name = 'CellError';
}

/** A cell in a process of its own (Node or Python), speaking the line protocol above. */
class ProcessCell implements Cell {
  private lines: string[] = [];
  private waiting: ((line: string | null) => void) | null = null;
  private ended = false;
  private stderr: string[] = [];
  ready!: CellReady;
  constructor(readonly name: string, readonly batch: number, private child: ChildProcessWithoutNullStreams) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (!line.startsWith(CELL_MARKER)) return;
      const body = line.slice(CELL_MARKER.length);
      if (this.waiting) {
        const w = this.waiting;
        this.waiting = null;
        w(body);
      } else this.lines.push(body);
    });
    createInterface({ input: child.stderr }).on('line', (line) => {
      if (line.trim()) this.stderr.push(line.slice(0, 300));
      if (this.stderr.length > 8) this.stderr.shift();
    });
    child.on('close', () => {
      this.ended = true;
      if (this.waiting) {
        const w = this.waiting;
        this.waiting = null;
        w(null);
      }
    });
  }
  private next(timeoutMs: number): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const done = (line: string | null) => {
        clearTimeout(timer);
        if (line === null) return reject(new CellError(`${this.name}: the cell process ended. Last stderr: ${this.stderr.slice(-3).join(' / ') || '(none)'}`));
        const msg = JSON.parse(line) as Record<string, unknown>;
        if (typeof msg.error === 'string') return reject(new CellError(`${this.name}: ${msg.error}`));
        resolve(msg);
      };
      const timer = setTimeout(() => {
        this.waiting = null;
        this.child.kill('SIGKILL');
        reject(new CellError(`${this.name}: no reply within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      if (this.lines.length) done(this.lines.shift()!);
      else if (this.ended) done(null);
      else this.waiting = done;
    });
  }
  async start(timeoutMs: number): Promise<this> {
    this.ready = (await this.next(timeoutMs)) as CellReady;
    return this;
  }
  private async ask(req: object, timeoutMs: number): Promise<Sample> {
    this.child.stdin.write(`${JSON.stringify(req)}\n`);
    const r = await this.next(timeoutMs);
    return { steps: r.steps as number, batch: this.batch, wall: r.wall as number, cpu: r.cpu as number };
  }
  probe(seconds: number): Promise<Sample> {
    return this.ask({ cmd: 'probe', seconds }, 120_000 + seconds * 10_000);
  }
  run(steps: number): Promise<Sample> {
    return this.ask({ cmd: 'run', steps }, 600_000);
  }
  async close(): Promise<void> {
    if (this.ended) return;
    const gone = new Promise<void>((r) => this.child.once('close', () => r()));
    this.child.stdin.end(`${JSON.stringify({ cmd: 'exit' })}\n`);
    const t = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(t);
  }
}

/**
 * The environment of a PyTorch peer cell: OPENBLAS_CORETYPE the fastest kernel, OMP_WAIT_POLICY=PASSIVE (see
 * {@link peerEnv}), and the BLAS and OpenMP pools sized to the cell's thread count. Debian's torch
 * uses the pthreads OpenBLAS (libopenblasp), whose pool is NOT sized by `torch.set_num_threads`:
 * without OPENBLAS_NUM_THREADS a "1-thread" PyTorch runs its GEMMs on every core (measured here: a
 * process with `set_num_threads(1)` had 2 OS threads and used 2× its thread's CPU time in sgemm).
 */
export function torchEnv(threads: number): NodeJS.ProcessEnv {
  const n = String(threads);
  return { ...peerEnv(), OMP_WAIT_POLICY: 'PASSIVE', OPENBLAS_NUM_THREADS: n, OMP_NUM_THREADS: n, MKL_NUM_THREADS: n };
}

/**
 * Starts a Node cell: `file` (relative to the repo root) under tsx, from apps/bench (so `@nn/*`
 * resolve to the built packages), with `config` as its one argument.
 */
export function startNodeCell(name: string, batch: number, file: string, config: object, timeoutMs = 600_000): Promise<Cell> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, file), JSON.stringify(config)], { cwd: join(ROOT, 'apps', 'bench'), stdio: ['pipe', 'pipe', 'pipe'] });
  return new ProcessCell(name, batch, child).start(timeoutMs);
}

/** Starts a Python peer cell: `/usr/bin/python3 file config` with {@link torchEnv} for `config.threads`. */
export function startPythonCell(name: string, batch: number, file: string, config: { threads: number } & Record<string, unknown>, timeoutMs = 600_000): Promise<Cell> {
  const child = spawn(PYTHON, [join(ROOT, file), JSON.stringify(config)], { env: torchEnv(config.threads), stdio: ['pipe', 'pipe', 'pipe'] });
  return new ProcessCell(name, batch, child).start(timeoutMs);
}

/** The samples of an interleaved run, per cell, and the load around it. */
export interface Interleaved {
  samples: Sample[][];
  steps: number[];
  load: { start: number[]; end: number[] };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Times cells in interleaved rounds: each cell's steps per round are fixed from a short probe (about
 * `seconds` of work), then every round runs every cell once, in {@link roundOrder}'s order, one at a
 * time, with a short pause between cells (so a finished cell's threads are idle before the next starts).
 */
export async function interleave(cells: Cell[], rounds: number, seconds: number, log: (s: string) => void = () => {}): Promise<Interleaved> {
  const load = { start: loadavg(), end: [] as number[] };
  const steps: number[] = [];
  for (const c of cells) {
    const p = await c.probe(Math.min(seconds, 0.5));
    steps.push(stepsFor(p.wall / p.steps, seconds));
    await sleep(50);
  }
  const samples: Sample[][] = cells.map(() => []);
  for (const [r, order] of roundOrder(cells.length, rounds).entries()) {
    for (const i of order) {
      samples[i]!.push(await cells[i]!.run(steps[i]!));
      await sleep(50);
    }
    log(`round ${r + 1}/${rounds}: ${order.map((i) => `${cells[i]!.name} ${Math.round((samples[i]!.at(-1)!.steps * cells[i]!.batch) / samples[i]!.at(-1)!.wall)}/s`).join(', ')}`);
  }
  load.end = loadavg();
  return { samples, steps, load };
}
