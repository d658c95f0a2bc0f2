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

/**
 * Load one engine's package, register its tfjs backend and make it active. Throws what the loader
 * threw (a missing native library, a failed wasm fetch …).
 */
export async function loadEngine(engine: EngineName, resolve: Resolver): Promise<void> {
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
