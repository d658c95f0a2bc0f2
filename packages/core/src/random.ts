/**
 * Seedable random numbers, generated on the host so that the same seed gives the same numbers on
 * every backend (the reference, tfjs engines and traced graphs alike).
 */

import { bernoulliKernel } from './random-kernel';

/** Below this many values fillBernoulli's JavaScript loop beats a call into the WebAssembly kernel. */
const KERNEL_MIN = 64;

/** Told of every draw while set (the tracer sets it: a draw in traced code would be frozen into the graph). */
let drawObserver: ((g: Generator) => void) | null = null;

/**
 * @internal Observe every draw of every generator until the returned function is called (core's
 * tracer uses it to find random numbers drawn outside core's random ops while a step is traced).
 */
export function observeDraws(f: (g: Generator) => void): () => void {
  const prev = drawObserver;
  drawObserver = f;
  return () => {
    drawObserver = prev;
  };
}

/** A seedable generator (xoshiro128**, seeded through splitmix32). */
export class Generator {
  private s = new Uint32Array(4);
  private spare: number | null = null;

  constructor(seed: number = (Math.random() * 2 ** 32) >>> 0) {
    this.manualSeed(seed);
  }

  /** Reset the generator to a seed, like `torch.manual_seed`. */
  manualSeed(seed: number): this {
    let x = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    this.spare = null;
    return this;
  }

  /** Save the full state (for checkpoints). */
  getState(): number[] {
    return [...this.s, this.spare === null ? NaN : this.spare];
  }

  /** Restore a state from {@link getState}. */
  setState(state: readonly number[]): void {
    for (let i = 0; i < 4; i++) this.s[i] = state[i]! >>> 0;
    this.spare = Number.isNaN(state[4]) ? null : state[4]!;
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    if (drawObserver) drawObserver(this);
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1]!, 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1]! << 9) >>> 0;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }

  /**
   * Fill `out` with Bernoulli(p) draws: 1 where a uniform 32-bit draw is below ⌊p·2³²⌋, else 0 — one
   * 32-bit draw per element (the rule of `bernoulli` and dropout masks; P(1) is p within 2.4e-10).
   * The same draws as calling {@link Generator.nextUint32} once per element. A Float32Array (a dropout
   * mask, which a compiled training step draws on the host every step) is filled by a small
   * WebAssembly kernel (src/random-kernel.wat; 1.2 – 1.8 vs 3.6 – 4.9 ns per value before it), anything else, or where
   * WebAssembly is unavailable, by a JavaScript loop that keeps the state in locals; both give the
   * same values bit for bit.
   *
   * @param out - Receives the values (its length is the number of draws).
   * @param p - Probability of a success, in [0, 1].
   * @param one - The value written for a success (0 for a failure). A dropout mask passes
   *   1/(1 − rate), so the scaled mask costs no multiplication of its own. @default 1
   */
  fillBernoulli(out: { length: number; [i: number]: number }, p: number, one = 1): void {
    if (drawObserver && out.length) drawObserver(this);
    // Compared as signed 32-bit integers: r < thr (unsigned) ⇔ (r ^ 2³¹) < (thr ^ 2³¹) (signed), so
    // the loop stays in int32 arithmetic (about 16% faster than the unsigned compare, which works in
    // doubles). p ≤ 0 and p ≥ 1 (thresholds 0 and 2³², outside int32) clamp to all-0 / all-1 draws.
    const all = p >= 1 ? 1 : p <= 0 ? 0 : -1;
    const thr = all === -1 ? (Math.floor(p * 4294967296) - 2147483648) | 0 : 0;
    if (all === -1 && out instanceof Float32Array && out.length >= KERNEL_MIN) {
      const k = bernoulliKernel();
      if (k) return k(out, thr, this.s, one);
    }
    const st = this.s;
    let s0 = st[0]! | 0, s1 = st[1]! | 0, s2 = st[2]! | 0, s3 = st[3]! | 0;
    for (let i = 0, n = out.length; i < n; i++) {
      const m = Math.imul(s1, 5);
      const r = Math.imul((m << 7) | (m >>> 25), 9) ^ -2147483648;
      const t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = (s3 << 11) | (s3 >>> 21);
      // Branch-free (a branch on a random bit mispredicts: 4.4 – 4.9 ns per value with one, 2.4 – 3.4
      // without, measured back to back); `+ 0` keeps a failure +0
      // for a negative `one`.
      out[i] = (all === -1 ? +(r < thr) : all) * one + 0;
    }
    st[0] = s0;
    st[1] = s1;
    st[2] = s2;
    st[3] = s3;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  next(): number {
    const hi = this.nextUint32() >>> 5, lo = this.nextUint32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Standard normal (Box–Muller, caching the second value). */
  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** A Fisher–Yates permutation of 0..n-1. */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = p[i]!;
      p[i] = p[j]!;
      p[j] = t;
    }
    return p;
  }
}

const rotl = (x: number, k: number) => ((x << k) | (x >>> (32 - k))) >>> 0;

/** The process-wide default generator used when an op is given none. */
export const defaultGenerator = new Generator(0x5eed);

/** Seed the default generator (like `torch.manual_seed` / `keras.utils.set_random_seed`). */
export function manualSeed(seed: number): void {
  defaultGenerator.manualSeed(seed);
}
