import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const PYTHON = '/usr/bin/python3';

/** The PyTorch peers' scripts (and their shared blas_check.py). */
const PEERS_DIR = fileURLToPath(new URL('../peers', import.meta.url));

/**
 * OpenBLAS kernels tried for the peer (OPENBLAS_CORETYPE; '' = OpenBLAS's own detection). OpenBLAS
 * 0.3.21 predates some CPUs it now runs on (Intel Xeon, Emerald Rapids, family 6 model 207): one
 * session measured 29 GFLOP/s on a 1024³ sgemm with its detection against 140 with SkylakeX; later
 * runs on that CPU gave 128 – 134 with detection and 127 – 149 with SkylakeX. Either way the probe
 * takes what is fastest on the machine at hand. The machine's own OPENBLAS_CORETYPE (Haswell here,
 * 89 – 99) is not trusted either.
 */
export const CORETYPE_CANDIDATES: readonly string[] = ['', 'SkylakeX', 'Cooperlake', 'Haswell', 'Zen', 'Sandybridge'];

/** The peer's BLAS kernel: the chosen OPENBLAS_CORETYPE ('' = detection) and each candidate's sgemm GFLOP/s. */
export interface BlasChoice {
  readonly coretype: string;
  readonly gflops: Readonly<Record<string, number>>;
  /** The kernel OpenBLAS reported (`openblas_get_corename`) under each candidate: '' (detection) names the one it detected. */
  readonly cores?: Readonly<Record<string, string>>;
}

/**
 * The fastest candidate; OpenBLAS's own detection ('') unless another is at least 5% faster
 * (within that, the difference is the probe's noise). Candidates that failed (NaN) never win.
 */
export function pickCoretype(gflops: Readonly<Record<string, number>>): string {
  let best = '';
  for (const [k, v] of Object.entries(gflops)) {
    if (!Number.isFinite(v)) continue;
    const b = gflops[best];
    if (!(b !== undefined && Number.isFinite(b)) || v > b * (best === '' ? 1.05 : 1)) best = k;
  }
  return best;
}

/** "OPENBLAS_CORETYPE=SkylakeX (fastest 1024³ sgemm of: detection 29, SkylakeX 141, …)": for the bench's notes. */
export function blasNote(c: BlasChoice): string {
  const rates = Object.entries(c.gflops).map(([k, v]) => `${k || 'detection'} ${Number.isFinite(v) ? v.toFixed(0) : 'failed'}`).join(', ');
  const core = chosenCore(c);
  const set = c.coretype ? `OPENBLAS_CORETYPE=${c.coretype}` : `OPENBLAS_CORETYPE unset (OpenBLAS detection${core ? `: ${core}` : ''})`;
  return `${set}${rates ? ` (the fastest 1-thread 1024³ sgemm, GFLOP/s: ${rates})` : ''}`;
}

/**
 * The probe: the cells' sanity measurement (peers/blas_check.py `sgemm_gflops`: 1024³ sgemm,
 * best of 5, GFLOP per CPU-second, and the kernel's name from the same module's `blas_core`) through numpy, which calls the same OpenBLAS (Debian's
 * openblas-openmp libblas.so.3, as torch does) and starts in 0.4 s instead of torch's 2 – 3 s.
 */
const PROBE = `import sys, time, numpy as np
sys.path.insert(0, ${JSON.stringify(PEERS_DIR)})
from blas_check import blas_core
a, b = np.random.rand(1024, 1024).astype(np.float32), np.random.rand(1024, 1024).astype(np.float32)
a @ b
best = float('inf')
for _ in range(5):
    c0 = time.process_time()
    a @ b
    best = min(best, time.process_time() - c0)
print(2 * 1024 ** 3 / 1e9 / max(best, 1e-6), blas_core() or '?')`;

/**
 * Probe rounds: every candidate once per round, the order rotated each round; a candidate's rate is
 * its best round. One round was not enough: on this shared VM a single round once measured
 * detection at 77 and the Zen kernel at 100 GFLOP/s, and the bench ran PyTorch on Zen (AVX2: 86 – 96
 * GFLOP/s on every MLP GEMM shape, against 157 – 198 for detection's AVX-512 kernel), at half its
 * speed, for the whole run.
 */
export const PROBE_ROUNDS = 4;

let chosen: BlasChoice | undefined;

/** The environment variable that hands a probed {@link BlasChoice} (JSON) to child processes (src/run.ts sets it). */
export const PEER_BLAS_ENV = 'NN_BENCH_PEER_BLAS';

/**
 * The peer's BLAS kernel, probed once per process: each candidate's 1-thread 1024³ sgemm (best of
 * 5, GFLOP per CPU-second) in /usr/bin/python3, in {@link PROBE_ROUNDS} rounds (best round per
 * candidate); {@link pickCoretype} of them. Without Python's numpy: detection ('').
 * A choice handed down in {@link PEER_BLAS_ENV} is taken as it is (one probe per bench run).
 */
export function peerBlas(): BlasChoice {
  if (chosen) return chosen;
  const handed = process.env[PEER_BLAS_ENV];
  if (handed) {
    const c = JSON.parse(handed) as BlasChoice;
    if (typeof c.coretype !== 'string' || typeof c.gflops !== 'object' || c.gflops === null) throw new Error(`${PEER_BLAS_ENV}: expected {"coretype": string, "gflops": {...}}, got ${handed}`);
    return (chosen = c);
  }
  const gflops: Record<string, number> = {};
  const cores: Record<string, string> = {};
  const probe = (c: string): number => {
    const env: NodeJS.ProcessEnv = { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1' };
    if (c) env.OPENBLAS_CORETYPE = c;
    else delete env.OPENBLAS_CORETYPE;
    const r = spawnSync(PYTHON, ['-c', PROBE], { encoding: 'utf8', env, timeout: 120_000 });
    if (r.status !== 0) return Number.NaN;
    const [rate, core] = (r.stdout.trim().split('\n').pop() ?? '').split(' ');
    if (core && core !== '?') cores[c] = core;
    return Number(rate);
  };
  if (existsSync(PYTHON) && Number.isFinite(probe(''))) {
    for (let round = 0; round < PROBE_ROUNDS; round++) {
      const order = CORETYPE_CANDIDATES.map((_, i) => CORETYPE_CANDIDATES[(i + round) % CORETYPE_CANDIDATES.length]!);
      for (const c of order) {
        // A candidate's best round (NaN: it failed every round).
        const v = probe(c), prev = gflops[c] ?? Number.NaN;
        gflops[c] = Number.isFinite(v) && Number.isFinite(prev) ? Math.max(v, prev) : Number.isFinite(v) ? v : prev;
      }
    }
  }
  // Report in the candidates' order, whatever the last round's order was.
  const ordered = Object.fromEntries(CORETYPE_CANDIDATES.filter((c) => c in gflops).map((c) => [c, gflops[c]!]));
  chosen = { coretype: pickCoretype(ordered), gflops: ordered, ...(Object.keys(cores).length ? { cores } : {}) };
  return chosen;
}

/** The OpenBLAS kernel the peers should report (`openblas_get_corename`) under the chosen setting, when the probe saw it. */
export const chosenCore = (c: BlasChoice): string | undefined => c.cores?.[c.coretype];

/**
 * glibc malloc settings for PyTorch peers (bytes): allocations below 1 GiB come from the heap and the
 * heap is never trimmed, so PyTorch's per-step temporaries (the foreach Adam step's new tensors,
 * megabytes each) reuse memory instead of being mmapped and unmapped every step. Without them a
 * PyTorch process sometimes runs its Adam step with a page fault per 4 KiB of every temporary:
 * measured here 5 – 28 ns per weight at 401,408 weights instead of 1.0 – 1.1, and the main job's
 * model at batch 128 at 7.0 – 16.1 ms per step instead of 3.9 – 4.9 (short scripts; a long-running
 * process usually, not always, reaches the fast state by itself). Kept when the caller set them.
 */
export const PEER_MALLOC_ENV: Readonly<Record<string, string>> = { MALLOC_MMAP_THRESHOLD_: String(2 ** 30), MALLOC_TRIM_THRESHOLD_: String(2 ** 30) };

/**
 * The environment for PyTorch peers: this process's, with OPENBLAS_CORETYPE set to the fastest
 * kernel ({@link peerBlas}; the machine's own setting is dropped), OMP_WAIT_POLICY=PASSIVE (idle
 * OpenMP threads sleep instead of spinning; with the default policy PyTorch's 2-thread runs
 * collapse 10–100× on a shared machine) and glibc's malloc kept from returning memory to the
 * kernel ({@link PEER_MALLOC_ENV}).
 */
export function peerEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...PEER_MALLOC_ENV, ...process.env, OMP_WAIT_POLICY: 'PASSIVE' };
  const { coretype } = peerBlas();
  if (coretype) env.OPENBLAS_CORETYPE = coretype;
  else delete env.OPENBLAS_CORETYPE;
  return env;
}

/** Whether /usr/bin/python3 exists and imports torch; the reason when not. */
export function torchAvailable(): { ok: true; version: string } | { ok: false; reason: string } {
  if (!existsSync(PYTHON)) return { ok: false, reason: `${PYTHON} not found` };
  const r = spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', env: peerEnv(), timeout: 120_000 });
  if (r.status !== 0) return { ok: false, reason: `${PYTHON} has no torch (${(r.stderr || '').trim().split('\n').pop()})` };
  return { ok: true, version: r.stdout.trim() };
}

/** Runs a Python peer script and parses the JSON object on the last line of its stdout. */
export function runPython<T>(script: string, args: string[], timeoutMs = 900_000): T {
  const r = spawnSync(PYTHON, [script, ...args], { encoding: 'utf8', env: peerEnv(), timeout: timeoutMs, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${script} exited with ${r.status ?? r.signal}: ${(r.stderr || '').trim().split('\n').slice(-3).join(' / ')}`);
  const last = r.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(last) as T;
}
