/**
 * Shared helpers of the examples: pick the backend once, run `main()` when a file is executed
 * directly, temporary folders, small tables and checks that make the smoke test fail loudly.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { useBackend, type Backend } from '@nn/core';
import { tfjs, type EngineChoice } from '@nn/backend-tfjs';

/** Options every example's `main()` takes. */
export interface ExampleOptions {
  /** Smaller sizes for the smoke test (`npm run examples`). @default false */
  small?: boolean;
}

let backend: Promise<Backend> | null = null;

/**
 * Select the tfjs backend once per process (auto: tfjs-node-gpu > tfjs-node > wasm > cpu, or the
 * engine named by `NN_ENGINE`). Examples call it first; run-all shares one backend.
 */
export function setup(): Promise<Backend> {
  if (!backend) backend = useBackend(tfjs({ engine: (process.env.NN_ENGINE ?? 'auto') as EngineChoice }));
  return backend;
}

/** Run `main` when the module is the script given to node/tsx, and exit 1 with the message on error. */
export function runIfMain(url: string, main: (opts?: ExampleOptions) => Promise<unknown>): void {
  const script = process.argv[1];
  if (!script || pathToFileURL(resolve(script)).href !== url) return;
  main({ small: process.argv.includes('--small') }).catch((e: unknown) => {
    const err = e as Error;
    console.error(`error: ${err.name && err.name !== 'Error' ? `${err.name}: ` : ''}${err.message}`);
    if (process.env.NN_DEBUG) console.error(err.stack);
    process.exit(1);
  });
}

/** A fresh folder under the OS temp dir for an example's outputs (plots, CSV, ONNX files). */
export function tempDir(name: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `nn-examples-${name}-`));
}

/** Throw when a property the example demonstrates does not hold (so the smoke test fails). */
export function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`check failed: ${message}`);
}

/** Print a Markdown table of rows (all rows share the first row's keys). */
export function printTable(rows: Record<string, string | number>[]): void {
  if (rows.length === 0) return;
  const keys = Object.keys(rows[0]!);
  const cell = (v: string | number | undefined) => (typeof v === 'number' ? fmt(v) : (v ?? ''));
  console.log(`| ${keys.join(' | ')} |`);
  console.log(`|${keys.map(() => ' --- ').join('|')}|`);
  for (const r of rows) console.log(`| ${keys.map((k) => cell(r[k])).join(' | ')} |`);
}

/** A number in 4 significant digits (exponent form when tiny or huge). */
export function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v) && Math.abs(v) < 1e5) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(2);
  return a >= 1000 ? v.toFixed(0) : String(Number(v.toPrecision(4)));
}

/** A seeded uniform generator in [0, 1) (mulberry32), for data that is the same on every run. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seeded standard normal generator (Box–Muller on {@link rng}). */
export function randnHost(seed: number): () => number {
  const u = rng(seed);
  return () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

/**
 * A small synthetic classification problem: `n` points with `features` inputs, `classes` classes
 * (a random linear teacher plus a non-linearity and label noise). Host arrays.
 */
export function makeClassification(n: number, features: number, classes: number, seed = 1, noise = 0.05): { x: Float32Array; y: Int32Array } {
  const g = randnHost(seed);
  const u = rng(seed + 1);
  const w = Float64Array.from({ length: features * classes }, () => g());
  const x = new Float32Array(n * features);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = -Infinity, arg = 0;
    for (let f = 0; f < features; f++) x[i * features + f] = g();
    for (let c = 0; c < classes; c++) {
      let s = 0;
      for (let f = 0; f < features; f++) s += x[i * features + f]! * w[f * classes + c]!;
      s += 0.5 * Math.sin(3 * x[i * features + (c % features)]!);
      if (s > best) { best = s; arg = c; }
    }
    y[i] = u() < noise ? Math.floor(u() * classes) : arg;
  }
  return { x, y };
}
