import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const PYTHON = '/usr/bin/python3';

/**
 * The environment for PyTorch peers: this process's, with OPENBLAS_CORETYPE removed (it can pin
 * OpenBLAS to a slow kernel) and OMP_WAIT_POLICY=PASSIVE (idle OpenMP threads sleep instead of
 * spinning; with the default policy PyTorch's 2-thread runs collapse 10–100× on a shared machine).
 */
export function peerEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' };
  delete env.OPENBLAS_CORETYPE;
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
