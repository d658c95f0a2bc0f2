// The WebAssembly kernel behind Generator.fillBernoulli (random.ts): the same xoshiro128** draws and
// the same Bernoulli rule as its JavaScript loop, bit for bit, 2.6 – 3x faster (1.2 – 1.8 vs 3.6 – 4.9 ns per
// value on the 2-core AMD EPYC CI machine, in the same runs, the copy out of the module's memory included). Dropout masks are
// drawn on the host every training step (so compiled steps draw exactly what eager ones do): for the
// main job's model at batch 256 that is 196 k values a step. Source: random-kernel.wat.
import { BERNOULLI_WASM } from './random-kernel-wasm';

// The part of the WebAssembly JS API used here (the ES2023 lib core compiles against has no DOM types);
// module-scoped, so it shadows nothing outside this file.
interface WasmMemory { readonly buffer: ArrayBuffer }
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
};

/** Float32 values per kernel call: the module's 4 pages (256 KiB) less the 16-byte state. */
const CHUNK = (4 * 65536 - 16) / 4;

/**
 * Fills Float32Arrays with Bernoulli draws (0, or `one` where the draw is a success), advancing a
 * xoshiro128** state (4 × uint32) in place.
 */
export type BernoulliFill = (out: Float32Array, thr: number, state: Uint32Array, one: number) => void;

let kernel: BernoulliFill | null | undefined;
let disabled = false;

/** The kernel's bytes (base64 → bytes without Buffer, so the browser build needs nothing more). */
function bytes(): Uint8Array {
  const s = atob(BERNOULLI_WASM);
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
}

/**
 * The WebAssembly Bernoulli fill, or null where WebAssembly cannot be instantiated (a page whose
 * content security policy forbids it, say): the caller then runs its JavaScript loop. Compiled once,
 * synchronously (230 bytes: within every browser's limit for synchronous compiles).
 * `thr` is ⌊p·2³²⌋ − 2³¹ as a signed 32-bit integer (the loop's signed compare).
 */
export function bernoulliKernel(): BernoulliFill | null {
  if (disabled) return null;
  if (kernel !== undefined) return kernel;
  try {
    const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes()), {});
    const fill = inst.exports.fill as (ptr: number, n: number, thr: number, oneBits: number) => void;
    const mem = inst.exports.mem as WasmMemory;
    // The memory never grows: these views stay valid.
    const st = new Uint32Array(mem.buffer, 0, 4);
    const buf = new Float32Array(mem.buffer, 16, CHUNK);
    // The float32 value of a success, as the kernel stores it: its bits.
    const f32 = new Float32Array(1), bits = new Int32Array(f32.buffer);
    kernel = (out, thr, state, one) => {
      f32[0] = one;
      const oneBits = bits[0]!;
      st.set(state);
      for (let off = 0; off < out.length; off += CHUNK) {
        const n = Math.min(CHUNK, out.length - off);
        fill(16, n, thr, oneBits);
        out.set(n === CHUNK ? buf : buf.subarray(0, n), off);
      }
      state.set(st);
    };
  } catch {
    kernel = null;
  }
  return kernel;
}

/** @internal Tests: turn the kernel off (the JavaScript loop runs) or back on. */
export function useBernoulliKernel(on: boolean): void {
  disabled = !on;
}
