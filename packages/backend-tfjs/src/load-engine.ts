import * as tf from '@tensorflow/tfjs-core';
import { specOf, wasmDirectory, type EngineName, type Resolver } from './engines';

/** Import a package by a computed name, so bundlers never try to resolve optional peers. */
const dynamicImport = (name: string): Promise<Record<string, unknown>> => import(/* @vite-ignore */ name);

/** Run `fn` with tfjs warnings muted (the cpu backend's "install tfjs-node" banner on first write). */
function quietly<T>(fn: () => T): T {
  const warn = console.warn;
  console.warn = () => {};
  try {
    return fn();
  } finally {
    console.warn = warn;
  }
}

/** The process-wide error events Emscripten's Node glue listens to. */
const ERROR_EVENTS = ['uncaughtException', 'unhandledRejection'] as const;

/**
 * Whether a listener is one of Emscripten's Node-glue handlers: `uncaughtException` →
 * `if (!(ex instanceof ExitStatus)) throw ex`, `unhandledRejection` → `throw reason`.
 */
const isEmscriptenRethrow = (listener: unknown): boolean => /ExitStatus|throw reason/.test(Function.prototype.toString.call(listener));

/**
 * Run `load` and then remove the `uncaughtException` / `unhandledRejection` listeners that
 * tfjs-backend-wasm's Emscripten glue adds to `process` while its module starts
 * (emscripten-core/emscripten#5957; tfjs removes them only when the backend is disposed, and its
 * filter in 4.22 finds none). They rethrow from inside the glue, so with the wasm engine loaded any
 * uncaught error in the user's program printed a line of tfjs's bundle as its location and exited
 * with code 7 instead of 1, and a user's own `uncaughtException` handler could not keep the process
 * alive (the glue's handler threw anyway). Only listeners added during `load` whose source is one of
 * those two rethrows go; Node's defaults then apply again.
 */
async function withoutEmscriptenHandlers<T>(load: () => Promise<T>): Promise<T> {
  if (typeof process === 'undefined' || typeof process.listeners !== 'function') return load();
  const proc: NodeJS.EventEmitter = process; // listeners by a computed event name
  const before = new Map(ERROR_EVENTS.map((e) => [e, new Set(proc.listeners(e))]));
  try {
    return await load();
  } finally {
    for (const e of ERROR_EVENTS) {
      for (const l of proc.listeners(e)) if (!before.get(e)!.has(l) && isEmscriptenRethrow(l)) proc.removeListener(e, l as (...args: unknown[]) => void);
    }
  }
}

/**
 * Load one engine's package, register its tfjs backend and make it active. Throws what the loader
 * threw (a missing native library, a failed wasm fetch …). Leaves `process`'s error handlers as
 * they were (see {@link withoutEmscriptenHandlers}).
 */
export function loadEngine(engine: EngineName, resolve: Resolver): Promise<void> {
  return withoutEmscriptenHandlers(() => load(engine, resolve));
}

async function load(engine: EngineName, resolve: Resolver): Promise<void> {
  const spec = specOf(engine);
  if (engine === 'wasm') {
    const mod = await dynamicImport(spec.packageName);
    const setWasmPaths = (mod.setWasmPaths ?? (mod.default as Record<string, unknown> | undefined)?.setWasmPaths) as
      | ((prefix: string) => void)
      | undefined;
    // Point the loader at the installed package's .wasm files (needed in Node from ESM and CJS builds);
    // once the backend is initialised, the paths are fixed and must not be set again.
    if (setWasmPaths && !tf.findBackend('wasm')) setWasmPaths(wasmDirectory(resolve));
  } else {
    await dynamicImport(spec.packageName);
  }
  const ok = await tf.setBackend(spec.tfBackend);
  if (!ok) throw new Error(`tf.setBackend('${spec.tfBackend}') returned false (the backend failed to initialise)`);
  await tf.ready();
  // The cpu backend prints a banner on its first tensor; make that tensor now, quietly.
  if (engine === 'cpu') quietly(() => tf.tidy(() => tf.scalar(0).dataSync()));
}
