/** Test helpers to run fixture scripts in separate Node processes (through tsx). */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

export const WORKER = fileURLToPath(new URL('./shared-worker.ts', import.meta.url));
export const OBJECTIVE = fileURLToPath(new URL('./objective.ts', import.meta.url));

/** Starts `shared-worker.ts` with the given arguments. */
export function startWorker(args: string[]): ChildProcess & { output: () => string } {
  const p = spawn(process.execPath, ['--import', 'tsx', WORKER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  p.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  p.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return Object.assign(p, { output: () => out });
}

/** Resolves with the exit code; rejects after `ms`. */
export function exited(p: ChildProcess, ms = 30_000): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`process ${p.pid} still running after ${ms} ms`)), ms);
    p.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

/** Resolves when the process prints `text`. */
export function printed(p: ChildProcess & { output: () => string }, text: string, ms = 30_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "${text}" after ${ms} ms; output: ${p.output()}`)), ms);
    const check = (): void => {
      if (p.output().includes(text)) {
        clearTimeout(timer);
        resolve();
      }
    };
    p.stdout!.on('data', check);
    check();
  });
}

/** Lines "<trial> <worker>" of a fixture log, as [trial, worker] pairs. */
export function readLog(file: string): Array<[number, string]> {
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [n, w] = l.split(' ');
      return [Number(n), w!];
    });
}

/** Both workers did work and their trial numbers interleave (they really ran at the same time). */
export function expectInterleaved(entries: Array<[number, string]>): void {
  const byWorker = new Map<string, number[]>();
  for (const [n, w] of entries) byWorker.set(w, [...(byWorker.get(w) ?? []), n]);
  expect(byWorker.size).toBe(2);
  const [a, b] = [...byWorker.values()] as [number[], number[]];
  expect(Math.min(...a) < Math.max(...b) && Math.min(...b) < Math.max(...a)).toBe(true);
}
